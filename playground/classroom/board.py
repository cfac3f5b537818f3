"""The class board's numbers: each student page's live row, the teacher's sorting, the
challenge's leaderboard and the CSV export (no Panel here; ``ui.teacher`` shows them).

    tracker = Tracker()
    row = tracker.row(run, playing=True, link="?dataset=xor")   # a dict for Store.report
    sort_rows(store.board(code), "accuracy")
    leaderboard(goal, store.submissions(code, challenge_id))
    to_csv(store.board(code), submissions)
"""
from __future__ import annotations

import csv
import io
import math
import time

from .challenge import Goal

STATES = ("idle", "training", "diverged", "stopped", "away")
SORTS = {"joined": "the order they joined", "name": "name", "accuracy": "best test accuracy",
         "loss": "best test loss", "epochs": "epochs", "size": "network size (weights)"}


def count_weights(run) -> int:
    """Weights and biases of the run's network: (inputs + 1) × outputs for each layer."""
    sizes = [len(run.features), *run.hidden, run.classes if run.multiclass else 1]
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))


def _finite(x) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


class Tracker:
    """One page's best test loss and accuracy since its run last restarted."""

    def __init__(self):
        self.epoch = -1
        self.best_loss = self.best_accuracy = None

    def row(self, run, playing: bool, link: str) -> dict:
        m = run.metrics()
        if m["epoch"] < self.epoch or m["epoch"] == 0:      # a reset: the bests start again
            self.best_loss = self.best_accuracy = None
        self.epoch = m["epoch"]
        loss, acc = _finite(m.get("test_loss")), _finite(m.get("test_accuracy"))
        if loss is not None and m["epoch"] > 0:
            self.best_loss = loss if self.best_loss is None else min(self.best_loss, loss)
        if acc is not None and m["epoch"] > 0:
            self.best_accuracy = acc if self.best_accuracy is None else max(self.best_accuracy,
                                                                            acc)
        state = ("diverged" if run.status == "diverged" else "training" if playing
                 else "stopped" if run.status == "stopped" else "idle")
        return {"state": state, "epoch": int(m["epoch"]), "test_loss": loss,
                "test_accuracy": acc, "best_loss": self.best_loss,
                "best_accuracy": self.best_accuracy, "dataset": run.dataset,
                "layers": list(run.hidden), "weights": count_weights(run), "link": link}


def state_of(row, now: float | None = None, away_s: float = 10.0) -> str:
    """A row's state for the board: the page's own, or "away" when it has not been seen
    for ``away_s`` seconds (closed, or the server restarted)."""
    now = time.time() if now is None else now
    if row.seen < now - away_s:
        return "away"
    state = row.live.get("state", "idle")
    return state if state in STATES else "idle"


def sort_rows(rows: list, key: str) -> list:
    """The board's rows in the order ``key`` (a SORTS key): best first; rows without the
    number last."""
    def number(name, sign):
        def k(r):
            v = r.live.get(name)
            return (v is None, sign * v if v is not None else 0, r.id)
        return k
    keys = {"joined": lambda r: r.id, "name": lambda r: (r.name.casefold(), r.id),
            "accuracy": number("best_accuracy", -1), "loss": number("best_loss", 1),
            "epochs": number("epoch", -1), "size": number("weights", 1)}
    return sorted(rows, key=keys.get(key, keys["joined"]))


def leaderboard(goal: Goal, submissions: list) -> list:
    """Each student's best verified submission, best first (``Goal.score``)."""
    best: dict = {}
    for s in submissions:
        if s.verified and (s.student not in best
                           or goal.score(s.metrics) < goal.score(best[s.student].metrics)):
            best[s.student] = s
    return sorted(best.values(), key=lambda s: (goal.score(s.metrics), s.created))


def to_csv(rows: list, submissions: list, goal: Goal | None = None) -> str:
    """The class's results: one line per student (their live row and best verified
    submission for the challenge)."""
    best = {s.student: s for s in (leaderboard(goal, submissions) if goal else [])}
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["name", "state", "epoch", "test_loss", "test_accuracy", "best_test_loss",
                "best_test_accuracy", "hidden_layers", "weights", "link",
                "challenge_met", "challenge_test_loss", "challenge_test_accuracy",
                "challenge_epoch", "challenge_link"])
    for r in rows:
        live, s = r.live, best.get(r.name)
        sm = s.metrics if s else {}
        w.writerow([_cell(r.name), state_of(r), live.get("epoch", ""),
                    _num(live.get("test_loss")), _num(live.get("test_accuracy")),
                    _num(live.get("best_loss")), _num(live.get("best_accuracy")),
                    " ".join(str(n) for n in live.get("layers", [])), live.get("weights", ""),
                    _cell(live.get("link", "")), "yes" if s else "no",
                    _num(sm.get("test_loss")), _num(sm.get("test_accuracy")),
                    sm.get("epoch", ""), _cell(s.link) if s else ""])
    return out.getvalue()


def _num(v) -> str:
    return "" if v is None else f"{float(v):.6g}"


def _cell(text) -> str:
    """A cell a spreadsheet will not run as a formula (names are typed by students)."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
