"""A few lines of script in the page's head: Bokeh's plots drawn without reading CSS
variables the page never sets.

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

So the page's head gets ``SCRIPT``, after Bokeh's scripts and before the page is drawn: it
answers those reads with "" (what the browser would have answered) without asking the
browser. It uses a private name of BokehJS (``VisualProperties.prototype._get_css_value``,
reached through ``Bokeh.require``, which extensions use); where it is not there as
expected the script changes nothing, and Bokeh reads the variables as before.
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
})();
"""


def script() -> str:
    """SCRIPT with its names filled in."""
    import json
    return SCRIPT % {"module": json.dumps(BOKEH_MODULE), "cls": json.dumps(BOKEH_CLASS),
                     "method": json.dumps(BOKEH_METHOD), "mark": json.dumps(MARK)}


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
