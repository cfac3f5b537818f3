"""The network diagram, drawn as TensorFlow Playground does: a column per layer, each node a
small picture of its output over the input plane, lines coloured by the weight's sign and
as thick as the weight is large. Tap a node to select it, a line or a bias square to edit it."""
from __future__ import annotations

import html

import numpy as np
import panel as pn
import param
from bokeh.events import Tap
from bokeh.models import (ColumnDataSource, CustomJSHover, HoverTool, LinearColorMapper,
                          Range1d)
from bokeh.plotting import figure

from ..engine import features
from ..state import network
from ..state.display import Display
from ..state.run import Run
from . import theme
from .frames import LiveHTML
from ..server import wire
from .binding import event_point
from .sizing import own_width

WIDTH, HEIGHT = 520, 360
HINT = ("Tap a neuron to show it in the big plot; tap a line or a neuron's small bias "
        "square to set its value by hand.")
FEATURE_MEANING = {
    "x1": "the point's left–right position", "x2": "the point's up–down position",
    "x1_sq": "how far left or right of the middle (squared)",
    "x2_sq": "how far above or below the middle (squared)",
    "x1x2": "positive in two opposite quarters, negative in the other two",
    "sin_x1": "stripes that repeat from left to right",
    "sin_x2": "stripes that repeat from bottom to top"}
_SIGN_JS = """
if (format === "meaning") {
  return value >= 0 ? "a positive weight: this input pushes the neuron up"
                    : "a negative weight: this input pushes the neuron down";
}
return isNaN(value) ? "none (inputs have no bias)" : value.toFixed(3);
"""


def _tip(html):
    return f'<div style="max-width:260px;white-space:normal">{html}</div>'


def _empty(*cols):
    return ColumnDataSource({c: [] for c in cols})


class NetworkDiagram(pn.viewable.Viewer):
    """Builds its Bokeh figure once; ``update()`` only replaces source data (and the layout
    columns when the architecture changed)."""

    run = param.ClassSelector(class_=Run)
    selected_neuron = param.Tuple(default=None, allow_None=True, length=2, doc=(
        "(layer, index) of the tapped node (layer -1: inputs, len(hidden): the output), "
        "None when nothing is selected."))
    edited = param.Integer(default=0, doc="Counts the weights and biases set by hand.")

    def __init__(self, run: Run, on_select=None, display: Display | None = None, **params):
        super().__init__(run=run, **params)
        self.display = display or Display()
        self.on_select = on_select        # called with selected_neuron whenever it changes
        self.edges = _empty("xs", "ys", "w", "width", "name")
        self.nodes = _empty("image", "x", "y", "cx", "cy", "dw", "b", "name", "meaning")
        self.biases = _empty("x", "y", "size", "b", "name")
        self.labels = _empty("x", "y", "text")
        self.headers = _empty("x", "y", "text")
        self.selection = _empty("x", "y", "size")
        self.sign_mapper = LinearColorMapper(palette=[theme.ORANGE, theme.BLUE], low=-1, high=1)
        self.node_mapper = LinearColorMapper(palette=theme.PALETTE, low=0, high=255)
        fmt = CustomJSHover(code=_SIGN_JS)

        # drawn in WIDTH × HEIGHT units; the browser sizes it to the middle column
        # (sizing.fit_to_screen), keeping its aspect
        f = figure(width=WIDTH, height=HEIGHT, toolbar_location=None, tools="",
                   css_classes=["pg-diagram"],
                   x_range=Range1d(0, WIDTH), y_range=Range1d(0, HEIGHT), x_axis_type=None,
                   y_axis_type=None, min_border=0, outline_line_color=None)
        f.grid.visible = False
        sign = {"field": "w", "transform": self.sign_mapper}
        edge_r = f.multi_line("xs", "ys", source=self.edges, line_color=sign, line_width="width",
                              line_alpha=0.75, hover_line_alpha=1.0, hover_line_color="#222222")
        f.image(image="image", x="x", y="y", dw="dw", dh="dw", source=self.nodes,
                color_mapper=self.node_mapper)
        self.dropped = _empty("x", "y", "dw")
        f.rect("x", "y", width="dw", height="dw", source=self.dropped, fill_color="#ffffff",
               fill_alpha=0.6, line_alpha=0)
        f.scatter("x", "y", source=self.dropped, marker="x", size=14, line_color="#555555",
                  line_width=2)
        node_r = f.rect("cx", "cy", width="dw", height="dw", source=self.nodes, fill_alpha=0,
                        line_color="#b0b0b0", hover_line_color="#222222", hover_line_width=2)
        bias_r = f.rect("x", "y", width="size", height="size", source=self.biases,
                        fill_color={"field": "b", "transform": self.sign_mapper},
                        line_color="white", line_width=1, hover_line_color="#222222")
        f.rect("x", "y", width="size", height="size", source=self.selection, fill_alpha=0,
               line_color="#222222", line_width=2.5)
        # the words on the overlay canvas: it is painted again only when they change, not
        # at each of the diagram's pictures (a text costs the browser more than the rest)
        f.text("x", "y", "text", source=self.labels, text_align="right", text_baseline="middle",
               text_font_size="12px", text_color="#333333", level="overlay")
        f.text("x", "y", "text", source=self.headers, text_align="center",
               text_baseline="top", text_font_size="11px", text_color="#666666",
               level="overlay")
        f.add_tools(
            HoverTool(renderers=[edge_r], formatters={"@w": fmt}, tooltips=_tip(
                "<b>@name</b><br>weight @w{0.000} — @w{meaning}<br><i>tap to change it</i>")),
            HoverTool(renderers=[node_r], formatters={"@b": fmt}, tooltips=_tip(
                "<b>@name</b><br>bias @b{0.000}<br>@meaning<br><i>tap to show it big</i>")),
            HoverTool(renderers=[bias_r], tooltips=_tip(
                "<b>bias of @name</b>: @b{0.000}<br>added to the weighted sum before the "
                "activation: it shifts where the neuron switches<br><i>tap to change it</i>")))
        f.on_event(Tap, self._on_tap)
        self.figure = f
        self.pane = pn.pane.Bokeh(f, margin=0)

        self.value = pn.widgets.FloatInput(label="New value", value=0.0, step=0.1, width=110,
                                           description="The new value of the weight or bias "
                                                       "(a finite number).")
        self.set_button = pn.widgets.Button(label="Set", color="primary", width=60,
                                            description="Give the selected weight or bias "
                                                        "this value (training pauses).")
        self.close_button = pn.widgets.Button(label="Close", color="light", width=60,
                                              description="Close the editor without changing "
                                                          "anything.")
        self.editor_label = LiveHTML(margin=(2, 10, 0, 10), width=300)
        self.set_button.on_click(lambda e: self.apply_edit())
        self.close_button.on_click(lambda e: self.close_editor())
        self.set_button.align = self.close_button.align = "end"
        self.editor = pn.Column(self.editor_label,
                                pn.FlexBox(self.value, self.set_button, self.close_button,
                                           flex_wrap="wrap", align_items="flex-end", margin=0),
                                margin=0)     # always shown (disabled when idle): no page jump
        self._target = None
        self.locked = False               # no hand edits (a class's teacher locked the page)
        self._key = None
        self._dropped_key = None
        self.layout = None
        self.param.watch(self._selected, "selected_neuron")
        self.display.param.watch(lambda e: self._colour(), "palette")
        self._colour()
        self.update()

    def _colour(self):
        """The weights' and the neurons' colours of the page's palette."""
        c = theme.PALETTES[self.display.palette]
        if list(self.sign_mapper.palette) != c.discrete:
            self.sign_mapper.palette = c.discrete
            self.node_mapper.palette = c.scale

    # -------------------------------------------------------------------- drawing
    def _build(self):
        """New columns for a new architecture: positions, names, labels."""
        arch = self.run.arch
        L = self.layout = network.diagram_layout(arch, WIDTH, HEIGHT)
        s, nf = L["size"], L["sizes"][0]
        names = [network.node_name(arch, l, j)
                 for l, j in zip(L["node_layer"], L["node_index"])]
        meaning = [self._meaning(l, j) for l, j in zip(L["node_layer"], L["node_index"])]
        n = len(names)
        self.nodes.data = {"image": [np.zeros((2, 2), np.uint8)] * n,
                           "x": L["node_x"] - s / 2, "y": L["node_y"] - s / 2,
                           "cx": L["node_x"], "cy": L["node_y"], "dw": np.full(n, s),
                           "b": np.full(n, np.nan, np.float32), "name": names, "meaning": meaning}
        self.edges.data = {"xs": list(L["edge_xs"]), "ys": list(L["edge_ys"]),
                           "w": np.zeros(len(L["edge_layer"]), np.float32),
                           "width": np.ones(len(L["edge_layer"]), np.float32),
                           "name": [f"{network.node_name(arch, l - 1, i)} → "
                                    f"{network.node_name(arch, l, j)}" for l, i, j in
                                    zip(L["edge_layer"], L["edge_i"], L["edge_j"])]}
        self.biases.data = {"x": L["bias_x"], "y": L["bias_y"],
                            "size": np.full(n - nf, L["bias_size"]),
                            "b": np.zeros(n - nf, np.float32), "name": names[nf:]}
        self.labels.data = {"x": L["node_x"][:nf] - s / 2 - 6, "y": L["node_y"][:nf],
                            "text": names[:nf]}
        # "4 neurons" on one line, on two where the columns are close, the bare count where
        # even that would run into the next column's (8 layers on a narrow screen)
        pitch = L["pitch_x"]
        heads = ["Inputs", *(f"{h}{' ' if pitch >= 72 else chr(10)}neuron{'s' if h > 1 else ''}"
                             if pitch >= 48 else str(h) for h in arch.hidden),
                 "Output" if arch.units == 1 else "Classes"]
        self.headers.data = {"x": L["col_x"], "y": np.full(len(heads), HEIGHT - 4.0),
                             "text": heads}
        self.selected_neuron = None
        self.close_editor()

    def _meaning(self, layer, j):
        arch = self.run.arch
        if layer == network.INPUT:
            return FEATURE_MEANING[features.FEATURES[arch.features[j]]]
        if layer == len(arch.hidden) and arch.units > 1:
            return (f"the probability of class {j}: the softmax of the output neurons' "
                    f"weighted sums — blue where class {j} is likely, orange where it is not; "
                    f"click to see it in the big plot")
        if layer == len(arch.hidden):
            return ("the network's answer: a weighted sum of the last column — blue +1, "
                    "orange −1")
        return (f"{arch.activations[layer]} of a weighted sum of the column before: blue where "
                f"it outputs more than 0, orange less")

    def update(self):
        """Push the run's current pictures, weights and biases to the figure."""
        run = self.run
        if self._key != run.arch.static_key:
            self._key = run.arch.static_key
            self._build()
        pics = np.concatenate(network.neuron_thumbnails(run, codes=True))   # uint8 codes
        p = network.layer_weights(run)
        w = np.concatenate([W.ravel() for W in p["W"]])
        b = np.concatenate(p["b"])
        nf = self.layout["sizes"][0]
        wire.set_columns(self.nodes, {"image": list(pics), "b": np.concatenate(
            [np.full(nf, np.nan, np.float32), b])})
        wire.set_columns(self.edges, {"w": w, "width": (0.5 + 4 * np.minimum(np.abs(w), 3) / 3)
                                      .astype(np.float32)})
        wire.set_columns(self.biases, {"b": b})
        off = np.concatenate([np.zeros(nf, bool), *run.dropped_neurons(),
                              np.zeros(run.arch.units, bool)])
        if self._dropped_key != (key := (self._key, off.tobytes())):   # only when it changed
            self._dropped_key = key
            L = self.layout
            self.dropped.data = {"x": L["node_x"][off], "y": L["node_y"][off],
                                 "dw": np.full(int(off.sum()), float(L["size"]))}

    # ---------------------------------------------------------------- interaction
    def _on_tap(self, event):
        point = event_point(event)
        hit = None if point is None else network.element_at(self.layout, *point)
        if hit is None:
            return
        with pn.io.hold():
            if hit[0] == "node":
                sel = hit[1:]
                self.selected_neuron = None if self.selected_neuron == sel else sel
            else:
                self.open_editor(hit)

    def _selected(self, event):
        L, sel = self.layout, event.new
        if sel is None:
            self.selection.data = {"x": [], "y": [], "size": []}
        else:
            k = np.flatnonzero((L["node_layer"] == sel[0]) & (L["node_index"] == sel[1]))[0]
            self.selection.data = {"x": [L["node_x"][k]], "y": [L["node_y"][k]],
                                   "size": [L["size"] + 5]}
        if self.on_select is not None:
            self.on_select(sel)

    def open_editor(self, target):
        """target: ("weight", layer, i, j) or ("bias", layer, j), as element_at returns.
        Nothing while ``locked`` (a class's teacher is demonstrating)."""
        if self.locked:
            return
        arch, p = self.run.arch, network.layer_weights(self.run)
        if target[0] == "weight":
            _, l, i, j = target
            what = (f"Weight {network.node_name(arch, l - 1, i)} → "
                    f"{network.node_name(arch, l, j)}")
            value = p["W"][l][i, j]
        else:
            _, l, j = target
            what, value = f"Bias of {network.node_name(arch, l, j)}", p["b"][l][j]
        self._target, self._what = target, what
        self.value.value = round(float(value), 4)
        self.editor_label.show(f'<div class="pg-readout">{what}</div>')
        self.value.disabled = self.set_button.disabled = self.close_button.disabled = False

    def apply_edit(self):
        """Set the edited weight or bias to the value in the box (errors are shown there)."""
        if self._target is None:
            return
        kind, *where = self._target
        try:
            setter = network.set_weight if kind == "weight" else network.set_bias
            setter(self.run, *where, self.value.value)
        except (ValueError, TypeError, OverflowError) as exc:
            in_use = self._in_use()               # the box shows the value really used
            self.value.value = round(in_use, 4)
            self.editor_label.show(f'<div class="pg-status-danger">{self._what}: not set: '
                                   f'{html.escape(str(exc))}; it stays {in_use:.4g}.</div>')
            return
        with pn.io.hold():      # one message, sent under the document's lock
            self.value.value = round(self._in_use(), 4)
            self.editor_label.show(f'<div class="pg-readout">{self._what}: set to '
                                   f'{self._in_use():.4g}.</div>')
            self.update()
            self.edited += 1

    def _in_use(self) -> float:
        """The value the network has now for the weight or bias in the editor."""
        p, (kind, *where) = network.layer_weights(self.run), self._target
        if kind == "weight":
            l, i, j = where
            return float(p["W"][l][i, j])
        l, j = where
        return float(p["b"][l][j])

    def close_editor(self):
        self._target = None
        self.editor_label.show(f'<div class="pg-readout" style="color:#777">{HINT}</div>')
        self.value.disabled = self.set_button.disabled = self.close_button.disabled = True

    def __panel__(self):
        return pn.Column(self.pane, self.editor, margin=0, sizing_mode="stretch_width",
                         stylesheets=[own_width("100%")])
