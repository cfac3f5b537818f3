"""The Neuron lab tab, driven by its visible labels: toggle the perceptron's inputs, walk
through backpropagation forward and backward, nudge a weight, train the house-price net."""
from __future__ import annotations

import re

import pytest

from playground.state.neuron_lab import Backprop

from .test_page import wait_until

pytestmark = pytest.mark.browser


def open_lab(page):
    page.locator(".bk-tab", has_text="Neuron lab").click()
    page.locator(".pg-perceptron-out").wait_for(state="visible", timeout=30_000)


def text(page, css) -> str:
    return page.locator(css).first.inner_text().strip()


def number(page, css) -> float:
    # a card's contents come one frame after another: its readout may still be empty
    wait_until(lambda: text(page, css) != "", timeout=30, message=f"a number in {css}")
    return float(text(page, css).replace("−", "-"))


def test_toggle_perceptron_inputs(page):
    open_lab(page)
    assert "tab=neurons" in page.url
    assert (number(page, ".pg-sum"), text(page, ".pg-perceptron-out")) == (0.6, "0")
    page.get_by_role("button", name="x1 = 0").click()            # (1, 1, 1): 1.3 -> 1
    wait_until(lambda: number(page, ".pg-sum") == 1.3, message="the sum 1.3")
    page.get_by_role("button", name="x2 = 1").click()            # (1, 0, 1): 0.9 -> 1
    wait_until(lambda: number(page, ".pg-sum") == 0.9, message="the sum 0.9")
    assert text(page, ".pg-perceptron-out") == "1"
    current = page.locator(".pg-row-current").first.inner_text()
    assert re.sub(r"\s+", " ", current).startswith("1 0 1")


def test_backprop_forward_backward_and_nudge(page):
    open_lab(page)
    card = page.locator(".pg-lab-backprop")
    next_btn = card.get_by_role("button", name="Next ▶")
    for _ in range(6):                                           # up to the output weights
        next_btn.click()
        page.wait_for_timeout(150)
    want = Backprop().gradient("v1")
    wait_until(lambda: card.locator(".pg-grad-v1").count() > 0, message="∂L/∂v1 shown")
    assert number(page, ".pg-grad-v1") == pytest.approx(want, abs=1e-5)
    card.get_by_role("button", name="◀ Back").click()
    wait_until(lambda: "Backward, output" in card.locator(".pg-bp-text").inner_text()
               and card.locator(".pg-grad-v1").count() == 0, message="one step back")
    for _ in range(4):                                           # on to the update (9)
        next_btn.click()
        page.wait_for_timeout(150)
    model = Backprop()
    wait_until(lambda: card.locator(".pg-loss-after").count() > 0, message="the update step")
    assert number(page, ".pg-loss-after") == pytest.approx(model.loss_after(), abs=1e-5)
    card.get_by_role("button", name="Apply update").click()
    wait_until(lambda: "step 0 of" in card.locator(".pg-bp-text").inner_text(),
               message="a new round after the update")
    # nudge w11 = 2.5 by h = 1 (to 3.5 and 1.5) on the updated network
    model.apply_update()
    model.nudge_param = "w12"
    card.locator("select").filter(has_text="w11").first.select_option("w12")
    want = model.nudge_row("w12", 1.0)["slope"]
    wait_until(lambda: abs(number(page, ".pg-nudge-slope") - want) < 1e-5,
               message=f"the slope estimate {want:.6f}")


def test_house_prices_train_live(page):
    open_lab(page)
    card = page.locator(".pg-lab-house")
    start = number(page, ".pg-house-rmse")
    card.get_by_role("button", name="▶ Play").click()
    wait_until(lambda: number(page, ".pg-house-rmse") < start / 3, timeout=20,
               message="the RMSE to fall")
    card.get_by_role("button", name="❚❚ Pause").click()
