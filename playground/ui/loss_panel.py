"""The loss curve (train and test) and the numbers above it."""
from __future__ import annotations

import math
import time

import panel as pn
import param
from bokeh.models import ColumnDataSource

from ..state.run import Run
from . import theme
from ..server import wire
from .binding import tip
from .formatting import readout_text
from .describe import PLOT_LABELS
from .frames import LiveHTML
from .line_canvas import LineCanvas

LOSS_KEYS = ("epoch", "train_loss", "test_loss")
ACCURACY_KEYS = ("epoch", "train_accuracy", "test_accuracy")
LOSS_HEIGHT = 96       # a small curve over the big plot, as TensorFlow Playground has it
ACCURACY_HEIGHT = 110
ACCURACY_S = 0.25      # while training the accuracy curve moves at most this often


class LossCurve(pn.viewable.Viewer):
    """Streams only the new points of the run's history into the plots, which the browser
    draws on canvases of their own (ui/line_canvas.py): the loss curve (a sparkline) and
    the accuracy curve (with axes)."""

    run = param.ClassSelector(class_=Run)
    log_scale = param.Boolean(default=False, doc=(
        "Logarithmic loss axis: shows progress when the loss is already small."))

    def __init__(self, run: Run, **params):
        super().__init__(run=run, **params)
        # two sources: the loss curve moves every frame, the accuracy curve (further down
        # the page) on full frames only, and a change to one does not redraw the other
        self.source = ColumnDataSource({k: [] for k in LOSS_KEYS})
        self.acc_source = ColumnDataSource({k: [] for k in ACCURACY_KEYS})
        # a sparkline, as TensorFlow Playground draws it: the readout above gives the numbers
        self.curve = LineCanvas(self.source, "epoch",
                                [("test_loss", theme.TEST_COLOR, "test"),
                                 ("train_loss", theme.TRAIN_COLOR, "train")],
                                width=320, height=LOSS_HEIGHT, css_class="pg-loss-plot",
                                label=PLOT_LABELS["pg-loss-plot"],
                                filename="playground-loss.png")
        self.pane = pn.pane.Bokeh(self.curve.host, margin=0)
        # the accuracy curve, with axes (0 to 100 %): the loss curve's legend names its lines
        self.acc_curve = LineCanvas(self.acc_source, "epoch",
                                    [("test_accuracy", theme.TEST_COLOR, "test"),
                                     ("train_accuracy", theme.TRAIN_COLOR, "train")],
                                    width=320, height=ACCURACY_HEIGHT,
                                    css_class="pg-accuracy-plot",
                                    label=PLOT_LABELS["pg-accuracy-plot"],
                                    filename="playground-accuracy.png", y_range=(0, 1.02),
                                    axes=("epoch", "accuracy", True), legend=False)
        self.acc_pane = pn.pane.Bokeh(self.acc_curve.host, margin=0)
        self.readout = LiveHTML(margin=(0, 5))
        self.log_toggle = theme.checkbox(self.param.log_scale, "Log scale")
        self.param.watch(lambda e: setattr(self.curve, "log", e.new), "log_scale")
        self.log_row = tip(self.log_toggle, self.param.log_scale.doc)
        self._sent = {"loss": 0, "accuracy": 0}
        self._version = {"loss": None, "accuracy": None}
        self.clock = time.monotonic
        self._accuracy_stale = True
        self._accuracy_at = -math.inf           # when the accuracy curve last moved (s)
        self.update()

    def install(self, doc) -> None:
        """Draw the loss and accuracy curves as soon as the page is ready."""
        self.curve.install(doc)
        self.acc_curve.install(doc)

    def update(self, light: bool = False):
        """Stream the new epochs into the loss curve and, unless ``light``, the accuracy
        curve (at once after a reset, else at most every ACCURACY_S: see ``flush``); the
        readout above them."""
        self._stream("loss", self.source, LOSS_KEYS)
        if not light:
            self._accuracy_stale = True
            self.flush()
        if self.acc_pane.visible != self.run.classification:
            self.acc_pane.visible = self.run.classification
        self.readout.show(readout_text(self.run.metrics()))

    @property
    def waiting(self) -> bool:
        """True while the accuracy curve has epochs that wait for ``flush``."""
        return self._accuracy_stale

    def flush(self):
        """Stream the accuracy curve's waiting epochs if ACCURACY_S has passed since it
        last moved, or at once after a reset (call it every frame). The accuracy curve
        moves slowly: 4 times a second while training is enough, and sends less."""
        if not self._accuracy_stale:
            return
        now = self.clock()
        if (self._version["accuracy"] == self.run.history_version
                and now - self._accuracy_at < ACCURACY_S):
            return
        self._accuracy_stale = False
        self._accuracy_at = now
        self._stream("accuracy", self.acc_source, ACCURACY_KEYS)

    def _stream(self, name: str, source, keys):
        h = self.run.history
        n = len(h["epoch"])
        if self._version[name] != self.run.history_version:  # reset or thinned: all of it
            self._version[name] = self.run.history_version
            source.data = {k: list(h[k]) for k in keys}
        elif n > self._sent[name]:
            wire.stream_columns(source, {k: h[k][self._sent[name]:] for k in keys})
        self._sent[name] = n

    def __panel__(self):
        return pn.Column(self.readout, self.pane, self.log_row, self.acc_pane,
                         sizing_mode="stretch_width")
