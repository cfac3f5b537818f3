"""Play / pause, step, reset, speed, the epoch counter and the status line."""
from __future__ import annotations

import panel as pn
import param

from ..state.run import Run
from .binding import tip


class TrainingControls(pn.viewable.Viewer):
    """Buttons and readouts of the training loop; the loop itself is the app's."""

    run = param.ClassSelector(class_=Run)
    playing = param.Boolean(default=False, doc="Whether training runs continuously.")
    speed = param.Integer(default=1, bounds=(1, 50), doc=(
        "Epochs trained between two frames. More is faster but the picture moves in jumps."))

    def __init__(self, run: Run, **params):
        super().__init__(run=run, **params)
        self.play = pn.widgets.Button(name="Play", button_type="primary",
                                      width=110, description="Start or pause training.")
        self.play.on_click(lambda e: setattr(self, "playing", not self.playing))
        self.step = pn.widgets.Button(name="Step", width=90,
                                      button_type="light",
                                      description="Train exactly one epoch, then stop.")
        self.reset = pn.widgets.Button(name="↺ Reset", width=90,
                                       button_type="light",
                                       description="Start again from fresh random weights "
                                                   "(same data, same seed).")
        self.speed_slider = pn.widgets.IntSlider.from_param(
            self.param.speed, name="Epochs per frame", width=160)
        self.epoch = pn.pane.HTML(margin=(0, 10))
        self.status = pn.pane.Alert("", alert_type="warning", visible=False, margin=(0, 5),
                                    width=560)
        self.param.watch(lambda e: self._show_playing(), "playing")
        self._show_playing()

    def _show_playing(self):
        self.play.name = "Pause" if self.playing else "Play"

    def show_message(self, text: str, kind: str = "warning"):
        self.status.object = text
        self.status.alert_type = kind
        self.status.visible = bool(text)

    def update(self):
        self.epoch.object = (f'<div class="pg-epoch"><small>Epoch</small>'
                             f'{self.run.epoch:07,d}</div>')

    def __panel__(self):
        return pn.Column(pn.Row(self.reset, self.play, self.step, self.epoch,
                                tip(self.speed_slider, self.param.speed.doc), margin=0), self.status)
