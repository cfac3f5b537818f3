"""A few lines of script in the page's head: Bokeh's plots drawn without reading CSS
variables the page never sets, and widgets' tooltips drawn when they first show.

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

So the page's head gets ``SCRIPT``, after Bokeh's scripts and before the page is drawn: it
answers those reads with "" (what the browser would have answered) without asking the
browser. It uses a private name of BokehJS (``VisualProperties.prototype._get_css_value``,
reached through ``Bokeh.require``, which extensions use), and for the tooltips
``TooltipView.prototype._reposition`` and its ``_has_rendered``; where they are not there
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
})();
"""


def script() -> str:
    """SCRIPT with its names filled in."""
    import json
    return SCRIPT % {"module": json.dumps(BOKEH_MODULE), "cls": json.dumps(BOKEH_CLASS),
                     "method": json.dumps(BOKEH_METHOD), "mark": json.dumps(MARK),
                     "tip_module": json.dumps(TIP_MODULE), "tip_cls": json.dumps(TIP_CLASS),
                     "tip_method": json.dumps(TIP_METHOD), "tip_mark": json.dumps(TIP_MARK)}


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
