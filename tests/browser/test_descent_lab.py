"""The Gradient descent tab: step one weight and read the arithmetic, play the optimizer
race, compute the landscape, run the LR finder to the end and use its suggestion."""
from __future__ import annotations

import pytest

from playground.engine import descent

from .test_page import click, wait_until

pytestmark = pytest.mark.browser


def open_tab(page):
    page.locator(".bk-tab", has_text="Gradient descent").click()
    page.locator(".pg-one-weight").wait_for(timeout=30_000)


@pytest.mark.query("?dataset=plane")
def test_one_weight_race_landscape_and_finder(page):
    for _ in range(4):                          # a short path for the landscape's plane
        click(page, "Step")
        page.wait_for_timeout(200)
    open_tab(page)
    assert "tab=descent" in page.url
    one = page.locator(".pg-lab-one")
    one.get_by_role("button", name="Step", exact=True).click()
    s = descent.one_weight_step(0.5, 0.03)
    wait_until(lambda: page.locator(".pg-new-w").count() > 0, message="the first step")
    assert float(page.locator(".pg-new-w").inner_text()) == pytest.approx(s.new_w, abs=1e-4)
    click(page, "Too high")
    for _ in range(3):
        one.get_by_role("button", name="Step", exact=True).click()
        page.wait_for_timeout(100)
    wait_until(lambda: "step 3" in page.locator(".pg-one-weight").inner_text(),
               message="three steps at the high rate")
    race = page.locator(".pg-lab-race")
    race.get_by_role("button", name="▶ Play").click()
    wait_until(lambda: int(page.locator(".pg-race-step").inner_text()) > 20,
               message="the race to run")
    race.get_by_role("button", name="❚❚ Pause").click()
    click(page, "Compute landscape")
    wait_until(lambda: page.locator(".pg-explained").count() > 0, timeout=60,
               message="the landscape")
    click(page, "Run the finder")
    wait_until(lambda: page.locator(".pg-lr-suggestion").count() > 0, timeout=90,
               message="the LR finder to finish")
    click(page, "Use it")
    wait_until(lambda: page.locator(".pg-lr-used").count() > 0, message="the rate used")
    used = float(page.locator(".pg-lr-used").inner_text())
    assert used != 0.03 and f"learning_rate={used:g}" in page.url    # the link follows
