"""The top bar and the big plot say what is going on: the hint follows Play, a schedule's
rate in force is shown, long messages are not cut, the plot says what it shows."""
from __future__ import annotations

import pytest

from playground.ui import PlaygroundApp
from playground.ui.controls import HINT_PAUSED, HINT_PLAYING


@pytest.fixture
def app():
    return PlaygroundApp()


def test_the_hint_follows_play_and_pause(app):
    assert HINT_PAUSED in app.controls.status.object
    app.controls.playing = True
    assert HINT_PLAYING in app.controls.status.object and "Press Play" not in \
        app.controls.status.object
    app.controls.show_message("Diverged", "danger")
    app.controls.playing = False               # a message stays until the next one
    assert "Diverged" in app.controls.status.object
    app.controls.show_message("")
    assert HINT_PAUSED in app.controls.status.object


def test_a_long_message_is_shown_whole(app):
    text = "This link had problems: " + "; ".join(f"setting{i}=x is not valid" for i in range(12))
    app.controls.show_message(text, "warning")
    assert app.controls.status.height is None          # grows with its text, never clipped
    assert "setting11=x" in app.controls.status.object


def test_play_and_step_tooltips_open_below_the_buttons(app):
    for button in (app.controls.play, app.controls.step):
        assert button.description.position == "bottom"       # not over the epoch counter
        assert button.description.content


def test_a_schedule_shows_the_rate_in_force():
    app = PlaygroundApp(query="?schedule=cosine&schedule_epochs=50&learning_rate=0.1")
    app.refresh()
    assert "now 0.1" in app.hyper.live_rate.object
    app.run.train(30)
    app.refresh()
    rate = app.run.current_lr()
    assert 0.01 < rate < 0.1 and f"now {rate:.3g}" in app.hyper.live_rate.object
    assert "cosine" in app.hyper.live_rate.object.lower()
    app.run.schedule = "constant"
    app.refresh()
    assert app.hyper.live_rate.object == ""


def test_the_big_plot_says_what_it_shows(app):
    assert "network's prediction" in app.output.caption.object
    app.diagram.selected_neuron = (0, 1)
    assert "neuron 2 of layer 1" in app.output.caption.object
    app.diagram.selected_neuron = None
    app.refresh()
    assert "network's prediction" in app.output.caption.object
    app.run.dataset = "sine"
    app.refresh()
    assert "curve" in app.output.caption.object


def test_the_first_click_on_the_plot_says_the_data_are_now_yours(app):
    n = len(app.run.y_train)
    app.output.on_click(1.0, 1.0, False)
    assert app.run.dataset == "own" and len(app.run.y_train) == n + 1
    assert "your own data" in app.controls.message and "Circle" in app.controls.message
    app.controls.show_message("")
    app.output.on_click(2.0, 1.0, False)                 # later clicks just add points
    assert app.controls.message == "" and len(app.run.y_train) == n + 2
