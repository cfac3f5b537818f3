"""The plots' sizes follow the page's CSS rules, computed in the browser (sizing.py)."""
from __future__ import annotations

from bokeh.document import Document
from bokeh.plotting import figure

from playground.ui import sizing


def test_the_css_width_and_the_browser_use_the_same_rule():
    assert sizing.width_css(sizing.OUTPUT_RULE) == \
        "clamp(250px, min(31vw, calc(100vh - 410px)), 720px)"
    assert sizing.width_css(sizing.PROJECTOR_RULE).startswith("clamp(250px, min(36vw")
    sheet = sizing.own_width("auto", "10px", "1 1 0")
    assert "width: auto !important" in sheet and "max-width: 10px !important" in sheet
    assert "flex: 1 1 0 !important" in sheet and "flex" not in sizing.own_width("100%")


def test_fit_to_screen_runs_in_the_browser_when_the_page_is_ready():
    doc = Document()
    square, curve, diagram = figure(), figure(), figure()
    for f in (square, curve, diagram):
        doc.add_root(f)
    sizing.fit_to_screen(doc, [square], [curve], diagram, 520 / 360, projector=True)
    callbacks = doc.callbacks.js_event_callbacks["document_ready"]
    assert len(callbacks) == 1
    args = callbacks[0].args
    assert args["squares"] == [square] and args["wide"] == [curve] and args["diagram"] is diagram
    assert (args["share"], args["below"], args["widest"]) == sizing.PROJECTOR_RULE
    assert "addEventListener(\"resize\"" in callbacks[0].code


def test_the_big_plots_figure_leaves_room_for_its_canvas_ticks():
    """The plane's figure lies over its heat canvas, narrower by the ticks' room: the
    browser sizes it ``inset`` px less than a square plot."""
    doc = Document()
    square, plane, curve, diagram = figure(), figure(), figure(), figure()
    for f in (square, plane, curve, diagram):
        doc.add_root(f)
    sizing.fit_to_screen(doc, [square], [curve], diagram, 520 / 360, projector=False,
                         planes=[plane], inset=32)
    args = doc.callbacks.js_event_callbacks["document_ready"][0].args
    assert args["planes"] == [plane] and args["inset"] == 32
    assert "side - inset" in doc.callbacks.js_event_callbacks["document_ready"][0].code


def test_a_square_that_comes_later_goes_with_the_page_as_its_id_only():
    """The curve's figure is put on the page at the first 1-D data: the page's sizing
    knows it by its id (its models are not sent before), sizes it whenever it is on the
    page, and watches the document's changes for it until it comes."""
    doc = Document()
    plane, curve, diagram, later = figure(), figure(), figure(), figure()
    for f in (plane, curve, diagram):
        doc.add_root(f)
    sizing.fit_to_screen(doc, [], [curve], diagram, 520 / 360, projector=False,
                         planes=[plane], inset=32, coming=[later])
    callback = doc.callbacks.js_event_callbacks["document_ready"][0]
    assert callback.args["coming"] == [later.id] and callback.args["squares"] == []
    assert later not in callback.references()
    assert "get_model_by_id" in callback.code and "on_change(look)" in callback.code
    assert "remove_on_change(look)" in callback.code
