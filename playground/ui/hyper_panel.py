"""Hyperparameters: learning rate, activation, optimizer, loss, regularisation."""
from __future__ import annotations

import panel as pn
import param

from ..state.run import LEARNING_RATES, REG_RATES, Run
from .binding import link

ACTIVATION_LABELS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Linear",
                     "leaky_relu": "Leaky ReLU", "elu": "ELU", "gelu": "GELU", "sine": "Sine"}
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "Momentum", "adam": "Adam", "rmsprop": "RMSProp"}
LOSS_LABELS = {"mse": "Squared error", "cross_entropy": "Cross-entropy"}
REG_LABELS = {"none": "None", "l1": "L1", "l2": "L2"}


def _rate_options(values):
    return {f"{v:g}": v for v in values}


def _nearest(options, value):
    return min(options.values(), key=lambda v: abs(v - value))


class HyperPanel(pn.viewable.Viewer):
    """The selects across the top of the page."""

    run = param.ClassSelector(class_=Run)

    def __init__(self, run: Run, on_error, **params):
        super().__init__(run=run, **params)
        lr_opts, reg_opts = _rate_options(LEARNING_RATES), _rate_options(REG_RATES)

        def select(label, name, options, width=130, **kw):
            w = pn.widgets.Select(label=label, options=options, width=width,
                                  description=Run.param[name].doc)
            return link(w, run, name, on_error, **kw)

        inverse = lambda d: {v: k for k, v in d.items()}
        self.widgets = [
            select("Learning rate", "learning_rate", lr_opts, 110,
                   to_widget=lambda v: _nearest(lr_opts, v)),
            select("Activation", "activation", inverse(ACTIVATION_LABELS)),
            select("Optimizer", "optimizer", inverse(OPTIMIZER_LABELS), 120),
            select("Loss", "loss", inverse(LOSS_LABELS), 130),
            select("Regularization", "regularization", inverse(REG_LABELS), 120),
            select("Regularization rate", "reg_rate", reg_opts, 140,
                   to_widget=lambda v: _nearest(reg_opts, v)),
        ]

    def __panel__(self):
        return pn.Row(*self.widgets, margin=0)

