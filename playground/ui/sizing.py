"""Plots sized to the screen by the browser, once at load and after a resize.

Bokeh figures that stretch or scale with their container are laid out again on every
redraw: at 60 frames a second that layout work took most of the browser's time
(docs/performance.md, "What the browser does with 60 frames a second"). So the
figures have fixed sizes, and the browser sets them from the window, with the same rules
as the page's CSS column widths (ui/app.py OUTPUT_WIDTH): the big plot square in the output
column, the loss curves as wide, the diagram as wide as the middle column allows and no
taller than the screen has room for.
"""
from __future__ import annotations

from bokeh.models import CustomJS

FIT_JS = """
const docs = () => (window.Bokeh && window.Bokeh.documents) || [];
const found = (ids) => {            // the models of these ids on the page now
  const out = [];
  for (const d of docs()) {
    for (const id of ids) { const m = d.get_model_by_id(id); if (m !== null) { out.push(m); } }
  }
  return out;
};
const fit = () => {
  const W = window.innerWidth, H = window.innerHeight;
  const room = document.documentElement.clientWidth;
  const output = Math.max(250, Math.min(share * W, H - below, widest));   // the CSS clamp()
  const side = Math.floor(output - 10);
  const plane = side - inset;               // the heat canvas's ticks stand beside it
  const middle = room - side_columns - output;
  const width = Math.floor(Math.max(240, Math.min(middle, (H - diagram_below) * aspect)));
  const sizes = [];
  for (const f of [...squares, ...found(coming)]) { sizes.push([f, {width: side, height: side}]); }
  for (const f of planes) { sizes.push([f, {width: plane, height: plane}]); }
  for (const f of wide) { sizes.push([f, {width: side}]); }
  sizes.push([diagram, {width: width, height: Math.round(width / aspect)}]);
  const changed = sizes.filter(([f, size]) => Object.keys(size).some((k) => f[k] != size[k]));
  if (changed.length == 0) { return; }
  // each size set in the plain way lays the whole page out again (about 150 ms each
  // on a new page): set them all quietly, then lay the page out once
  const index = window.Bokeh && window.Bokeh.index;
  const roots = [...((index && index.roots) || [])].filter(
    (v) => typeof v.invalidate_layout == "function");
  const quiet = roots.length > 0;
  for (const [f, size] of changed) { f.setv(size, quiet ? {silent: true} : {}); }
  if (quiet) { for (const v of roots) { v.invalidate_layout(); } }
};
fit();
// a square put on the page later (the curve's figure, at the first 1-D data) is fitted in
// the change that brings it, before the browser builds its view
for (const d of docs()) {
  const waiting = coming.filter((id) => d.get_model_by_id(id) === null);
  if (waiting.length == 0) { continue; }
  const look = (event) => {
    if (event.attr !== "children" || found(waiting).length == 0) { return; }
    fit();
    waiting.splice(0, waiting.length, ...waiting.filter((id) => d.get_model_by_id(id) === null));
    if (waiting.length == 0) { d.remove_on_change(look); }
  };
  d.on_change(look);
}
if (window.pg_fit_listener === undefined) {
  window.pg_fit_listener = true;
  let timer = null;
  window.addEventListener("resize", () => { clearTimeout(timer); timer = setTimeout(fit, 150); });
}
"""
# the output column's width: a share of the screen's width, but no more than its height less
# what stands above and below the big plot, and at most a widest size (CSS: width_css)
OUTPUT_RULE = (0.31, 410, 720)
PROJECTOR_RULE = (0.36, 440, 900)       # a projector is seen from the back of the room
DIAGRAM_BELOW = 440                     # the diagram is no taller than the height less this


def width_css(rule) -> str:
    """The CSS width of the output column for ``rule`` (share, below, widest)."""
    share, below, widest = rule
    return f"clamp(250px, min({share * 100:g}vw, calc(100vh - {below}px)), {widest}px)"


def diagram_max_width_css(aspect: float) -> str:
    return f"calc((100vh - {DIAGRAM_BELOW}px) * {aspect:.3f})"


def own_width(width: str, max_width: str = "none", flex: str = "") -> str:
    """A stylesheet that gives a layout its width from the page's CSS rules, not from the
    fixed sizes of the figures in it (Panel infers one from them when the page is built,
    before the browser sizes the figures); ``flex``: how it grows and shrinks in a row."""
    return (f":host {{ width: {width} !important; min-width: 0 !important; "
            f"max-width: {max_width} !important; "
            + (f"flex: {flex} !important; " if flex else "") + "}")


# what the page puts beside the middle column: the body's margins, the data card (232 px and
# its padding), the gaps, the middle card's padding and the features column
SIDE_COLUMNS = 10 + 240 + 4 + 4 + 8 + 88 + 6


def fit_to_screen(doc, squares, wide, diagram, aspect: float, projector: bool,
                  planes=(), inset: int = 0, coming=()) -> None:
    """Size ``squares`` (the big plot), ``planes`` (the big plot's figure over its heat
    canvas: ``inset`` px narrower, beside the canvas's ticks), ``wide`` (the loss curves:
    as wide as the big plot) and ``diagram`` (width / height = aspect) in the browser, now
    and after every resize. ``coming``: squares that may be put on the page later (the
    curve's figure, at the first 1-D data); only their ids go with the page, and each is
    sized as it comes."""
    share, below, widest = PROJECTOR_RULE if projector else OUTPUT_RULE
    doc.js_on_event("document_ready", CustomJS(
        args=dict(squares=list(squares), coming=[m.id for m in coming], planes=list(planes),
                  inset=inset, wide=list(wide),
                  diagram=diagram, share=share,
                  below=below, widest=widest, aspect=aspect, side_columns=SIDE_COLUMNS,
                  diagram_below=DIAGRAM_BELOW),
        code=FIT_JS))
