"""The neuron lab's learning demos: the delta rule, logistic regression and house prices."""
from __future__ import annotations

import numpy as np
import panel as pn
import param
from bokeh.models import ColumnDataSource, LinearColorMapper, Span

from ..state.neuron_lab import DeltaRule, HousePrices, Logistic
from . import theme
from .binding import tip
from .frames import DrawsOnFrame
from .neuron_views import small_figure


def _fmt(v) -> str:
    return ", ".join(f"{x:+.4f}" for x in np.atleast_1d(v))


def play_button():
    return pn.widgets.Toggle(label="▶ Play", color="primary", width=90)


PLAY_TIP = "Train continuously; press again to pause."
ORANGE_TEXT = "#9a4a00"     # the orange of the plots, dark enough for text (6.3:1 on white)


def sync_play_label(toggle):
    toggle.param.watch(lambda e: setattr(toggle, "label", "❚❚ Pause" if e.new else "▶ Play"),
                       "value")
    return toggle


class DeltaRuleView(DrawsOnFrame, pn.viewable.Viewer):
    """Step a sigmoid neuron through the delta rule; jax.grad's step shown beside it."""

    model = param.ClassSelector(class_=DeltaRule)

    def __init__(self, model: DeltaRule | None = None, **params):
        super().__init__(model=model or DeltaRule(), **params)
        m = self.model
        self.inputs = [pn.widgets.FloatInput.from_param(m.param[n], step=0.1, width=80)
                       for n in ("x1", "x2", "target", "eta", "w1_start", "w2_start")]
        self.step_btn = pn.widgets.Button(label="Step ▶", color="primary", width=80,
                                          description="One delta-rule step.")
        self.back_btn = pn.widgets.Button(label="◀ Back", width=80,
                                          description="Undo the last step.")
        self.reset_btn = pn.widgets.Button(label="Reset", width=70,
                                           description="Back to the starting weights.")
        self.step_btn.on_click(lambda e: (m.step(), self.touch()))
        self.back_btn.on_click(lambda e: (m.back(), self.touch()))
        self.reset_btn.on_click(lambda e: (m.reset(), self.touch()))
        self.table = pn.pane.HTML(margin=(0, 8), css_classes=["pg-delta-table"])
        self.source = ColumnDataSource({"step": [], "o": [], "loss": []})
        self.fig = small_figure(300, 200, x_axis_label="step", y_range=(-0.02, 1.02))
        self.fig.line("step", "o", source=self.source, color=theme.BLUE, line_width=2,
                      legend_label="output o")
        self.fig.line("step", "loss", source=self.source, color=theme.TEST_COLOR, line_width=2,
                      legend_label="½(o − t)²")
        self.fig.scatter("step", "o", source=self.source, color=theme.BLUE, size=6)
        self.fig.scatter("step", "loss", source=self.source, color=theme.TEST_COLOR, size=6)
        self.fig.legend.label_text_font_size = "10px"
        self.fig.legend.location = "center_right"
        m.param.watch(self.touch, ["x1", "x2", "target", "eta", "w1_start",
                                                 "w2_start"])
        self.update()

    def update(self):
        m = self.model
        rows = m.history
        o_now = m.output()
        steps = list(range(len(rows) + 1))
        outs = [r["o"] for r in rows] + [o_now]
        self.source.data = {"step": steps, "o": outs,
                            "loss": [0.5 * (o - m.target) ** 2 for o in outs]}
        head = ("<tr><th>step</th><th>w</th><th>o = σ(w·x)</th><th>o − t</th>"
                "<th>o(1 − o)</th><th>Δw = η·x·(o − t)·o(1 − o)</th><th>w − Δw</th>"
                "<th>jax.grad step</th></tr>")
        body = []
        for k, r in enumerate(rows[-6:], start=max(len(rows) - 6, 0) + 1):
            o = r["o"]
            agree = np.allclose(r["w_new"], r["w_autodiff"], rtol=1e-9, atol=1e-12)
            body.append(f"<tr><td>{k}</td><td>{_fmt(r['w'])}</td><td>{o:.4f}</td>"
                        f"<td>{o - m.target:+.4f}</td><td>{o * (1 - o):.4f}</td>"
                        f"<td>{_fmt(r['dw'])}</td><td><b>{_fmt(r['w_new'])}</b></td>"
                        f"<td>{_fmt(r['w_autodiff'])} {'✓' if agree else '✗'}</td></tr>")
        if not rows:
            body.append('<tr><td colspan="8">Press <b>Step</b>: each row is one update. '
                        f"Now w = ({_fmt(m.w)}), o = {o_now:.4f}.</td></tr>")
        self.table.object = f'<table class="pg-table">{head}{"".join(body)}</table>'

    def __panel__(self):
        return pn.Column(pn.Row(*self.inputs),
                         pn.Row(self.back_btn, self.step_btn, self.reset_btn),
                         pn.Row(self.table, self.fig))


class LogisticView(DrawsOnFrame, pn.viewable.Viewer):
    """One sigmoid neuron separating two clouds: its probability surface and decision line."""

    model = param.ClassSelector(class_=Logistic)
    RES = 60
    EXTENT = 5.0

    def __init__(self, model: Logistic | None = None, **params):
        super().__init__(model=model or Logistic(), **params)
        m = self.model
        self.play = sync_play_label(play_button())
        self.step_btn = pn.widgets.Button(label="Step", width=70,
                                          description="One gradient step on all points.")
        self.reset_btn = pn.widgets.Button(label="Reset", width=70,
                                           description="Start again from the first line.")
        self.lr = pn.widgets.Select.from_param(m.param.learning_rate, label="learning rate",
                                               width=110)
        self.step_btn.on_click(lambda e: (m.step(1), self.touch()))
        self.reset_btn.on_click(lambda e: (m.reset(), self.touch()))
        self.image = ColumnDataSource({"image": []})
        self.points = ColumnDataSource({"x": m.X[:, 0], "y": m.X[:, 1],
                                        "color": self._colors()})
        self.line = ColumnDataSource({"x": [], "y": []})
        self.losses = ColumnDataSource({"epoch": [], "loss": []})
        self.readout = pn.pane.HTML(margin=(0, 8), width=250)
        self.fig, self.loss_fig = self._figures()
        self.update()

    def _colors(self):
        return [theme.BLUE if t == 1 else theme.ORANGE for t in self.model.t]

    def _figures(self):
        e = self.EXTENT
        f = small_figure(300, 300, x_range=(-e, e), y_range=(-e, e), x_axis_label="x1",
                         y_axis_label="x2")
        mapper = LinearColorMapper(palette=theme.PALETTE, low=-1, high=1)
        f.image("image", x=-e, y=-e, dw=2 * e, dh=2 * e, source=self.image,
                color_mapper=mapper, alpha=0.8)
        f.line("x", "y", source=self.line, color="#222", line_width=2)
        f.scatter("x", "y", source=self.points, color="color", line_color="#fff", size=8)
        g = small_figure(260, 150, x_axis_label="epoch", y_axis_label="cross-entropy")
        g.line("epoch", "loss", source=self.losses, color=theme.TRAIN_COLOR, line_width=2)
        return theme.add_save_button(f, "logistic-regression"), g

    def update(self):
        m = self.model
        e = self.EXTENT
        # the surface shows 2·p − 1 so that p = 0.5 is the palette's neutral middle
        self.image.data = {"image": [2 * m.surface(self.RES) - 1]}
        (w1, w2), b = m.w, m.b
        if abs(w2) > 1e-9:
            xs = np.array([-e, e])
            self.line.data = {"x": xs, "y": -(w1 * xs + b) / w2}
        elif abs(w1) > 1e-9:
            self.line.data = {"x": [-b / w1] * 2, "y": [-e, e]}
        else:
            self.line.data = {"x": [], "y": []}
        if m.epoch == 0:                       # the points only change on reset
            self.points.data = {"x": m.X[:, 0], "y": m.X[:, 1], "color": self._colors()}
        self.losses.data = {"epoch": list(range(len(m.losses))), "loss": m.losses}
        self.readout.object = (
            f'<div class="pg-readout">epoch <b>{m.epoch}</b><br>'
            f"cross-entropy <b>{m.losses[-1]:.4f}</b><br>accuracy <b>{m.accuracy():.0%}</b><br>"
            f"w = ({w1:+.3f}, {w2:+.3f}), b = {b:+.3f}<br>"
            f"p(blue) = σ({w1:.2f}·x1 + {w2:.2f}·x2 + {b:.2f}); the black line is p = 0.5"
            "</div>")

    def tick(self):
        if self.play.value:
            self.model.step(2)
            self.touch()
        super().tick()

    def __panel__(self):
        return pn.Row(self.fig, pn.Column(pn.Row(tip(self.play, PLAY_TIP), self.step_btn, self.reset_btn),
                                          self.lr, self.readout, self.loss_fig))


EXAMPLE_HOUSES = np.array([   # age, floor area, bedrooms, location
    [5, 160, 4, 8], [5, 45, 4, 8], [60, 90, 2, 3], [20, 120, 3, 5], [40, 35, 1, 9]],
    np.float32)


class HousePricesView(DrawsOnFrame, pn.viewable.Viewer):
    """A 4 → hidden → 1 network learns house prices; RMSE against two baselines."""

    model = param.ClassSelector(class_=HousePrices)

    def __init__(self, model: HousePrices | None = None, **params):
        super().__init__(model=model or HousePrices(), **params)
        m = self.model
        self.play = sync_play_label(play_button())
        self.reset_btn = pn.widgets.Button(label="Reset", width=70,
                                           description="New random start weights.")
        self.reset_btn.on_click(lambda e: (m.reset(), self.touch()))
        self.hidden = pn.widgets.IntSlider.from_param(m.param.hidden, label="hidden neurons",
                                                      width=160)
        self.lr = pn.widgets.Select.from_param(m.param.learning_rate, label="learning rate",
                                               width=110)
        m.param.watch(self.touch, ["hidden", "seed"])
        self.rmse = ColumnDataSource({"epoch": [], "rmse": []})
        self.scatter = ColumnDataSource({"actual": [], "predicted": []})
        self.readout = pn.pane.HTML(margin=(0, 8))
        self.examples = pn.pane.HTML(margin=(0, 8))
        self.rmse_fig, self.scatter_fig = self._figures()
        self.update()

    def _figures(self):
        m = self.model
        f = small_figure(330, 200, x_axis_label="epoch", y_axis_label="RMSE (thousands)",
                         y_axis_type="log")
        f.line("epoch", "rmse", source=self.rmse, color=theme.TRAIN_COLOR, line_width=2,
               legend_label="network")
        self.baseline = Span(location=m.baseline_rmse, dimension="width",
                             line_color=theme.ORANGE, line_dash="dashed", line_width=2)
        self.linear = Span(location=m.linear_rmse, dimension="width", line_color=theme.BLUE,
                           line_dash="dashed", line_width=2)
        f.add_layout(self.baseline)
        f.add_layout(self.linear)
        f.legend.label_text_font_size = "10px"
        lo, hi = float(m.y.min()), float(m.y.max())
        g = small_figure(220, 200, x_axis_label="actual price", y_axis_label="predicted",
                         x_range=(lo, hi), y_range=(lo, hi))
        g.line([lo, hi], [lo, hi], color="#aaa", line_dash="dotted")
        g.scatter("actual", "predicted", source=self.scatter, size=4, alpha=0.5,
                  color=theme.BLUE)
        return f, g

    def update(self):
        m = self.model
        self.baseline.location, self.linear.location = m.baseline_rmse, m.linear_rmse
        self.rmse.data = {"epoch": list(range(len(m.rmse))), "rmse": m.rmse}
        pred, _ = m.predictions(m.X)
        self.scatter.data = {"actual": m.y, "predicted": pred}
        self.readout.object = (
            f'<div class="pg-readout">epoch <b>{m.epoch}</b> · RMSE <b class="pg-house-rmse">'
            f"{m.rmse[-1]:.1f}</b> thousand · always guessing the mean: "
            f'<span style="color:{ORANGE_TEXT}">{m.baseline_rmse:.1f}</span> · best straight '
            f'line (linear regression): <span style="color:{theme.BLUE}">{m.linear_rmse:.1f}'
            "</span></div>")
        self.examples.object = self._examples_table()

    def _examples_table(self):
        m = self.model
        pred, hidden = m.predictions(EXAMPLE_HOUSES)
        heads = "".join(f"<th>h{j + 1}</th>" for j in range(m.hidden))
        rows = []
        for house, p, h in zip(EXAMPLE_HOUSES, pred, np.asarray(hidden)):
            cells = "".join(f'<td style="background:{self._shade(v)}">{v:+.2f}</td>' for v in h)
            rows.append(f"<tr><td>{house[0]:.0f}</td><td>{house[1]:.0f}</td>"
                        f"<td>{house[2]:.0f}</td><td>{house[3]:.0f}</td>{cells}"
                        f"<td><b>{p:.0f}</b></td></tr>")
        return ('<table class="pg-table"><tr><th>age</th><th>m²</th><th>bedrooms</th>'
                f"<th>location</th>{heads}<th>predicted price</th></tr>{''.join(rows)}</table>")

    @staticmethod
    def _shade(v):
        """The palette's colour for v, 30 % of the way to white: the table's dark text
        stays readable on it (WCAG AA, 5.4:1 at the least)."""
        idx = int(round((float(v) + 1) / 2 * (len(theme.PALETTE) - 1)))
        return theme.blend(theme.PALETTE[min(max(idx, 0), len(theme.PALETTE) - 1)],
                           "#ffffff", 0.3)

    def tick(self):
        if self.play.value:
            self.model.train(10)
            self.touch()
        super().tick()

    def __panel__(self):
        return pn.Column(pn.Row(tip(self.play, PLAY_TIP), self.reset_btn,
                                tip(self.hidden, self.model.param.hidden.doc), self.lr),
                         self.readout, pn.Row(self.rmse_fig, self.scatter_fig),
                         pn.pane.HTML("<b>Hidden neurons for five example houses</b> "
                                      "(tanh outputs, −1 orange … +1 blue). The second is the "
                                      "first squeezed into 45 m²: watch how the hidden layer "
                                      "tells them apart.", margin=(4, 8)),
                         self.examples)
