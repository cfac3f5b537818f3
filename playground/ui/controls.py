"""Play / pause, step, reset, speed, the epoch counter and the status line."""
from __future__ import annotations

import html

import panel as pn
import param

from ..state.run import Run
from .binding import tip, tooltip_below
from .frames import LiveHTML


HINT_PAUSED = "Press Play to train, or Step for one epoch at a time."
HINT_PLAYING = "Training… Pause stops it, Step then trains one epoch at a time."
HINT_SHARED = ("Training at a shared pace: other pages train too, so this heavy network "
               "takes turns.")


class TrainingControls(pn.viewable.Viewer):
    """Buttons and readouts of the training loop; the loop itself is the app's."""

    run = param.ClassSelector(class_=Run)
    playing = param.Boolean(default=False, doc="Whether training runs continuously.")
    message = param.String(default="", doc="The message the status box shows now.")
    message_kind = param.String(default="", doc="info, warning or danger ('' for none).")
    shared = param.Boolean(default=False, doc=(
        "Whether the server is holding this page's training back to its fair share."))
    speed = param.Integer(default=1, bounds=(1, 50), doc=(
        "Epochs trained between two frames. More is faster but the picture moves in jumps."))

    def __init__(self, run: Run, **params):
        super().__init__(run=run, **params)
        self.play = pn.widgets.Button(label="Play", color="primary",
                                      width=84, description=tooltip_below("Start or pause training."))
        self.play.on_click(lambda e: setattr(self, "playing", not self.playing))
        self.step = pn.widgets.Button(label="Step", width=64,
                                      color="light",
                                      description=tooltip_below(
                                          "Train exactly one epoch, then stop."))
        self.reset = pn.widgets.Button(label="↺ Reset", width=80,
                                       color="light",
                                       description="Start again from fresh random weights "
                                                   "(same data, same seed).")
        self.speed_slider = pn.widgets.IntSlider.from_param(
            self.param.speed, label="Epochs per frame", width=130)
        self.speed_row = tip(self.speed_slider, self.param.speed.doc)
        self.epoch = LiveHTML(margin=(0, 10))
        # the whole message, on as many lines as it needs, across the top of the page
        self.status = LiveHTML(margin=(2, 5), sizing_mode="stretch_width")
        self.show_message("")
        self.param.watch(lambda e: self._show_playing(), ["playing", "shared"])
        self._show_playing()

    def _show_playing(self):
        self.play.label = "Pause" if self.playing else "Play"
        if not self.message:                # the hint says what the buttons do now
            self.show_message("")

    def show_message(self, text: str, kind: str = "info"):
        """Show a message in the status box (kind: info, warning, danger); "" shows a hint."""
        if not text:
            text = (HINT_PAUSED if not self.playing else
                    HINT_SHARED if self.shared else HINT_PLAYING)
            kind = "hint"
        self.status.show(f'<div class="pg-status pg-status-{kind}">{html.escape(text)}</div>')
        self.message, self.message_kind = ("", "") if kind == "hint" else (text, kind)

    def update(self):
        self.epoch.show(f'<div class="pg-epoch"><small>Epoch</small>{self.run.epoch:07,d}</div>')

    def __panel__(self):
        # the status line is placed by the page, on a line of its own
        return pn.Row(self.reset, self.play, self.step, self.epoch, self.speed_row, margin=0)
