"""The convolution lab: slide a kernel over an image by hand, then ReLU and max pooling."""
from __future__ import annotations

import html

import numpy as np
import panel as pn
import param
from bokeh.events import Tap
from bokeh.models import ColumnDataSource, LinearColorMapper, Range1d
from bokeh.plotting import figure

from ..engine import conv
from ..state.conv_lab import PAINT_SIZE, SOURCE_LABELS, ConvLab
from . import theme
from .a11y import hidden_label
from .binding import event_point, tip
from .cards import tab_intro
from .learning_views import PLAY_TIP, play_button, sync_play_label
from .parts import AFTER_CARD

INTRO = ("A convolution slides a small grid of weights (the kernel) over an image: at each "
         "place it multiplies the pixels under it by the weights and adds them up, giving one "
         "pixel of the feature map.<br>Step through it, then ReLU and 2×2 max pooling, and "
         "see why a filter is a template matcher: it answers strongly where the image looks "
         "like it.")
GREYS = [f"#{v:02x}{v:02x}{v:02x}" for v in range(255, -1, -1)]      # white (low) … black
TEXT_MAX = 12           # numbers are written in the cells of grids up to this size
CELLS_PER_FRAME = 40    # Play on a large image moves this many cells per frame


def _num(v: float) -> str:
    return f"{v:.3g}" if abs(v - round(v)) > 1e-9 else f"{int(round(v))}"


class GridPlot:
    """A square-celled picture of a 2-D array with optional numbers and one highlight box."""

    def __init__(self, title: str, size: int, palette, diverging: bool = False):
        self.diverging = diverging
        self.mapper = LinearColorMapper(palette=palette, nan_color="#f3f3f3")
        self.image = ColumnDataSource({"image": [], "dw": [], "dh": []})
        self.text = ColumnDataSource({"x": [], "y": [], "t": [], "c": []})
        self.box = ColumnDataSource({"x": [], "y": [], "w": [], "h": []})
        f = figure(width=size, height=size, title=title, toolbar_location=None, tools="",
                   x_range=Range1d(0, 1), y_range=Range1d(0, 1))
        f.image("image", x=0, y=0, dw="dw", dh="dh", source=self.image,
                color_mapper=self.mapper)
        f.text("x", "y", text="t", source=self.text, text_align="center",
               text_baseline="middle", text_font_size="11px", text_color="c")
        f.rect("x", "y", "w", "h", source=self.box, fill_alpha=0.15, fill_color=theme.ORANGE,
               line_color=theme.ORANGE, line_width=3)
        f.axis.visible = False
        f.grid.visible = False
        f.title.text_font_size = "12px"
        self.fig = f

    def show(self, a: np.ndarray | None, box=None, numbers: bool | None = None):
        if a is None or a.size == 0:
            self.image.data = {"image": [], "dw": [], "dh": []}
            self.text.data = {"x": [], "y": [], "t": [], "c": []}
            self.box.data = {"x": [], "y": [], "w": [], "h": []}
            return
        rows, cols = a.shape
        finite = a[np.isfinite(a)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if self.diverging:
            m = max(abs(lo), abs(hi), 1e-9)
            lo, hi = -m, m
        self.mapper.low, self.mapper.high = lo, (hi if hi > lo else lo + 1)
        self.image.data = {"image": [np.flipud(a)], "dw": [cols], "dh": [rows]}
        self.fig.x_range.start, self.fig.x_range.end = 0, cols
        self.fig.y_range.start, self.fig.y_range.end = 0, rows
        numbers = max(rows, cols) <= TEXT_MAX if numbers is None else numbers
        if numbers:
            rr, cc = np.mgrid[0:rows, 0:cols]
            mid = (lo + hi) / 2
            vals = a.ravel()
            self.text.data = {"x": (cc.ravel() + 0.5), "y": (rows - rr.ravel() - 0.5),
                              "t": ["" if not np.isfinite(v) else _num(v) for v in vals],
                              "c": ["#fff" if np.isfinite(v) and not self.diverging and v > mid
                                    else "#222" for v in vals]}
        else:
            self.text.data = {"x": [], "y": [], "t": [], "c": []}
        if box is None:
            self.box.data = {"x": [], "y": [], "w": [], "h": []}
        else:
            r0, c0, h, w = box
            self.box.data = {"x": [c0 + w / 2], "y": [rows - r0 - h / 2], "w": [w], "h": [h]}


class ConvLabTab(pn.viewable.Viewer):
    """The Convolution tab: its two-line explanation and the lab in a card."""

    def __init__(self, **params):
        super().__init__(**params)
        self.lab = ConvLabView()
        self._layout = pn.Column(
            tab_intro(INTRO),
            pn.Column(self.lab, css_classes=["pg-card", "pg-lab-conv"], styles={"padding": "8px"},
                      margin=(6, 4)), sizing_mode="stretch_width")

    def tick(self):
        self.lab.tick()

    def __panel__(self):
        return self._layout


class ConvLabView(pn.viewable.Viewer):
    """Input with the sliding window, kernel editor, feature map, ReLU and pooling."""

    model = param.ClassSelector(class_=ConvLab)

    def __init__(self, model: ConvLab | None = None, **params):
        super().__init__(model=model or ConvLab(), **params)
        m = self.model
        self.source = pn.widgets.Select.from_param(
            m.param.source, label="input", width=170,
            options={SOURCE_LABELS[s]: s for s in m.param.source.objects})
        self.digit = pn.widgets.IntInput.from_param(m.param.digit_index, label="digit number",
                                                    width=110)
        self.kernel_pick = pn.widgets.Select.from_param(
            m.param.kernel_name, label="kernel", width=150,
            options={n.replace("_", " "): n for n in m.param.kernel_name.objects})
        self.kernel_size = pn.widgets.Select.from_param(m.param.kernel_size, label="size",
                                                        width=70)
        self.stride = pn.widgets.IntInput.from_param(m.param.stride, width=80)
        self.padding = pn.widgets.Select.from_param(m.param.padding, width=80)
        self.back_btn = pn.widgets.Button(label="◀ Back", width=80,
                                          description="One step back.")
        self.next_btn = pn.widgets.Button(label="Step ▶", color="primary", width=80,
                                          description="Move the kernel to the next cell "
                                                      "(then ReLU, then pooling).")
        self.end_btn = pn.widgets.Button(label="Show all", width=90,
                                         description="Jump to the end: every cell computed.")
        self.restart_btn = pn.widgets.Button(label="Start over", width=90,
                                             description="Back to the first cell.")
        self.play = sync_play_label(play_button())
        self.back_btn.on_click(lambda e: m.backward())
        self.next_btn.on_click(lambda e: m.forward())
        self.end_btn.on_click(lambda e: m.finish())
        self.restart_btn.on_click(lambda e: m.restart())
        self.kernel_box = pn.Column(margin=0, css_classes=["pg-kernel"])
        self.kernel_inputs: list[list[pn.widgets.FloatInput]] = []
        self.kernel_note = pn.pane.HTML(margin=(0, 5), width=300)
        self.formula = pn.pane.HTML(margin=(0, 5))
        self.arith = pn.pane.HTML(margin=(0, 5), width=560)
        self.note = pn.pane.HTML(margin=(0, 5), sizing_mode="stretch_width")  # e.g. from Digits
        self.input_plot = GridPlot("input (grey: padding)", 300, GREYS)
        self.output_plot = GridPlot("feature map (blue +, orange −)", 240, theme.PALETTE,
                                    diverging=True)
        self.relu_plot = GridPlot("after ReLU", 200, GREYS)
        self.pool_plot = GridPlot("after 2×2 max pooling", 160, GREYS)
        self.input_plot.fig.on_event(Tap, self._tap)
        m.param.watch(lambda *e: self._rebuild_kernel(), ["kernel_name", "kernel_size"])
        # redrawn by the page's frame callback (which holds the document lock), not in the
        # middle of a widget's change event
        m.param.watch(lambda *e: setattr(self, "_dirty", True), ["step"])
        m.param.watch(lambda *e: setattr(self.digit, "visible", m.source == "digit"),
                      ["source"])
        self.digit.visible = m.source == "digit"
        self._rebuild_kernel()
        self.update()

    # ---------------------------------------------------------------- kernel grid
    def _rebuild_kernel(self):
        m = self.model
        k = m.kernel()
        if len(self.kernel_inputs) != k.shape[0]:
            self.kernel_inputs = []
            for r in range(k.shape[0]):
                row = []
                for c in range(k.shape[1]):
                    w = pn.widgets.FloatInput(value=float(k[r, c]), width=62, step=1,
                                              margin=(2, 2), description=f"kernel weight "
                                              f"row {r + 1}, column {c + 1}")
                    hidden_label(w, f"Kernel weight, row {r + 1}, column {c + 1}")
                    w.param.watch(lambda e, r=r, c=c: self._edit(r, c, e.new), "value")
                    row.append(w)
                self.kernel_inputs.append(row)
            self.kernel_box.objects = [pn.Row(*row, margin=0) for row in self.kernel_inputs]
        else:
            self._show_kernel()
        name = m.kernel_name
        self.kernel_note.object = (f"<small>{conv.KERNEL_DESCRIPTIONS.get(name, 'Your own kernel: every number is yours.')}</small>")

    def _show_kernel(self):
        """Every box shows the weight the kernel really has."""
        k = self.model.kernel()
        for r, row in enumerate(self.kernel_inputs):
            for c, w in enumerate(row):
                if w.value != float(k[r, c]):
                    w.value = float(k[r, c])

    def _edit(self, r, c, value):
        m = self.model
        in_use = float(m.kernel()[r, c])
        if value is not None and float(value) == in_use:
            return
        try:
            if value is None:
                raise ValueError("a kernel weight must be a number")
            m.set_kernel_cell(r, c, value)
        except (ValueError, TypeError, OverflowError) as exc:
            self._show_kernel()                   # the refused number does not stay
            self.kernel_note.object = (
                f'<div class="pg-status pg-status-danger">Not set: {html.escape(str(exc))}; '
                f'row {r + 1}, column {c + 1} stays {_num(in_use)}.</div>')
            return
        self._show_kernel()
        self.kernel_note.object = "<small>Your own kernel: every number is yours.</small>"

    def _tap(self, event):
        m = self.model
        point = event_point(event)
        if m.source != "paint" or point is None or self._padded is None:
            return
        x, y = point
        pad = (self._padded.shape[0] - PAINT_SIZE) // 2
        row = int(np.floor(self._padded.shape[0] - y)) - pad
        col = int(np.floor(x)) - pad
        m.toggle_pixel(row, col)

    # -------------------------------------------------------------------- drawing
    def update(self):
        self._dirty = False
        m = self.model
        r = m.result()
        image, kernel = m.image(), m.kernel()
        self.formula.object = f'<div class="pg-readout pg-conv-formula">{m.formula()}</div>'
        try:
            self._padded = conv.pad_image(image, kernel.shape, m.stride, m.padding)
        except ValueError:
            self._padded = image
        if r is None:
            self.input_plot.show(image)
            for p in (self.output_plot, self.relu_plot, self.pool_plot):
                p.show(None)
            self.arith.object = f'<div class="pg-status pg-status-danger">{m.message}</div>'
            return
        phase, k = m.phase()
        out, rect, pooled = r["out"], r["relu"], r["pooled"]
        cur = m.current()
        shown = np.full(out.shape, np.nan)
        if phase == "conv":
            shown.ravel()[:k + 1] = out.ravel()[:k + 1]
        elif phase != "start":
            shown = out
        padded = self._padded.astype(float)
        if padded.shape != image.shape:             # padding cells drawn as NaN (grey)
            (top, _), (left, _) = conv.paddings(image.shape, kernel.shape, m.stride, m.padding)
            padded = np.full(padded.shape, np.nan)
            padded[top:top + image.shape[0], left:left + image.shape[1]] = image
        kh, kw = kernel.shape
        box = (*cur["top_left_padded"], kh, kw) if phase == "conv" else None
        self.input_plot.show(padded, box)
        self.output_plot.show(shown, (k // out.shape[1], k % out.shape[1], 1, 1)
                              if phase == "conv" else None)
        if phase in ("relu", "pool", "done"):
            pool_box = (*cur["top_left"], 2, 2) if phase == "pool" else None
            self.relu_plot.show(rect, pool_box)
        else:
            self.relu_plot.show(None)
        if phase in ("pool", "done") and pooled is not None:
            ps = np.full(pooled.shape, np.nan)
            if phase == "pool":
                ps.ravel()[:k + 1] = pooled.ravel()[:k + 1]
            else:
                ps = pooled
            self.pool_plot.show(ps, (k // pooled.shape[1], k % pooled.shape[1], 1, 1)
                                if phase == "pool" else None)
        else:
            self.pool_plot.show(None)
        self.arith.object = self._arithmetic(phase, cur, out, kernel, m.step, m.n_steps())
        self.back_btn.disabled = m.step < 0
        self.next_btn.disabled = m.step >= m.n_steps() - 1

    @staticmethod
    def _arithmetic(phase, cur, out, kernel, step, n) -> str:
        head = f"<small>step {step + 1} of {n}</small><br>"
        if phase == "start":
            return (f'<div class="pg-readout">{head}Press <b>Step</b>: the kernel goes to the '
                    f"first cell of a {out.shape[0]}×{out.shape[1]} feature map.</div>")
        if phase == "conv":
            prods = cur["products"]
            win = cur["window"]
            terms = [f"{_num(a)}·{_num(b)}" for a, b in zip(win.ravel(), kernel.ravel())]
            if len(terms) > 9:                     # big kernels: list the non-zero terms
                terms = [t for t, p in zip(terms, prods.ravel()) if p != 0] or ["0"]
            return (f'<div class="pg-readout">{head}<b>cell ({cur["row"] + 1}, '
                    f'{cur["col"] + 1})</b>: pixel · weight, summed<br>'
                    f"{' + '.join(terms[:25])}{' + …' if len(terms) > 25 else ''} = "
                    f'<b class="pg-conv-sum">{_num(cur["sum"])}</b></div>')
        if phase == "relu":
            return (f'<div class="pg-readout">{head}<b>ReLU</b>: every negative value of the '
                    f"feature map becomes 0 (max(0, x)); the positive ones stay.</div>")
        if phase == "pool":
            vals = ", ".join(_num(v) for v in cur["window"].ravel())
            return (f'<div class="pg-readout">{head}<b>max pooling</b>: the largest of '
                    f'({vals}) is <b class="pg-pool-value">{_num(cur["value"])}</b>; the map '
                    f"halves in width and height.</div>")
        return (f'<div class="pg-readout pg-conv-done">{head}Done: convolution → ReLU → '
                'pooling.</div>')

    def tick(self):
        """One frame: advance when playing, redraw when anything changed."""
        if self.play.value:
            m = self.model
            size = m.result()["out"].size if m.result() is not None else 0
            m.forward(CELLS_PER_FRAME if size > 200 else 1)
            if m.step >= m.n_steps() - 1:
                self.play.value = False
        if self._dirty:
            self.update()

    def __panel__(self):
        m = self.model
        controls = pn.Row(tip(self.source, m.param.source.doc), self.digit,
                          self.kernel_pick, self.kernel_size, self.stride, self.padding)
        walk = pn.Row(self.back_btn, self.next_btn, tip(self.play, PLAY_TIP), self.end_btn,
                      self.restart_btn)
        kernel = pn.Column(pn.pane.HTML("<b>Kernel</b> (edit any number)", margin=(0, 5)),
                           self.kernel_box, self.kernel_note)
        # ReLU and pooling, the walk's last steps: on a served page they come just after
        # the card (parts.AFTER_CARD), which shows sooner without them (first click on a
        # page just shown, median of 8: 0.40 s against 0.49 s)
        after = pn.Column(self.relu_plot.fig, self.pool_plot.fig, css_classes=[AFTER_CARD])
        plots = pn.FlexBox(self.input_plot.fig, kernel, self.output_plot.fig, after,  # wraps
                           flex_wrap="wrap", align_items="flex-start", margin=0)  # when narrow
        paint = pn.pane.HTML("<small>Paint your own: choose it as the input, then click its "
                             "pixels to switch them on and off.</small>", margin=(0, 5))
        return pn.Column(self.note, controls, self.formula, walk, self.arith, plots, paint)
