"""Links: a lesson link opens its set-up, a teacher link hides controls, the address bar
follows the set-up, and a hostile link shows a notice instead of breaking the page."""
from __future__ import annotations

import pytest

from .test_page import chosen, click, epoch, select, wait_until

pytestmark = pytest.mark.browser


@pytest.mark.query("?preset=xor-linear")
def test_lesson_link_opens_its_setup(page):
    assert select(page, "Lessons").evaluate("e => e.selectedOptions[0].text") \
        == "Linear model can't do XOR"
    assert page.get_by_text("no hidden layer").count() >= 1
    assert page.get_by_text("a linear model").count() == 1
    assert chosen(page, "XOR")


@pytest.mark.query("?hide=features,optimizer&projector=1&dataset=spiral")
def test_teacher_link_hides_controls(page):
    assert not page.get_by_text("Which inputs feed in?").is_visible()
    assert not page.get_by_label("Optimizer", exact=True).is_visible()
    assert page.get_by_label("Activation", exact=True).is_visible()
    assert select(page, "Learning rate").is_visible()
    assert chosen(page, "Spiral")


def test_address_bar_follows_the_setup(page):
    click(page, "XOR")
    select(page, "Learning rate").select_option(label="0.1")
    href = lambda: page.evaluate("window.location.href")     # history.replaceState
    wait_until(lambda: "dataset=xor" in href() and "learning_rate=0.1" in href(), 10,
               message="the URL to carry the set-up")
    box = page.locator("input[type=text]").filter(visible=True)
    wait_until(lambda: any("dataset=xor" in box.nth(i).input_value()
                           for i in range(box.count())), 10, message="the link box")


@pytest.mark.query("?learning_rate=%3Cscript%3Ealert(1)%3C/script%3E&hidden=4,0&batch_size=1e9")
def test_hostile_link_shows_a_notice_and_the_page_works(page):
    note = page.locator(".pg-status-warning")
    wait_until(lambda: note.count() == 1, 10, message="a notice about the link")
    text = note.inner_text()
    assert "learning_rate" in text and "hidden" in text and "batch_size" in text
    click(page, "Step")
    wait_until(lambda: epoch(page) == 1, 10, message="epoch 1 after Step")


@pytest.mark.query("?hidden=999&lr=abc&foo=1&dataset=xor")
def test_the_address_bar_holds_the_setup_in_force_from_the_start(page):
    href = lambda: page.evaluate("window.location.href")
    wait_until(lambda: href().endswith("/app?dataset=xor"), 10,
               message=f"the address bar to drop the refused values (at {href()})")
    box = page.locator("input[type=text]").filter(visible=True)
    wait_until(lambda: any(box.nth(i).input_value().endswith("/app?dataset=xor")
                           for i in range(box.count())), 10, message="the link box")
    assert page.locator(".pg-status-warning").count() == 1      # and the notice says why
