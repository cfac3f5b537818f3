"""Garbage collection for a server that holds a whole class.

Sixty open pages are millions of long-lived Python objects (each page's Bokeh models and
param objects). Python's full collection walks all of them: with 60 pages about 1.4 s, in
which no page gets a frame. Under load it ran every ~15 s (objects that live from one frame
to the next, such as the last frame's data, reach the oldest generation and fill it), so a
tenth of the server's time went to it; Bokeh also runs a full collection each time a page
closes.

The policy: once a page is built, its objects are frozen (``gc.freeze``: moved to a
permanent generation that collections skip), so collections only walk what the frames
allocate; a second later, not as the page goes on screen, and once for the pages built
meanwhile. A closed page leaves cycles among frozen objects that only a collection over
everything frees (about 6 MB a page): a sweep unfreezes everything, collects once and
freezes again. Such a sweep walks every object (about 1.4 s with 60 pages open, 0.2–0.5 s
with a few), and every page waits for it. So it comes when it costs no one, or seldom:

* once no page has closed for ``quiet_s`` seconds and no page is training (``busy()``);
* else once ``max_closed`` pages have closed since the last sweep, or ``max_wait_s``
  after the first of them: a class whose students reload their pages while others train
  waits for a sweep at most every ``max_wait_s`` (it was every 10 s, each one a stall for
  everyone), and holds at most ``max_closed`` closed pages' cycles (about 100 MB) meanwhile;
* and always ``cost_ratio`` times its own length after the last one: at most a twentieth
  of the server's time, however often pages close.
"""
from __future__ import annotations

import gc
import time
from typing import Callable


def freeze() -> None:
    """Collect the garbage there is (so that it is freed, not frozen), then freeze
    everything alive: full collections skip it from now on."""
    gc.collect()
    gc.freeze()


class FreezeCollector:
    """One per server process (``COLLECTOR``); ``built()`` after a page is built,
    ``closed()`` when one goes. ``call_later(seconds, fn)`` schedules on the server's event
    loop (tornado's by default); tests give their own, and their own clock."""

    def __init__(self, quiet_s: float = 2.0, max_wait_s: float = 120.0, max_closed: int = 16,
                 cost_ratio: float = 20.0, call_later: Callable | None = None,
                 clock: Callable = time.monotonic, busy: Callable[[], bool] | None = None,
                 freeze_after_s: float = 1.0):
        self.quiet_s, self.max_wait_s, self.cost_ratio = quiet_s, max_wait_s, cost_ratio
        self.freeze_after_s = freeze_after_s
        self._freeze_due = False      # a freeze is on its way (``built``)
        self.freezes = 0              # freezes done by ``built`` (read by the tests)
        self.max_closed = max_closed
        self.busy = busy              # whether a page is training now (None: never)
        self.last_duration = 0.0      # seconds the last sweep took
        self._call_later, self.clock = call_later, clock
        self._first_close = None      # the first and the last close since the last sweep
        self._last_close = None
        self._closed = 0              # pages closed since the last sweep
        self._last_sweep = -float("inf")
        self._due_at = None           # when the next look is due (None: none)
        self.sweeps = 0               # full collections done here (read by the tests)
        self.freed = 0                # objects those collections found unreachable
        self.skipped = 0              # sweeps tried while another collection ran
        self.retry_s = 0.25           # and tried again this much later

    def built(self):
        """A page or a lab was built: its objects (and everything alive then) are frozen
        ``freeze_after_s`` later, once for all built meanwhile. Garbage is collected first
        so that it is freed, not frozen; as everything older is frozen already, that walks
        only what came since (10–60 ms): not in the turn of the event loop that puts the
        page or the lab on screen, where it came before."""
        if self._freeze_due:
            return
        self._freeze_due = True
        self._later(self.freeze_after_s, self._freeze)

    def _freeze(self):
        self._freeze_due = False
        freeze()
        self.freezes += 1

    def _later(self, seconds: float, fn):
        call_later = self._call_later
        if call_later is None:
            from tornado.ioloop import IOLoop
            call_later = IOLoop.current().call_later
        call_later(seconds, fn)

    def closed(self):
        """A page closed: sweep when it costs no one, or seldom (the module's policy)."""
        self._last_close = self.clock()
        self._closed += 1
        if self._first_close is None:
            self._first_close = self._last_close
        self._schedule(0.0 if self._closed >= self.max_closed else self.quiet_s)

    def _schedule(self, seconds: float):
        """A look at whether to sweep ``seconds`` from now, unless one comes sooner."""
        seconds = max(seconds, 0.0)
        at = self.clock() + seconds
        if self._due_at is not None and self._due_at <= at:
            return
        self._due_at = at
        self._later(seconds, self._due)

    def _due(self):
        now = self.clock()
        if self._due_at is None or now < self._due_at - 0.01:
            return                                      # a sooner look replaced this one
        self._due_at = None
        if self._last_close is None:
            return
        quiet = self._last_close + self.quiet_s
        if self._closed >= self.max_closed or now >= self._first_close + self.max_wait_s:
            due = now                                   # seldom: too many, or too long
        elif now < quiet:
            due = quiet                                 # pages are still closing
        elif self.busy is not None and self.busy():
            # a page is training: look again a quiet spell later, at the latest at the cap
            due = min(now + self.quiet_s, self._first_close + self.max_wait_s)
        else:
            due = now                                   # quiet, and no one training
        wait = max(due, self._last_sweep + self.cost_ratio * self.last_duration) - now
        if wait > 0:
            self._schedule(wait)
            return
        self.sweep()

    def sweep(self):
        """Unfreeze, collect everything once, freeze again.

        While another thread is inside a collection (one whose finalizers let go of the
        interpreter lock), ``gc.collect`` does nothing and returns 0; the closed pages' cycles would stay frozen until the
        next close. Python counts the full collections it makes, so such a sweep is told
        apart and tried again ``retry_s`` later."""
        start = self.clock()
        full = gc.get_stats()[2]["collections"]
        gc.unfreeze()
        freed = gc.collect()
        gc.freeze()
        if gc.get_stats()[2]["collections"] == full:    # another collection was running
            self.skipped += 1
            self._schedule(self.retry_s)
            return
        self._first_close = self._last_close = None
        self._closed = 0
        self._last_sweep = start
        self.freed += freed
        self.sweeps += 1
        self.last_duration = self.clock() - start


COLLECTOR = FreezeCollector()
