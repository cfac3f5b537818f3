"""A few lines of script in the page's head: Bokeh's plots drawn without reading CSS
variables the page never sets, widgets' tooltips drawn when they first show, and hidden
tabs' views not measured as the page is laid out.

As it draws a plot, BokehJS asks each line, fill and text it paints (an axis, its tick
labels, a grid, a glyph) for a CSS variable that could override its colour, width or font
(``--bk-line-color``, ``--bk-major-label-text-color``, …): ``getComputedStyle(el)
.getPropertyValue(…)`` on the view's element, every time. While a page or a lab's card is
being built its styles are never up to date, so each such call makes the browser compute
the page's styles again before it answers. Measured in Chromium with its profiler: about
0.13 s of a new page's 1.3 s of main thread, and 0.1–0.17 s of a Neuron-lab card's
0.4–0.6 s, all of it to read variables that nothing on this page defines (neither Bokeh's
nor Panel's style sheets do, nor ours: ``tests/ui/test_page_script.py`` checks every style
sheet of the page and of each lab).

Likewise each widget's tooltip (62 on a new page): BokehJS draws every one as the page is
first laid out (each its own shadow root and style sheets, appended to the page and taken
out again), and places it again at each resize: 0.09–0.12 s of a new page's main thread,
around the moment it appears, for tooltips that no one has hovered yet. The script makes
a tooltip that has never been shown wait until it shows.

And each time BokehJS lays the page out again (a lab's card put in, a layer added, the
window resized) it measures every view of the page, those in hidden tabs too: for each, is
it displayed (``offsetParent``) and where is it (``getBoundingClientRect``). A hidden tab's
box skips drawing its content (``content-visibility: hidden``, ``app.HIDDEN_TAB``), so
each such question about a view inside it makes the browser lay that view out first. With
the labs on the page, a Convolution lab's first click measured 1,600–1,770 views for
80–130 ms of the browser's main thread. The script has a layout whose own element is a
hidden tab's box measure itself only: the views in it keep their last boxes, and are
measured again when the box shows (it grows from 0 px high: BokehJS sees its size change
and lays the page out again, this box's views included). The same click then measures
about 780 views (48–77 ms).

So the page's head gets ``SCRIPT``, after Bokeh's scripts and before the page is drawn: it
answers those reads with "" (what the browser would have answered) without asking the
browser. It uses a private name of BokehJS (``VisualProperties.prototype._get_css_value``,
reached through ``Bokeh.require``, which extensions use), and for the tooltips
``TooltipView.prototype._reposition`` and its ``_has_rendered``, and for the hidden tabs
``LayoutDOMView.prototype.update_bbox`` and its base class's; where they are not there
as expected the script changes nothing, and Bokeh does as before.
``PLAYGROUND_WIRE=bokeh`` (Bokeh's and Panel's own ways throughout, as in CI's second
browser pass) leaves it out.
"""
from __future__ import annotations

import functools

# the name BokehJS's drawing code asks with, and the module that has it
BOKEH_MODULE = "core/visuals/visual"
BOKEH_CLASS = "VisualProperties"
BOKEH_METHOD = "_get_css_value"
MARK = "playgroundStyleReads"       # window[MARK]: "skipped" or "bokeh" (for the tests)
# the tooltips' view, and the method that draws a tooltip the first time it is placed
TIP_MODULE = "models/ui/tooltip"
TIP_CLASS = "TooltipView"
TIP_METHOD = "_reposition"
TIP_MARK = "playgroundTooltips"     # window[TIP_MARK]: "when shown" or "bokeh"
# the layouts' view, whose boxes a hidden tab's box does not measure
BOX_MODULE = "models/layouts/layout_dom"
BOX_CLASS = "LayoutDOMView"
BOX_MARK = "playgroundHiddenBoxes"  # window[BOX_MARK]: "shown only" or "bokeh"

SCRIPT = """
(function () {
  let how = "bokeh";
  try {
    const visual = window.Bokeh && Bokeh.require(%(module)s);
    const proto = visual && visual[%(cls)s] && visual[%(cls)s].prototype;
    if (proto && typeof proto[%(method)s] === "function" && proto[%(method)s].length === 1) {
      // no style sheet of this page defines a --bk-… variable: the browser's answer is ""
      proto[%(method)s] = function () { return ""; };
      how = "skipped";
    }
  } catch (e) { /* another BokehJS: its own way */ }
  window[%(mark)s] = how;
  let tips = "bokeh";
  try {
    const mod = window.Bokeh && Bokeh.require(%(tip_module)s);
    const proto = mod && mod[%(tip_cls)s] && mod[%(tip_cls)s].prototype;
    const place = proto && proto[%(tip_method)s];
    if (typeof place === "function" && place.length === 0) {
      // a tooltip that has never been shown has nothing to place: it is drawn the first
      // time it shows (its model's "visible"), not as the page is laid out
      proto[%(tip_method)s] = function () {
        if (this._has_rendered === false && this.model && this.model.visible === false) {
          return undefined;
        }
        return place.call(this);
      };
      tips = "when shown";
    }
  } catch (e) { /* another BokehJS: its own way */ }
  window[%(tip_mark)s] = tips;
  let boxes = "bokeh";
  try {
    const mod = window.Bokeh && Bokeh.require(%(box_module)s);
    const proto = mod && mod[%(box_cls)s] && mod[%(box_cls)s].prototype;
    const walk = proto && proto.update_bbox;
    const own = proto && Object.getPrototypeOf(proto).update_bbox;
    if (typeof walk === "function" && walk.length === 0 && typeof own === "function") {
      // a hidden tab's box (its content not drawn): its own box measured, none of the
      // views in it; they are measured again when it shows
      proto.update_bbox = function () {
        if (this.el.style.contentVisibility !== "hidden") {
          return walk.call(this);
        }
        const changed = own.call(this);
        if (this.layout != null) {
          this.layout.visible = this.is_displayed;
        }
        return changed;
      };
      boxes = "shown only";
    }
  } catch (e) { /* another BokehJS: its own way */ }
  window[%(box_mark)s] = boxes;
})();
"""


def script() -> str:
    """SCRIPT with its names filled in."""
    import json
    return SCRIPT % {"module": json.dumps(BOKEH_MODULE), "cls": json.dumps(BOKEH_CLASS),
                     "method": json.dumps(BOKEH_METHOD), "mark": json.dumps(MARK),
                     "tip_module": json.dumps(TIP_MODULE), "tip_cls": json.dumps(TIP_CLASS),
                     "tip_method": json.dumps(TIP_METHOD), "tip_mark": json.dumps(TIP_MARK),
                     "box_module": json.dumps(BOX_MODULE), "box_cls": json.dumps(BOX_CLASS),
                     "box_mark": json.dumps(BOX_MARK)}


@functools.lru_cache(maxsize=1)
def template():
    """Panel's page template with ``script()`` at the end of the head (its ``postamble``:
    after Bokeh's and Panel's scripts, before the page is drawn)."""
    from panel.io.resources import BASE_TEMPLATE
    return BASE_TEMPLATE.environment.from_string(
        '{% extends "base.html" %}{% block postamble %}<script>'
        + script() + "</script>{% endblock %}")


def wanted() -> bool:
    """Whether pages get the script: not with ``PLAYGROUND_WIRE=bokeh``."""
    from playground.server import wire_choice
    return wire_choice() != "bokeh"


def use(doc) -> bool:
    """Give the served page ``doc`` the script (where ``wanted()``); returns whether it
    did."""
    if not wanted():
        return False
    doc.template = template()
    return True
