"""One clock for the pages of a process: how often each page draws a frame.

Every page measures what its frames cost the server's event loop (the CPU time of the
loop's thread inside its tick: JAX trains on other threads meanwhile) and reports it here. The frame period of every page is the smallest of PERIODS_MS that keeps
the sum of all pages' costs per period under LOAD_SHARE of the loop's time: a page alone on
a server draws 60 frames a second (as TensorFlow Playground does), and a class slows every
page by the same step as pages are added, instead of the loop falling behind and some pages
stalling. The loop keeps the rest of its time for clicks, messages and JAX's results.
"""
from __future__ import annotations

import weakref

PERIODS_MS = (16, 20, 25, 33, 40, 50, 67, 100, 150, 200)   # 60 frames a second down to 5
LOAD_SHARE = 1.0          # at most this share of the event loop's time goes to frames
SMOOTHING = 0.2           # weight of the newest frame in a page's average cost
FASTER = 0.9              # step to a shorter period only with this much room to spare
SLOWER = 1.1              # and to a longer one only past this much over


class FrameClock:
    """The frame period shared by all pages, from what their frames cost."""

    def __init__(self, periods_ms=PERIODS_MS, load_share: float = LOAD_SHARE):
        self.periods_ms = tuple(periods_ms)
        self.load_share = load_share
        self.costs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()   # page -> ms
        self.period_ms = self.periods_ms[0]

    def record(self, page, cost_ms: float) -> int:
        """A frame of ``page`` took ``cost_ms`` of the event loop; returns the period now."""
        old = self.costs.get(page)
        if old is not None:         # a lone slow frame (a garbage collection) is not a trend
            cost_ms = min(cost_ms, 2 * old + 1.0)
        self.costs[page] = cost_ms if old is None else old + SMOOTHING * (cost_ms - old)
        return self._update()

    def forget(self, page) -> None:
        """``page`` draws no more (closed): its cost no longer counts."""
        self.costs.pop(page, None)
        self._update()

    @property
    def load_ms(self) -> float:
        """What one frame of every page costs together, in ms (smoothed)."""
        return float(sum(self.costs.values()))

    def _update(self) -> int:
        need = self.load_ms / self.load_share      # the shortest period the loop can afford
        if need > SLOWER * self.period_ms:         # slower at once
            self.period_ms = next((p for p in self.periods_ms if p >= need),
                                  self.periods_ms[-1])
        else:                                      # faster once there is room to spare
            self.period_ms = next((p for p in self.periods_ms
                                   if p < self.period_ms and need <= FASTER * p),
                                  self.period_ms)
        return self.period_ms

    @property
    def frames_per_second(self) -> float:
        return 1000.0 / self.period_ms


CLOCK = FrameClock()      # the process's clock: all sessions of `panel serve` share it
