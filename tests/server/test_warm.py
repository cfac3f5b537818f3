"""The background warm-up starts when the first page has loaded, or after a delay."""
from __future__ import annotations

import threading

from playground.server import warm


def _fresh(monkeypatch):
    calls = threading.Event()
    monkeypatch.setattr(warm, "_thread", None)
    monkeypatch.setattr(warm, "_go", threading.Event())
    monkeypatch.setattr(warm, "_delays", [])
    monkeypatch.setattr(warm, "warmup", calls.set)
    return calls


def test_the_warmup_waits_for_the_first_page_then_runs_once(monkeypatch):
    calls = _fresh(monkeypatch)
    t = warm.warmup_in_background(delay_s=60.0)      # the server's start
    assert warm.warmup_in_background(delay_s=60.0) is t and len(warm._delays) == 1
    assert not calls.wait(0.3)                       # no page yet: nothing compiles
    assert warm.warmup_in_background() is t          # the first page has loaded
    assert calls.wait(5.0)
    t.join(5.0)
    assert not t.is_alive()
    warm._delays[0].cancel()


def test_without_a_page_the_warmup_starts_after_its_delay(monkeypatch):
    calls = _fresh(monkeypatch)
    t = warm.warmup_in_background(delay_s=0.2)
    assert not calls.is_set()
    assert calls.wait(5.0)
    t.join(5.0)


def test_the_delay_can_be_set_for_a_server(monkeypatch):
    monkeypatch.delenv("PLAYGROUND_WARMUP_DELAY_S", raising=False)
    assert warm.start_delay() == warm.DELAY_S
    monkeypatch.setenv("PLAYGROUND_WARMUP_DELAY_S", "0")
    assert warm.start_delay() == 0.0
    for junk in ("soon", "-5"):
        monkeypatch.setenv("PLAYGROUND_WARMUP_DELAY_S", junk)
        assert warm.start_delay() in (warm.DELAY_S, 0.0)


def test_a_server_stopped_while_warming_up_leaves_no_traceback(monkeypatch):
    """At exit the thread pools take no more work: the warm-up ends quietly; any other
    error still shows."""
    import pytest

    for message in ("cannot schedule new futures after interpreter shutdown",
                    "cannot schedule new futures after shutdown"):    # a pool shut down
        def shut():
            raise RuntimeError(message)
        monkeypatch.setattr(warm, "warmup", shut)
        monkeypatch.setattr(warm, "_go", threading.Event())
        warm._go.set()
        warm._warmup_after()                          # no exception

    def broken():
        raise RuntimeError("something else")
    monkeypatch.setattr(warm, "warmup", broken)
    with pytest.raises(RuntimeError, match="something else"):
        warm._warmup_after()


def test_the_end_of_the_warmup_is_logged_with_its_time(monkeypatch, log_records):
    """The server's log says when the shared programs are ready (the benchmark waits for
    it); a warm-up cut short by the server's exit says nothing."""
    monkeypatch.setattr(warm, "warmup", lambda: None)
    monkeypatch.setattr(warm, "_go", threading.Event())
    warm._go.set()
    # (this thread's records only: a warm-up thread of an earlier test may wake meanwhile)
    mine = lambda: [r.getMessage() for r in log_records
                    if r.thread == threading.get_ident() and r.getMessage().startswith(warm.DONE)]
    warm._warmup_after()
    done = mine()
    assert len(done) == 1 and done[0].endswith(" s"), done

    def shut():
        raise RuntimeError("cannot schedule new futures after interpreter shutdown")
    monkeypatch.setattr(warm, "warmup", shut)
    log_records.clear()
    warm._warmup_after()
    assert not mine()


def test_the_browser_bench_waits_for_the_logged_warmup(tmp_path):
    import time
    from playground.tools.bench_browser import wait_for_warmup
    log = tmp_path / "serve.log"
    log.write_text("Starting Bokeh server\n")
    t0 = time.perf_counter()
    assert wait_for_warmup(log, t0, 0.3) is None               # not yet: gives up in time
    assert time.perf_counter() - t0 < 2.0
    log.write_text(f"Starting Bokeh server\n2026 {warm.DONE} in 41.2 s\n")
    assert wait_for_warmup(log, t0, 5.0) >= 0.0
    assert wait_for_warmup(tmp_path / "missing.log", t0, 0.2) is None


def test_steps_added_to_the_warm_up_run_once_each(monkeypatch):
    """``also`` adds the page's own warm-up (each lab built once: app.py) to the warm-up
    thread's work, once however often it is added."""
    given = []
    monkeypatch.setattr(warm, "_steps", [])

    def step():
        given.append(1)
    warm.also(step)
    warm.also(step)
    warm.run_steps()
    assert given == [1]


IMPORTS_AFTER_SETUP = r"""
import json, os, sys
os.environ["PLAYGROUND_WARMUP_DELAY_S"] = "1000"     # the warm-up runs below, in this thread
sys.path.insert(0, os.getcwd())
import app
app.setup()
before = set(sys.modules)
from playground.server import warm
from playground.ui.app import SPARE
SPARE.prepare(delay_s=0.0)          # a page made in the builder's thread
SPARE.future.result()
warm.warmup()                       # the shared programs, the labs built once, the spares
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_after_the_servers_set_up_its_background_work_imports_nothing_new():
    """Panel makes each session inside ``record_modules``, which looks up by name every
    module imported meanwhile; an import that ends in another thread at that moment (Python
    takes the module out of ``sys.modules`` and puts it back) failed the session for good.
    So the set-up imports first what the warm-up, compile and build threads would: after
    it, a page made and the whole warm-up import no module."""
    import json
    import pathlib
    import subprocess
    import sys
    root = pathlib.Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", IMPORTS_AFTER_SETUP], cwd=root,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert imported == [], imported


def test_the_imports_ahead_lower_one_program_once(monkeypatch):
    """``setup`` runs for each page made on the event loop: only its first call lowers."""
    import jax
    lowered = []
    real = jax.jit
    monkeypatch.setattr(warm, "_ahead", threading.Event())
    monkeypatch.setattr(jax, "jit", lambda f, *a, **k: lowered.append(f) or real(f, *a, **k))
    warm.import_ahead()
    warm.import_ahead()
    assert len(lowered) == 1
