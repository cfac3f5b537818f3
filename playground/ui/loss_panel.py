"""The loss curve (train and test) and the numbers above it."""
from __future__ import annotations

import panel as pn
import param
from bokeh.models import ColumnDataSource, NumeralTickFormatter
from bokeh.plotting import figure

from ..state.run import Run
from . import theme, wire
from .binding import tip
from .formatting import readout_text
from .frames import LiveHTML

KEYS = ("epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy")
LOSS_HEIGHT = 96       # a small curve over the big plot, as TensorFlow Playground has it
ACCURACY_HEIGHT = 110


class LossCurve(pn.viewable.Viewer):
    """Streams only the new points of the run's history into the plot."""

    run = param.ClassSelector(class_=Run)
    log_scale = param.Boolean(default=False, doc=(
        "Logarithmic loss axis: shows progress when the loss is already small."))

    def __init__(self, run: Run, **params):
        super().__init__(run=run, **params)
        self.source = ColumnDataSource({k: [] for k in KEYS})
        self.figs = {axis: self._figure(axis) for axis in ("linear", "log")}
        self.pane = pn.pane.Bokeh(self.figs["linear"], margin=0, sizing_mode="stretch_width")
        self.acc_fig = self._accuracy_figure()
        self.acc_pane = pn.pane.Bokeh(self.acc_fig, margin=0, sizing_mode="stretch_width")
        self.readout = LiveHTML(margin=(0, 5))
        self.log_toggle = pn.widgets.Checkbox.from_param(self.param.log_scale,
                                                         label="Log scale")
        self.param.watch(lambda e: setattr(self.pane, "object",
                                           self.figs["log" if e.new else "linear"]), "log_scale")
        self.log_row = tip(self.log_toggle, self.param.log_scale.doc)
        self._sent, self._version = 0, None
        self.update()

    def _figure(self, axis):
        f = figure(width=320, height=LOSS_HEIGHT, toolbar_location=None, y_axis_type=axis,
                   sizing_mode="stretch_width", min_border_top=4, min_border_bottom=4,
                   css_classes=["pg-loss-plot"])
        f.line("epoch", "test_loss", source=self.source, color=theme.TEST_COLOR, line_width=2,
               legend_label="test")
        f.line("epoch", "train_loss", source=self.source, color=theme.TRAIN_COLOR,
               line_width=2, legend_label="train")
        f.legend.location = "top_right"
        f.legend.orientation = "horizontal"
        f.legend.padding = 2
        f.legend.label_text_font_size = "10px"
        f.legend.background_fill_alpha = 0.5
        f.axis.axis_label_text_font_size = "10px"
        return theme.add_save_button(f, "playground-loss")

    def _accuracy_figure(self):
        f = figure(width=320, height=ACCURACY_HEIGHT, toolbar_location=None,
                   y_range=(0, 1.02), x_axis_label="epoch", y_axis_label="accuracy",
                   sizing_mode="stretch_width")
        f.line("epoch", "test_accuracy", source=self.source, color=theme.TEST_COLOR,
               line_width=2)
        f.line("epoch", "train_accuracy", source=self.source, color=theme.TRAIN_COLOR,
               line_width=2)
        f.yaxis.formatter = NumeralTickFormatter(format="0%")
        f.axis.axis_label_text_font_size = "10px"
        return theme.add_save_button(f, "playground-accuracy")

    def update(self):
        h = self.run.history
        n = len(h["epoch"])
        if self._version != self.run.history_version:   # reset or thinned: send it all
            self._version = self.run.history_version
            self.source.data = {k: list(h[k]) for k in KEYS}
        elif n > self._sent:
            wire.stream_columns(self.source, {k: h[k][self._sent:] for k in KEYS})
        self._sent = n
        if self.acc_pane.visible != self.run.classification:
            self.acc_pane.visible = self.run.classification
        self.readout.show(readout_text(self.run.metrics()))

    def __panel__(self):
        return pn.Column(self.readout, self.pane, self.log_row, self.acc_pane,
                         sizing_mode="stretch_width")
