"""The big plot's picture on a canvas of its own, under Bokeh's points, with its axes.

Bokeh redraws a whole figure when any of its data change: a heatmap that changes every
frame made the browser redraw the figure's 250 points, legend and axes 60 times a second
as well, and that was most of the browser's work per frame (docs/performance.md,
"The heatmap on a canvas of its own"). Here the picture is a small canvas of its own,
res × res pixels scaled up by the browser, set straight from the frame's colour codes
(one byte per pixel, a table of 256 colours): nothing else is redrawn. The Bokeh figure
lies over it (the next in the same column), transparent, with no axes or borders, so that
its data range is exactly the picture; it keeps the points, the rings, the legend and the
taps. The ticks around it are drawn here once per resize, and the save button puts the
picture and the points into one PNG.

    canvas = HeatCanvas()
    layout = canvas.stack(fig)                        # fig: no axes, no borders
    canvas.palette = palette_table(["#f59322", …])    # 256 colours for codes 0..255
    canvas.show(codes)                                # (res, res) uint8, row 0 at the bottom
"""
from __future__ import annotations

import itertools

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource, CustomJS, Div

from ..server import wire
from ..state.run import DOMAIN

AXIS_LEFT = 24         # px: the tick labels left of the picture
AXIS_BOTTOM = 16       # px: below it
AXIS_RIGHT = 8         # px: room for half the last label right of it
AXIS_TOP = 6           # px: and above it
INSET = AXIS_LEFT + AXIS_RIGHT      # the figure is this much narrower than the column
ALPHA = 0.75           # the picture's opacity over the white background (as TF Playground)
TICKS = tuple(range(int(DOMAIN[0]), int(DOMAIN[1]) + 1, 2))
_COUNT = itertools.count()

# find(root, sel): the first element matching sel in root or in any shadow root inside it
FIND_JS = r"""
function find(root, sel) {
  const hit = root.querySelector(sel)
  if (hit) return hit
  for (const e of root.querySelectorAll("*")) {
    if (e.shadowRoot) { const f = find(e.shadowRoot, sel); if (f) return f }
  }
  return null
}
"""
# download(canvas, filename): save a canvas as a PNG file
SAVE_JS = r"""
function download(canvas, filename) {
  canvas.toBlob(blob => {
    if (!blob) return
    const a = document.createElement("a")
    a.href = URL.createObjectURL(blob)
    a.download = filename
    a.click()
    setTimeout(() => URL.revokeObjectURL(a.href), 1000)
  })
}
"""

# mount(key, setup): draw with the page's state kept on window[key], made by setup() (null
# while its element is not in the page, e.g. its tab not shown yet: then looked for again,
# less and less often, until it is)
MOUNT_JS = r"""
function mount(key, setup) {
  let st = window[key]
  if (!st || !st.el.isConnected) {
    st = window[key] = setup()
    if (!st) {
      if (!window[key + "_wait"]) {
        window[key + "_wait"] = true
        let delay = 100
        const again = () => {
          const found = setup()
          if (found) { window[key] = found; window[key + "_wait"] = false; found.draw() }
          else { delay = Math.min(2 * delay, 1000); setTimeout(again, delay) }
        }
        setTimeout(again, delay)
      }
      return
    }
  }
  st.draw()
}
"""

# Runs in the browser on every change of the codes (and of the palette): finds this page's
# picture (kept on window while it stays in the page), lays it out under the figure, and
# puts the codes' colours straight into its pixels. `source` holds the codes, `colours`
# the table, `host` the Div it draws in (its CSS class finds its element).
DRAW_JS = FIND_JS + SAVE_JS + MOUNT_JS + r"""
function bytes(v) {
  if (v == null) return new Uint8Array(0)
  if (v instanceof Uint8Array) return v
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
  if (Array.isArray(v)) return Uint8Array.from(v.flat ? v.flat(Infinity) : v)
  return new Uint8Array(0)
}
function canvases(root, out) {
  root.querySelectorAll("canvas").forEach(c => out.push(c))
  root.querySelectorAll("*").forEach(e => { if (e.shadowRoot) canvases(e.shadowRoot, out) })
  return out
}
function setup() {
  const el = find(document, "." + host_class)
  const fig = el && el.parentNode ? el.parentNode.querySelector("." + figure_class) : null
  if (!fig) return null
  const root = el.shadowRoot || el
  const picture = document.createElement("canvas")
  picture.className = "pg-heat-picture"
  picture.setAttribute("aria-hidden", "true")
  const left = document.createElement("div")
  const bottom = document.createElement("div")
  left.className = bottom.className = "pg-heat-ticks"
  const save = document.createElement("button")
  save.className = "pg-heat-save"
  save.type = "button"
  save.textContent = "⤓ PNG"
  save.title = "Save this picture, with its points, as a PNG file"
  root.append(picture, left, bottom, save)
  const small = document.createElement("canvas")
  const st = {el, picture, left, bottom, save, small, box: null, img: null}
  st.figure = () => { const p = el.parentNode; return p ? p.querySelector("." + figure_class) : null }
  st.place = () => {                          // true when the figure moved or was resized
    const fig = st.figure()
    if (!fig) return false
    const a = fig.getBoundingClientRect(), b = el.getBoundingClientRect()
    const box = {x: Math.round(a.left - b.left), y: Math.round(a.top - b.top),
                 w: Math.round(a.width), h: Math.round(a.height)}
    const old = st.box
    if (!box.w || !box.h) return false
    if (old && old.x === box.x && old.y === box.y && old.w === box.w && old.h === box.h) return false
    st.box = box
    Object.assign(picture.style, {left: `${box.x}px`, top: `${box.y}px`,
                                  width: `${box.w}px`, height: `${box.h}px`})
    picture.width = box.w; picture.height = box.h
    Object.assign(save.style, {left: `${box.x + 4}px`, top: `${box.y + 4}px`})
    left.replaceChildren(); bottom.replaceChildren()
    for (const t of ticks) {
      const f = (t - lo) / (hi - lo), label = String(t).replace("-", "−")
      const a = document.createElement("span")
      a.className = "pg-heat-left"; a.textContent = label
      Object.assign(a.style, {left: `${box.x - 4}px`, top: `${box.y + (1 - f) * box.h}px`})
      const c = document.createElement("span")
      c.className = "pg-heat-bottom"; c.textContent = label
      Object.assign(c.style, {left: `${box.x + f * box.w}px`, top: `${box.y + box.h + 2}px`})
      left.append(a); bottom.append(c)
    }
    return true
  }
  save.addEventListener("click", () => {
    const fig = st.figure(), box = st.box
    if (!box || !fig) return
    const out = document.createElement("canvas")
    out.width = box.w; out.height = box.h
    const c = out.getContext("2d")
    c.fillStyle = "#ffffff"; c.fillRect(0, 0, box.w, box.h)
    c.globalAlpha = alpha
    c.drawImage(picture, 0, 0)
    c.globalAlpha = 1
    const base = fig.getBoundingClientRect()
    for (const layer of canvases(fig.shadowRoot || fig, [])) {
      const r = layer.getBoundingClientRect()
      if (r.width > 0 && r.height > 0) c.drawImage(layer, r.left - base.left, r.top - base.top, r.width, r.height)
    }
    download(out, filename)
  })
  // placed when the page lays the figure out anew, not at every frame: measuring it
  // makes the browser lay the page out at once
  const moved = new ResizeObserver(() => { if (st.place()) st.draw() })
  moved.observe(fig)
  moved.observe(el)
  st.draw = () => {
    if (!st.box) st.place()
    const ctx = picture.getContext("2d")
    const data = source.data.codes, table = bytes(colours.data.rgba && colours.data.rgba[0])
    const codes = data && data.length ? data[0] : null
    const flat = bytes(codes)
    const n = codes && codes.shape ? codes.shape[0] : Math.round(Math.sqrt(flat.length))
    if (!n || flat.length !== n * n || table.length !== 1024) {
      ctx.clearRect(0, 0, picture.width, picture.height)
      return
    }
    if (!st.img || st.img.width !== n) {
      st.small.width = n; st.small.height = n
      st.img = st.small.getContext("2d").createImageData(n, n)
    }
    const d = st.img.data
    for (let r = 0; r < n; r++) {            // row 0 of the codes is the bottom of the plane
      const src = (n - 1 - r) * n, dst = r * n * 4
      for (let c = 0; c < n; c++) {
        const k = flat[src + c] * 4, o = dst + c * 4
        d[o] = table[k]; d[o + 1] = table[k + 1]; d[o + 2] = table[k + 2]; d[o + 3] = 255
      }
    }
    st.small.getContext("2d").putImageData(st.img, 0, 0)
    ctx.imageSmoothingEnabled = false
    ctx.drawImage(st.small, 0, 0, picture.width, picture.height)
  }
  return st
}
mount("_pg_heat_" + host.id, setup)
"""

# the Div the picture is drawn in: over the whole column, under the figure
HOST_CSS = f"""
:host {{ position: absolute !important; left: 0; top: 0; right: 0; bottom: 0;
  width: auto !important; height: auto !important; }}
.pg-heat-picture {{ position: absolute; opacity: {ALPHA}; }}
.pg-heat-ticks span {{ position: absolute; font: 10px sans-serif; color: #666666;
  white-space: nowrap; }}
.pg-heat-left {{ transform: translate(-100%, -50%); }}
.pg-heat-bottom {{ transform: translateX(-50%); }}
.pg-heat-save {{ position: absolute; z-index: 2; opacity: 0.45; font-size: 11px;
  padding: 1px 5px; border: 1px solid #bbbbbb; border-radius: 3px; background: #ffffffdd;
  cursor: pointer; }}
.pg-heat-save:hover, .pg-heat-save:focus {{ opacity: 1; }}
"""

# the column that holds the canvas and, over it, the figure
STACK_CSS = ":host { position: relative; background: #ffffff; }"
# the figure over the canvas (positioned, later in the column: painted over it; neither
# makes a stacking context, so the save button's z-index puts it over the figure)
FIGURE_CSS = ":host { position: relative; }"


def palette_table(palette) -> bytes:
    """The RGBA colour of each code 0..255 for a list of '#rrggbb' colours, spread over
    the codes as Bokeh's LinearColorMapper(low=0, high=255) spreads them: code c has
    colour floor(c · n / 255), the last for 255."""
    n = len(palette)
    rgb = np.array([[int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)] for c in palette],
                   dtype=np.uint8)
    index = np.minimum(np.arange(256) * n // 255, n - 1)
    table = np.full((256, 4), 255, dtype=np.uint8)
    table[:, :3] = rgb[index]
    return table.tobytes()


class HeatCanvas:
    """A (res, res) picture of colour codes under a Bokeh figure (``stack``): the codes
    travel as one uint8 array on a data source, the colour table on another (when the
    palette changes), and the browser draws them (DRAW_JS)."""

    def __init__(self, figure_class: str = "pg-output-plot",
                 filename: str = "playground-output.png"):
        self.host_class = f"pg-heat-{next(_COUNT)}"
        self.source = ColumnDataSource({"codes": []})
        self.colours = ColumnDataSource({"rgba": []})
        self.host = Div(text="", css_classes=["pg-heat", self.host_class],
                        stylesheets=[HOST_CSS], margin=0)
        draw = CustomJS(args=dict(source=self.source, colours=self.colours, host=self.host,
                                  host_class=self.host_class, figure_class=figure_class,
                                  ticks=list(TICKS), lo=DOMAIN[0], hi=DOMAIN[1], alpha=ALPHA,
                                  filename=filename), code=DRAW_JS)
        self.source.js_on_change("data", draw)
        self.colours.js_on_change("data", draw)
        # (through the Div's own callback the sources are part of the page's document)
        self.host.js_on_change("visible", draw)
        self._draw = draw
        self._palette: bytes = b""

    def stack(self, figure, **params) -> pn.Column:
        """This canvas and, over it, ``figure`` (no axes, no borders), with room for the
        ticks around it."""
        figure.stylesheets = [*figure.stylesheets, FIGURE_CSS]
        room = (AXIS_TOP, AXIS_RIGHT, AXIS_BOTTOM, AXIS_LEFT)
        figure.margin = room
        return pn.Column(pn.pane.Bokeh(self.host, margin=0), pn.pane.Bokeh(figure, margin=room),
                         stylesheets=[STACK_CSS], **params)

    def install(self, doc) -> None:
        """Draw the picture as soon as the page is ready (then at every change)."""
        doc.js_on_event("document_ready", self._draw)

    @property
    def palette(self) -> bytes:
        """palette_table(): the RGBA colour of each code."""
        return self._palette

    @palette.setter
    def palette(self, table: bytes) -> None:
        self._palette = table
        wire.set_columns(self.colours, {"rgba": [np.frombuffer(table, np.uint8)]})

    def show(self, codes) -> None:
        """Show a (res, res) array of colour codes (uint8), row 0 at the bottom."""
        wire.set_columns(self.source, {"codes": [np.ascontiguousarray(codes, np.uint8)]})

    def shown(self) -> np.ndarray:
        """The codes shown now, as a (res, res) array."""
        return np.asarray(self.source.data["codes"][0])
