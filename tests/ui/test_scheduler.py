"""The frame clock: 60 frames a second for a page alone, slower for all as the class grows."""
from __future__ import annotations

import gc

import pytest

from playground.ui.scheduler import LOAD_SHARE, FrameClock


class Page:
    """Anything a weak reference can point at stands for a page."""


def test_a_page_alone_draws_sixty_times_a_second():
    clock = FrameClock()
    page = Page()
    for _ in range(10):
        clock.record(page, 2.0)
    assert clock.period_ms == 16 and clock.frames_per_second == pytest.approx(62.5)


@pytest.mark.parametrize("pages,cost_ms,period", [(1, 2.0, 16), (5, 2.0, 16), (10, 2.0, 20),
                                                   (30, 2.0, 67), (60, 2.0, 150),
                                                   (100, 2.0, 200)])
def test_the_period_keeps_frames_under_a_share_of_the_loop(pages, cost_ms, period):
    clock = FrameClock()
    crowd = [Page() for _ in range(pages)]
    for _ in range(20):
        for p in crowd:
            clock.record(p, cost_ms)
    assert clock.load_ms == pytest.approx(pages * cost_ms)
    assert clock.period_ms == period
    if period < 200:       # the longest period is the floor, even when the loop cannot keep up
        assert pages * cost_ms <= LOAD_SHARE * clock.period_ms


def test_slower_at_once_faster_only_with_room_to_spare():
    clock = FrameClock()
    a, b = Page(), Page()
    clock.record(a, 11.0)
    clock.record(b, 11.0)                 # 22 ms a round
    assert clock.period_ms == 25
    clock.costs[b] = 9.0                  # 20 ms: 20 would fit, but with no room to spare
    clock.record(a, 11.0)
    assert clock.period_ms == 25
    clock.forget(b)                       # 11 ms: 0.85 x 16 = 13.6 has room
    assert clock.period_ms == 16


def test_a_closed_page_stops_counting():
    clock = FrameClock()
    crowd = [Page() for _ in range(10)]
    for p in crowd:
        clock.record(p, 4.0)
    assert clock.period_ms == 40          # 40 ms a round
    del crowd[5:], p
    gc.collect()                          # pages that are gone weigh nothing
    clock.record(crowd[0], 4.0)
    assert clock.load_ms == pytest.approx(20.0)     # 0.85 x 25 = 21.25 has room to spare
    assert clock.period_ms == 25


class FakeDoc:
    """What PlaygroundApp uses of a Bokeh document to run its frames."""

    session_context = None

    def __init__(self):
        self.callbacks = []

    def add_periodic_callback(self, callback, period):
        self.callbacks.append(period)
        return period

    def remove_periodic_callback(self, callback):
        self.callbacks.remove(callback)


def test_a_page_follows_the_clock(monkeypatch):
    from playground.ui import PlaygroundApp, scheduler
    clock = FrameClock()
    monkeypatch.setattr(scheduler, "CLOCK", clock)
    app = PlaygroundApp()
    doc = FakeDoc()
    app._doc, app._callback, app.period_ms = doc, doc.add_periodic_callback(None, 16), 16
    others = [Page() for _ in range(20)]
    for p in others:                      # a class arrives: 20 pages of 3 ms
        clock.record(p, 3.0)
    app._frame()
    assert doc.callbacks == [clock.period_ms] and app.period_ms == clock.period_ms > 16
    for p in others:
        clock.forget(p)
    app._frame()                          # the class leaves: back to 60 frames a second
    assert doc.callbacks == [16] and app.period_ms == 16
