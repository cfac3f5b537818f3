"""The parameter table <-> URL query round trip, hostile links, and the presets."""
import math

import numpy as np
import pytest

from playground import Run, urlstate
from playground.state.presets import PRESETS


def test_table_is_the_runs_parameter_list():
    assert list(urlstate.TABLE) == Run._settings()
    assert urlstate.to_query(Run().settings()) == {}          # defaults make a bare link
    assert {"schedule", "schedule_epochs", "cycle_mult", "step_factor"} <= set(urlstate.TABLE)
    query = urlstate.to_query(Run(schedule="cosine").settings())
    assert query == {"schedule": "cosine"}                    # only what differs


@pytest.mark.parametrize("settings", [
    dict(dataset="xor", hidden=[8, 3], learning_rate=0.1, features=["x1", "x1x2"]),
    dict(dataset="sine", hidden=[], features=["x1", "sin_x1"], optimizer="adam", noise=25.0),
    dict(dataset="spiral", hidden=[16] * 8, activation="gelu", regularization="l2",
         reg_rate=0.003, batch_size=64, train_ratio=0.3, seed=12345, stop_epoch=500,
         patience=40, loss="cross_entropy"),
    dict(dataset="xor", schedule="sgdr", schedule_epochs=7, cycle_mult=3, learning_rate=0.3),
    dict(schedule="step", schedule_epochs=5, step_factor=0.25),
])
def test_round_trip_gives_the_same_setup_and_the_same_numbers(settings):
    run = Run(**settings)
    search = urlstate.to_search(run.settings())
    parsed, view, notices = urlstate.from_query(search)
    assert notices == [] and view == urlstate.View()
    again = Run()
    assert urlstate.apply(again, parsed) == []
    assert again.settings() == run.settings()
    run.train(20)
    again.train(20)
    assert again.metrics() == run.metrics()                   # same seed, same numbers


HOSTILE = {
    "learning_rate": ["abc", "-1", "0", "nan", "inf", "1e400", "11", ""],
    "hidden": ["-3", "4,0", "17", "1.5", ",".join(["1"] * 100), "a,b", "4;2"],
    "batch_size": ["0", "65", "1e9", "3.5", "ten"],
    "dataset": ["<script>alert(1)</script>", "circles", "", "CIRCLE"],
    "features": ["x9", "x1,<b>", "__class__"],
    "seed": ["-1", "1e30", "0x10"],
    "noise": ["51", "-5", "nan"],
    "train_ratio": ["0", "0.95", "5"],
    "activation": ["softmax", "relu;drop"],
    "stop_epoch": ["-1", "1e12"],
    "schedule": ["warm", "<b>cosine</b>", "COSINE", ""],
    "schedule_epochs": ["0", "-5", "2.5", "1e9", "nan"],
    "cycle_mult": ["0", "5", "1.5", "two"],
    "step_factor": ["0", "1.5", "-0.5", "inf"],
}


@pytest.mark.parametrize("key,text", [(k, t) for k, ts in HOSTILE.items() for t in ts])
def test_hostile_values_fall_back_with_a_notice(key, text):
    settings, view, notices = urlstate.from_query({key: [text]})
    assert key not in settings
    assert len(notices) == 1 and notices[0].startswith(f"{key}=")
    assert "using" in notices[0]
    run = Run()
    urlstate.apply(run, settings)
    assert run.settings() == Run().settings()


def test_unknown_keys_long_values_and_bytes():
    settings, _, notices = urlstate.from_query({"bogus": ["1"], b"x" * 5000: [b"y"],
                                                "dataset": [b"xor"], "noise": ["1" * 500]})
    assert settings == {"dataset": "xor"}
    assert len(notices) == 3
    assert all(len(n) < 300 for n in notices)


def test_view_options_and_presets():
    settings, view, notices = urlstate.from_query(
        "?preset=fit-sine&hide=features,optimizer,nonsense&projector=1&learning_rate=0.003")
    assert view.hide == ("features", "optimizer") and view.projector
    assert view.preset == "fit-sine"
    assert settings["dataset"] == "sine" and settings["learning_rate"] == 0.003
    assert notices == ["cannot hide 'nonsense'"]
    assert "hide=features,optimizer" in urlstate.to_search({}, view)
    _, _, notices = urlstate.from_query("?preset=nope")
    assert notices == ["unknown lesson 'nope' ignored"]


def test_conflicting_link_values_are_adjusted_not_fatal():
    settings, _, notices = urlstate.from_query("?dataset=plane&loss=cross_entropy")
    assert notices == []
    run = Run()
    urlstate.apply(run, settings)
    assert run.dataset == "plane" and run.loss == "mse"     # regression needs mse


# ---------------------------------------------------------------- presets teach
def _train(settings, epochs, chunk=50):
    run = Run(**settings)
    run.tier = "exact"
    for _ in range(epochs // chunk):
        run.train(chunk)
    return run


def test_every_preset_is_a_valid_setup_with_two_lines_of_text():
    for key, preset in PRESETS.items():
        Run(**preset.settings)
        assert len(preset.title) < 45 and 60 < len(preset.try_this) < 260, key
    assert len(PRESETS) == 7


def test_preset_linear_xor_stays_near_chance_and_the_circle_features_win():
    assert _train(PRESETS["xor-linear"].settings, 200).metrics()["test_accuracy"] < 0.7
    assert _train(PRESETS["circle-features"].settings, 150).metrics()["test_accuracy"] >= 0.95


def test_preset_too_high_learning_rate_diverges():
    run = _train(PRESETS["lr-too-high"].settings, 100)
    assert run.status == "diverged"


def test_preset_overfitting_test_loss_turns_up_while_train_falls():
    run = _train(PRESETS["overfitting"].settings, 200, chunk=10)
    h = run.history
    best = int(np.argmin(h["test_loss"]))
    assert h["test_loss"][-1] > 1.2 * h["test_loss"][best]
    assert h["train_loss"][-1] < h["train_loss"][best]


def test_presets_logistic_and_sine_and_spiral_learn():
    assert _train(PRESETS["logistic-regression"].settings, 100).metrics()["test_accuracy"] >= 0.95
    sine = _train(PRESETS["fit-sine"].settings, 200)
    assert sine.metrics()["test_loss"] < 0.01
    spiral = _train(PRESETS["spiral-depth"].settings, 300)
    assert spiral.metrics()["test_accuracy"] >= 0.85
    assert all(math.isfinite(v) for v in spiral.metrics().values())


def test_stop_conditions():
    run = Run(stop_epoch=25)
    for _ in range(5):
        run.train(10)
    assert run.epoch == 25 and run.status == "stopped" and "limit" in run.message
    run.stop_epoch = 40
    run.train(100)
    assert run.epoch == 40
    over = Run(**{**PRESETS["overfitting"].settings, "patience": 30})
    for _ in range(60):
        over.train(10)
        if over.status == "stopped":
            break
    assert over.status == "stopped" and "not improved" in over.message
    stopped_at = over.epoch
    over.train(10)                   # going on is allowed: patience counts afresh
    assert over.epoch == stopped_at + 10 and over.status == "trained"


def test_per_layer_activations_round_trip_and_global_reset():
    run = Run(hidden=[4, 3, 2], activation="sigmoid")
    run.set_layer_activation(0, "gelu")
    assert run.arch.activations == ("gelu", "sigmoid", "sigmoid")
    settings, _, notices = urlstate.from_query(urlstate.to_search(run.settings()))
    again = Run()
    urlstate.apply(again, settings)
    assert notices == [] and again.arch.activations == run.arch.activations
    again.activation = "relu"                  # the global picker sets every layer
    assert again.activations == [] and again.arch.activations == ("relu",) * 3
    with pytest.raises(ValueError, match="layer"):
        again.set_layer_activation(3, "tanh")
