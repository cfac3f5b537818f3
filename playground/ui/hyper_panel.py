"""Hyperparameters: learning rate, activation, optimizer, loss, regularisation."""
from __future__ import annotations

import panel as pn
import param

from ..engine.lr import SCHEDULE_TITLES
from ..state.run import LEARNING_RATES, REG_RATES, Run
from .binding import link
from .labels import ACTIVATION_LABELS
from .frames import LiveHTML

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

        def select(label, name, options, width, **kw):
            w = pn.widgets.Select(label=label, options=options, width=width,
                                  margin=(2, 4), description=Run.param[name].doc)
            return link(w, run, name, on_error, **kw)

        inverse = lambda d: {v: k for k, v in d.items()}
        self.widgets = [
            select("Learning rate", "learning_rate", lr_opts, 96,
                   to_widget=lambda v: _nearest(lr_opts, v)),
            select("Activation", "activation", inverse(ACTIVATION_LABELS), 112),
            select("Optimizer", "optimizer", inverse(OPTIMIZER_LABELS), 112),
            select("Loss", "loss", inverse(LOSS_LABELS), 136),
            select("Regularization", "regularization", inverse(REG_LABELS), 112),
            select("Regularization rate", "reg_rate", reg_opts, 136,
                   to_widget=lambda v: _nearest(reg_opts, v)),
        ]
        self.by_name = dict(zip(("learning_rate", "activation", "optimizer", "loss",
                                 "regularization", "reg_rate"), self.widgets))
        # under a schedule the rate in force is not the menu's: shown under the menu
        self.live_rate = LiveHTML(margin=(0, 6), width=96, height=16)
        self.rate_column = pn.Column(self.widgets[0], self.live_rate, margin=0)
        self.update()

    def update(self):
        """The learning rate the next epoch trains with, while a schedule changes it."""
        run = self.run
        self.live_rate.show("" if run.schedule == "constant" else
                            f'<div class="pg-live-rate" title="The learning rate in force now: '
                            f'the {SCHEDULE_TITLES[run.schedule].lower()} schedule changes it '
                            f'every epoch">now '
                            f'{run.current_lr():.3g}</div>')

    def __panel__(self):
        return pn.Row(self.rate_column, *self.widgets[1:], margin=0)

