"""A server just started answers a browser at once with "Warming up…", then opens the page.

The first page of a new server used to keep the browser blank while the server imported
JAX and compiled a network's first computations (4–5 s; 9 s on an empty compilation
cache). Now the browser gets the warming-up page at once, and loads the page again, with
the same link, as soon as the server has made one (``playground/ui/warming.py``)."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import pytest

from playground.tools.loadtest import stop_server
from tests.support import free_ports

from .conftest import ARTIFACTS, FIRST_LOAD_TIMEOUT, ROOT, SERVER_START_TIMEOUT, _TRACEBACK, \
    _is_local

pytestmark = pytest.mark.browser
LOG = ARTIFACTS / "panel-serve-warming.log"
TITLE = re.compile(r"<title>([^<]*)</title>")


@pytest.fixture
def fresh_server():
    """``panel serve app.py`` that no request has reached yet (conftest's ``server``
    loads a page before the tests: that one is warm)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_ports(1)[0]
    log = open(LOG, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "panel", "serve", "app.py", "--port", str(port),
         "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "PLAYGROUND_WARMUP_DELAY_S": "600"})
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:                          # listening (a connection only: no page request)
        assert proc.poll() is None, LOG.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, "the server did not listen"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)
    log.close()


def test_a_new_servers_first_page_says_warming_up_then_opens_the_link(browser, fresh_server):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    pg = context.new_page()
    foreign, errors, documents = [], [], []
    pg.on("request", lambda r: None if _is_local(r.url) else foreign.append(r.url))
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    requests = []                # (kind, url) in order, up to the playground's document

    def document(response):
        if response.request.resource_type == "document" and "/app" in response.url:
            documents.append(TITLE.search(response.text()).group(1))
    pg.on("response", document)
    pg.on("request", lambda r: requests.append((r.resource_type, r.url)))
    pg.goto(f"{fresh_server}/app?dataset=xor", timeout=FIRST_LOAD_TIMEOUT)
    pg.locator(".pg-epoch").wait_for(state="visible", timeout=FIRST_LOAD_TIMEOUT)
    # the first answer was the warming-up page, the second the playground: loaded again
    # by the page itself once the server had made one
    assert documents[:1] == ["Neural Network Playground (warming up)"], documents
    assert documents[-1] == "Neural Network Playground" and len(documents) == 2, documents
    # the warming-up page is static: it ran no script but its own, asked the server
    # whether a page was made (its probes) until it was, and fetched the playground's
    # scripts into the cache ahead (prefetch: "other"), the very ones the page then loads
    kinds = [kind for kind, _ in requests]
    assert kinds[0] == "document" and "document" in kinds[1:], kinds[:8]
    second = kinds.index("document", 1)
    warming_page, playground = requests[1:second], requests[second:]
    assert "fetch" in kinds[1:second] and set(kinds[1:second]) <= {"fetch", "other"}, kinds
    ahead = {url for kind, url in warming_page if kind == "other"}
    assert ahead and ahead == {url for kind, url in playground if kind == "script"
                               and "/static/" in url}, (ahead, playground)
    assert pg.title() == "Neural Network Playground"
    assert "dataset=xor" in pg.url                      # the link's settings are kept
    pg.get_by_role("button", name="Play", exact=True).click()
    deadline = time.monotonic() + 30
    while not any(c in "123456789" for c in pg.locator(".pg-epoch").inner_text()):
        assert time.monotonic() < deadline, "the page did not train"
        pg.wait_for_timeout(200)
    pg.screenshot(path=str(ARTIFACTS / "warming-then-page.png"))
    context.close()
    assert not foreign, foreign
    assert not errors, errors
    log = LOG.read_text(errors="replace")
    assert not _TRACEBACK.search(log), log[-4000:]


def test_the_warming_page_shows_at_once_says_so_and_its_choices_are_kept(browser,
                                                                         fresh_server):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    pg = context.new_page()
    pg.goto(f"{fresh_server}/app", timeout=FIRST_LOAD_TIMEOUT, wait_until="commit")
    message = pg.locator(".pg-warming")
    message.wait_for(state="visible", timeout=FIRST_LOAD_TIMEOUT)
    assert "Warming up" in message.inner_text()
    # its controls are usable at once: a choice goes into the link, and the page that
    # loads next opens with it
    menus = pg.locator("select")
    assert menus.count() == 4
    menus.nth(2).select_option(label="ReLU")
    pg.wait_for_function("() => location.search.includes('activation=relu')", timeout=5000)
    pg.screenshot(path=str(ARTIFACTS / "warming.png"))
    pg.locator(".pg-epoch").wait_for(state="visible", timeout=FIRST_LOAD_TIMEOUT)
    assert "activation=relu" in pg.url            # kept by the page, which uses it
    context.close()
