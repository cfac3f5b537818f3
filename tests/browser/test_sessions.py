"""Two students at once: two browser sessions with different set-ups never see each other's
data, training or settings."""
from __future__ import annotations

import pytest

from .conftest import CHROMIUM_ARGS, FIRST_LOAD_TIMEOUT  # noqa: F401
from .test_page import epoch, wait_until

pytestmark = pytest.mark.browser


def test_two_sessions_are_separate(page, browser, server):
    other_ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    other = other_ctx.new_page()
    errors = []
    other.on("pageerror", lambda e: errors.append(str(e)))
    try:
        other.goto(f"{server}/app?dataset=xor&learning_rate=0.1", timeout=FIRST_LOAD_TIMEOUT)
        other.locator(".pg-epoch").wait_for(timeout=FIRST_LOAD_TIMEOUT)
        other.get_by_role("button", name="Play", exact=True).click()
        wait_until(lambda: epoch(other) > 20, timeout=20, message="the other session to train")
        page.wait_for_timeout(500)
        assert epoch(page) == 0                     # this session did not train
        assert "dataset=xor" in other.url and "dataset=" not in page.url
        page.get_by_role("button", name="Play", exact=True).click()
        wait_until(lambda: epoch(page) > 5, timeout=20, message="this session to train")
        other.get_by_role("button", name="Pause", exact=True).click()
        page.get_by_role("button", name="Pause", exact=True).click()
        assert "learning_rate=0.1" in other.url and "learning_rate" not in page.url
        assert not errors
    finally:
        other_ctx.close()
