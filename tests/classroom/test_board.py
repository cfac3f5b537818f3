"""The class board's numbers: network sizes, each page's best values since its last reset,
who is away, the teacher's sort orders, the leaderboard and the CSV a teacher downloads."""
from __future__ import annotations

import csv
import io
import math
from types import SimpleNamespace

import pytest

from playground.classroom.board import (SORTS, STATES, Tracker, count_weights, leaderboard,
                                        sort_rows, state_of, to_csv)
from playground.classroom.challenge import Goal
from playground.classroom.store import Row, Submission
from playground.state.run import Run

HEADER = ["name", "state", "epoch", "test_loss", "test_accuracy", "best_test_loss",
          "best_test_accuracy", "hidden_layers", "weights", "link", "challenge_met",
          "challenge_test_loss", "challenge_test_accuracy", "challenge_epoch",
          "challenge_link"]
GOAL = Goal.from_payload({"dataset": "xor", "target": 0.9})


def net(features=("x1", "x2"), hidden=(4, 2), classes=2):
    return SimpleNamespace(features=list(features), hidden=list(hidden), classes=classes,
                           multiclass=classes > 2)


# ------------------------------------------------------------------ count_weights
def test_count_weights_counts_weights_and_biases_of_every_layer():
    assert count_weights(net()) == (2 + 1) * 4 + (4 + 1) * 2 + (2 + 1) * 1 == 25
    assert count_weights(net(hidden=())) == 3                       # a linear model
    assert count_weights(net(features=["x1", "x2", "x1x2"], hidden=[8])) == 4 * 8 + 9 * 1
    assert count_weights(net(hidden=[4, 2], classes=3)) == 12 + 10 + 3 * 3   # one per class
    assert count_weights(net(hidden=[5], classes=0)) == 3 * 5 + 6 * 1        # regression


def test_count_weights_of_real_runs():
    assert count_weights(Run(dataset="xor", features=["x1", "x2"], hidden=[4, 2])) == 25
    assert count_weights(Run(dataset="blobs3", hidden=[3])) == (2 + 1) * 3 + (3 + 1) * 3
    assert count_weights(Run(dataset="plane", hidden=[])) == 3


# ------------------------------------------------------------------ Tracker
class FakeRun:
    """What Tracker.row reads of a run: metrics(), status, dataset and the network."""

    def __init__(self):
        self.m = {"epoch": 0, "test_loss": 0.7, "test_accuracy": 0.5}
        self.status, self.dataset = "ready", "xor"
        self.features, self.hidden, self.classes, self.multiclass = ["x1", "x2"], [4, 2], 2, False

    def at(self, epoch, loss, acc, status="trained"):
        self.m = {"epoch": epoch, "train_loss": 0.1, "test_loss": loss, "test_accuracy": acc}
        self.status = status
        return self

    def metrics(self):
        return dict(self.m)


def test_the_tracker_keeps_the_best_values_and_the_row():
    tracker, run = Tracker(), FakeRun()
    row = tracker.row(run, playing=False, link="?dataset=xor")
    assert row == {"state": "idle", "epoch": 0, "test_loss": 0.7, "test_accuracy": 0.5,
                   "best_loss": None, "best_accuracy": None, "dataset": "xor",
                   "layers": [4, 2], "weights": 25, "link": "?dataset=xor"}   # epoch 0: no best
    tracker.row(run.at(10, 0.40, 0.80), True, "")
    row = tracker.row(run.at(20, 0.30, 0.75), True, "")          # loss better, accuracy worse
    assert (row["best_loss"], row["best_accuracy"]) == (0.30, 0.80)
    assert (row["test_loss"], row["test_accuracy"], row["state"]) == (0.30, 0.75, "training")
    row = tracker.row(run.at(30, 0.35, 0.90), True, "")
    assert (row["best_loss"], row["best_accuracy"]) == (0.30, 0.90)
    row = tracker.row(run.at(40, math.nan, math.nan), True, "")   # NaN is no number, no best
    assert (row["test_loss"], row["test_accuracy"]) == (None, None)
    assert (row["best_loss"], row["best_accuracy"]) == (0.30, 0.90)
    row = tracker.row(run.at(40, math.inf, 0.95, status="diverged"), True, "")
    assert row["state"] == "diverged" and row["test_loss"] is None
    assert row["best_accuracy"] == 0.95
    assert tracker.row(run.at(50, 0.2, 0.9, status="stopped"), False, "")["state"] == "stopped"
    assert tracker.row(run.at(50, 0.2, 0.9, status="stopped"), True, "")["state"] == "training"


def test_the_tracker_starts_again_after_a_reset():
    tracker, run = Tracker(), FakeRun()
    tracker.row(run.at(100, 0.05, 0.99), True, "")
    row = tracker.row(run.at(30, 0.50, 0.60), True, "")           # the epoch went down
    assert (row["best_loss"], row["best_accuracy"]) == (0.50, 0.60)
    tracker.row(run.at(60, 0.20, 0.90), True, "")
    row = tracker.row(run.at(0, 0.70, 0.50, status="ready"), False, "")   # a reset to 0
    assert (row["best_loss"], row["best_accuracy"]) == (None, None)
    row = tracker.row(run.at(5, 0.65, 0.55), True, "")
    assert (row["best_loss"], row["best_accuracy"]) == (0.65, 0.55)


def test_the_tracker_with_a_real_run():
    run = Run(dataset="xor", hidden=[4], seed=1)
    tracker = Tracker()
    run.train(50)
    row = tracker.row(run, playing=True, link="?dataset=xor&hidden=4&seed=1")
    m = run.metrics()
    assert row["epoch"] == 50 and row["weights"] == 17 and row["layers"] == [4]
    assert row["best_loss"] == pytest.approx(m["test_loss"])
    assert row["best_accuracy"] == pytest.approx(m["test_accuracy"])
    run.reset()
    assert tracker.row(run, playing=False, link="")["best_loss"] is None


# ------------------------------------------------------------------ state_of
def test_state_of_gives_away_for_rows_not_seen_lately():
    now = 10_000.0
    assert state_of(Row(1, "a", {"state": "training"}, now - 3), now) == "training"
    assert state_of(Row(1, "a", {"state": "training"}, now - 10.5), now) == "away"
    assert state_of(Row(1, "a", {"state": "training"}, 0), now) == "away"         # left
    assert state_of(Row(1, "a", {"state": "training"}, now - 20), now, away_s=30) == "training"
    assert state_of(Row(1, "a", {}, now), now) == "idle"
    assert state_of(Row(1, "a", {"state": "<script>"}, now), now) == "idle"
    for s in STATES[:-1]:
        assert state_of(Row(1, "a", {"state": s}, now), now) == s


# ------------------------------------------------------------------ sort_rows
ROWS = [
    Row(1, "bob", {"best_accuracy": 0.80, "best_loss": 0.30, "epoch": 200, "weights": 25}, 1),
    Row(2, "Alice", {"best_accuracy": 0.95, "best_loss": 0.10, "epoch": 50, "weights": 49}, 1),
    Row(3, "carol", {}, 1),                                      # no numbers yet
    Row(4, "alice", {"best_accuracy": 0.80, "best_loss": 0.30, "epoch": 900, "weights": 9}, 1),
    Row(5, "Dave", {"best_accuracy": None, "best_loss": None, "epoch": 0, "weights": 17}, 1),
]


@pytest.mark.parametrize("key, order", [
    ("joined", [1, 2, 3, 4, 5]),
    ("name", [2, 4, 1, 3, 5]),                     # case-insensitive, then joined
    ("accuracy", [2, 1, 4, 3, 5]),                 # best first; ties in joined order
    ("loss", [2, 1, 4, 3, 5]),                     # lowest first
    ("epochs", [4, 1, 2, 5, 3]),                   # most first
    ("size", [4, 5, 1, 2, 3]),                     # smallest first
    ("nonsense", [1, 2, 3, 4, 5]),                 # an unknown key: joined
])
def test_sort_rows_best_first_and_missing_numbers_last(key, order):
    assert key in SORTS or key == "nonsense"
    shuffled = [ROWS[i] for i in (3, 0, 4, 2, 1)]
    assert [r.id for r in sort_rows(shuffled, key)] == order


def test_every_sort_has_a_test():
    assert set(SORTS) == {"joined", "name", "accuracy", "loss", "epochs", "size"}


# ------------------------------------------------------------------ leaderboard
def sub(i, who, acc, weights=17, epoch=300, verified=True, created=None, link="?dataset=xor"):
    return Submission(i, who, link, {"test_accuracy": acc, "test_loss": 1 - acc,
                                     "weights": weights, "epoch": epoch}, verified,
                      float(i if created is None else created), 1, "")


def test_the_leaderboard_keeps_each_students_best_verified_submission():
    subs = [sub(1, "Ada", 0.91), sub(2, "Ada", 0.97), sub(3, "Ada", 0.99, verified=False),
            sub(4, "Grace", 0.97, weights=9), sub(5, "Grace", 0.93),
            sub(6, "Linus", 1.0, verified=False), sub(7, "Alan", 0.97, weights=9, epoch=100),
            sub(8, "Ada", 0.96)]
    board = leaderboard(GOAL, subs)
    assert [(s.student, s.id) for s in board] == [("Alan", 7), ("Grace", 4), ("Ada", 2)]
    assert "Linus" not in [s.student for s in board]               # never verified
    assert leaderboard(GOAL, [sub(1, "Ada", 0.99, verified=False)]) == []
    tie = leaderboard(GOAL, [sub(1, "Late", 0.95, created=50), sub(2, "Early", 0.95,
                                                                   created=10)])
    assert [s.student for s in tie] == ["Early", "Late"]            # a tie: who was first
    loss_goal = Goal.from_payload({"dataset": "xor", "metric": "test_loss", "target": 0.5})
    assert [s.id for s in leaderboard(loss_goal, subs)] == [7, 4, 2]   # 1 - acc: the same


# ------------------------------------------------------------------ to_csv
def test_to_csv_has_the_header_and_one_line_per_student(monkeypatch):
    import playground.classroom.board as board_module
    monkeypatch.setattr(board_module, "time", SimpleNamespace(time=lambda: 1_000.0))
    rows = [Row(1, "Ada", {"state": "training", "epoch": 120, "test_loss": 0.1234567,
                           "test_accuracy": 0.95, "best_loss": 0.1, "best_accuracy": 0.96,
                           "layers": [4, 2], "weights": 25, "link": "?dataset=xor"}, 999.0),
            Row(2, "Grace", {}, 0)]
    subs = [sub(1, "Ada", 0.97, link="?dataset=xor&seed=3"), sub(2, "Ada", 0.9),
            sub(3, "Grace", 0.99, verified=False)]
    lines = list(csv.reader(io.StringIO(to_csv(rows, subs, GOAL))))
    assert lines[0] == HEADER
    assert lines[1] == ["Ada", "training", "120", "0.123457", "0.95", "0.1", "0.96", "4 2", "25",
                        "?dataset=xor", "yes", "0.03", "0.97", "300", "?dataset=xor&seed=3"]
    assert lines[2] == ["Grace", "away", "", "", "", "", "", "", "", "", "no", "", "", "", ""]
    assert len(lines) == 3
    plain = list(csv.reader(io.StringIO(to_csv(rows, subs))))     # no challenge
    assert [line[10] for line in plain[1:]] == ["no", "no"]
    assert list(csv.reader(io.StringIO(to_csv([], [])))) == [HEADER]


def test_to_csv_does_not_let_a_spreadsheet_run_a_name():
    hostile = ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)", "\tTab", "\rCR"]
    rows = [Row(i, name, {"link": "=cmd|' /C calc'!A0"}, 0) for i, name in enumerate(hostile)]
    subs = [Submission(1, hostile[0], "=evil()", {"test_accuracy": 0.95, "epoch": 5}, True, 1.0,
                       1, "")]
    lines = list(csv.reader(io.StringIO(to_csv(rows, subs, GOAL))))
    assert [line[0] for line in lines[1:]] == ["'" + name for name in hostile]
    assert {line[9] for line in lines[1:]} == {"'=cmd|' /C calc'!A0"}
    assert lines[1][10] == "yes" and lines[1][14] == "'=evil()"
    safe = list(csv.reader(io.StringIO(to_csv([Row(9, "Ada = 1", {}, 0)], []))))
    assert safe[1][0] == "Ada = 1"                                 # only a leading sign
