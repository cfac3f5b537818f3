"""The page's frames go the way the server was started with: the fast wire by default,
Bokeh's and Panel's own with ``PLAYGROUND_WIRE=bokeh`` (the served app inherits the test
run's environment; CI runs the browser tests both ways, see .ci/run). The server says at
start which way it takes, in one line of its log; a fast wire that fails while serving
says so in a second line (which also fails every browser test, in the ``page`` fixture)."""
from __future__ import annotations

import pytest

from playground.server import wire_choice

from .conftest import SERVER_LOG
from .test_page import epoch, pause, play, wait_until

pytestmark = pytest.mark.browser
LINES = {"fast": "Frame messages: the fast wire (PLAYGROUND_WIRE=bokeh for Bokeh's and "
                 "Panel's own)",
         "bokeh": "Frame messages: Bokeh's and Panel's own (PLAYGROUND_WIRE=bokeh)"}


def test_the_frames_take_the_chosen_way(page):
    play(page)
    wait_until(lambda: epoch(page) >= 20, 20, message="20 epochs of frames")
    pause(page)
    said = [line for line in SERVER_LOG.read_text(errors="replace").splitlines()
            if "Frame messages: " in line]
    expected = LINES[wire_choice()]
    assert said and said[0].endswith(expected), (
        f"the server should have started with {expected!r}; its lines: {said}")
    assert len(said) == 1, f"the frame messages changed their way while serving: {said}"


def test_the_plots_read_css_variables_the_chosen_way(page):
    """The page's head script (playground/ui/page_script.py) answers BokehJS's reads of
    ``--bk-…`` variables on the fast way, and is not on the page with Bokeh's own; either
    way the plots are drawn (the other tests of this pass, on both ways, check them)."""
    from playground.ui import page_script
    mark = page.evaluate(f"() => window[{page_script.MARK!r}] ?? null")
    assert mark == {"fast": "skipped", "bokeh": None}[wire_choice()]
    tips = page.evaluate(f"() => window[{page_script.TIP_MARK!r}] ?? null")
    assert tips == {"fast": "when shown", "bokeh": None}[wire_choice()]
    boxes = page.evaluate(f"() => window[{page_script.BOX_MARK!r}] ?? null")
    assert boxes == {"fast": "shown only", "bokeh": None}[wire_choice()]
    play(page)
    wait_until(lambda: epoch(page) >= 10, 20, message="10 epochs of frames")
    pause(page)


def test_a_controls_tooltip_shows_its_words_when_its_icon_is_hovered(page):
    """Either way (the page's head script draws a tooltip the first time it shows;
    BokehJS's own way draws them all as the page is laid out)."""
    icons = page.locator(".bk-description").filter(visible=True)
    shown = None
    for i in range(icons.count()):              # the first one on screen (not a hidden tab's)
        try:
            icons.nth(i).hover(timeout=1_000)
        except Exception:
            continue
        shown = page.locator(".bk-Tooltip .bk-tooltip-content").filter(visible=True)
        wait_until(lambda: shown.count() == 1, 5, message="the hovered icon's tooltip")
        break
    assert shown is not None, "no control's tooltip icon could be hovered"
    words = shown.first.inner_text().strip()
    assert len(words) > 10, words
    page.mouse.move(2, 2)
    wait_until(lambda: shown.count() == 0, 5, message="the tooltip gone with the pointer")
