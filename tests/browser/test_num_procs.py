"""``panel serve app.py --num-procs 2``: pages from either process work and load nothing from
another host. A page's websocket can reach the other process than the page itself (they
share one port); that process then builds the session, and its stylesheets must still come
from this server (they pointed at Panel's CDN before app.py patched them)."""
from __future__ import annotations

import time

import pytest

from playground.tools.loadtest import start_server, stop_server

from .conftest import ARTIFACTS, FIRST_LOAD_TIMEOUT, SERVER_START_TIMEOUT, _is_local

pytestmark = pytest.mark.browser
PAGES = 6


@pytest.fixture(scope="module")
def two_procs():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        proc, url = start_server(2, ARTIFACTS / "panel-serve-num-procs.log",
                                 timeout=SERVER_START_TIMEOUT)
    except RuntimeError as exc:
        pytest.fail(f"`panel serve app.py --num-procs 2`: {exc}", pytrace=False)
    yield url.rsplit("/app", 1)[0]
    stop_server(proc)                   # the forked workers too


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
