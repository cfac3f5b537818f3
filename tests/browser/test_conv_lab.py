"""The Convolution tab: step the kernel over the classic 5×5 image and read each sum, edit
a kernel weight and see the feature map change, walk on into ReLU and pooling."""
from __future__ import annotations

import pytest

from .test_page import click, wait_until

pytestmark = pytest.mark.browser

CLASSIC = [[4, 3, 4], [2, 4, 3], [2, 3, 4]]


def open_tab(page):
    page.locator(".bk-tab", has_text="Convolution").click()
    page.locator(".pg-lab-conv").get_by_role("button", name="Step ▶").wait_for(timeout=30_000)


def conv_sum(page) -> float:
    return float(page.locator(".pg-conv-sum").first.inner_text())


def test_step_through_the_classic_example_and_edit_the_kernel(page):
    open_tab(page)
    assert "tab=convolution" in page.url
    card = page.locator(".pg-lab-conv")
    step = card.get_by_role("button", name="Step ▶")
    for k in range(4):                                  # (1,1) (1,2) (1,3) (2,1)
        step.click()
        want = CLASSIC[k // 3][k % 3]
        wait_until(lambda: page.locator(".pg-conv-sum").count() > 0 and conv_sum(page) == want,
                   message=f"the sum {want} of cell {k + 1}")
    assert "⌊(5 + 2·0 − 3) / 1⌋ + 1 = 3" in page.locator(".pg-conv-formula").inner_text()
    # the centre weight of the X becomes 0: cell (1,1) loses the pixel under the centre
    click(page, "Start over")
    centre = page.locator(".pg-kernel input").nth(4)
    centre.fill("0")
    centre.press("Enter")
    click(page, "Step ▶")
    wait_until(lambda: page.locator(".pg-conv-sum").count() > 0 and conv_sum(page) == 3,
               message="cell (1,1) = 3 without the centre weight")
    click(page, "Show all")
    wait_until(lambda: page.locator(".pg-pool-value").count() > 0
               and page.locator(".pg-pool-value").inner_text() == "3",
               message="the last step: max pooling keeps 3")
