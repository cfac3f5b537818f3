"""The Digits CNN tab: train a few epochs and see the filters change, draw a digit and get
a prediction, open a learned filter in the convolution lab."""
from __future__ import annotations

import pytest

from .test_page import click, wait_until

pytestmark = pytest.mark.browser


def figure_titled(page, title):
    return page.locator(".bk-Figure").filter(has_text=title).first


def test_train_draw_and_open_a_filter(page):
    page.locator(".bk-tab", has_text="Digits CNN").click()
    page.locator(".pg-digits-epoch").wait_for(timeout=60_000)
    assert "tab=digits" in page.url
    card = page.locator(".pg-digits-filters")
    card.scroll_into_view_if_needed()
    before = card.screenshot()
    click(page, "▶ Play")
    wait_until(lambda: int(page.locator(".pg-digits-epoch").inner_text()) >= 3, timeout=90,
               message="three epochs")
    click(page, "❚❚ Pause")
    wait_until(lambda: card.screenshot() != before, timeout=10,
               message="the filters to change")
    acc = float(page.locator(".pg-digits-acc").inner_text().rstrip("%"))
    assert acc > 50, acc                                   # well above chance (10 %)
    pad = page.locator(".pg-digits-pad .bk-Figure").first
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x = box["x"] + box["width"] * 0.5
    page.mouse.move(x, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    for k in range(1, 11):                                 # a vertical stroke: a 1
        page.mouse.move(x, box["y"] + box["height"] * (0.15 + 0.07 * k), steps=2)
        page.wait_for_timeout(30)
    page.mouse.up()
    wait_until(lambda: page.locator(".pg-pad-digit").count() > 0, timeout=15,
               message="a prediction for the drawing")
    assert page.locator(".pg-pad-digit").inner_text() in "0123456789"
    click(page, "Open in Convolution lab")
    page.locator(".pg-learned-filter").wait_for(timeout=30_000)
    assert "Convolution" in page.locator(".bk-tab.bk-active").inner_text()
    assert "Learned filter 0" in page.locator(".pg-learned-filter").inner_text()
