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


def test_light_pages_keep_sixty_frames_beside_heavy_ones():
    clock = FrameClock()
    light, heavy = [Page() for _ in range(3)], [Page() for _ in range(2)]
    for _ in range(10):
        for p in light:
            clock.record(p, 0.5)
        for p in heavy:                   # a big network's diagram: 30 ms a frame
            clock.record(p, 30.0)
    assert [clock.period_for(p) for p in light] == [16, 16, 16]
    # the heavy ones share what is left: (1 - 3 x 0.5/16) / 2 of the loop each -> 67 ms
    assert [clock.period_for(p) for p in heavy] == [67, 67]
    used = sum(clock.costs[p] / clock.period_for(p) for p in light + heavy)
    assert used <= LOAD_SHARE
    assert clock.period_ms == 67
    for p in heavy:
        clock.forget(p)
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
    """What PlaygroundApp uses of a Bokeh document to run its frames: one timeout callback
    at a time, each asking for the next."""

    session_context = None

    def __init__(self):
        self.callbacks = []          # the delays asked for (ms), the pending one last

    def add_timeout_callback(self, callback, delay_ms):
        self.callbacks.append(delay_ms)
        return len(self.callbacks)

    def remove_timeout_callback(self, callback):
        raise ValueError("already ran")


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def _page_on(doc, clock, monkeypatch):
    from playground.ui import PlaygroundApp, scheduler
    frame_clock = FrameClock()
    monkeypatch.setattr(scheduler, "CLOCK", frame_clock)
    app = PlaygroundApp()
    app.clock = clock
    app._doc, app._callback, app.period_ms, app._due = doc, 0, 16, clock.now
    return app, frame_clock


def test_a_page_follows_the_clock(monkeypatch):
    doc, t = FakeDoc(), FakeClock()
    app, clock = _page_on(doc, t, monkeypatch)
    others = [Page() for _ in range(20)]
    for _ in range(5):
        clock.record(app, 3.0)            # frames that cost as much as ...
    for p in others:                      # ... a class that arrives: 20 pages of 3 ms
        clock.record(p, 3.0)
    app._frame()
    assert app.period_ms == clock.period_ms > 16
    assert doc.callbacks[-1] == pytest.approx(clock.period_ms)     # the next frame's delay
    for p in others:
        clock.forget(p)
    t.now = app._due
    app._frame()                          # the class leaves: back to 60 frames a second
    assert app.period_ms == 16 and doc.callbacks[-1] == pytest.approx(16)


def test_frames_keep_their_rhythm_and_a_late_one_is_not_followed_at_once(monkeypatch):
    """On time, a frame comes every period (62.5 a second at 16 ms). One that ran late
    (the event loop was busy) is followed by the next after MIN_GAP of a period, not at
    once: two frames a few ms apart would be shown in one animation frame of the browser."""
    from playground.ui.app import MIN_GAP
    doc, t = FakeDoc(), FakeClock()
    app, _ = _page_on(doc, t, monkeypatch)
    start = t.now
    for _ in range(10):                   # on time: the delays keep the 16 ms grid
        t.now += app._next_ms() / 1e3
    assert t.now - start == pytest.approx(0.160)
    t.now += 0.003                        # a frame 3 ms late: the next keeps the grid
    assert app._next_ms() == pytest.approx(13.0)
    t.now = app._due + 0.012              # one 12 ms late: the next comes MIN_GAP later
    assert app._next_ms() == pytest.approx(MIN_GAP * 16)
    assert 0.4 <= MIN_GAP < 1.0


def test_a_failed_frame_still_asks_for_the_next(monkeypatch):
    doc, t = FakeDoc(), FakeClock()
    app, _ = _page_on(doc, t, monkeypatch)

    def broken():
        raise RuntimeError("a bug in one frame")
    monkeypatch.setattr(app, "tick", broken)
    with pytest.raises(RuntimeError):
        app._frame()
    assert len(doc.callbacks) == 1        # the next frame is asked for all the same
    app.stop()
    monkeypatch.setattr(app, "tick", lambda: None)
    app._frame()                          # a stopped page asks for none
    assert len(doc.callbacks) == 1


# ------------------------------------------------------------ the compute share
from playground.ui.scheduler import LAUNCH_FRAMES, ComputeShare, Pace  # noqa: E402


def STILL():
    """The share's clock, stopped: what a test checks never hangs on how long a
    garbage collection (or a busy test machine) takes."""
    return 0.0


def test_a_heavy_page_alone_runs_at_full_speed():
    share = ComputeShare(clock=STILL)
    heavy = Pace(share)
    share.join(heavy)
    heavy.launched(0.0, 50)
    heavy.done(0.5, first_check=False)          # 10 ms an epoch, not ready by the next frame
    assert heavy.heavy and heavy.ms_per_epoch == pytest.approx(10.0)
    assert heavy.epochs(50, 16) == 50 and not heavy.limited
    assert heavy.may_launch(0.5)


def test_a_heavy_page_gets_its_share_when_others_train():
    share = ComputeShare(clock=STILL)
    heavy, light_a, light_b = Pace(share), Pace(share), Pace(share)
    for p in (heavy, light_a, light_b):
        share.join(p)
    heavy.launched(0.0, 50)
    heavy.done(0.5, first_check=False)          # 10 ms an epoch
    # waits twice what it took (three pages computing: it gets a third of the time) ...
    assert not heavy.may_launch(0.9) and heavy.may_launch(1.5)
    # ... and launches about two frames' worth of epochs, and says so
    assert heavy.epochs(50, 16) == int(LAUNCH_FRAMES * 16 / 10.0)
    assert heavy.limited
    heavy.launched(1.5, 3)
    heavy.done(1.53, first_check=False)         # 30 ms: waits 60 ms
    assert not heavy.may_launch(1.58) and heavy.may_launch(1.59)
    # the light pages finish within a frame: never held back
    for p in (light_a, light_b):
        p.launched(0.0, 1)
        p.done(0.016, first_check=True)
        assert p.may_launch(0.016) and p.epochs(5, 16) == 5 and not p.limited
    share.leave(light_a)
    share.leave(light_b)                        # alone again: full speed
    assert heavy.epochs(50, 16) == 50 and not heavy.limited


def test_a_new_setup_is_measured_with_one_epoch_while_others_train():
    share = ComputeShare(clock=STILL)
    page, other = Pace(share), Pace(share)
    share.join(page)
    assert page.epochs(50, 16, setup="2-4-2") == 50         # alone: no need to measure
    share.join(other)
    assert page.epochs(50, 16, setup="8x16") == 1           # a new network: one epoch
    page.launched(0.0, 1)
    page.done(0.1, first_check=False)                       # 100 ms an epoch: heavy
    assert page.epochs(50, 16, setup="8x16") == 1 and page.limited
    assert page.epochs(50, 16, setup="2-4-2") == 1          # changed back: measured anew
    page.launched(1.0, 1)
    page.done(1.016, first_check=True)                      # within a frame: light
    assert page.epochs(50, 16, setup="2-4-2") == 50 and not page.limited


def test_a_light_page_whose_frames_come_late_trains_the_epochs_it_is_owed():
    """A busy server draws a light page less often (the frame clock), and a long turn of
    the event loop delays a frame; its launches then carry the epochs it is owed at 60
    frames a second, within light launches (what one cannot carry goes to the next), so
    its training keeps its pace. A heavy page, a cut one, one not measured yet, or the
    first launch after a rest never catches up."""
    from playground.ui.scheduler import CATCH_UP_S, PERIODS_MS
    share = ComputeShare(clock=STILL)
    light, heavy, other = Pace(share), Pace(share), Pace(share)
    for p in (light, heavy, other):
        share.join(p)
    fast = PERIODS_MS[0] / 1e3                                     # s
    assert light.catch_up(1, 0.0, light_epochs=7) == 1            # not measured yet
    light.launched(0.0, 1)
    light.done(0.016, first_check=True)                           # done within a frame
    t = 0.0

    def at(frames, epochs=1, light_epochs=7):
        nonlocal t
        t += frames * fast
        return light.catch_up(epochs, t, light_epochs=light_epochs)

    assert at(1) == 1                                             # the count starts
    assert [at(1) for _ in range(5)] == [1] * 5                   # frames on time
    assert [at(1.5) for _ in range(4)] == [1, 2, 1, 2]            # every other frame missed
    assert at(3) == 3                                             # two frames missed
    assert at(3, epochs=2) == 6
    assert at(20) == 7 and light.owed == 13                       # a light launch at most,
    assert [at(1) for _ in range(3)] == [7, 7, 2]                 # the rest in the next ones
    assert at(20, light_epochs=4) == 4
    assert at(3, epochs=5, light_epochs=4) == 5                   # never fewer than asked
    assert at(1000) == 7                                          # a long stall: at most
    assert light.owed == CATCH_UP_S / fast - 7                    # CATCH_UP_S of it is owed
    light.rest()                                                  # paused: nothing owed,
    assert at(1000) == 1 and at(3) == 3                           # the count starts again
    heavy.launched(0.0, 50)
    heavy.done(0.5, first_check=False)                            # not done by its next frame
    n = heavy.epochs(50, PERIODS_MS[0])
    assert heavy.limited and heavy.catch_up(n, 1.0, light_epochs=7) == n
    assert heavy.catch_up(n, 2.0, light_epochs=7) == n
    share.leave(other)
    share.leave(light)
    assert heavy.epochs(50, PERIODS_MS[0]) == 50 and not heavy.limited    # alone: all it
    assert heavy.catch_up(50, 3.0, light_epochs=7) == 50                  # asked, no more


def test_the_share_forgets_closed_pages():
    share = ComputeShare(clock=STILL)
    a, b = Page(), Page()
    share.join(a)
    share.join(b)
    assert share.count == 2 and share.hold_s(a, 0.1) == pytest.approx(0.1)
    del b
    gc.collect()
    assert share.count == 1 and share.hold_s(a, 0.1) == 0.0


def test_frames_on_their_way_to_a_closed_tab_leave_nothing_in_the_log():
    import logging

    from playground import server
    server.install_logging()
    for name in ("asyncio", "bokeh.server.views.ws", "panel.io.document"):
        logger = logging.getLogger(name)
        record = logger.makeRecord(name, logging.WARNING, __file__, 1,
                                   "Failed sending message as connection was closed", (), None)
        assert not all(f.filter(record) for f in logger.filters), name
        other = logger.makeRecord(name, logging.WARNING, __file__, 1, "something else", (),
                                  None)
        assert all(f.filter(other) for f in logger.filters), name



def test_a_page_may_use_the_heavy_lane_only_while_others_train(monkeypatch):
    """The page lets its run take the heavy lane (engine/lanes.py) while another page
    trains; alone it trains as before."""
    from playground.ui import PlaygroundApp, scheduler
    # the share's own clock stands still: a first launch that compiles for longer than
    # ACTIVE_S (a loaded machine) would otherwise count the page as no longer computing
    share = ComputeShare(clock=lambda: 0.0)
    monkeypatch.setattr(scheduler, "SHARE", share)
    app = PlaygroundApp(query="?batch_size=1")
    app.controls.playing = True
    app.tick()
    assert share.count == 1 and not app.run.lane_allowed
    other = Page()
    share.join(other)
    app.tick()
    assert app.run.lane_allowed
    share.leave(other)
    app.tick()
    assert not app.run.lane_allowed
    app.controls.playing = False
    app.tick()
    assert share.count == 0


def test_the_share_is_busy_while_someone_computed_within_active_s():
    from playground.ui import scheduler
    now = [0.0]
    share = ComputeShare(clock=lambda: now[0])
    assert not share.busy()
    page = Pace(share)
    share.join(page)
    assert share.busy()
    now[0] += scheduler.ACTIVE_S + 0.1          # it stopped training a while ago
    assert not share.busy()
