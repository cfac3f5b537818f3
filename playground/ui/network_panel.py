"""FEATURES and HIDDEN LAYERS: what the network sees and how big it is."""
from __future__ import annotations

import panel as pn
import param

from ..engine import features, mlp
from ..state.run import Run
from .binding import link
from .hyper_panel import ACTIVATION_LABELS

LAYERS_PER_ROW = 4
DROPOUT_OPTIONS = {"drop 0%": 0.0, "drop 10%": 0.1, "drop 20%": 0.2, "drop 30%": 0.3,
                   "drop 50%": 0.5}


class NetworkPanel(pn.viewable.Viewer):
    """Feature checkboxes, add/remove hidden layers, neurons per layer."""

    run = param.ClassSelector(class_=Run)

    def __init__(self, run: Run, on_error, **params):
        super().__init__(run=run, **params)
        self._on_error = on_error
        self.features = pn.widgets.CheckButtonGroup(
            label="Features", color="primary", variant="outline",
            orientation="vertical", description=Run.param.features.doc, width=110)
        self._set_feature_options()
        link(self.features, run, "features", on_error, to_param=list, to_widget=list)
        run.param.watch(lambda e: self._set_feature_options(), "dataset")
        self.add_layer = pn.widgets.Button(label="+ Add layer", color="light",
                                           description="Add a hidden layer (at most 8).")
        self.remove_layer = pn.widgets.Button(label="− Remove layer",
                                              color="light",
                                              description="Remove the last hidden layer. "
                                                          "With none left, the model is linear.")
        self.add_layer.on_click(lambda e: self._set_hidden(run.hidden + [4]))
        self.remove_layer.on_click(lambda e: self._set_hidden(run.hidden[:-1]))
        # at most LAYERS_PER_ROW layer columns side by side: 8 layers in one row pushed the
        # output column past the right edge of a 1440-pixel screen
        self.layers = pn.GridBox(ncols=LAYERS_PER_ROW, margin=0)
        self.summary = pn.pane.HTML(margin=(0, 5))
        run.param.watch(lambda *e: self._build_layers(),
                        ["hidden", "activation", "activations", "dropout"])
        self._build_layers()

    def _set_feature_options(self):
        allowed = features.ONE_D_FEATURES if self.run.one_d else features.FEATURES
        self.features.options = {features.FEATURE_LABELS[f]: f for f in allowed}

    def _set_hidden(self, hidden):
        try:
            self.run.hidden = hidden
        except ValueError as exc:
            self._on_error(str(exc))

    def _resize(self, layer, delta):
        hidden = list(self.run.hidden)
        hidden[layer] += delta
        self._set_hidden(hidden)

    def _set_activation(self, layer, name):
        try:
            self.run.set_layer_activation(layer, name)
        except ValueError as exc:
            self._on_error(str(exc))

    def _set_dropout(self, layer, rate):
        try:
            self.run.set_layer_dropout(layer, rate)
        except ValueError as exc:
            self._on_error(str(exc))

    def _build_layers(self):
        cols = []
        acts = self.run.layer_activations()
        rates = [min(DROPOUT_OPTIONS.values(), key=lambda o: abs(o - r))
                 for r in (list(self.run.dropout) + [0.0] * 8)[:len(self.run.hidden)]]
        for i, h in enumerate(self.run.hidden):
            plus = pn.widgets.Button(label="+", width=34, margin=(0, 1), color="light",
                                     description=f"Add a neuron to layer {i + 1}.",
                                     disabled=h >= mlp.MAX_NEURONS)
            minus = pn.widgets.Button(label="−", width=34, margin=(0, 1), color="light",
                                      description=f"Remove a neuron from layer {i + 1}.",
                                      disabled=h <= 1)
            plus.on_click(lambda e, i=i: self._resize(i, +1))
            minus.on_click(lambda e, i=i: self._resize(i, -1))
            label = pn.pane.HTML(f'<div class="pg-readout" style="text-align:center">'
                                 f'layer {i + 1}<br><b>{h}</b> neuron{"s" if h > 1 else ""}</div>',
                                 margin=(0, 2), width=70)
            act = pn.widgets.Select(options={v: k for k, v in ACTIVATION_LABELS.items()},
                                    value=acts[i], width=86, margin=(0, 2),
                                    description=f"Activation of layer {i + 1} only (the "
                                                f"Activation menu above sets every layer).")
            act.param.watch(lambda e, i=i: self._set_activation(i, e.new), "value")
            drop = pn.widgets.Select(options=DROPOUT_OPTIONS, value=rates[i], width=86,
                                     margin=(2, 2),
                                     description=f"Dropout in layer {i + 1}: while training, "
                                                 "switch each neuron off at random with this "
                                                 "probability (crossed out in the diagram).")
            drop.param.watch(lambda e, i=i: self._set_dropout(i, e.new), "value")
            cols.append(pn.Column(pn.Row(plus, minus, margin=0), label, act, drop,
                                  margin=(0, 2)))
        self.layers.objects = cols
        n = len(self.run.hidden)
        self.add_layer.disabled = n >= mlp.MAX_LAYERS
        self.remove_layer.disabled = n == 0
        self.summary.object = (f'<div class="pg-readout"><b>{n}</b> hidden layer'
                               f'{"s" if n != 1 else ""}'
                               f'{" — a linear model" if n == 0 else ""}</div>')

        self.features_column = pn.Column(
            pn.pane.HTML('<div class="pg-section-title">Features</div>'
                         '<div class="pg-readout">Which inputs feed in?</div>', margin=(0, 5)),
            self.features, width=130)
        self.layers_column = pn.Column(
            pn.pane.HTML('<div class="pg-section-title">Hidden layers</div>', margin=(0, 5)),
            pn.Row(self.add_layer, self.remove_layer, margin=0), self.summary, self.layers,
            min_width=320)

    def __panel__(self):
        return pn.Row(self.features_column, self.layers_column)
