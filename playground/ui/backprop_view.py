"""Backpropagation step by step on a 2 → 2 → 1 network, and "nudge a weight"."""
from __future__ import annotations

import panel as pn
import param
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

from ..state.neuron_lab import PARAM_HELP, PARAM_NAMES, STAGES, Backprop
from . import theme
from .frames import DrawsOnFrame

NODES = {"x1": (0.0, 0.8), "x2": (0.0, 0.2), "h1": (1.0, 0.8), "h2": (1.0, 0.2), "o": (2.0, 0.5)}
EDGES = {"w11": ("x1", "h1"), "w21": ("x2", "h1"), "w12": ("x1", "h2"), "w22": ("x2", "h2"),
         "v1": ("h1", "o"), "v2": ("h2", "o")}
BIASES = {"b1": "h1", "b2": "h2", "c": "o"}
# where a label sits along its edge (0: at the left node, 1: at the right one), so that no
# two labels overlap at any step (tests/ui/test_neuron_lab.py checks every step)
EDGE_LABEL_AT = {"w12": 0.35, "w21": 0.35, "v1": 0.45, "v2": 0.45}
BIAS_DY = 0.13            # a bias's label above its node ...
LINE_DY = 0.065           # ... and its gradient one line higher
NUDGE_STEPS = [1.0, 0.5, 0.1, 0.01, 0.001, 0.0001]
GRAD_STAGE = {"v1": 6, "v2": 6, "c": 6, "w11": 7, "w21": 7, "b1": 7, "w12": 8, "w22": 8, "b2": 8}
NODE_STAGE = {"x1": 0, "x2": 0, "h1": 1, "h2": 2, "o": 3}


def _n(v) -> str:
    """A number as the arithmetic shows it (negative numbers in brackets)."""
    v = float(v)
    return f"({v:.4g})" if v < 0 else f"{v:.4g}"


class BackpropView(DrawsOnFrame, pn.viewable.Viewer):
    """The network drawn with its numbers; Next/Back walk forward, backward, then update."""

    model = param.ClassSelector(class_=Backprop)

    def __init__(self, model: Backprop | None = None, **params):
        super().__init__(model=model or Backprop(), **params)
        m = self.model
        num = dict(step=0.1, width=78)
        self.weight_inputs = {n: pn.widgets.FloatInput.from_param(m.param[n], label=n, **num)
                              for n in PARAM_NAMES}
        self.example_inputs = [pn.widgets.FloatInput.from_param(m.param[n], label=n, **num)
                               for n in ("x1", "x2", "target")]
        self.activation = pn.widgets.Select.from_param(m.param.activation, width=100)
        self.lr = pn.widgets.FloatInput.from_param(m.param.learning_rate, label="learning rate",
                                                   step=0.1, width=100)
        self.back_btn = pn.widgets.Button(label="◀ Back", width=80,
                                          description="One step back in the walk-through.")
        self.next_btn = pn.widgets.Button(label="Next ▶", color="primary", width=80,
                                          description="The next step: forward pass, then "
                                                      "backward pass, then the update.")
        self.apply_btn = pn.widgets.Button(label="Apply update", width=110, disabled=True,
                                           description="Write the updated weights into the "
                                                       "network and start a new round.")
        self.back_btn.on_click(lambda e: m.backward())
        self.next_btn.on_click(lambda e: m.forward())
        self.apply_btn.on_click(lambda e: m.apply_update())
        self.explain = pn.pane.HTML(margin=(0, 8), width=470)
        self.nudge_param = pn.widgets.Select.from_param(m.param.nudge_param, label="weight",
                                                        width=90)
        self.nudge_h = pn.widgets.RadioButtonGroup(
            options={f"{h:g}": h for h in NUDGE_STEPS}, value=m.nudge_h, label="nudge h",
            color="light", description="How far to move the weight each way. The smaller h, "
                                       "the closer the slope estimate gets to the gradient.")
        self.nudge_h.param.watch(lambda e: setattr(m, "nudge_h", float(e.new)), "value")
        self.nudge_readout = pn.pane.HTML(margin=(0, 8), css_classes=["pg-nudge"])
        self.nudge_table = pn.pane.HTML(margin=(0, 8))
        self.edges = ColumnDataSource({k: [] for k in ("xs", "ys", "color", "width")})
        self.labels = ColumnDataSource({k: [] for k in ("x", "y", "text", "color")})
        self.nodes = ColumnDataSource({k: [] for k in ("x", "y", "name", "fill")})
        self.fig = self._figure()
        m.param.watch(self.touch, list(m.param))
        self.update()

    def _figure(self):
        f = figure(width=470, height=300, x_range=(-0.35, 2.45), y_range=(-0.05, 1.05),
                   toolbar_location=None, tools="")
        f.axis.visible = False
        f.grid.visible = False
        f.outline_line_color = None
        f.multi_line("xs", "ys", source=self.edges, line_color="color", line_width="width",
                     line_alpha=0.7)
        f.scatter("x", "y", source=self.nodes, size=44, fill_color="fill", line_color="#333")
        f.text("x", "y", text="name", source=self.nodes, text_align="center",
               text_baseline="middle", text_font_size="13px", text_font_style="bold")
        f.text("x", "y", text="text", source=self.labels, text_color="color",
               text_align="center", text_baseline="middle", text_font_size="11px")
        return theme.add_save_button(f, "backprop")

    # --------------------------------------------------------------------- drawing
    def _draw(self, v):
        m = self.model
        stage = m.stage
        net_values = {"x1": m.x1, "x2": m.x2, "h1": v["h"][0], "h2": v["h"][1], "o": v["o"]}
        grads = {n: m.gradient(n) for n in PARAM_NAMES}
        xs, ys, colors, widths = [], [], [], []
        lx, ly, text, tcolor = [], [], [], []
        for name, (a, b) in EDGES.items():
            (x0, y0), (x1, y1) = NODES[a], NODES[b]
            w = getattr(m, name)
            xs.append([x0, x1])
            ys.append([y0, y1])
            colors.append(theme.BLUE if w >= 0 else theme.ORANGE)
            widths.append(1 + min(abs(w), 4) * 1.5)
            t = EDGE_LABEL_AT.get(name, 0.5)      # keep crossing and nearby labels apart
            px, py = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
            lx.append(px)
            ly.append(py + 0.05)
            text.append(f"{name} = {w:g}")
            tcolor.append("#222")
            if stage >= GRAD_STAGE[name]:
                lx.append(px)
                ly.append(py - 0.05)
                text.append(f"∂L/∂{name} = {grads[name]:.4f}")
                tcolor.append(theme.TEST_COLOR)
        nx, ny, names, fill = [], [], [], []
        for name, (x, y) in NODES.items():
            nx.append(x)
            ny.append(y)
            names.append(name)
            shown = stage >= NODE_STAGE[name]
            fill.append("#fff7d6" if shown and NODE_STAGE[name] == stage and stage else
                        ("#e8f1f8" if shown else "#f4f4f4"))
            if shown:
                lx.append(x)
                ly.append(y - 0.13)
                text.append(f"= {net_values[name]:.4f}")
                tcolor.append("#222")
        for bias, node in BIASES.items():       # above its node; its gradient above that
            x, y = NODES[node]
            lx.append(x)
            ly.append(y + BIAS_DY)
            text.append(f"{bias} = {getattr(m, bias):g}")
            tcolor.append("#555")
            if stage >= GRAD_STAGE[bias]:
                lx.append(x)
                ly.append(y + BIAS_DY + LINE_DY)
                text.append(f"∂L/∂{bias} = {grads[bias]:.4f}")
                tcolor.append(theme.TEST_COLOR)
        lx.append(2.0)
        ly.append(0.2)
        text.append(f"target t = {m.target:g}" + (f", L = {v['loss']:.4f}" if stage >= 4 else ""))
        tcolor.append("#222")
        self.edges.data = {"xs": xs, "ys": ys, "color": colors, "width": widths}
        self.labels.data = {"x": lx, "y": ly, "text": text, "color": tcolor}
        self.nodes.data = {"x": nx, "y": ny, "name": names, "fill": fill}

    def _explanation(self, v) -> str:
        m = self.model
        act = "σ" if m.activation == "sigmoid" else "tanh"
        slope = (lambda a: f"{_n(a)}·(1 − {_n(a)})") if m.activation == "sigmoid" \
            else (lambda a: f"1 − {_n(a)}²")
        name = STAGES[m.stage]
        g = {n: m.gradient(n) for n in PARAM_NAMES}
        if name == "start":
            return ("One training example x = (x1, x2) with target t. <b>Next</b> runs the "
                    "forward pass one neuron at a time, then the backward pass from the loss "
                    "back to every weight, then one update.")
        if name in ("h1", "h2"):
            j = int(name[1]) - 1
            w1, w2, b = (f"w1{j + 1}", f"w2{j + 1}", f"b{j + 1}")
            return (f"<b>Forward, hidden neuron {j + 1}</b><br>z = x1·{w1} + x2·{w2} + {b} = "
                    f"{_n(m.x1)}·{_n(getattr(m, w1))} + {_n(m.x2)}·{_n(getattr(m, w2))} + "
                    f"{_n(getattr(m, b))} = <b>{v['z1'][j]:.4f}</b><br>"
                    f"{name} = {act}(z) = <b>{v['h'][j]:.4f}</b>")
        if name == "o":
            return (f"<b>Forward, output</b><br>z = h1·v1 + h2·v2 + c = {_n(v['h'][0])}·"
                    f"{_n(m.v1)} + {_n(v['h'][1])}·{_n(m.v2)} + {_n(m.c)} = "
                    f"<b>{v['z2']:.4f}</b><br>o = {act}(z) = <b>{v['o']:.4f}</b>")
        if name == "loss":
            return (f"<b>Loss</b><br>L = ½(o − t)² = ½·({v['o']:.4f} − {m.target:g})² = "
                    f"<b>{v['loss']:.5f}</b>")
        if name == "delta_out":
            return (f"<b>Backward, output</b> (chain rule: ∂L/∂z = ∂L/∂o · ∂o/∂z)<br>"
                    f"∂L/∂o = o − t = <b>{v['dL_do']:.4f}</b><br>"
                    f"∂o/∂z = {slope(v['o'])} = <b>{v['do_dz2']:.4f}</b><br>"
                    f"δ = ∂L/∂z = {v['dL_do']:.4f} · {v['do_dz2']:.4f} = <b>{v['delta2']:.5f}</b>")
        if name == "grads_out":
            return (f"<b>Backward, output weights</b> (∂z/∂v1 = h1, …)<br>"
                    f"∂L/∂v1 = δ · h1 = {v['delta2']:.5f} · {v['h'][0]:.4f} = "
                    f"<b class='pg-grad-v1'>{g['v1']:.5f}</b><br>"
                    f"∂L/∂v2 = δ · h2 = {v['delta2']:.5f} · {v['h'][1]:.4f} = "
                    f"<b>{g['v2']:.5f}</b><br>∂L/∂c = δ · 1 = <b>{g['c']:.5f}</b>")
        if name in ("hidden1", "hidden2"):
            j = int(name[-1]) - 1
            k = j + 1
            return (f"<b>Backward, hidden neuron {k}</b><br>"
                    f"∂L/∂h{k} = δ · v{k} = {v['delta2']:.5f} · {_n(getattr(m, f'v{k}'))} = "
                    f"<b>{v['dL_dh'][j]:.5f}</b><br>"
                    f"∂h{k}/∂z = {slope(v['h'][j])} = <b>{v['dh_dz1'][j]:.4f}</b><br>"
                    f"δ{k} = {v['dL_dh'][j]:.5f} · {v['dh_dz1'][j]:.4f} = "
                    f"<b>{v['delta1'][j]:.5f}</b><br>"
                    f"∂L/∂w1{k} = δ{k} · x1 = <b class='pg-grad-w1{k}'>{g[f'w1{k}']:.5f}</b>, "
                    f"∂L/∂w2{k} = δ{k} · x2 = <b>{g[f'w2{k}']:.5f}</b>, "
                    f"∂L/∂b{k} = <b>{g[f'b{k}']:.5f}</b>")
        new = m.updated()
        rows = []
        for n, (field, index) in PARAM_NAMES.items():
            value = getattr(new, field)
            value = float(value if index is None else value[index])
            rows.append(f"<tr><td>{n}</td><td>{getattr(m, n):.4f}</td><td>{g[n]:+.5f}</td>"
                        f"<td>{value:.4f}</td></tr>")
        return (f"<b>Update</b>: every weight p ← p − η·∂L/∂p with η = {m.learning_rate:g}<br>"
                f'loss before <b>{v["loss"]:.5f}</b> → after <b class="pg-loss-after">'
                f"{m.loss_after():.5f}</b>"
                '<table class="pg-table"><tr><th>p</th><th>before</th><th>∂L/∂p</th>'
                f"<th>after</th></tr>{''.join(rows)}</table>")

    def _nudge(self):
        m = self.model
        r = m.nudge_row()
        w, h = r["value"], r["h"]
        self.nudge_readout.object = (
            f'<div class="pg-readout">{r["name"]} = {w:g} → {w + h:g}: loss {r["loss"]:.5f} → '
            f'{r["loss_plus"]:.5f} ({r["loss_plus"] - r["loss"]:+.5f})<br>'
            f'{r["name"]} = {w:g} → {w - h:g}: loss {r["loss"]:.5f} → {r["loss_minus"]:.5f} '
            f'({r["loss_minus"] - r["loss"]:+.5f})<br>'
            f'slope estimate (L(w+h) − L(w−h)) / 2h = <b class="pg-nudge-slope">'
            f'{r["slope"]:.6f}</b><br>backprop ∂L/∂{r["name"]} = <b>{r["backprop"]:.6f}</b>, '
            f'jax.grad = <b>{r["autodiff"]:.6f}</b></div>')
        rows = []
        for r in m.nudge_table():
            cls = ' class="pg-row-current"' if r["name"] == m.nudge_param else ""
            rows.append(f"<tr{cls}><td>{r['name']}</td><td>{r['value']:g}</td>"
                        f"<td>{r['backprop']:+.6f}</td><td>{r['autodiff']:+.6f}</td>"
                        f"<td>{r['slope']:+.6f}</td><td>{r['rel_error']:.1e}</td></tr>")
        self.nudge_table.object = (
            '<table class="pg-table"><tr><th>weight</th><th>value</th><th>backprop</th>'
            "<th>jax.grad</th><th>nudge ±h</th><th>relative error</th></tr>"
            f"{''.join(rows)}</table>")

    def update(self):
        m = self.model
        v = m.values()
        self._draw(v)
        self.explain.object = (f'<div class="pg-readout pg-bp-text"><small>step {m.stage} of '
                               f"{len(STAGES) - 1}</small><br>{self._explanation(v)}</div>")
        self.back_btn.disabled = m.stage == 0
        self.next_btn.disabled = m.stage == len(STAGES) - 1
        self.apply_btn.disabled = STAGES[m.stage] != "update"
        self._nudge()

    def __panel__(self):
        w = self.weight_inputs
        weights = pn.Column(
            pn.pane.HTML(f"<small>{PARAM_HELP}</small>", margin=(0, 5)),
            pn.Row(w["w11"], w["w21"], w["b1"]), pn.Row(w["w12"], w["w22"], w["b2"]),
            pn.Row(w["v1"], w["v2"], w["c"]),
            pn.Row(*self.example_inputs), pn.Row(self.activation, self.lr))
        walk = pn.Column(pn.Row(self.back_btn, self.next_btn, self.apply_btn), self.fig,
                         self.explain)
        nudge = pn.Column(
            pn.pane.HTML('<div class="pg-section-title">Nudge a weight</div>'
                         "<small>Move one weight by ±h and measure the loss again: the slope "
                         "estimate approaches backprop's gradient as h shrinks.</small>",
                         margin=(0, 5), width=440),
            pn.Row(self.nudge_param, pn.Column(pn.pane.HTML('nudge by ± h', margin=(0, 8)), self.nudge_h)), self.nudge_readout, self.nudge_table)
        # side by side where the screen is wide enough, the weights under the walk elsewhere
        return pn.FlexBox(walk, pn.Column(weights, nudge), flex_wrap="wrap", margin=0)
