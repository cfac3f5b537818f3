"""A class challenge's goal: its payload checked field by field, the sentence a class reads,
each part checked on plain settings and metrics, and the leaderboard's order."""
from __future__ import annotations

import math
import re

import pytest

from playground.classroom.challenge import (DEFAULT_DATA, MAX_EPOCHS, MAX_LAYERS, Check, Goal)

SPIRAL = {"dataset": "spiral", "metric": "test_accuracy", "target": 0.95, "max_layers": 2,
          "max_neurons": 6, "features": ["x1", "x2"]}


def settings(**over) -> dict:
    """A run's settings (the fields a goal reads) that keep to SPIRAL."""
    s = {"dataset": "spiral", "noise": 0.0, "train_ratio": 0.5, "n_samples": 500,
         "hidden": [6, 4], "features": ["x1", "x2"], "seed": 7}
    s.update(over)
    return s


def metrics(**over) -> dict:
    m = {"epoch": 800, "train_loss": 0.02, "test_loss": 0.03, "train_accuracy": 0.99,
         "test_accuracy": 0.96}
    m.update(over)
    return m


def failing(goal: Goal, s: dict, m: dict) -> list[str]:
    return [c.label for c in goal.check(s, m) if not c.met]


# ------------------------------------------------------------------ from_payload
def test_a_good_payload_gives_the_goal_with_defaults():
    goal = Goal.from_payload({**SPIRAL, "features": ["x2", "x1", "x2"]})
    assert goal == Goal("spiral", "test_accuracy", 0.95, 2, 6, ("x1", "x2"), MAX_EPOCHS,
                        DEFAULT_DATA["noise"], DEFAULT_DATA["train_ratio"],
                        DEFAULT_DATA["n_samples"])
    assert goal.data_settings() == {"dataset": "spiral", "noise": 0.0, "train_ratio": 0.5,
                                    "n_samples": 500}
    assert Goal.from_payload(goal.payload()) == goal            # a round trip
    loss = Goal.from_payload({"dataset": "plane", "metric": "test_loss", "target": 0.05,
                              "noise": 10, "train_ratio": 0.7, "n_samples": 200,
                              "max_epochs": 400})
    assert (loss.metric, loss.target, loss.max_layers, loss.max_neurons, loss.features) == (
        "test_loss", 0.05, None, None, None)
    assert loss.data_settings() == {"dataset": "plane", "noise": 10.0, "train_ratio": 0.7,
                                    "n_samples": 200}
    assert loss.max_epochs == 400
    assert Goal.from_payload({"dataset": "xor", "target": 1}).metric == "test_accuracy"


@pytest.mark.parametrize("payload, message", [
    (None, "a set of fields"),
    ([("dataset", "xor")], "a set of fields"),
    ({"target": 0.9}, "dataset: None is not a data set"),
    ({"dataset": "mnist", "target": 0.9}, "dataset: 'mnist' is not a data set"),
    ({"dataset": "own", "target": 0.9}, "is not a data set"),
    ({"dataset": "xor", "metric": "train_loss", "target": 0.9}, "metric: choose"),
    ({"dataset": "plane", "metric": "test_accuracy", "target": 0.9},
     "plane is a regression data set: its goal is a test loss"),
    ({"dataset": "sine", "target": 0.9}, "regression data set"),
    ({"dataset": "xor", "target": 1.5}, "target: 1.5 is outside 0.0..1.0"),
    ({"dataset": "xor", "target": -0.1}, "target: -0.1 is outside"),
    ({"dataset": "plane", "metric": "test_loss", "target": 0}, "target: 0 is outside"),
    ({"dataset": "plane", "metric": "test_loss", "target": 11}, "target: 11 is outside"),
    ({"dataset": "xor", "target": float("nan")}, "target: a number is needed"),
    ({"dataset": "xor", "target": float("inf")}, "target: a number is needed"),
    ({"dataset": "xor", "target": True}, "target: a number is needed"),
    ({"dataset": "xor", "target": "0.9"}, "target: a number is needed"),
    ({"dataset": "xor"}, "target: a number is needed"),
    ({"dataset": "xor", "target": 0.9, "features": []}, "features: a list of feature names"),
    ({"dataset": "xor", "target": 0.9, "features": "x1"}, "features: a list"),
    ({"dataset": "xor", "target": 0.9, "features": ["x1", "x3"]}, "features: a list"),
    ({"dataset": "xor", "target": 0.9, "features": [["x1"]]}, "features: a list"),
    ({"dataset": "xor", "target": 0.9, "max_layers": 9}, "max_layers: a whole number 1..8"),
    ({"dataset": "xor", "target": 0.9, "max_layers": -1}, "max_layers: a whole number"),
    ({"dataset": "xor", "target": 0.9, "max_layers": 2.5}, "max_layers: a whole number"),
    ({"dataset": "xor", "target": 0.9, "max_layers": True}, "max_layers: a whole number"),
    ({"dataset": "xor", "target": 0.9, "max_neurons": 9}, "max_neurons: a whole number 1..8"),
    ({"dataset": "xor", "target": 0.9, "max_neurons": "4"}, "max_neurons: a whole number"),
    ({"dataset": "xor", "target": 0.9, "max_epochs": MAX_EPOCHS + 1}, "max_epochs: a whole"),
    ({"dataset": "xor", "target": 0.9, "noise": 51}, "noise: 51 is outside"),
    ({"dataset": "xor", "target": 0.9, "noise": None}, "noise: a number is needed"),
    ({"dataset": "xor", "target": 0.9, "train_ratio": 0.95}, "train_ratio: 0.95 is outside"),
    ({"dataset": "xor", "target": 0.9, "n_samples": 10}, "n_samples: a whole number 20..500"),
    ({"dataset": "xor", "target": 0.9, "n_samples": 501}, "n_samples: a whole number 20..500"),
    ({"dataset": "xor", "target": 0.9, "n_samples": 100.5}, "n_samples: a whole number"),
    ({"dataset": "xor", "target": 0.9, "max_layers": False}, "max_layers: a whole number"),
])
def test_a_bad_payload_is_refused_with_the_reason(payload, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Goal.from_payload(payload)


def test_zero_or_missing_limits_mean_no_limit():
    for zero in (0, None):
        goal = Goal.from_payload({"dataset": "xor", "target": 0.9, "max_layers": zero,
                                  "max_neurons": zero, "max_epochs": zero})
        assert (goal.max_layers, goal.max_neurons, goal.max_epochs) == (None, None, MAX_EPOCHS)
    top = Goal.from_payload({"dataset": "xor", "target": 0.9, "max_layers": MAX_LAYERS,
                             "max_neurons": 1, "max_epochs": 1})
    assert (top.max_layers, top.max_neurons, top.max_epochs) == (MAX_LAYERS, 1, 1)
    many = Goal.from_payload({"dataset": "xor", "target": 0.9, "max_layers": 0})
    assert failing(many, settings(dataset="xor", hidden=[8] * 8, features=["x1"]),
                   metrics()) == []


# ------------------------------------------------------------------ describe
def test_the_issue_example_reads_as_one_sentence():
    text = Goal.from_payload(SPIRAL).describe()
    assert text == ("Test accuracy ≥ 95 % on spiral (noise 0), with at most 2 hidden layers, "
                    "at most 6 neurons per layer, features X₁, X₂ only, within 10,000 epochs.")
    assert text.startswith("Test accuracy ≥ 95 %")
    for part in ("spiral", "at most 2 hidden layers", "6 neurons", "X₁", "X₂", "only"):
        assert part in text


def test_describe_singulars_losses_and_fractions():
    text = Goal.from_payload({"dataset": "plane", "metric": "test_loss", "target": 0.05,
                              "max_layers": 1, "max_neurons": 1, "noise": 10,
                              "max_epochs": 500}).describe()
    assert text == ("Test loss ≤ 0.05 on plane (noise 10), with at most 1 hidden layer, "
                    "at most 1 neuron per layer, within 500 epochs.")
    plain = Goal.from_payload({"dataset": "circle", "target": 0.925}).describe()
    assert plain == "Test accuracy ≥ 92.5 % on circle (noise 0), within 10,000 epochs."
    feats = Goal.from_payload({"dataset": "xor", "target": 0.9,
                               "features": ["x1x2", "sin_x1", "x1"]}).describe()
    assert "features X₁, X₁X₂, sin(X₁) only" in feats        # in the page's feature order


# ------------------------------------------------------------------ check
def test_a_run_that_keeps_to_the_goal_meets_every_part():
    goal = Goal.from_payload(SPIRAL)
    checks = goal.check(settings(), metrics())
    assert all(isinstance(c, Check) for c in checks)
    assert [c.met for c in checks] == [True] * 6
    assert [c.label for c in checks] == [
        "the spiral data (noise 0, train ratio 0.5, 500 points)", "at most 2 hidden layers",
        "at most 6 neurons per layer", "features X₁, X₂ only", "within 10,000 epochs",
        "test accuracy ≥ 95 %"]
    assert checks[-1].detail == "now 96 %" and checks[1].detail == "you have 2"
    assert checks[2].detail == "your widest has 6" and checks[4].detail == "epoch 800"
    assert goal.met(settings(), metrics())
    assert goal.met(settings(hidden=[]), metrics(test_accuracy=0.95))   # exactly the target


@pytest.mark.parametrize("s, m, label, detail", [
    (settings(dataset="circle"), metrics(), "the spiral data", "change the data back"),
    (settings(noise=5), metrics(), "the spiral data", "change the data back"),
    (settings(train_ratio=0.9), metrics(), "the spiral data", "change the data back"),
    (settings(n_samples=300), metrics(), "the spiral data", "change the data back"),
    (settings(hidden=[4, 4, 4]), metrics(), "at most 2 hidden layers", "you have 3"),
    (settings(hidden=[7, 2]), metrics(), "at most 6 neurons per layer", "your widest has 7"),
    (settings(features=["x1", "x2", "x1x2"]), metrics(), "features X₁, X₂ only",
     "remove X₁X₂"),
    (settings(), metrics(epoch=0), "within 10,000 epochs", "epoch 0"),
    (settings(), metrics(epoch=10_001), "within 10,000 epochs", "epoch 10,001"),
    (settings(), metrics(test_accuracy=0.949), "test accuracy ≥ 95 %", "now 94.9 %"),
    (settings(), metrics(test_accuracy=math.nan), "test accuracy ≥ 95 %", "now —"),
    (settings(), metrics(test_accuracy=None), "test accuracy ≥ 95 %", "now —"),
    (settings(), {"epoch": 800}, "test accuracy ≥ 95 %", "now —"),
])
def test_each_part_can_fail_on_its_own(s, m, label, detail):
    goal = Goal.from_payload(SPIRAL)
    checks = goal.check(s, m)
    broken = [c for c in checks if not c.met]
    assert len(broken) == 1, broken
    assert broken[0].label.startswith(label)
    assert broken[0].detail.startswith(detail)
    assert not goal.met(s, m)


def test_the_data_are_pinned_as_the_teacher_set_them():
    goal = Goal.from_payload({"dataset": "circle", "target": 0.8, "noise": 25,
                              "train_ratio": 0.3, "n_samples": 200})
    good = {"dataset": "circle", "noise": 25.0, "train_ratio": 0.3, "n_samples": 200,
            "hidden": [3], "features": ["x1"]}
    assert goal.met(good, {"epoch": 10, "test_accuracy": 0.81})
    for change in ({"noise": 0}, {"noise": 24.9}, {"train_ratio": 0.5}, {"n_samples": 500},
                   {"dataset": "xor"}):
        assert failing(goal, {**good, **change}, {"epoch": 10, "test_accuracy": 0.81}) == [
            "the circle data (noise 25, train ratio 0.3, 200 points)"], change
    assert not goal.met({"hidden": [3]}, {"epoch": 10, "test_accuracy": 0.81})   # no data


def test_a_loss_goal_is_met_at_or_below_its_target():
    goal = Goal.from_payload({"dataset": "plane", "metric": "test_loss", "target": 0.05})
    s = {"dataset": "plane", "noise": 0, "train_ratio": 0.5, "n_samples": 500,
         "hidden": [8, 8, 8, 8], "features": ["x1", "x2", "sin_x1"]}
    assert goal.met(s, {"epoch": 50, "test_loss": 0.05})
    assert goal.met(s, {"epoch": 50, "test_loss": 0.0123})
    (last,) = [c for c in goal.check(s, {"epoch": 50, "test_loss": 0.0123}) if "loss" in c.label]
    assert (last.label, last.detail) == ("test loss ≤ 0.05", "now 0.0123")
    assert failing(goal, s, {"epoch": 50, "test_loss": 0.0501}) == ["test loss ≤ 0.05"]
    assert failing(goal, s, {"epoch": 50, "test_loss": math.nan}) == ["test loss ≤ 0.05"]
    assert failing(goal, s, {"epoch": 50, "test_loss": math.inf}) == ["test loss ≤ 0.05"]
    assert failing(goal, s, {"epoch": 50, "test_accuracy": 1.0}) == ["test loss ≤ 0.05"]


# ------------------------------------------------------------------ score
def test_score_orders_accuracy_then_weights_then_epochs():
    goal = Goal.from_payload(SPIRAL)
    entries = {
        "best": {"test_accuracy": 0.99, "weights": 60, "epoch": 900},
        "smaller": {"test_accuracy": 0.97, "weights": 20, "epoch": 900},
        "smaller_sooner": {"test_accuracy": 0.97, "weights": 20, "epoch": 300},
        "larger": {"test_accuracy": 0.97, "weights": 40, "epoch": 100},
        "worse": {"test_accuracy": 0.96, "weights": 5, "epoch": 10},
        "nothing": {"test_accuracy": math.nan, "weights": 5, "epoch": 10},
    }
    order = sorted(entries, key=lambda k: goal.score(entries[k]))
    assert order == ["best", "smaller_sooner", "smaller", "larger", "worse", "nothing"]
    assert goal.score(entries["best"]) == (-0.99, 60, 900)
    assert goal.score({"test_accuracy": 0.9}) == (-0.9, 0, 0)
    assert goal.score({})[0] == math.inf


def test_score_puts_the_lower_loss_first_for_a_loss_goal():
    goal = Goal.from_payload({"dataset": "plane", "metric": "test_loss", "target": 0.5})
    entries = {"low": {"test_loss": 0.01, "weights": 90, "epoch": 900},
               "mid_small": {"test_loss": 0.02, "weights": 9, "epoch": 900},
               "mid_sooner": {"test_loss": 0.02, "weights": 9, "epoch": 90},
               "high": {"test_loss": 0.3, "weights": 1, "epoch": 1},
               "diverged": {"test_loss": math.inf, "weights": 1, "epoch": 1}}
    order = sorted(entries, key=lambda k: goal.score(entries[k]))
    assert order == ["low", "mid_sooner", "mid_small", "high", "diverged"]
    assert goal.score(entries["low"]) == (0.01, 90, 900)
