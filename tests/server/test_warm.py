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

    def shut():
        raise RuntimeError("cannot schedule new futures after interpreter shutdown")
    monkeypatch.setattr(warm, "warmup", shut)
    monkeypatch.setattr(warm, "_go", threading.Event())
    warm._go.set()
    warm._warmup_after()                              # no exception

    def broken():
        raise RuntimeError("something else")
    monkeypatch.setattr(warm, "warmup", broken)
    with pytest.raises(RuntimeError, match="something else"):
        warm._warmup_after()
