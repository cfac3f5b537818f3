"""FEATURES and HIDDEN LAYERS: what the network sees and how big it is."""
from __future__ import annotations

import panel as pn
import param

from ..engine import features, mlp
from ..state.run import Run
from .binding import link
from .frames import LiveHTML
from .prompt import prompt
from .hyper_panel import ACTIVATION_LABELS

DROPOUT_OPTIONS = {"drop 0%": 0.0, "drop 10%": 0.1, "drop 20%": 0.2, "drop 30%": 0.3,
                   "drop 50%": 0.5}
SMALL_SELECT = "select.bk-input { font-size: 12px !important; padding: 2px 14px 2px 4px; }"
LAYER_WIDTH = 90       # one layer's controls; they wrap four to a row in the middle column
LAYERS_PER_ROW = 4


# a layer's column is hidden by its inline style, not by ``visible``: BokehJS lays the
# whole page out again (every plot and control, 55-110 ms on a 2-core machine) when a
# model's visibility changes, and applies an inline style alone; the columns sit in a
# CSS flex box, so the browser moves the rest without it
HIDDEN = {"display": "none"}
SHOWN = {"display": ""}                 # the inline display taken off: the column's own


class _LayerControls:
    """The controls of hidden layer ``i``: built once and kept, so a click on "+" is never
    lost to a button that was replaced while the click was on its way (hidden while the
    network has fewer layers)."""

    def __init__(self, panel: "NetworkPanel", i: int):
        self.i = i
        self.plus = pn.widgets.Button(label="+", width=30, margin=(0, 1), color="light",
                                      description=f"Add a neuron to layer {i + 1}.")
        self.minus = pn.widgets.Button(label="−", width=30, margin=(0, 1), color="light",
                                       description=f"Remove a neuron from layer {i + 1}.")
        self.plus.on_click(lambda e: panel.resize(i, +1))
        self.minus.on_click(lambda e: panel.resize(i, -1))
        self.label = LiveHTML(margin=(0, 0), width=LAYER_WIDTH - 4)
        self.activation = pn.widgets.Select(
            options={v: k for k, v in ACTIVATION_LABELS.items()}, width=LAYER_WIDTH - 4,
            margin=(1, 2), stylesheets=[SMALL_SELECT],
            description=f"Activation of layer {i + 1} only (the Activation menu above sets "
                        f"every layer).")
        self.dropout = pn.widgets.Select(
            options=DROPOUT_OPTIONS, width=LAYER_WIDTH - 4, margin=(1, 2),
            stylesheets=[SMALL_SELECT],
            description=f"Dropout in layer {i + 1}: while training, switch each neuron off at "
                        "random with this probability (crossed out in the diagram).")
        self.activation.param.watch(lambda e: panel.widget_changed(
            "activation", i, e.new), "value")
        self.dropout.param.watch(lambda e: panel.widget_changed("dropout", i, e.new), "value")
        prompt(self.activation, self.dropout)       # (made after the page, some of them)
        self.column = pn.Column(pn.Row(self.minus, self.plus, margin=(0, 0, 0, 8)), self.label,
                                self.activation, self.dropout, width=LAYER_WIDTH, margin=(0, 1),
                                styles=dict(HIDDEN))

    @property
    def shown(self) -> bool:
        return self.column.styles.get("display") != "none"

    def hide(self):
        if self.shown:
            self.column.styles = dict(HIDDEN)

    def show(self, neurons: int, activation: str, rate: float):
        self.label.show(f'<div class="pg-readout pg-layer-label"><b>{neurons}</b> '
                        f'neuron{"s" if neurons > 1 else ""}</div>')
        self.plus.disabled = neurons >= mlp.MAX_NEURONS
        self.minus.disabled = neurons <= 1
        self.activation.value = activation
        self.dropout.value = rate
        if not self.shown:
            self.column.styles = dict(SHOWN)


class NetworkPanel(pn.viewable.Viewer):
    """Feature checkboxes, add/remove hidden layers, neurons per layer."""

    run = param.ClassSelector(class_=Run)

    def __init__(self, run: Run, on_error, **params):
        super().__init__(run=run, **params)
        self._on_error = on_error
        self.features = pn.widgets.CheckButtonGroup(
            label="Features", color="primary", variant="outline",
            orientation="vertical", description=Run.param.features.doc, width=78,
            margin=(2, 4))
        self._set_feature_options()
        link(self.features, run, "features", on_error, to_param=list, to_widget=list)
        run.param.watch(lambda e: self._set_feature_options(), "dataset")
        self.add_layer = pn.widgets.Button(label="+ Add layer", color="light", width=110,
                                           description="Add a hidden layer (at most 8).")
        self.remove_layer = pn.widgets.Button(label="− Remove layer", width=130,
                                              color="light",
                                              description="Remove the last hidden layer. "
                                                          "With none left, the model is linear.")
        # a layer's change is made on the run's current list when the click arrives, so
        # quick clicks add up instead of repeating the same change
        self.add_layer.on_click(lambda e: self.set_hidden(self.run.hidden + [4]))
        self.remove_layer.on_click(lambda e: self.set_hidden(self.run.hidden[:-1]))
        # built as layers are first added, then kept (shown or hidden) for good
        self._layers: list[_LayerControls] = []
        self._showing = False           # True while the widgets are set from the run
        # four layers to a row: 8 layers side by side would push the output off the screen
        self.layers = pn.FlexBox(flex_wrap="wrap", margin=0,
                                 styles={"max-width": f"{LAYERS_PER_ROW * (LAYER_WIDTH + 2)}px"})
        self.summary = LiveHTML(margin=(6, 5, 0, 5))
        run.param.watch(lambda *e: self._show_layers(),
                        ["hidden", "activation", "activations", "dropout"])
        self.features_column = pn.Column(
            pn.pane.HTML('<div class="pg-section-title">Features</div>', margin=(0, 5)),
            self.features, width=88, margin=0)
        self.layers_column = pn.Column(
            pn.FlexBox(pn.pane.HTML('<div class="pg-section-title">Hidden layers</div>',
                                    margin=(6, 5, 0, 5)),
                       self.add_layer, self.remove_layer, self.summary, flex_wrap="wrap",
                       margin=0),
            self.layers, margin=0, sizing_mode="stretch_width")
        self._show_layers()

    def _set_feature_options(self):
        allowed = features.ONE_D_FEATURES if self.run.one_d else features.FEATURES
        self.features.options = {features.FEATURE_LABELS[f]: f for f in allowed}

    def set_hidden(self, hidden):
        try:
            self.run.hidden = hidden
        except ValueError as exc:
            self._on_error(str(exc))

    def resize(self, layer, delta):
        """Add (+1) or remove (−1) a neuron of hidden layer ``layer``."""
        hidden = list(self.run.hidden)
        if layer < len(hidden):
            hidden[layer] += delta
            self.set_hidden(hidden)

    def widget_changed(self, what: str, layer: int, value):
        """A layer's activation or dropout menu changed (by the student, not by the run)."""
        if self._showing:
            return
        try:
            if what == "activation":
                self.run.set_layer_activation(layer, value)
            else:
                self.run.set_layer_dropout(layer, value)
        except ValueError as exc:
            self._on_error(str(exc))
            self._show_layers()

    def _show_layers(self):
        """Set the layer controls from the run: shown for each hidden layer, hidden past it."""
        hidden = self.run.hidden
        acts = self.run.layer_activations()
        rates = [min(DROPOUT_OPTIONS.values(), key=lambda o: abs(o - r))
                 for r in (list(self.run.dropout) + [0.0] * mlp.MAX_LAYERS)[:len(hidden)]]
        # the first row's controls made with the page, a deeper layer's when first added:
        # showing built controls is a style; adding them lays the page out again
        wanted = max(len(hidden), LAYERS_PER_ROW)
        if wanted > len(self._layers):
            new = [_LayerControls(self, i) for i in range(len(self._layers), wanted)]
            self._layers += new
            self.layers.extend([c.column for c in new])
        self._showing = True
        try:
            for i, controls in enumerate(self._layers):
                if i < len(hidden):
                    controls.show(hidden[i], acts[i], rates[i])
                else:
                    controls.hide()
        finally:
            self._showing = False
        n = len(hidden)
        self.add_layer.disabled = n >= mlp.MAX_LAYERS
        self.remove_layer.disabled = n == 0
        self.summary.show(f'<div class="pg-readout pg-layer-count"><b>{n}</b> hidden layer'
                          f'{"s" if n != 1 else ""}'
                          f'{" — a linear model" if n == 0 else ""}</div>')

    @property
    def shown_layers(self) -> list:
        """The layer controls on the page now (one column per hidden layer)."""
        return [c.column for c in self._layers if c.shown]

    def __panel__(self):
        return pn.Row(self.features_column, self.layers_column)
