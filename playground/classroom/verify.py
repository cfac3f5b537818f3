"""The server's check of a challenge submission: retrain the submitted link, with its own
seed, for the submitted number of epochs, and compare. Nobody can submit numbers they did
not get: a page that changed its settings during the run, or a forged message, is refused
with the reason.

    verdict = verify(goal, "?dataset=spiral&hidden=6,6&seed=3", claimed)   # blocking
    future = VERIFIER.check(goal, link, claimed)    # in the verifier's own thread
    verdict.ok, verdict.reason, verdict.metrics

Checks run one at a time in one worker thread (never on a server's event loop), at most
QUEUE_MAX waiting; a page polls its future once a frame.
"""
from __future__ import annotations

import concurrent.futures
import math
import threading
from typing import NamedTuple

from ..state import urlstate
from ..state.run import Run
from .challenge import Goal
from .board import count_weights

ACCURACY_TOLERANCE = 0.005    # the retrained test accuracy may differ by this much …
LOSS_TOLERANCE = 0.02         # … and the test loss by this fraction (floating-point order)
CHUNK = 500                   # epochs per training call while retraining
QUEUE_MAX = 64                # submissions waiting for a check, per process


class Verdict(NamedTuple):
    ok: bool
    reason: str                 # why not ("" when ok)
    metrics: dict               # what the server's retraining reached ({} if none)


def _close(claimed: float, got: float, metric: str) -> bool:
    if metric == "test_accuracy":
        return abs(claimed - got) <= ACCURACY_TOLERANCE
    return abs(claimed - got) <= LOSS_TOLERANCE * max(abs(got), 1e-3)


def verify(goal: Goal, link: str, claimed: dict) -> Verdict:
    """Retrain ``link`` for ``claimed["epoch"]`` epochs and check it against ``goal`` and the
    claimed metrics. Blocking (seconds for the largest challenges)."""
    if not isinstance(link, str) or not isinstance(claimed, dict):
        return Verdict(False, "the submission is not a link and its numbers", {})
    settings, _view, notices = urlstate.from_query(link.split("?", 1)[-1])
    if notices:
        return Verdict(False, "the link has problems: " + "; ".join(notices), {})
    epoch = claimed.get("epoch")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 < epoch <= goal.max_epochs:
        return Verdict(False, f"the epoch must be 1..{goal.max_epochs:,}", {})
    value = claimed.get(goal.metric)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return Verdict(False, f"no {goal.metric.replace('_', ' ')} was submitted", {})
    run = Run()
    problems = urlstate.apply(run, settings)
    if problems:
        return Verdict(False, "the link has problems: " + "; ".join(problems), {})
    run.reset()
    broken = [c for c in goal.check(run.settings(), {"epoch": epoch, goal.metric: value})
              if not c.met]
    if broken:
        return Verdict(False, f"the set-up does not keep to the challenge ({broken[0].label}: "
                              f"{broken[0].detail})", {})
    while run.epoch < epoch and run.status not in ("diverged", "stopped"):
        run.train(min(CHUNK, epoch - run.epoch))
    got = run.metrics()
    got["weights"] = count_weights(run)
    if run.epoch != epoch:
        return Verdict(False, f"retrained from the link, the run stops at epoch {run.epoch:,} "
                              f"({run.status}), not {epoch:,}", got)
    reached = float(got.get(goal.metric, math.nan))
    if not _close(float(value), reached, goal.metric):
        shown = ((lambda v: f"{100 * v:.1f} %") if goal.metric == "test_accuracy"
                 else (lambda v: f"{v:.4f}"))
        return Verdict(False, (
            f"retrained from the link with its seed, epoch {epoch:,} gives "
            f"{goal.metric.replace('_', ' ')} {shown(reached)}, not {shown(float(value))}. "
            "Did the settings change during the run? Press Reset and train again with "
            "these settings"), got)
    if not goal.met(run.settings(), got):
        return Verdict(False, "retrained from the link, the run does not reach the goal", got)
    return Verdict(True, "", got)


class Verifier:
    """One worker thread for the process's checks, with a bounded queue."""

    def __init__(self, queue_max: int = QUEUE_MAX):
        self.queue_max = queue_max
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1,
                                                           thread_name_prefix="verify")
        self._waiting = 0
        self._lock = threading.Lock()

    @property
    def waiting(self) -> int:
        return self._waiting

    def check(self, goal: Goal, link: str, claimed: dict) -> concurrent.futures.Future:
        """A future of the Verdict; ValueError when QUEUE_MAX checks are waiting."""
        with self._lock:
            if self._waiting >= self.queue_max:
                raise ValueError("the server is checking many submissions; try again in a "
                                 "minute")
            self._waiting += 1
        try:
            return self._pool.submit(self._run, goal, link, dict(claimed))
        except BaseException:
            self._done()
            raise

    def _run(self, goal, link, claimed) -> Verdict:
        try:
            return verify(goal, link, claimed)
        except Exception as exc:                  # a check never takes the page down
            return Verdict(False, f"the server could not retrain it ({type(exc).__name__})", {})
        finally:
            self._done()

    def _done(self):
        with self._lock:
            self._waiting -= 1


VERIFIER = Verifier()
