"""One clock for the pages of a process: how often each page draws a frame, and how much
each page may compute.

Every page measures what its frames cost the server's event loop (the CPU time of the
loop's thread inside its tick: JAX trains on other threads meanwhile) and reports it here.
The loop's time is shared out fairly (``FrameClock``): a page alone on a server draws 60
frames a second (as TensorFlow Playground does); a class slows its pages by the same step as
pages are added, instead of the loop falling behind and some pages stalling; and a page
whose frames are expensive (a big network's diagram) draws less often without slowing the
others. The loop keeps the rest of its time for clicks, messages and JAX's results.

The training that pages launch is shared the same way (``ComputeShare``, ``Pace``): a
heavy run computes at most its share of the time while other pages train.
"""
from __future__ import annotations

import time
import weakref

PERIODS_MS = (16, 20, 25, 33, 40, 50, 67, 100, 150, 200)   # 60 frames a second down to 5
LOAD_SHARE = 1.0          # at most this share of the event loop's time goes to frames
SMOOTHING = 0.2           # weight of the newest frame in a page's average cost
FASTER = 0.9              # step to a shorter period only with this much room to spare
SLOWER = 1.1              # and to a longer one only past this much over


class FrameClock:
    """The frame period of each page, from what the frames of all pages cost.

    The loop's time is shared out like water poured over the pages, cheapest first: each
    page may use up to an equal share of what is left, and a page that needs less than its
    share (60 frames a second cost it little) leaves the rest to the others. So a page of
    a heavy network draws less often, and the light pages beside it keep their 60 frames a
    second; a class of like pages slows down together, step by step, as it grows."""

    def __init__(self, periods_ms=PERIODS_MS, load_share: float = LOAD_SHARE):
        self.periods_ms = tuple(periods_ms)
        self.load_share = load_share
        self.costs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()    # page -> ms
        self.periods: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # page -> ms

    def record(self, page, cost_ms: float) -> int:
        """A frame of ``page`` took ``cost_ms`` of the event loop; returns its period now."""
        old = self.costs.get(page)
        if old is not None:         # a lone slow frame (a garbage collection) is not a trend
            cost_ms = min(cost_ms, 2 * old + 1.0)
        self.costs[page] = cost_ms if old is None else old + SMOOTHING * (cost_ms - old)
        self._update()
        return self.periods[page]

    def forget(self, page) -> None:
        """``page`` draws no more (closed): its cost no longer counts."""
        self.costs.pop(page, None)
        self.periods.pop(page, None)
        self._update()

    def period_for(self, page) -> int:
        return self.periods.get(page, self.periods_ms[0])

    @property
    def period_ms(self) -> int:
        """The longest period of any page (the shortest one when no page draws)."""
        return max(self.periods.values(), default=self.periods_ms[0])

    @property
    def load_ms(self) -> float:
        """What one frame of every page costs together, in ms (smoothed)."""
        return float(sum(self.costs.values()))

    def _update(self) -> None:
        pages = sorted(self.costs.items(), key=lambda item: item[1])
        left = self.load_share                 # of the loop's time, not yet shared out
        fastest = self.periods_ms[0]    # a new page starts there
        for i, (page, cost) in enumerate(pages):
            cost = max(cost, 1e-3)
            share = left / (len(pages) - i)
            need = cost / share if share > 0 else float("inf")   # the period it can afford
            period = self._step(self.periods.get(page, fastest), need)
            self.periods[page] = period
            left = max(left - cost / period, 0.0)

    def _step(self, period: int, need: float) -> int:
        if need > SLOWER * period:              # slower at once
            return next((p for p in self.periods_ms if p >= need), self.periods_ms[-1])
        return next((p for p in self.periods_ms                # faster with room to spare
                     if p < period and need <= FASTER * p), period)

    @property
    def frames_per_second(self) -> float:
        return 1000.0 / self.period_ms


CLOCK = FrameClock()      # the process's clock: all sessions of `panel serve` share it


# ------------------------------------------------------------ sharing the compute
ACTIVE_S = 2.0            # a job that computed this recently counts as computing
LAUNCH_FRAMES = 2         # a heavy page's launch is cut to finish within about two frames
COST_SMOOTHING = 0.3      # weight of the newest launch in a page's cost per epoch
CATCH_UP_S = 1.0          # a light page keeps at most this long of training owed to it


class ComputeShare:
    """Who is computing: the pages (and lab jobs) that trained within the last ACTIVE_S
    seconds, by weak reference (a closed page, a paused one or a tab no longer shown drops
    out by itself).

    A page alone may use the whole machine. With others computing, a heavy page (one whose
    work is not finished by its next frame) gets its 1/n share: its launches are cut to
    about two frames' worth of epochs, and after each it waits (n − 1) times what the
    launch took before the next, so it computes at most 1/n of the time. Light pages (a
    default network finishes within a frame) are never held back: the share costs them
    nothing and protects them from the heavy ones."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.computing: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # -> seen

    def join(self, who) -> None:
        """``who`` computes now (call it at every piece of work, or every frame)."""
        self.computing[who] = self.clock()

    def leave(self, who) -> None:
        self.computing.pop(who, None)

    def active(self, who) -> bool:
        seen = self.computing.get(who)
        return seen is not None and self.clock() - seen <= ACTIVE_S

    def busy(self) -> bool:
        """Whether anyone computes now (a page training, a lab's job)."""
        return self.count > 0

    @property
    def count(self) -> int:
        now = self.clock()
        return sum(1 for seen in list(self.computing.values()) if now - seen <= ACTIVE_S)

    def hold_s(self, who, took_s: float) -> float:
        """How long ``who`` waits after a job that took ``took_s`` (heavy work only):
        (n − 1) × took_s with n jobs computing, 0 when alone."""
        others = self.count - (1 if self.active(who) else 0)
        return max(0.0, others * took_s)


SHARE = ComputeShare()    # the process's share: all sessions of `panel serve` count


class Pace:
    """One page's training pace under the share: how many epochs to launch, and when.

    ``launched(now, epochs)`` when a launch starts; ``done(now, first_check)`` when its
    result is applied (first_check: it was ready at the first frame after the launch);
    ``epochs(requested, period_ms)`` and ``may_launch(now)`` before the next one."""

    def __init__(self, share: ComputeShare = SHARE):
        self.share = share
        self.ms_per_epoch: float | None = None     # measured on heavy launches only
        self.heavy = False
        self.next_launch = 0.0
        self.limited = False                       # the last plan cut the request
        self._launch = None
        self._setup = None
        self._paced_at: float | None = None        # the last launch (catch_up)
        self.owed = 0.0                            # epochs owed by late frames

    def launched(self, now: float, epochs: int) -> None:
        self._launch = (now, max(int(epochs), 1))

    def done(self, now: float, first_check: bool) -> None:
        if self._launch is None:
            return
        start, epochs = self._launch
        self._launch = None
        took = max(now - start, 0.0)
        per_epoch = took * 1e3 / epochs
        if first_check:        # finished within a frame: `took` is only an upper bound
            self.heavy = False
            self.ms_per_epoch = (per_epoch if self.ms_per_epoch is None
                                 else min(self.ms_per_epoch, per_epoch))
            self.next_launch = 0.0
            return
        self.heavy = True
        old = self.ms_per_epoch
        self.ms_per_epoch = per_epoch if old is None else old + COST_SMOOTHING * (per_epoch - old)
        self.next_launch = now + self.share.hold_s(self, took)

    def may_launch(self, now: float) -> bool:
        return now >= self.next_launch

    def epochs(self, requested: int, period_ms: float, setup=None) -> int:
        """The epochs of the next launch: all that were asked for when alone or light,
        else about LAUNCH_FRAMES frames' worth (at least one). setup: anything that
        changes what an epoch costs (the network, the batch size); a new one, like the
        first launch, is measured with one epoch while others compute."""
        requested = max(int(requested), 1)
        if setup != self._setup:
            self._setup, self.ms_per_epoch, self.heavy = setup, None, False
        shared = self.share.count > 1
        n = requested
        if shared and self.ms_per_epoch is None:
            n = 1                           # cost unknown: measure it with one epoch
        elif shared and self.heavy:
            n = max(1, min(requested, int(LAUNCH_FRAMES * period_ms / self.ms_per_epoch)))
        self.limited = shared and self.heavy
        return n

    def catch_up(self, epochs: int, now: float, light_epochs: int) -> int:
        """A light page's launch at ``now`` (seconds) when its frames come late: the epochs
        it is owed since its last launch at the pace of 60 frames a second (``epochs`` a
        frame, PERIODS_MS[0] apart), in launches of at most ``light_epochs``
        (``Run.light_epochs``: a launch that stays light, a few milliseconds of compute).
        What a launch cannot carry is owed to the next ones, at most CATCH_UP_S seconds of
        it: a busy server draws the page less often (the frame clock), and a turn of the
        event loop that held it (another page opening) delays a frame, while its training
        keeps its pace. A heavy page (its launch not done by its next frame), a cut one, or
        one whose cost is not measured yet never catches up (it would take more than its
        share), and nor does the first launch after ``rest()``."""
        epochs = max(int(epochs), 1)
        last, self._paced_at = self._paced_at, now
        if self.heavy or self.limited or self.ms_per_epoch is None or last is None:
            self.owed = 0.0
            return epochs
        frames = max(now - last, 0.0) * 1e3 / PERIODS_MS[0]
        cap = epochs * CATCH_UP_S * 1e3 / PERIODS_MS[0]
        self.owed = min(self.owed + epochs * frames, cap)
        n = max(epochs, min(int(self.owed + 1e-6), int(light_epochs)))
        self.owed = max(self.owed - n, 0.0)
        return n

    def rest(self) -> None:
        """The page stopped training (paused, or a tab with no training shown): nothing is
        owed to it, and its next launch starts the count afresh."""
        self._paced_at, self.owed = None, 0.0


class Turn:
    """A lab's heavy work under the share (a CNN epoch, 16 copies training together): after
    each piece of work that took t seconds it waits (n − 1) × t while n jobs compute, so it
    computes at most 1/n of the time, and at once when alone.

    ``start(now)`` / ``finish(now)`` around each piece, ``may_start(now)`` before the next,
    ``idle()`` when it stops (paused, or its page closed)."""

    def __init__(self, share: ComputeShare = SHARE):
        self.share = share
        self.next_start = 0.0
        self.waited = False           # the last finish had to wait for others
        self._started: float | None = None

    def may_start(self, now: float) -> bool:
        self.share.join(self)             # wanting to compute counts as computing
        return now >= self.next_start

    def start(self, now: float) -> None:
        self.share.join(self)
        self._started = now

    def finish(self, now: float) -> None:
        if self._started is None:
            return
        hold = self.share.hold_s(self, max(now - self._started, 0.0))
        self._started = None
        self.next_start = now + hold
        self.waited = hold > 0

    def idle(self) -> None:
        self.share.leave(self)
        self._started = None
        self.waited = False
