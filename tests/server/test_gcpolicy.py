"""The server's garbage-collection policy: pages' objects frozen, closed pages swept."""
import gc

import pytest

from playground.server.gcpolicy import FreezeCollector


class Loop:
    """A fake event loop and clock: ``call_later`` records, ``advance`` runs what is due."""

    def __init__(self):
        self.now, self.pending = 0.0, []

    def call_later(self, seconds, fn):
        self.pending.append((self.now + seconds, fn))

    def advance(self, seconds):
        end = self.now + seconds
        while True:
            due = sorted((t, i) for i, (t, _) in enumerate(self.pending) if t <= end)
            if not due:
                break
            t, i = due[0]
            _, fn = self.pending.pop(i)
            self.now = t
            fn()
        self.now = end


@pytest.fixture
def collector():
    loop = Loop()
    c = FreezeCollector(quiet_s=5, max_wait_s=60, max_closed=1000, cost_ratio=20,
                        call_later=loop.call_later, clock=lambda: loop.now)
    yield c, loop
    gc.unfreeze()


class Cycle:
    def __init__(self):
        self.me = self


def test_built_freezes_what_is_alive_a_moment_later(collector):
    c, loop = collector
    gc.unfreeze()
    before = gc.get_freeze_count()
    keep = [Cycle() for _ in range(100)]
    c.built()
    # not in the turn that puts the page or lab on screen (a full collection of what came
    # since the last freeze)
    assert gc.get_freeze_count() == before and c.freezes == 0
    loop.advance(c.freeze_after_s)
    assert gc.get_freeze_count() >= before + 100 and c.freezes == 1
    assert keep


def test_pages_built_together_are_frozen_once(collector):
    c, loop = collector
    for _ in range(5):                 # a class opening its pages
        c.built()
        loop.advance(0.1)
    loop.advance(c.freeze_after_s)
    assert c.freezes == 1
    c.built()                          # a page later: frozen in its turn
    loop.advance(c.freeze_after_s)
    assert c.freezes == 2 and not loop.pending


def test_garbage_is_freed_not_frozen_when_a_page_is_built(collector):
    import weakref
    c, loop = collector

    class Node:
        pass
    garbage = Cycle()
    probe = Node()
    garbage.probe = probe
    alive = weakref.ref(probe)
    del garbage, probe                 # a cycle nobody holds: only a collection frees it
    c.built()
    loop.advance(c.freeze_after_s)
    assert alive() is None


def test_a_closed_page_is_swept_after_a_quiet_spell(collector):
    c, loop = collector
    garbage = [Cycle() for _ in range(50)]
    c.built()                         # the page's cycles are frozen with it
    loop.advance(c.freeze_after_s)
    del garbage                        # the page closes: its cycles are garbage, frozen
    c.closed()
    loop.advance(4)
    assert c.sweeps == 0               # not while pages are still closing
    c.closed()                         # another page closes: the quiet spell starts again
    loop.advance(4.5)
    assert c.sweeps == 0
    loop.advance(1)
    assert c.sweeps == 1 and c.freed >= 50
    assert gc.get_freeze_count() > 0   # frozen again after the sweep


def test_a_sweep_that_meets_another_threads_collection_is_tried_again(collector):
    """``gc.collect`` does nothing while another thread is inside a collection (here one
    whose finalizer waits): the sweep is not counted as done, and comes again."""
    import threading
    import weakref
    c, loop = collector
    inside, release = threading.Event(), threading.Event()

    class Slow:                        # a finalizer that lets go of the interpreter lock
        def __init__(self):
            self.me = self

        def __del__(self):
            inside.set()
            release.wait(10)

    def collect_elsewhere():
        Slow()
        gc.collect()

    class Node:
        pass
    garbage = [Cycle() for _ in range(50)]
    probe = Node()
    garbage[0].probe = probe
    alive = weakref.ref(probe)
    c.built()
    loop.advance(c.freeze_after_s)     # frozen with the page
    del garbage, probe                 # the page closes
    c.closed()
    other = threading.Thread(target=collect_elsewhere)
    other.start()
    try:
        assert inside.wait(10)
        loop.advance(c.quiet_s + 0.1)  # the sweep is due while the other collection runs
        assert c.sweeps == 0 and c.skipped == 1 and alive() is not None
    finally:
        release.set()
        other.join(10)
    loop.advance(c.retry_s)            # tried again: done, the page's cycles freed
    assert c.sweeps == 1 and c.freed >= 50 and alive() is None
    loop.advance(300)
    assert c.sweeps == 1 and not loop.pending


def test_pages_closing_without_pause_are_swept_within_a_minute(collector):
    c, loop = collector                # quiet_s 5, max_wait_s 60, min_gap_s 30
    for _ in range(40):                # a page closes every 2 s for 80 s
        c.closed()
        loop.advance(2)
    assert c.sweeps == 1               # at 60 s: the closing never paused for 5 s
    loop.advance(10)
    assert c.sweeps == 2               # the rest, after the quiet spell
    loop.advance(300)                  # nothing closed since: no more sweeps
    assert c.sweeps == 2 and not loop.pending


def test_a_long_sweep_keeps_the_next_one_twenty_times_as_far(collector):
    c, loop = collector
    real_collect = gc.collect

    def slow_collect():                # a full class: the sweep takes 1.5 s
        loop.now += 1.5
        return real_collect()
    gc.collect = slow_collect
    try:
        c.closed()
        loop.advance(6)
        assert c.sweeps == 1 and c.last_duration == 1.5     # at t = 5 .. 6.5
        c.closed()                     # quiet by 11.5, but 20 × 1.5 s after the last start
        loop.advance(20)
        assert c.sweeps == 1
        loop.advance(10)
        assert c.sweeps == 2           # at t = 35
    finally:
        gc.collect = real_collect


def test_without_closed_pages_nothing_is_scheduled(collector):
    c, loop = collector
    c.built()
    loop.advance(1000)
    assert c.sweeps == 0 and c.freezes == 1 and not loop.pending


def test_a_sweep_waits_while_pages_train_and_comes_once_no_one_does(collector):
    """A sweep stalls every page (1.4 s with a class of 60): while pages train, it waits."""
    c, loop = collector
    training = [True]
    c.busy = lambda: training[0]
    c.closed()
    loop.advance(30)
    assert c.sweeps == 0               # quiet since t = 5, but pages train
    training[0] = False                # the class pauses
    loop.advance(5)
    assert c.sweeps == 1               # at the next look, a quiet spell later
    loop.advance(300)
    assert c.sweeps == 1 and not loop.pending


def test_while_pages_train_a_sweep_comes_at_the_cap_or_after_max_closed_pages(collector):
    c, loop = collector                # quiet_s 5, max_wait_s 60
    c.busy = lambda: True              # pages train all the time
    c.closed()
    loop.advance(59)
    assert c.sweeps == 0
    loop.advance(2)
    assert c.sweeps == 1               # at the cap, 60 s after the first close
    c.max_closed = 4
    for _ in range(3):                 # three pages closed: they wait
        c.closed()
        loop.advance(1)
    assert c.sweeps == 1
    c.closed()                         # the fourth: swept at once (20 × its length apart)
    loop.advance(0.1)
    assert c.sweeps == 2
    loop.advance(10)                   # the look planned for later finds nothing to do
    assert c.sweeps == 2 and not loop.pending


def test_the_default_policy_holds_at_most_sixteen_closed_pages_or_two_minutes():
    c = FreezeCollector(call_later=lambda s, fn: None)
    assert (c.max_closed, c.max_wait_s, c.quiet_s, c.cost_ratio) == (16, 120.0, 2.0, 20.0)
