"""Garbage collection for a server that holds a whole class.

Sixty open pages are millions of long-lived Python objects (each page's Bokeh models and
param objects). Python's full collection walks all of them: with 60 pages about 1.4 s, in
which no page gets a frame. Under load it ran every ~15 s (objects that live from one frame
to the next, such as the last frame's data, reach the oldest generation and fill it), so a
tenth of the server's time went to it; Bokeh also runs a full collection each time a page
closes.

The policy: once a page is built, its objects are frozen (``gc.freeze``: moved to a
permanent generation that collections skip), so collections only walk what the frames
allocate. A closed page leaves cycles among frozen objects that only a collection over
everything frees (about 6 MB a page): once no page has closed for ``quiet_s`` seconds, or
``max_wait_s`` after the first close not yet swept while pages keep closing, everything is
unfrozen, collected once and frozen again. Such a sweep walks every object (about 1.4 s
with 60 pages open, 0.1 s with a few), so sweeps are kept ``cost_ratio`` times their own
length apart: at most a twentieth of the server's time, however often pages close.
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

    def __init__(self, quiet_s: float = 2.0, max_wait_s: float = 10.0,
                 cost_ratio: float = 20.0, call_later: Callable | None = None,
                 clock: Callable = time.monotonic):
        self.quiet_s, self.max_wait_s, self.cost_ratio = quiet_s, max_wait_s, cost_ratio
        self.last_duration = 0.0      # seconds the last sweep took
        self._call_later, self.clock = call_later, clock
        self._first_close = None      # the first and the last close since the last sweep
        self._last_close = None
        self._last_sweep = -float("inf")
        self._scheduled = False
        self.sweeps = 0               # full collections done here (read by the tests)
        self.freed = 0                # objects those collections found unreachable

    def built(self):
        """A page was built: its objects (and everything alive now) are frozen. Garbage is
        collected first so that it is freed, not frozen; as everything older is frozen
        already, that walks only what came since."""
        freeze()

    def closed(self):
        """A page closed: sweep once the closing has been quiet for a while."""
        self._last_close = self.clock()
        if self._first_close is None:
            self._first_close = self._last_close
        self._schedule(self.quiet_s)

    def _schedule(self, seconds: float):
        if self._scheduled:
            return
        self._scheduled = True
        call_later = self._call_later
        if call_later is None:
            from tornado.ioloop import IOLoop
            call_later = IOLoop.current().call_later
        call_later(max(seconds, 0.0), self._due)

    def _due(self):
        self._scheduled = False
        if self._last_close is None:
            return
        now = self.clock()
        due = min(self._last_close + self.quiet_s, self._first_close + self.max_wait_s)
        wait = max(due, self._last_sweep + self.cost_ratio * self.last_duration) - now
        if wait > 0:
            self._schedule(wait)
            return
        self.sweep()

    def sweep(self):
        """Unfreeze, collect everything once, freeze again."""
        self._first_close = self._last_close = None
        start = self._last_sweep = self.clock()
        gc.unfreeze()
        self.freed += gc.collect()
        gc.freeze()
        self.sweeps += 1
        self.last_duration = self.clock() - start


COLLECTOR = FreezeCollector()
