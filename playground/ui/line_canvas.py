"""The loss curve drawn on a canvas of its own: two lines, no axes, as TensorFlow
Playground draws it over its output; the accuracy curve likewise, with axes.

As a Bokeh figure the loss curve was the browser's largest cost per frame once the big
plot had its own canvas: each new epoch made Bokeh lay out and paint the whole figure
(grids, legend, title, borders), about twice per frame, 3.4 ms each on the test machine
(docs/performance.md, "The loss curve on a canvas of its own, …"). Here the epochs still
stream into a data source (only the new points travel), and the browser draws the two
polylines straight onto a canvas the size of the Div: nothing else is laid out or painted.
The legend is HTML over the canvas; "⤓ PNG" saves the curve with its legend.

    curve = LineCanvas(source, x="epoch", lines=[("test_loss", "#e45756", "test"), …])
    layout = pn.pane.Bokeh(curve.host)
    curve.log = True                   # a logarithmic y axis (values ≤ 0 are left out)
    curve.install(doc)                 # drawn as soon as the page is ready

The accuracy curve is one too, with a fixed range and axes (numbers at round values, and
the axes' names) that the browser draws with the lines: as a Bokeh figure each redraw
measured its axes' labels again (5-13 ms), and a new range after a reset laid it out again.

    LineCanvas(source, "epoch", lines, …, y_range=(0, 1.02),
               axes=("epoch", "accuracy", True), legend=False)
"""
from __future__ import annotations

import html
import itertools

from bokeh.models import ColumnDataSource, CustomJS, Div

from ..server import wire
from .heat_canvas import FIND_JS, MOUNT_JS, SAVE_JS

PAD = 4                 # px around the lines, as the figure's min borders were
AXIS_LEFT = 40          # px left of the lines for the y ticks' numbers and the axis's name
AXIS_BOTTOM = 26        # px below them for the x ticks' numbers and the axis's name
RANGE_PADDING = 0.1     # of the data's span, half above and half below (DataRange1d's)
LINE_WIDTH = 2
_COUNT = itertools.count()

# Runs in the browser on every change of the data (a stream of new epochs, a reset) and of
# the options (the log scale): finds this page's canvas (kept on window while it stays in
# the page) and draws the lines. `source` holds the columns, `options` {"log": [0 or 1]},
# `host` the Div (its CSS class finds its element).
DRAW_JS = FIND_JS + SAVE_JS + MOUNT_JS + r"""
function setup() {
  const el = find(document, "." + host_class)
  if (!el) return null
  const root = el.shadowRoot || el
  const canvas = document.createElement("canvas")
  canvas.className = "pg-line-canvas"
  canvas.setAttribute("role", "img")           // (the Div holds a button: not itself a picture)
  canvas.setAttribute("aria-label", label)
  const legend = document.createElement("div")
  legend.className = "pg-line-legend"
  legend.innerHTML = legend_html
  legend.hidden = !legend_html
  const save = document.createElement("button")
  save.className = "pg-line-save"
  save.type = "button"
  save.textContent = "⤓ PNG"
  save.title = "Save this curve as a PNG file"
  const st = {el, canvas, w: 0, h: 0}
  // Bokeh empties the Div's shadow root when it renders it again (a new width): put the
  // canvas back, to be sized again
  st.attach = () => {
    if (canvas.isConnected) return
    (el.shadowRoot || el).append(canvas, legend, save)
    st.w = st.h = 0
  }
  st.place = () => {
    const w = Math.round(el.clientWidth), h = Math.round(el.clientHeight)
    if (!w || !h || (w === st.w && h === st.h)) return false
    const ratio = window.devicePixelRatio || 1
    st.w = w; st.h = h
    canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio)
    Object.assign(canvas.style, {width: `${w}px`, height: `${h}px`})
    return true
  }
  save.addEventListener("click", () => {
    const out = document.createElement("canvas")
    out.width = canvas.width; out.height = canvas.height
    const c = out.getContext("2d")
    c.fillStyle = "#ffffff"; c.fillRect(0, 0, out.width, out.height)
    c.drawImage(canvas, 0, 0)
    const ratio = canvas.width / Math.max(st.w, 1)
    c.font = `${Math.round(10 * ratio)}px sans-serif`
    c.textAlign = "right"; c.textBaseline = "top"
    let x = out.width - 4 * ratio
    for (const [, color, label] of legend_html ? [...lines].reverse() : []) {
      c.fillStyle = "#444444"; c.fillText(label, x, 3 * ratio)
      x -= c.measureText(label).width + 3 * ratio
      c.fillStyle = color; c.fillRect(x - 12 * ratio, 8 * ratio, 12 * ratio, 2 * ratio)
      x -= 18 * ratio
    }
    download(out, filename)
  })
  new ResizeObserver(() => { if (st.place()) st.draw() }).observe(el)
  st.draw = () => {
    st.attach()
    if (!st.w) st.place()      // else sized by the observer: measuring lays the page out
    const ctx = canvas.getContext("2d")
    ctx.setTransform(1, 0, 0, 1, 0, 0)
    ctx.clearRect(0, 0, canvas.width, canvas.height)
    const d = source.data, xs = d[x_key]
    const n = xs ? xs.length : 0
    if (!st.w || !st.h || (!n && !axes)) return
    const log = !!(options.data.log && options.data.log[0])
    const f = log ? (v => v > 0 ? Math.log10(v) : NaN) : (v => v)
    let lo = Infinity, hi = -Infinity
    if (y_range) { [lo, hi] = y_range } else {
      for (const [k] of lines) {
        const ys = d[k]
        if (!ys) continue
        for (let i = 0; i < n; i++) {
          const y = f(ys[i])
          if (Number.isFinite(y)) { if (y < lo) lo = y; if (y > hi) hi = y }
        }
      }
      if (!(lo <= hi)) { if (!axes) return; lo = 0; hi = 1 }
      if (hi === lo) { const s = Math.abs(lo) * 0.1 || 1; lo -= s; hi += s }
      const span = hi - lo
      lo -= span * padding / 2; hi += span * padding / 2
    }
    let x0 = n ? xs[0] : 0, x1 = n ? xs[n - 1] : 1
    if (!(x1 > x0)) { x0 -= 1; x1 += 1 }
    const ratio = canvas.width / st.w
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0)
    // with axes, room on the left and below for the ticks' numbers and the axes' names
    const left = axes ? AXIS_LEFT : pad, bottom = axes ? AXIS_BOTTOM : pad
    const W = st.w - left - pad, H = st.h - pad - bottom
    const px = x => left + (x - x0) / (x1 - x0) * W
    const py = y => pad + (hi - y) / (hi - lo) * H
    if (axes) draw_axes(ctx, {x0, x1, lo, hi, left, bottom, W, H, px, py})
    ctx.lineWidth = width
    ctx.lineJoin = "round"
    for (const [k, color] of lines) {
      const ys = d[k]
      if (!ys) continue
      ctx.strokeStyle = color
      ctx.beginPath()
      let down = false
      for (let i = 0; i < n; i++) {
        const y = f(ys[i])
        if (!Number.isFinite(y)) { down = false; continue }
        if (down) ctx.lineTo(px(xs[i]), py(y))
        else { ctx.moveTo(px(xs[i]), py(y)); down = true }
      }
      ctx.stroke()
    }
  }
  const draw_axes = (ctx, a) => {
    // light grid lines at round numbers, their numbers beside the axes, and the names
    const [x_name, y_name, y_percent] = axes
    ctx.font = "10px sans-serif"
    ctx.lineWidth = 1
    const xt = ticks(a.x0, a.x1, Math.max(2, Math.floor(a.W / 60)))
    const yt = ticks(a.lo, a.hi, Math.max(2, Math.floor(a.H / 25)))
    ctx.strokeStyle = "#e5e5e5"
    ctx.beginPath()
    for (const v of xt) { const x = Math.round(a.px(v)) + 0.5; ctx.moveTo(x, pad); ctx.lineTo(x, pad + a.H) }
    for (const v of yt) { const y = Math.round(a.py(v)) + 0.5; ctx.moveTo(a.left, y); ctx.lineTo(a.left + a.W, y) }
    ctx.stroke()
    ctx.strokeStyle = "#444444"
    ctx.beginPath()
    ctx.moveTo(a.left - 0.5, pad); ctx.lineTo(a.left - 0.5, pad + a.H + 0.5)
    ctx.lineTo(a.left + a.W, pad + a.H + 0.5)
    ctx.stroke()
    ctx.fillStyle = "#444444"
    ctx.textAlign = "center"; ctx.textBaseline = "top"
    for (const v of xt) ctx.fillText(tick_text(v, false), a.px(v), pad + a.H + 2)
    ctx.fillText(x_name, a.left + a.W / 2, pad + a.H + 13)
    ctx.textAlign = "right"; ctx.textBaseline = "middle"
    for (const v of yt) ctx.fillText(tick_text(v, y_percent), a.left - 3, a.py(v))
    ctx.save()
    ctx.translate(9, pad + a.H / 2); ctx.rotate(-Math.PI / 2)
    ctx.textAlign = "center"; ctx.textBaseline = "middle"
    ctx.fillText(y_name, 0, 0)
    ctx.restore()
  }
  return st
}
// round numbers from lo to hi, about `count` of them (1, 2 or 5 times a power of ten apart)
function ticks(lo, hi, count) {
  const raw = (hi - lo) / count
  if (!(raw > 0)) return [lo]
  const mag = Math.pow(10, Math.floor(Math.log10(raw)))
  const step = [1, 2, 5, 10].map(m => m * mag).find(s => s >= raw * 0.999)
  const out = []
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Number(v.toPrecision(12)))
  }
  return out
}
function tick_text(v, percent) {
  if (percent) return `${Math.round(v * 100)}%`
  return Math.abs(v) >= 1e5 ? v.toExponential(0) : String(Number(v.toPrecision(6)))
}
mount("_pg_line_" + host.id, setup)
"""

HOST_CSS = """
:host { position: relative; }
.pg-line-canvas { position: absolute; left: 0; top: 0; }
.pg-line-legend { position: absolute; top: 2px; right: 4px; font: 10px sans-serif;
  color: #444444; background: #ffffff80; padding: 0 2px; display: flex; gap: 8px;
  pointer-events: none; }
.pg-line-legend i { display: inline-block; width: 12px; height: 2px; margin: 0 3px 2px 0;
  vertical-align: middle; }
.pg-line-save { position: absolute; left: 4px; top: 2px; z-index: 2; opacity: 0;
  font-size: 11px; padding: 1px 5px; border: 1px solid #bbbbbb; border-radius: 3px;
  background: #ffffffdd; cursor: pointer; }
:host(:hover) .pg-line-save, .pg-line-save:focus { opacity: 1; }
"""


def legend_html(lines) -> str:
    """The legend's HTML: a coloured dash and the label of each line."""
    return "".join(f'<span><i style="background:{html.escape(color)}"></i>'
                   f"{html.escape(label)}</span>" for _, color, label in lines)


class LineCanvas:
    """Lines of ``source``'s columns against its column ``x``, drawn by the browser on a
    canvas in ``host`` (a Div of the given size; its width may be set later)."""

    def __init__(self, source: ColumnDataSource, x: str, lines, width: int, height: int,
                 css_class: str, label: str, filename: str, y_range=None, axes=None,
                 legend: bool = True):
        """``y_range`` (lo, hi): a fixed y range (else fitted to the data, as Bokeh's
        automatic range); ``axes`` (x name, y name, y in percent): axes with numbers at
        round values and their names (else none, a sparkline); ``legend``: the lines'
        names over the top right corner."""
        self.lines = [tuple(line) for line in lines]      # (column, colour, label)
        self.host_class = f"pg-line-{next(_COUNT)}"
        self.source = source
        self.options = ColumnDataSource({"log": [0]})
        self.host = Div(text="", width=width, height=height, margin=0,
                        css_classes=[css_class, self.host_class], stylesheets=[HOST_CSS])
        self.label = label
        draw = CustomJS(args=dict(source=source, options=self.options, host=self.host,
                                  host_class=self.host_class, x_key=x,
                                  lines=[list(line) for line in self.lines],
                                  legend_html=legend_html(self.lines) if legend else "",
                                  pad=PAD, AXIS_LEFT=AXIS_LEFT, AXIS_BOTTOM=AXIS_BOTTOM,
                                  y_range=None if y_range is None else [float(v) for v in y_range],
                                  axes=None if axes is None else [str(axes[0]), str(axes[1]),
                                                                  bool(axes[2])],
                                  padding=RANGE_PADDING, width=LINE_WIDTH, label=label,
                                  filename=filename), code=DRAW_JS)
        source.js_on_change("data", draw)
        source.js_on_change("streaming", draw)
        self.options.js_on_change("data", draw)
        self.host.js_on_change("visible", draw)   # the sources belong to the page through it
        self._draw = draw

    def install(self, doc) -> None:
        """Draw as soon as the page is ready (then at every change)."""
        doc.js_on_event("document_ready", self._draw)

    @property
    def log(self) -> bool:
        return bool(self.options.data["log"][0])

    @log.setter
    def log(self, value: bool) -> None:
        if bool(value) != self.log:
            wire.set_columns(self.options, {"log": [int(bool(value))]})
