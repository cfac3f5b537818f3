"""``panel serve app.py --num-procs 2``: pages from either process work and load nothing from
another host. A page's websocket can reach the other process than the page itself (they
share one port); that process then builds the session, and its stylesheets must still come
from this server (they pointed at Panel's CDN before app.py patched them)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from .conftest import ARTIFACTS, FIRST_LOAD_TIMEOUT, ROOT, SERVER_START_TIMEOUT, _free_port, \
    _is_local

pytestmark = pytest.mark.browser
PAGES = 6


@pytest.fixture(scope="module")
def two_procs():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log = open(ARTIFACTS / "panel-serve-num-procs.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "panel", "serve", "app.py", "--port", str(port), "--address",
         "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}", "--num-procs", "2"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(f"{base}/app", timeout=30) as r:
                if r.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("`panel serve app.py --num-procs 2` did not start", pytrace=False)
        time.sleep(0.5)
    yield base
    for sig in (signal.SIGTERM, signal.SIGKILL):       # the forked workers too
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        time.sleep(1)
    log.close()


def test_every_page_trains_and_loads_nothing_from_elsewhere(browser, two_procs):
    for i in range(PAGES):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = context.new_page()
        foreign, errors = [], []
        pg.on("request", lambda r: None if _is_local(r.url) else foreign.append(r.url))
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(f"{two_procs}/app", timeout=FIRST_LOAD_TIMEOUT)
        pg.locator(".pg-epoch").wait_for(state="visible", timeout=FIRST_LOAD_TIMEOUT)
        pg.get_by_role("button", name="Play", exact=True).click()
        deadline = time.monotonic() + 30
        while not any(c in "123456789" for c in pg.locator(".pg-epoch").inner_text()):
            assert time.monotonic() < deadline, f"page {i} did not train"
            pg.wait_for_timeout(200)
        if i == 0:                                      # a lab built later, in the session
            pg.locator(".bk-tab", has_text="Convolution").click()
            pg.locator(".pg-lab-conv").wait_for(timeout=FIRST_LOAD_TIMEOUT)
        pg.wait_for_timeout(300)
        context.close()
        assert not foreign, f"page {i} loaded from other hosts: {foreign}"
        assert not errors, f"page {i}: {errors}"
