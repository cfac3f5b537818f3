"""A page left at rest gets each lab's first card before its tab's first click
(``ui/app.py``, ``AHEAD_LABS``), hidden until then; the click then only shows it. On a
server of its own: the other browser tests' server puts no lab ahead (``conftest.server``).
"""
from __future__ import annotations

import pytest

from playground.tools import bench_browser
from tests.browser.conftest import _TRACEBACK, ARTIFACTS, WORKER, serve

pytestmark = pytest.mark.browser

SUFFIX = f"-{WORKER}" if WORKER else ""
LOG = ARTIFACTS / f"panel-serve-ahead{SUFFIX}.log"


@pytest.fixture(scope="module")
def ahead_server():
    yield from serve(LOG, ARTIFACTS / f"classes-ahead{SUFFIX}.sqlite3")


def test_a_page_at_rest_has_each_labs_first_card_before_its_first_click(browser, ahead_server):
    page, _, _ = bench_browser.open_app(browser, f"{ahead_server}/app")
    try:
        # every lab's first card comes on the page, each in its hidden tab
        waited = bench_browser.labs_ahead(page, tuple(bench_browser.TABS), wait_s=120)
        assert waited is not None, "the labs' first cards did not come"
        on_page = page.evaluate(bench_browser.LABS_ON_PAGE)
        assert len(on_page) == len(bench_browser.TABS) and all(on_page)
        # hidden: the playground alone is shown, with one Play button and one "Learning
        # rate" that a student (or a screen reader) can reach
        assert page.get_by_role("button", name="Play", exact=True).filter(
            visible=True).count() == 1
        assert page.get_by_label("Learning rate", exact=True).filter(visible=True).count() == 1
        assert page.locator(".pg-lab-loading").filter(visible=True).count() == 0
        # each tab's first click shows its lab's first card (tabs_ahead times it: None if
        # it did not come), never "Setting up this lab…"
        for key in bench_browser.TABS:
            res = bench_browser.tabs_ahead(page, labs=(key,), wait_s=0, pause_s=0)
            assert res[f"tab_{key}_ahead_ms"] is not None, key
            assert page.locator(".pg-lab-loading").filter(visible=True).count() == 0, key
            page.wait_for_timeout(1000)
    finally:
        page.context.close()
    log = LOG.read_text(errors="replace")
    assert not _TRACEBACK.search(log), log[-3000:]
