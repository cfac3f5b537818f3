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
    play(page)
    wait_until(lambda: epoch(page) >= 10, 20, message="10 epochs of frames")
    pause(page)
