"""The neuron lab's first part: a perceptron to toggle and a gallery of activations."""
from __future__ import annotations

import panel as pn
import param
from bokeh.models import ColumnDataSource, Span
from bokeh.plotting import figure

from ..state.neuron_lab import Gallery, Perceptron
from . import theme
from .binding import tip
from .frames import DrawsOnFrame

SATURATION_NOTES = {
    "step": "Its slope is 0 everywhere (and undefined at 0): gradient descent gets no signal "
            "at all. That is why networks use smooth functions instead.",
    "sigmoid": "Saturates on both sides: for |z| above about 5 the slope is nearly 0, so a "
               "neuron stuck there learns very slowly.",
    "tanh": "The sigmoid's shape rescaled to (−1, 1), centred on 0 (often learns faster); it "
            "saturates on both sides just the same.",
    "relu": "0 for z < 0: a neuron whose sums are all negative gets no gradient (it is 'dead'). "
            "For z > 0 the slope is 1: no saturation, which helps deep networks.",
    "leaky_relu": "Like ReLU but with slope 0.01 below 0, so a neuron is never completely dead.",
    "elu": "Smooth below 0, leveling off at −1 (saturates on the left only); slope 1 above 0.",
    "gelu": "A smooth ReLU (z times the chance that a normal variable is below z); used in "
            "transformers. Its slope fades to 0 for very negative z.",
    "sine": "Periodic: never saturates, but its slope changes sign, so many different weights "
            "give the same output.",
}


def small_figure(width, height, **kw):
    """A lab's small plot: no toolbar, and no tools (a drag that panned it, with no reset
    button to bring it back, only lost the student's view; and each plot's ten tool
    models were a tenth of a lab card's models to make, send and draw)."""
    kw.setdefault("tools", "")
    f = figure(width=width, height=height, toolbar_location=None, **kw)
    f.axis.axis_label_text_font_size = "11px"
    f.background_fill_color = "#fcfcfc"
    return theme.browser_ranges(f)


class PerceptronView(DrawsOnFrame, pn.viewable.Viewer):
    """Toggle three binary inputs; read the weighted sum, the output and the truth table."""

    model = param.ClassSelector(class_=Perceptron)

    def __init__(self, model: Perceptron | None = None, **params):
        super().__init__(model=model or Perceptron(), **params)
        m = self.model
        self.toggles = [pn.widgets.Toggle(label=f"x{i} = 0", width=70, color="light")
                        for i in (1, 2, 3)]
        for i, t in enumerate(self.toggles):
            t.value = m.inputs[i] == 1
            t.param.watch(lambda e, i=i: setattr(m, f"x{i + 1}", e.new), "value")
        self.weights = [pn.widgets.FloatInput.from_param(m.param[f"w{i}"], label=f"w{i}",
                                                         step=0.1, width=80) for i in (1, 2, 3)]
        self.threshold = pn.widgets.FloatInput.from_param(m.param.threshold, label="threshold",
                                                          step=0.1, width=90)
        self.readout = pn.pane.HTML(margin=(0, 8), css_classes=["pg-neuron-readout"])
        self.table = pn.pane.HTML(margin=(0, 8))
        self.source = ColumnDataSource({"s": [], "out": [], "label": []})
        self.current = ColumnDataSource({"s": [], "out": []})
        self.step_line = ColumnDataSource({"s": [], "out": []})
        self.fig = self._figure()
        m.param.watch(self.touch, ["x1", "x2", "x3", "w1", "w2", "w3",
                                                 "threshold"])
        self.update()

    def _figure(self):
        f = small_figure(330, 210, x_axis_label="weighted sum Σ wᵢxᵢ", y_axis_label="output",
                         y_range=(-0.2, 1.25))
        f.line("s", "out", source=self.step_line, color="#888", line_width=2)
        f.scatter("s", "out", source=self.source, size=8, color=theme.BLUE, alpha=0.6)
        f.text("s", "out", text="label", source=self.source, text_font_size="9px",
               y_offset=-8, x_offset=4, angle=0.6)
        f.scatter("s", "out", source=self.current, size=16, color=theme.ORANGE,
                  line_color="#222")
        self.span = Span(location=0.8, dimension="height", line_dash="dashed",
                         line_color=theme.TEST_COLOR, line_width=2)
        f.add_layout(self.span)
        return f

    def update(self):
        m = self.model
        s, out = m.result()
        for i, t in enumerate(self.toggles):
            v = m.inputs[i]
            t.label = f"x{i + 1} = {v}"
            t.color = "primary" if v else "light"
        terms = " + ".join(f"{x}·{w:g}" for x, w in zip(m.inputs, m.weights))
        rel = ">" if out else "≤"
        lamp = "pg-lamp-on" if out else "pg-lamp-off"
        self.readout.object = (
            f'<div class="pg-readout">Σ wᵢxᵢ = {terms} = <b class="pg-sum">{s:.4g}</b> '
            f'{rel} threshold {m.threshold:g} → output <span class="{lamp}">'
            f'<b class="pg-perceptron-out">{out}</b></span></div>')
        rows = m.table()
        html = ['<table class="pg-table"><tr><th>x1 x2 x3</th><th>Σ wᵢxᵢ</th><th>output</th></tr>']
        for x, total, o in rows:
            cls = ' class="pg-row-current"' if list(x) == m.inputs else ""
            html.append(f"<tr{cls}><td>{' '.join(map(str, x))}</td><td>{total:.3g}</td>"
                        f"<td>{o}</td></tr>")
        self.table.object = "".join(html) + "</table>"
        sums = [r[1] for r in rows]
        lo, hi = min(sums + [m.threshold]) - 0.5, max(sums + [m.threshold]) + 0.5
        self.source.data = {"s": sums, "out": [r[2] for r in rows],
                            "label": ["".join(map(str, r[0])) for r in rows]}
        self.current.data = {"s": [s], "out": [out]}
        self.step_line.data = {"s": [lo, m.threshold, m.threshold, hi], "out": [0, 0, 1, 1]}
        self.span.location = m.threshold
        self.fig.x_range.start, self.fig.x_range.end = lo, hi

    def __panel__(self):
        inputs = pn.Row(*(tip(t, f"Input {i + 1}: click to switch it between 0 and 1. It adds "
                                 f"its weight w{i + 1} to the sum when it is 1.")
                          for i, t in enumerate(self.toggles)), margin=(0, 0, 4, 0))
        weights = pn.Row(*self.weights, self.threshold)
        return pn.Column(
            pn.pane.HTML("<b>Inputs</b> (click to switch 0 ↔ 1)", margin=(8, 5)),
            inputs, weights, self.readout,
            pn.Row(self.fig, self.table))


class GalleryView(DrawsOnFrame, pn.viewable.Viewer):
    """One activation at a time: the function, its derivative by formula and by jax.grad."""

    model = param.ClassSelector(class_=Gallery)

    def __init__(self, model: Gallery | None = None, **params):
        super().__init__(model=model or Gallery(), **params)
        m = self.model
        self.picker = pn.widgets.RadioButtonGroup.from_param(
            m.param.activation, label="", color="light", variant="outline")
        self.slider = pn.widgets.FloatSlider.from_param(m.param.z, label="input z", step=0.05,
                                                        width=280)
        self.curves = ColumnDataSource({"z": [], "f": [], "df": []})
        self.grads = ColumnDataSource({"z": [], "grad": []})
        self.saturated = ColumnDataSource({"z": [], "y": []})
        self.probe = ColumnDataSource({"z": [], "f": [], "df": []})
        self.tangent = ColumnDataSource({"z": [], "y": []})
        self.info = pn.pane.HTML(margin=(0, 8), width=290)
        self.fig = self._figure()
        m.param.watch(self.touch, ["activation", "z"])
        self.update()

    def _figure(self):
        f = small_figure(390, 260, x_axis_label="z", y_range=(-1.6, 2.6))
        f.line("z", "f", source=self.curves, color=theme.BLUE, line_width=3,
               legend_label="f(z)")
        f.line("z", "df", source=self.curves, color=theme.ORANGE, line_width=2,
               legend_label="f′(z), formula")
        f.scatter("z", "grad", source=self.grads, size=5, color="#222",
                  legend_label="f′(z), jax.grad")
        f.scatter("z", "y", source=self.saturated, size=4, color=theme.TEST_COLOR,
                  marker="square", alpha=0.5, legend_label="saturated (slope < 0.01)")
        f.line("z", "y", source=self.tangent, color="#555", line_dash="dashed")
        f.scatter("z", "f", source=self.probe, size=11, color=theme.BLUE, line_color="#222")
        f.scatter("z", "df", source=self.probe, size=11, color=theme.ORANGE, line_color="#222")
        f.legend.location = "top_left"
        f.legend.label_text_font_size = "10px"
        f.legend.background_fill_alpha = 0.6
        return theme.add_save_button(f, "activation")

    def update(self):
        m = self.model
        c = m.curves()
        self.curves.data = {"z": c["z"], "f": c["f"], "df": c["df"]}
        every = slice(None, None, 8)
        self.grads.data = {"z": c["z"][every], "grad": c["grad"][every]}
        sat = c["saturated"]
        self.saturated.data = {"z": c["z"][sat], "y": [-1.45] * int(sat.sum())}
        value, slope, auto = m.probe()
        self.probe.data = {"z": [m.z], "f": [value], "df": [slope]}
        self.tangent.data = {"z": [m.z - 1.2, m.z + 1.2],
                             "y": [value - 1.2 * slope, value + 1.2 * slope]}
        formula, out_range = m.info()
        self.info.object = (
            f'<div class="pg-readout"><b>{m.activation}</b>: f(z) = {formula}<br>'
            f"output range {out_range}<br>"
            f"at z = {m.z:.2f}: f(z) = <b>{value:.4f}</b>, slope f′(z) = <b>{slope:.4f}</b> "
            f"(jax.grad: {auto:.4f})</div>"
            f'<p class="pg-note">{SATURATION_NOTES[m.activation]}</p>')

    def __panel__(self):
        return pn.Column(self.picker, pn.Row(self.fig, pn.Column(tip(self.slider, self.model.param.z.doc), self.info)))
