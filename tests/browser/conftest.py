"""Fixtures for the browser tests: the served app, headless Chromium and a watched page.

* ``server``  (session): ``panel serve app.py`` on a free local port, in the environment of
  the test run (``PLAYGROUND_WIRE=bokeh pytest tests/browser`` serves the page on Bokeh's
  and Panel's own frame messages); its output goes to ``tests/artifacts/panel-serve.log``
  (``panel-serve-gw0.log`` … in each process of a run in two).
* ``browser`` (session): Chromium from ``$PLAYWRIGHT_CHROMIUM`` or ``/usr/bin/chromium``.
  Missing browser / playwright: skipped on a laptop, a *failure* under ``CI``.
* ``page`` (function): a fresh browser context on ``/app`` that records every non-local
  request, console error and page error, plus every server traceback logged while the
  test ran (and a fast wire that failed and fell back); the test fails at teardown if any
  of these lists is not empty. A full-page screenshot of every test is saved under
  ``tests/artifacts/``.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support import free_ports, unavailable

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
# the tests run in two processes (pytest-xdist), each with a served app of its own: its log
# and class database are its own too ("-gw0", "-gw1"; none in a run of one process)
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_SUFFIX = f"-{WORKER}" if WORKER else ""
SERVER_LOG = ARTIFACTS / f"panel-serve{_SUFFIX}.log"
CLASS_DB = ARTIFACTS / f"classes{_SUFFIX}.sqlite3"     # the served app's class database
TEACHER_PASSWORD = "test-teacher"             # the served app's teacher password
SERVER_START_TIMEOUT = 90      # s until GET /app answers 200 (JAX compiles on first load)
FIRST_LOAD_TIMEOUT = 60_000    # ms for the first page to render its widgets
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _unavailable(reason: str):
    unavailable(reason, "browser tests")


def _free_port() -> int:
    return free_ports(1)[0]


def _log_tail(path: Path = SERVER_LOG, n: int = 60) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no server log)"
    return "\n".join(lines[-n:])


def serve(log_path: Path = SERVER_LOG, db: Path = CLASS_DB, **env_extra):
    """``panel serve app.py`` from the repository root on a free port, its output in
    ``log_path``, its class database ``db`` (made afresh), ``env_extra`` added to its
    environment: yields its base URL, stops it after."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    cmd = [sys.executable, "-m", "panel", "serve", "app.py", "--port", str(port),
           "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}"]
    log = open(log_path, "w")
    for old in ARTIFACTS.glob(db.name + "*"):           # a fresh class database each run
        old.unlink()
    env = {**os.environ, "PLAYGROUND_DB": str(db),
           "PLAYGROUND_TEACHER_PASSWORD": TEACHER_PASSWORD, **env_extra}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    ok = False
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{base}/app", timeout=30) as r:
                if r.status == 200:
                    ok = True
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.5)
    if not ok:
        proc.kill()
        proc.wait(timeout=10)
        log.close()
        pytest.fail(f"`panel serve app.py` did not answer 200 on /app within "
                    f"{SERVER_START_TIMEOUT}s (exit code {proc.returncode}).\n"
                    f"--- server log tail ---\n{_log_tail(log_path)}", pytrace=False)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def server():
    """Base URL of ``panel serve app.py`` running from the repository root. Its pages put
    no lab on the page before its tab's first click (``PLAYGROUND_AHEAD_LABS=off``): a page
    left at rest would otherwise hold each lab's controls, hidden, and a test's control
    found by its label (a "Learning rate", an "Activation", a "Play") could be two. That
    is tested on a server of its own (``test_ahead_labs.py``)."""
    yield from serve(PLAYGROUND_AHEAD_LABS="off")


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - depends on the machine
        _unavailable(f"the playwright package is not importable ({exc}); "
                     f"pip install -e '.[test]'")
    exe = os.environ.get("PLAYWRIGHT_CHROMIUM", "/usr/bin/chromium")
    if not (os.path.isfile(exe) and os.access(exe, os.X_OK)) and not shutil.which(exe):
        _unavailable(f"no Chromium executable at {exe!r} (set PLAYWRIGHT_CHROMIUM)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _is_local(url: str) -> bool:
    if url.startswith(("data:", "blob:", "about:")):
        return True
    host = urlparse(url).hostname or ""
    return host in LOCAL_HOSTS or f"[{host}]" in LOCAL_HOSTS


_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|Exception in callback|\bERROR\b:"
                        r"|the fast wire failed")     # playground/server/wire.py's fallback line


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture
def page(request, browser, server):
    """A fresh page on /app, watched for foreign requests and errors (checked at teardown)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    foreign, errors = [], []
    pg.on("request", lambda r: None if _is_local(r.url) else foreign.append(r.url))
    pg.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}")
          if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    log_start = SERVER_LOG.stat().st_size if SERVER_LOG.exists() else 0
    marker = request.node.get_closest_marker("query")     # @pytest.mark.query("?a=b")
    query = marker.args[0] if marker else ""
    pg.goto(f"{server}/app{query}", timeout=FIRST_LOAD_TIMEOUT, wait_until="load")
    pg.locator(".pg-epoch").wait_for(state="visible", timeout=FIRST_LOAD_TIMEOUT)
    pg.get_by_role("button", name="Play", exact=True).wait_for(timeout=FIRST_LOAD_TIMEOUT)
    if not query.startswith("?tab=") and "&tab=" not in query:
        # the playground's lower parts come in its first frames (ui/parts.py), the export
        # card last
        pg.get_by_text("Python script").first.wait_for(state="attached",
                                                      timeout=FIRST_LOAD_TIMEOUT)
    yield pg
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    except Exception as exc:  # a screenshot failure must not hide the real result
        print(f"screenshot failed: {exc}")
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        print(f"--- server log tail ({SERVER_LOG}) ---\n{_log_tail()}")
    # let a last burst of messages arrive before judging
    pg.wait_for_timeout(200)
    context.close()
    with open(SERVER_LOG, "rb") as f:
        f.seek(log_start)
        server_out = f.read().decode(errors="replace")
    server_errors = [m.group(0) for m in _TRACEBACK.finditer(server_out)]
    problems = []
    if foreign:
        problems.append("requests to non-local hosts:\n  " + "\n  ".join(foreign))
    if errors:
        problems.append("browser console errors:\n  " + "\n  ".join(errors))
    if server_errors:
        problems.append("server logged errors while the test ran:\n" + server_out[-4000:])
    assert not problems, "\n".join(problems)
