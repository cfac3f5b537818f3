"""The gradient-descent lab's first two steps: one weight, then an optimizer race on two."""
from __future__ import annotations

import numpy as np
import panel as pn
import param
from bokeh.events import Tap
from bokeh.models import ColumnDataSource, LinearColorMapper, Span
from bokeh.plotting import figure

from ..engine import descent
from ..state.descent import ONE_WEIGHT_PRESETS, W_RANGE, OneWeightDemo, TwoWeightRace
from . import theme
from .binding import event_point, tip
from .learning_views import PLAY_TIP, play_button, sync_play_label
from .neuron_views import small_figure

OPTIMIZER_COLORS = {"sgd": "#333333", "momentum": "#e45756", "nesterov": "#f58518",
                    "rmsprop": "#54a24b", "adam": "#4c78a8"}
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "momentum", "nesterov": "Nesterov",
                    "rmsprop": "RMSProp", "adam": "Adam"}
PRESET_LABELS = {"good": "Good rate", "too_low": "Too low", "overshoot": "Overshoots",
                 "too_high": "Too high"}
CONTOUR_PALETTE = [theme.blend("#f7fbff", "#08306b", i / 255) for i in range(256)]


class OneWeightView(pn.viewable.Viewer):
    """Left: the data, the line y = W·x and its errors. Right: the error against W, the
    steps taken and the tangent whose slope is the gradient."""

    model = param.ClassSelector(class_=OneWeightDemo)

    def __init__(self, model: OneWeightDemo | None = None, **params):
        super().__init__(model=model or OneWeightDemo(), **params)
        m = self.model
        self.play = sync_play_label(play_button())
        self.step_btn = pn.widgets.Button(label="Step", width=70,
                                          description="One step of gradient descent.")
        self.reset_btn = pn.widgets.Button(label="Reset", width=70,
                                           description="Back to the starting W.")
        self.step_btn.on_click(lambda e: self._step())
        self.reset_btn.on_click(lambda e: (m.reset(), self._touch()))
        self.start = pn.widgets.FloatSlider.from_param(m.param.start_w, label="start W",
                                                       step=0.1, width=170)
        self.rate = pn.widgets.FloatSlider.from_param(m.param.learning_rate, step=0.001,
                                                      width=190, format="0.000")
        self.presets = [pn.widgets.Button(label=PRESET_LABELS[k], width=95,
                                          description=ONE_WEIGHT_PRESETS[k][2])
                        for k in ONE_WEIGHT_PRESETS]
        for k, b in zip(ONE_WEIGHT_PRESETS, self.presets):
            b.on_click(lambda e, k=k: (m.apply_preset(k), self._touch()))
        # drawn on the page's next frame, which holds the document lock
        m.param.watch(lambda *e: self._touch(), ["start_w", "learning_rate", "w"])
        self.points = ColumnDataSource({"x": [], "y": []})
        self.line = ColumnDataSource({"x": [], "y": []})
        self.residuals = ColumnDataSource({"xs": [], "ys": []})
        self.curve = ColumnDataSource(dict(zip(("w", "loss"), m.curve())))
        self.steps = ColumnDataSource({"w": [], "loss": []})
        self.tangent = ColumnDataSource({"w": [], "loss": []})
        self.readout = pn.pane.HTML(margin=(0, 8), width=520)
        self.data_fig, self.loss_fig = self._figures()
        self._redraw()

    def _figures(self):
        x, y = self.model.data()
        self.points.data = {"x": x, "y": y}
        f = small_figure(300, 260, x_axis_label="weight (kg)", y_axis_label="price",
                         x_range=(0, 5.5), y_range=(-2, 14))
        f.multi_line("xs", "ys", source=self.residuals, color=theme.TEST_COLOR, line_width=2,
                     line_dash="dotted")
        f.line("x", "y", source=self.line, color=theme.BLUE, line_width=3)
        f.scatter("x", "y", source=self.points, size=9, color=theme.ORANGE, line_color="#222")
        g = small_figure(360, 260, x_axis_label="W", y_axis_label="error L(W) (MSE)",
                         x_range=W_RANGE, y_range=(-5, 120))
        g.line("w", "loss", source=self.curve, color="#888", line_width=2)
        g.line("w", "loss", source=self.tangent, color=theme.TEST_COLOR, line_width=2)
        g.line("w", "loss", source=self.steps, color=theme.BLUE, alpha=0.5)
        g.scatter("w", "loss", source=self.steps, size=8, color=theme.BLUE, line_color="#222")
        g.add_layout(Span(location=self.model.best_w, dimension="height",
                          line_dash="dashed", line_color="#54a24b"))
        return theme.add_save_button(f, "one-weight-data"), theme.add_save_button(g, "one-weight-loss")

    def _touch(self):
        self._dirty = True

    def _step(self):
        self.model.step()
        self._touch()

    def _redraw(self):
        self._dirty = False
        m = self.model
        x, y = m.data()
        w = m.w if np.isfinite(m.w) else 0.0
        self.line.data = {"x": [0, 5.5], "y": [0, 5.5 * w]}
        self.residuals.data = {"xs": [[a, a] for a in x], "ys": [[b, w * a] for a, b in zip(x, y)]}
        hist = np.asarray(m.history[-60:], float)
        keep = np.abs(hist) < 1e6
        self.steps.data = {"w": hist[keep], "loss": np.asarray(m.losses[-60:])[keep]}
        self.tangent.data = dict(zip(("w", "loss"), m.tangent())) if abs(w) < 1e6 else \
            {"w": [], "loss": []}
        s = m.last_step
        lines = [f"W* = Σxy / Σx² = <b>{m.best_w:.4f}</b> (the least-squares weight); "
                 f"gradient descent converges only for a learning rate below 2 / L″ = "
                 f"<b>{m.max_stable_lr:.4f}</b>."]
        if s is None:
            lines.append(f"W = {m.w:.4f}, error {m.losses[-1]:.3f}. Press <b>Step</b>.")
        else:
            lines.append(f"step {len(m.history) - 1}: slope L′({s.w:.4f}) = <b>{s.gradient:.4f}"
                         f"</b>; W ← W − η·L′ = {s.w:.4f} − {s.learning_rate:g}·({s.gradient:.4f})"
                         f" = <b class='pg-new-w'>{s.new_w:.4f}</b>; error {s.loss:.3f} → "
                         f"{s.new_loss:.3f}")
        status = {"diverged": "<b style='color:#9b1c1c'>Diverged</b>: each step overshoots "
                              "further. Lower the learning rate and press Reset.",
                  "converged": "<b style='color:#2e7d32'>Converged</b> to W*."}.get(m.status, "")
        self.readout.object = ('<div class="pg-readout pg-one-weight">' + "<br>".join(lines)
                               + (f"<br>{status}" if status else "") + "</div>")

    def tick(self):
        if self.play.value:
            if self.model.status in ("diverged", "converged"):
                self.play.value = False
            else:
                self._step()
        if self._dirty:
            self._redraw()

    def __panel__(self):
        m = self.model
        return pn.Column(
            pn.Row(tip(self.play, PLAY_TIP), self.step_btn, self.reset_btn,
                   tip(self.start, m.param.start_w.doc), tip(self.rate, m.param.learning_rate.doc)),
            pn.Row(pn.pane.HTML("One click:", margin=(12, 5)), *self.presets),
            self.readout, pn.Row(self.data_fig, self.loss_fig))


class RaceView(pn.viewable.Viewer):
    """Five optimizers from one start on a contour plot; click to move the start."""

    model = param.ClassSelector(class_=TwoWeightRace)
    STEPS_PER_FRAME = 2

    def __init__(self, model: TwoWeightRace | None = None, **params):
        super().__init__(model=model or TwoWeightRace(), **params)
        m = self.model
        self.surface = pn.widgets.Select.from_param(
            m.param.surface, width=200,
            options={descent.SURFACES[n].title: n for n in descent.SURFACE_NAMES})
        self.rate = pn.widgets.FloatInput.from_param(m.param.learning_rate, width=100, step=0.01)
        self.beta = pn.widgets.FloatSlider.from_param(m.param.beta, label="momentum β",
                                                      step=0.01, width=160)
        self.play = sync_play_label(play_button())
        self.step_btn = pn.widgets.Button(label="Step", width=70,
                                          description="Every optimizer takes one step.")
        self.reset_btn = pn.widgets.Button(label="Reset", width=70,
                                           description="Back to the start.")
        self.step_btn.on_click(lambda e: m.step(1))
        self.reset_btn.on_click(lambda e: m.reset())
        self.image = ColumnDataSource({"image": [], "x": [], "y": [], "dw": [], "dh": []})
        self.paths = {n: ColumnDataSource({"x": [], "y": []}) for n in descent.PATH_OPTIMIZERS}
        self.heads = ColumnDataSource({"x": [], "y": [], "color": []})
        self.marks = ColumnDataSource({"x": [], "y": [], "marker": [], "color": []})
        self.about = pn.pane.HTML(margin=(0, 8), width=330)
        self.table = pn.pane.HTML(margin=(0, 8), width=330)
        self.fig = self._figure()
        self._dirty = True
        self._surface_drawn = None       # the surface whose picture is drawn
        m.param.watch(lambda *e: setattr(self, "_dirty", True),
                      ["surface", "start", "learning_rate", "beta", "steps"])
        self.update()

    def _figure(self):
        f = figure(width=430, height=424, toolbar_location=None, tools="")
        self.mapper = LinearColorMapper(palette=CONTOUR_PALETTE)
        f.image("image", x="x", y="y", dw="dw", dh="dh", source=self.image,
                color_mapper=self.mapper)
        theme.fit_ranges_to_data(f)
        for name, src in self.paths.items():
            f.line("x", "y", source=src, color=OPTIMIZER_COLORS[name], line_width=2.5,
                   legend_label=OPTIMIZER_LABELS[name])
        f.scatter("x", "y", source=self.heads, color="color", size=9, line_color="#fff")
        f.scatter("x", "y", source=self.marks, marker="marker", color="color", size=14,
                  line_color="#222")
        # under the plot, in one row: inside it, the legend covered the start marker
        f.legend.orientation = "horizontal"
        f.legend.label_text_font_size = "10px"
        f.legend.padding = 2
        f.legend.spacing = 6
        f.add_layout(f.legend[0], "below")
        f.on_event(Tap, self._tap)
        return theme.add_save_button(f, "optimizer-race")

    def _tap(self, event):
        point = event_point(event)
        if point is not None:
            self.model.start = point

    def update(self):
        self._dirty = False
        m = self.model
        info = m.info
        if self._surface_drawn != m.surface:   # the surface: once each
            self._surface_drawn = m.surface     # (not the 121×121 picture at every step)
            x0, x1, y0, y1 = info.extent
            t0, t1, Z = m.grid(121)
            self.image.data = {"image": [np.log1p(Z - Z.min())], "x": [x0], "y": [y0],
                               "dw": [x1 - x0], "dh": [y1 - y0]}
            self.mapper.low, self.mapper.high = 0.0, float(np.log1p(Z.max() - Z.min()))
            self.fig.x_range.start, self.fig.x_range.end = x0, x1
            self.fig.y_range.start, self.fig.y_range.end = y0, y1
            self.fig.xaxis.axis_label, self.fig.yaxis.axis_label = info.labels
        paths = m.paths()
        hx, hy, hc = [], [], []
        for name, p in paths.items():
            self.paths[name].data = {"x": p[:, 0], "y": p[:, 1]}
            hx.append(p[-1, 0])
            hy.append(p[-1, 1])
            hc.append(OPTIMIZER_COLORS[name])
        self.heads.data = {"x": hx, "y": hy, "color": hc}
        self.marks.data = {"x": [m.start[0], info.minimum[0]], "y": [m.start[1], info.minimum[1]],
                           "marker": ["circle", "star"], "color": ["#fff", "#ffd700"]}
        self.about.object = (f'<div class="pg-readout"><b>{info.title}</b><br>{info.about}'
                             "<br><small>White circle: the start (click the plot to move it). "
                             "Gold star: the minimum.</small></div>")
        pos, gone = m.positions(), m.diverged()
        rows = "".join(
            f"<tr><td style='text-align:left'><span class='pg-swatch' aria-hidden='true' "
            f"style='background:{OPTIMIZER_COLORS[n]}'></span> <b>{OPTIMIZER_LABELS[n]}</b></td>"
            f"<td>{'diverged' if gone[n] else f'{pos[n][2]:.4g}'}</td></tr>" for n in pos)
        self.table.object = (f'<div class="pg-readout">step <b class="pg-race-step">{m.steps}'
                             f'</b></div><table class="pg-table"><tr><th>optimizer</th>'
                             f"<th>loss now</th></tr>{rows}</table>")

    def tick(self):
        if self.play.value:
            if self.model.steps >= descent.PATH_STEPS:
                self.play.value = False
            else:
                self.model.step(self.STEPS_PER_FRAME)
        if self._dirty:
            self.update()

    def __panel__(self):
        m = self.model
        return pn.Column(
            pn.Row(tip(self.surface, m.param.surface.doc), self.rate,
                   tip(self.beta, m.param.beta.doc)),
            pn.Row(tip(self.play, PLAY_TIP), self.step_btn, self.reset_btn),
            pn.Row(self.fig, pn.Column(self.about, self.table)))
