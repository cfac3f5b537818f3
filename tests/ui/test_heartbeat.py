"""Signs of life from the browser: a page whose browser went quiet stops its frames."""
from __future__ import annotations

import panel as pn

from playground.ui import app as app_module
from playground.ui import heartbeat
from playground.ui.heartbeat import HIDDEN_QUIET_S, QUIET_S, Heartbeat


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def beat(hb, n, hidden=0):
    hb.model.tags = [n, hidden]


def frames(hb, clock, seconds, period=0.016):
    """The page's frames for ``seconds``: whether it was away at the last one."""
    end = clock.now + seconds
    away = hb.away()
    while clock.now < end:
        clock.now += period
        away = hb.away()
    return away


def test_a_page_that_never_beat_is_never_away():
    clock = Clock()
    hb = Heartbeat(clock)
    assert not frames(hb, clock, 10.0)   # a client without a browser (the load test's)


def test_a_shown_page_is_away_after_a_quiet_second_and_back_with_the_next_beat():
    clock = Clock()
    hb = Heartbeat(clock)
    beat(hb, 1)
    assert not frames(hb, clock, QUIET_S - 0.05)
    assert frames(hb, clock, 0.1)
    beat(hb, 2)
    assert not hb.away()


def test_a_busy_server_does_not_blame_the_browser():
    """A page build held the server for 1.5 s: the beats waited in its queue. That gap
    counts as two beats' time, not as 1.5 s of quiet."""
    clock = Clock()
    hb = Heartbeat(clock)
    beat(hb, 1)
    frames(hb, clock, 0.1)
    clock.now += 1.5
    assert not hb.away()
    beat(hb, 2)
    assert not frames(hb, clock, 0.2)


def test_a_hidden_page_may_beat_once_a_minute():
    clock = Clock()
    hb = Heartbeat(clock)
    beat(hb, 1, hidden=1)
    assert not frames(hb, clock, 30.0, period=0.2)
    assert frames(hb, clock, HIDDEN_QUIET_S - 30.0 + 0.5, period=0.2)
    beat(hb, 2, hidden=0)           # shown again
    assert frames(hb, clock, QUIET_S + 0.1)


def test_tags_that_are_no_beat_are_ignored():
    clock = Clock()
    hb = Heartbeat(clock)
    for junk in ([], ["x", "y"], [1], [None, None]):
        hb.model.tags = junk
    assert hb.last is None and not hb.away()


def test_the_page_beats_from_the_browser_every_quarter_second():
    from bokeh.document import Document
    doc = Document()
    hb = Heartbeat()
    hb.install(doc)
    callback, pace = doc.callbacks.js_event_callbacks["document_ready"]
    assert callback.args["beat"] is hb.model and callback.args["interval"] == heartbeat.BEAT_MS
    assert "visibilitychange" in callback.code and "beat.tags" in callback.code
    # and the frames shown one per animation frame, told by the frame number they carry
    # (tests/browser/test_page.py puts it to work)
    assert pace.args["frame"] is hb.frame and pace.args["max_ms"] == heartbeat.PACE_MAX_MS
    assert "apply_json_patch" in pace.code and "requestAnimationFrame" in pace.code


def test_an_away_page_stops_its_frames_and_training(monkeypatch):
    from playground.ui import PlaygroundApp
    app = PlaygroundApp()
    app.controls.playing = True
    app.tick()
    app.tick()
    epoch = app.run.epoch
    assert epoch > 0
    monkeypatch.setattr(app.heartbeat, "away", lambda now=None: True)
    for _ in range(5):
        app.tick()
    app.run.settle()
    assert app.run.epoch <= epoch + 1         # what was launched before, nothing more
    monkeypatch.setattr(app.heartbeat, "away", lambda now=None: False)
    app.tick()
    app.tick()
    assert app.run.epoch > epoch + 1 or app.run.pending


# ------------------------------------------------------------------ frames answered
def answer(hb, shown, n=1):
    hb.model.tags = [n, 0, shown]


def test_a_page_that_never_answered_a_frame_is_not_paced():
    hb = Heartbeat(Clock())
    for _ in range(10):
        assert hb.may_draw()
        hb.drawn()
    assert hb.sent == 10 and hb.frame.tags == [10] and hb.shown is None


def test_at_most_a_window_of_frames_waits_for_the_browser():
    clock = Clock()
    hb = Heartbeat(clock)
    hb.drawn()
    answer(hb, 1)
    assert hb.shown == 1
    for _ in range(heartbeat.WINDOW):
        assert hb.may_draw()
        hb.drawn()
    assert not hb.may_draw()                  # WINDOW frames unanswered
    clock.now += heartbeat.ANSWER_S / 2
    assert not hb.may_draw()
    answer(hb, 2, n=2)                        # the browser showed one more
    assert hb.may_draw()
    hb.drawn()
    assert not hb.may_draw()
    answer(hb, hb.sent, n=3)                  # it caught up (it answers the newest)
    assert hb.may_draw()


def test_a_lost_answer_holds_the_frames_only_for_a_moment():
    clock = Clock()
    hb = Heartbeat(clock)
    hb.drawn()
    answer(hb, 1)
    for _ in range(heartbeat.WINDOW):
        hb.drawn()
    assert not hb.may_draw()
    clock.now += heartbeat.ANSWER_S + 0.01
    assert hb.may_draw()


def test_answers_for_frames_never_drawn_or_older_ones_are_ignored():
    hb = Heartbeat(Clock())
    for _ in range(3):
        hb.drawn()
    answer(hb, 99)                            # a number never sent
    assert hb.shown is None
    answer(hb, 3, n=2)
    answer(hb, 1, n=3)                        # late and out of order
    assert hb.shown == 3
    for junk in (["a"], [None]):
        hb.model.tags = [4, 0, *junk]
    assert hb.shown == 3


def test_the_browser_answers_each_frame_at_its_next_animation_frame():
    hb = Heartbeat()
    (callback,) = hb.frame.js_property_callbacks["change:tags"]
    assert callback.args["frame"] is hb.frame
    assert "requestAnimationFrame" in callback.code and "s.send()" in callback.code


def test_a_page_the_browser_lags_behind_draws_less_but_keeps_training(monkeypatch):
    """Frames the browser has not shown yet: the page stops drawing, not training; once the
    browser answers, the next frame shows the epochs trained meanwhile."""
    from playground.ui import PlaygroundApp
    app = PlaygroundApp()
    hb = app.heartbeat
    app.controls.playing = True
    app.tick()
    answer(hb, hb.sent)                       # the browser answers: pacing is on
    drawn = []
    update = app.output.update
    monkeypatch.setattr(app.output, "update", lambda: (drawn.append(app.run.epoch), update())[1])
    for _ in range(12):
        app.tick()
    assert len(drawn) == heartbeat.WINDOW     # then it waits for the browser
    app.run.settle()
    trained = app.run.epoch
    assert trained > drawn[-1] + 2            # training went on
    answer(hb, hb.sent, n=2)
    app.tick()
    assert len(drawn) == heartbeat.WINDOW + 1 and drawn[-1] >= trained


def test_a_change_of_the_set_up_is_drawn_at_once_while_frames_wait(monkeypatch):
    """The browser has WINDOW frames to show; a click on a data set is drawn at the next
    frame all the same, in full (the diagram too), and training frames wait again after."""
    from playground.ui import PlaygroundApp
    app = PlaygroundApp()
    hb = app.heartbeat
    app.controls.playing = True
    app.tick()
    answer(hb, hb.sent)
    for _ in range(6):
        app.tick()
    assert not hb.may_draw()
    drawn, diagram = [], []
    update, diagram_update = app.output.update, app.diagram.update
    monkeypatch.setattr(app.output, "update", lambda: (drawn.append(1), update())[1])
    monkeypatch.setattr(app.diagram, "update", lambda: (diagram.append(1), diagram_update())[1])
    app.run.dataset = "xor"
    app.tick()
    assert drawn == [1] and diagram == [1]
    for _ in range(4):
        app.tick()
    assert drawn == [1]                       # then the window holds again


def test_a_page_waits_for_its_browser_to_connect_and_stops_once_it_has_gone(monkeypatch):
    """A new page's frames start when its browser's websocket connects (a ``?play=1`` page
    trains from then on, before the page reports ready), and stop once it has gone."""
    from types import SimpleNamespace
    from playground.ui import PlaygroundApp
    app = PlaygroundApp()
    session = SimpleNamespace(connection_count=0)      # Bokeh's session, no browser yet
    monkeypatch.setattr(app, "_doc", SimpleNamespace(
        session_context=SimpleNamespace(_session=session)))
    stopped = []
    monkeypatch.setattr(app, "stop", lambda: stopped.append(True))
    app.controls.playing = True
    for _ in range(3):
        app.tick()              # its browser still loads the page's scripts
    app.run.settle()
    assert app.run.epoch == 0 and not stopped and app.controls.playing
    session.connection_count = 1
    for _ in range(3):
        app.tick()
    app.run.settle()
    assert app.run.epoch > 0 and not stopped
    session.connection_count = 0                        # the tab closed
    app.tick()
    assert stopped == [True]


def test_a_new_page_trains_but_draws_nothing_until_its_browser_has_shown_it(monkeypatch):
    """Between its browser's connection and Panel's onload (the browser has built the
    page), a ``?play=1`` page trains but sends nothing: Panel would send each change of a
    frame on its own then, and put each held part in a walk of the page's models of its
    own. Once shown, the held parts go in together (a page that plays gets them before
    its training shows: app.LOWER_PARTS_AFTER_S), then the next frame draws."""
    from types import SimpleNamespace
    from playground.ui import PlaygroundApp
    app = PlaygroundApp()
    monkeypatch.setattr(app, "_doc", SimpleNamespace(
        session_context=SimpleNamespace(_session=SimpleNamespace(connection_count=1))))
    app._shown = False                      # as ``__panel__`` sets it under a server
    held = pn.Column(pn.pane.Markdown("below the first screen"))
    app.later.hold(held, together=True)
    drawn = []
    update = app.output.update
    monkeypatch.setattr(app.output, "update", lambda: (drawn.append(app.run.epoch), update())[1])
    app.controls.playing = True
    for _ in range(4):
        app.tick()
        app.run.settle()
    assert app.run.epoch > 0                # it trains meanwhile
    assert drawn == [] and held.objects == [] and len(app.later) == 1
    app._on_shown()
    app.tick()                              # the held parts, in a turn of their own
    assert drawn == [] and len(held.objects) == 1 and len(app.later) == 0
    app.tick()                              # then the frame
    assert drawn and drawn[-1] > 0


def test_a_page_at_rest_draws_its_first_frame_before_the_parts_below_it(monkeypatch):
    """The parts below the first screen take the browser most of a second: a page that
    does not play gets them once the student scrolls, or LOWER_PARTS_AFTER_S after it is
    shown, so that its first frame and its answer to a first click (a lab's tab) do not
    wait behind them."""
    from types import SimpleNamespace
    from playground.ui import PlaygroundApp
    app = PlaygroundApp()
    monkeypatch.setattr(app, "_doc", SimpleNamespace(
        session_context=SimpleNamespace(_session=SimpleNamespace(connection_count=1))))
    now = [100.0]
    app.clock = lambda: now[0]
    app._shown = False
    held = pn.Column(pn.pane.Markdown("below the first screen"))
    app.later.hold(held, together=True, tab=app_module.BELOW)
    drawn = []
    monkeypatch.setattr(app.output, "update", lambda: drawn.append(now[0]))
    app._on_shown()
    app.tick()                              # the first frame at once
    assert drawn and held.objects == []
    now[0] += app_module.LOWER_PARTS_AFTER_S - 0.1
    app.tick()
    assert held.objects == []               # the parts wait meanwhile
    now[0] += 0.2
    app.tick()
    assert len(held.objects) == 1 and len(app.later) == 0
    # ... or as soon as the student scrolls the page
    app = PlaygroundApp()
    monkeypatch.setattr(app, "_doc", SimpleNamespace(
        session_context=SimpleNamespace(_session=SimpleNamespace(connection_count=1))))
    app.clock = lambda: now[0]
    held = pn.Column(pn.pane.Markdown("below the first screen"))
    app.later.hold(held, together=True, tab=app_module.BELOW)
    app._on_shown()
    app.tick()
    app.heartbeat._beat("tags", None, [1, 0, 0, 0])
    now[0] += 0.5
    app.tick()
    assert held.objects == []
    app.heartbeat._beat("tags", None, [2, 0, 0, 1])      # scrolled
    assert app.heartbeat.scrolled
    app.heartbeat._beat("tags", None, [3, 0, 0])         # (an older page's beat)
    now[0] += 0.2
    app.tick()
    assert len(held.objects) == 1


def test_a_pages_held_parts_go_in_each_once_its_browser_has_shown_the_last(monkeypatch):
    """A page's held parts (a lab's cards' contents) go in one after another: each waits
    until the browser has answered the last (drawn it), so that the browser paints
    between them (a lab's first card otherwise waited for all its cards' contents); at
    most PUT_ANSWER_S, and not at all for a client that never beats or a hidden page."""
    from types import SimpleNamespace
    from playground.ui import PlaygroundApp, parts
    now = [100.0]
    monkeypatch.setattr(parts, "PACE", parts.PutPace(clock=lambda: now[0]))
    monkeypatch.setattr(parts, "PUT_BUDGET_MS", 0.0)     # one part a turn
    app = PlaygroundApp()
    monkeypatch.setattr(app, "_doc", SimpleNamespace(
        session_context=SimpleNamespace(_session=SimpleNamespace(connection_count=1))))
    app.clock = lambda: now[0]
    boxes = [pn.Column(pn.pane.Markdown(f"part {i}")) for i in range(4)]
    for box in boxes:
        app.later.hold(box)
    beat = app.heartbeat
    beat._beat("tags", None, [1, 0, 0])                 # a browser that beats
    sent = beat.sent

    def tick_after(seconds):
        now[0] += seconds
        app.tick()
        return [len(b.objects) for b in boxes]

    assert tick_after(0.2) == [1, 0, 0, 0]               # the first, numbered as a frame
    assert beat.sent == sent + 1
    assert tick_after(0.2) == [1, 0, 0, 0]               # not yet shown by the browser
    assert tick_after(0.5) == [1, 0, 0, 0]
    beat._beat("tags", None, [2, 0, beat.sent])          # drawn: the browser answers
    assert tick_after(0.2) == [1, 1, 0, 0]
    assert tick_after(heartbeat.PUT_ANSWER_S - 0.1) == [1, 1, 0, 0]
    assert tick_after(0.2) == [1, 1, 1, 0]               # an answer lost: not waited for
    beat._beat("tags", None, [3, 1, 0])                  # the page hidden: no animation
    assert tick_after(0.2) == [1, 1, 1, 1]               # frames to answer with


def test_a_playing_page_gets_all_its_parts_below_in_one_put(monkeypatch):
    """The own-data box (in view) comes at the first frame after the page is shown; the
    parts below come with it on a page that plays (one put, before its training shows:
    later they would stop its animation), on a page at rest only once due."""
    from types import SimpleNamespace
    from playground.ui import PlaygroundApp
    monkeypatch.setattr(app_module, "_served", lambda: True)
    for playing in (True, False):
        app = PlaygroundApp()
        monkeypatch.setattr(app, "_doc", SimpleNamespace(
            session_context=SimpleNamespace(_session=SimpleNamespace(connection_count=1))))
        app._hold_parts()
        assert app.own_data_box.objects == [] and app.lessons_box.objects == []
        app.controls.playing = playing
        app._on_shown()
        app.tick()
        assert app.own_data_box.objects
        assert bool(app.lessons_box.objects) == playing and bool(app.export_box.objects) == playing
        app.controls.playing = False
        app.stop()
