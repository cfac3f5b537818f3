"""The server's check of a challenge submission: the link retrained with its own seed gives
the numbers a page got (in whatever chunks the page trained), and nothing else passes."""
from __future__ import annotations

import concurrent.futures
import re
import threading

import pytest

from playground.classroom import verify as verify_module
from playground.classroom.board import count_weights
from playground.classroom.challenge import Goal
from playground.classroom.verify import Verdict, Verifier, verify
from playground.state import urlstate
from playground.state.run import Run

SETUP = "?dataset=xor&hidden=4&seed=1"
NOISY = "?dataset=xor&hidden=2&seed=1&noise=30"
CHUNKS = (37, 50, 13, 100, 60, 40)           # 300 epochs, as a page's frames would split them
ACCURACY = Goal.from_payload({"dataset": "xor", "metric": "test_accuracy", "target": 0.9,
                              "max_layers": 2, "max_neurons": 8, "max_epochs": 1000})
LOSS = Goal.from_payload({"dataset": "xor", "metric": "test_loss", "target": 0.5,
                          "max_layers": 2})


def page_run(link: str) -> Run:
    """A run set up from ``link`` as a student page does (its tier: "auto")."""
    run = Run()
    settings, _view, notices = urlstate.from_query(link)
    assert notices == []
    assert urlstate.apply(run, settings) == []
    run.reset()
    run.tier = "auto"
    return run


def claim(run: Run) -> dict:
    m = run.metrics()
    m["weights"] = count_weights(run)
    return m


def trained(link: str) -> tuple[str, dict]:
    run = page_run(link)
    for n in CHUNKS:
        run.train(n)
    assert run.epoch == sum(CHUNKS) == 300 and run.status == "trained"
    return urlstate.to_search(run.settings()), claim(run)


@pytest.fixture(scope="module")
def xor_run():
    return trained(SETUP)


@pytest.fixture(scope="module")
def noisy_run():
    return trained(NOISY)


def shown_accuracy(v: float) -> str:
    return f"{100 * v:.1f} %"


# ------------------------------------------------------------------ honest submissions
def test_an_honest_submission_is_confirmed_with_the_same_numbers(xor_run):
    link, claimed = xor_run
    assert claimed["weights"] == (2 + 1) * 4 + (4 + 1) * 1 == 17
    assert claimed["test_accuracy"] >= ACCURACY.target
    verdict = verify(ACCURACY, link, claimed)
    assert verdict == (True, "", verdict.metrics) and verdict.ok
    assert set(verdict.metrics) == set(claimed)
    assert verdict.metrics["epoch"] == 300 and verdict.metrics["weights"] == 17
    for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        assert verdict.metrics[key] == pytest.approx(claimed[key], abs=1e-5), key
    # the same run against a loss goal, and through another spelling of the link
    assert verify(LOSS, link, claimed).ok
    assert verify(ACCURACY, "https://example.org/playground" + link, claimed).ok


def test_a_shorter_claim_is_retrained_to_its_own_epoch(xor_run):
    run = page_run(SETUP)
    run.train(37)
    run.train(63)
    claimed = claim(run)
    verdict = verify(LOSS, urlstate.to_search(run.settings()), claimed)
    assert verdict.ok and verdict.metrics["epoch"] == 100
    assert verdict.metrics["test_loss"] == pytest.approx(claimed["test_loss"], abs=1e-5)
    assert verdict.metrics["test_loss"] != pytest.approx(xor_run[1]["test_loss"], abs=1e-3)


# ------------------------------------------------------------------ forged numbers
def test_a_raised_accuracy_is_refused_naming_the_retrained_value(noisy_run):
    link, claimed = noisy_run
    goal = Goal.from_payload({"dataset": "xor", "noise": 30, "target": 0.5})
    assert verify(goal, link, claimed).ok                     # the honest numbers pass
    true = claimed["test_accuracy"]
    assert true + 0.05 <= 1.0
    verdict = verify(goal, link, {**claimed, "test_accuracy": true + 0.05})
    assert not verdict.ok
    assert (f"gives test accuracy {shown_accuracy(true)}, "
            f"not {shown_accuracy(true + 0.05)}") in verdict.reason
    assert verdict.metrics["test_accuracy"] == pytest.approx(true, abs=1e-5)


def test_a_halved_loss_is_refused_naming_the_retrained_value(xor_run):
    link, claimed = xor_run
    true = claimed["test_loss"]
    verdict = verify(LOSS, link, {**claimed, "test_loss": true / 2})
    assert not verdict.ok
    assert f"gives test loss {true:.4f}, not {true / 2:.4f}" in verdict.reason
    assert verdict.metrics["test_loss"] == pytest.approx(true, abs=1e-5)
    # within the tolerance (floating-point order) is still the same run
    assert verify(LOSS, link, {**claimed, "test_loss": true * 1.01}).ok
    assert not verify(LOSS, link, {**claimed, "test_loss": true * 1.05}).ok


def test_a_learning_rate_changed_mid_run_is_refused():
    run = page_run(SETUP)
    run.train(150)
    run.learning_rate = 1.0
    run.train(150)
    assert run.epoch == 300 and run.status == "trained"
    link, claimed = urlstate.to_search(run.settings()), claim(run)
    assert "learning_rate=1" in link
    for goal in (LOSS, Goal.from_payload({"dataset": "xor", "target": 0.5})):
        verdict = verify(goal, link, claimed)
        assert not verdict.ok, goal.metric
        assert "Did the settings change during the run?" in verdict.reason
        assert verdict.metrics["epoch"] == 300


# ------------------------------------------------------------------ refused before training
def test_an_epoch_beyond_the_goal_or_not_a_whole_number_is_refused(xor_run):
    link, claimed = xor_run
    short = Goal.from_payload({"dataset": "xor", "target": 0.9, "max_epochs": 200})
    assert verify(short, link, claimed) == Verdict(False, "the epoch must be 1..200", {})
    for epoch in (True, 0, -5, 300.0, "300", None, ACCURACY.max_epochs + 1):
        verdict = verify(ACCURACY, link, {**claimed, "epoch": epoch})
        assert verdict == Verdict(False, "the epoch must be 1..1,000", {}), epoch
    no_epoch = {k: v for k, v in claimed.items() if k != "epoch"}
    assert not verify(ACCURACY, link, no_epoch).ok


def test_a_missing_or_bad_metric_is_refused(xor_run):
    link, claimed = xor_run
    without = {k: v for k, v in claimed.items() if k != "test_accuracy"}
    assert verify(ACCURACY, link, without) == Verdict(
        False, "no test accuracy was submitted", {})
    for bad in (None, True, "0.99", float("nan"), float("inf")):
        assert verify(ACCURACY, link, {**claimed, "test_accuracy": bad}).reason == (
            "no test accuracy was submitted"), bad
    assert verify(LOSS, link, {k: v for k, v in claimed.items() if k != "test_loss"}).reason \
        == "no test loss was submitted"


def test_a_link_with_problems_is_refused(xor_run):
    link, claimed = xor_run
    verdict = verify(ACCURACY, link + "&bogus=1", claimed)
    assert not verdict.ok and verdict.metrics == {}
    assert verdict.reason.startswith("the link has problems: ")
    assert "bogus" in verdict.reason
    bad_value = verify(ACCURACY, SETUP + "&learning_rate=abc", claimed)
    assert not bad_value.ok and "learning_rate" in bad_value.reason
    for not_a_link, numbers in ((None, claimed), (42, claimed), (link, None), (link, [1])):
        assert verify(ACCURACY, not_a_link, numbers) == Verdict(
            False, "the submission is not a link and its numbers", {})


def test_a_set_up_that_breaks_the_goal_is_refused_naming_the_constraint(xor_run):
    _link, claimed = xor_run
    verdict = verify(ACCURACY, "?dataset=xor&hidden=4,4,4&seed=1", claimed)
    assert verdict == Verdict(False, "the set-up does not keep to the challenge (at most 2 "
                                     "hidden layers: you have 3)", {})
    wide = verify(ACCURACY, "?dataset=xor&hidden=12&seed=1", claimed)
    assert not wide.ok and "at most 8 neurons per layer: your widest has 12" in wide.reason
    data = verify(ACCURACY, "?dataset=xor&hidden=4&seed=1&noise=10", claimed)
    assert not data.ok and "the xor data" in data.reason
    feats = Goal.from_payload({"dataset": "xor", "target": 0.9, "features": ["x1", "x2"]})
    extra = verify(feats, "?dataset=xor&hidden=4&seed=1&features=x1,x2,x1x2", claimed)
    assert not extra.ok and "features X₁, X₂ only: remove X₁X₂" in extra.reason
    low = verify(ACCURACY, SETUP, {**claimed, "test_accuracy": 0.5})
    assert not low.ok and "test accuracy ≥ 90 %: now 50 %" in low.reason


def test_a_run_that_stops_before_the_claimed_epoch_is_refused(xor_run):
    _link, claimed = xor_run
    verdict = verify(ACCURACY, SETUP + "&stop_epoch=100", claimed)
    assert not verdict.ok
    assert verdict.reason == ("retrained from the link, the run stops at epoch 100 (stopped), "
                              "not 300")
    assert verdict.metrics["epoch"] == 100


def test_numbers_that_match_but_miss_the_goal_are_refused(noisy_run):
    link, claimed = noisy_run
    goal = Goal.from_payload({"dataset": "xor", "noise": 30,
                              "target": round(claimed["test_accuracy"] + 0.003, 3)})
    # claimed at the target (within tolerance of the retrained value), really just below it
    verdict = verify(goal, link, {**claimed, "test_accuracy": goal.target})
    assert verdict == (False, "retrained from the link, the run does not reach the goal",
                       verdict.metrics)
    assert verdict.metrics["test_accuracy"] < goal.target


# ------------------------------------------------------------------ the verifier's thread
def test_the_verifier_returns_a_future_of_a_verdict(xor_run):
    link, claimed = xor_run
    verifier = Verifier()
    future = verifier.check(ACCURACY, link, claimed)
    assert isinstance(future, concurrent.futures.Future)
    verdict = future.result(timeout=120)
    assert isinstance(verdict, Verdict) and verdict.ok
    assert verdict.metrics["test_accuracy"] == pytest.approx(claimed["test_accuracy"], abs=1e-5)
    refused = verifier.check(ACCURACY, "?dataset=xor&hidden=4,4,4", claimed).result(timeout=60)
    assert isinstance(refused, Verdict) and not refused.ok
    assert verifier.waiting == 0


def test_a_full_queue_refuses_more_submissions(monkeypatch):
    started, release = threading.Event(), threading.Event()

    def slow(goal, link, claimed):
        started.set()
        assert release.wait(30)
        return Verdict(True, "", {"epoch": claimed["epoch"]})

    monkeypatch.setattr(verify_module, "verify", slow)
    verifier = Verifier(queue_max=1)
    try:
        first = verifier.check(ACCURACY, SETUP, {"epoch": 5})
        assert started.wait(30) and verifier.waiting == 1
        with pytest.raises(ValueError, match=re.escape("many submissions")):
            verifier.check(ACCURACY, SETUP, {"epoch": 6})
        assert verifier.waiting == 1                 # the refused one is not counted
    finally:
        release.set()
    assert first.result(timeout=30) == Verdict(True, "", {"epoch": 5})
    assert verifier.waiting == 0
    assert verifier.check(ACCURACY, SETUP, {"epoch": 7}).result(timeout=30).metrics == {
        "epoch": 7}                                  # room again


def test_the_claim_is_copied_when_it_is_queued(monkeypatch):
    seen, release = [], threading.Event()

    def slow(goal, link, claimed):
        assert release.wait(30)
        seen.append(dict(claimed))
        return Verdict(True, "", {})

    monkeypatch.setattr(verify_module, "verify", slow)
    verifier = Verifier()
    claimed = {"epoch": 5}
    future = verifier.check(ACCURACY, SETUP, claimed)
    claimed["epoch"] = 999                          # the page goes on after submitting
    release.set()
    future.result(timeout=30)
    assert seen == [{"epoch": 5}]


def test_an_error_inside_the_check_becomes_a_refusal(monkeypatch):
    def broken(goal, link, claimed):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(verify_module, "verify", broken)
    verifier = Verifier(queue_max=1)
    verdict = verifier.check(ACCURACY, SETUP, {"epoch": 5}).result(timeout=30)
    assert verdict == Verdict(False, "the server could not retrain it (RuntimeError)", {})
    assert "out of memory" not in verdict.reason      # no internals on a student's page
    assert verifier.waiting == 0
    assert verifier.check(ACCURACY, SETUP, {"epoch": 5}).result(timeout=30).ok is False
