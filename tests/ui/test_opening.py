"""A served page's first screen is made after its HTML has gone out, and the next spare
page waits until the pages opening are open (app.py: ``_fill_after_request``, ``OPENING``,
``quiet``)."""
import asyncio
import concurrent.futures
from types import SimpleNamespace

from bokeh.application.handlers import FunctionHandler
from bokeh.server.contexts import ApplicationContext
from panel.io.application import Application
from panel.io.state import set_curdoc
from tornado.ioloop import IOLoop

from playground.ui import app as app_module
from playground.ui import theme
from playground.ui.app import PlaygroundApp


def run(coro):
    """``asyncio.run`` in a thread of its own (a browser test's loop may run in this one)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def page_maker(seen, path="/app", share=False):
    """What ``panel serve`` runs for each session: the page, its request at ``path``."""
    def make(doc):
        doc.session_context._request = SimpleNamespace(arguments={}, headers={}, cookies={},
                                                      path=path)
        with set_curdoc(doc):
            view = PlaygroundApp(query=None)
            view.servable(title="test")
            if share:
                theme.share_sheets(doc, keep=view.bokeh_objects())
        seen["view"], seen["doc"] = view, doc
    return make


class Connection:
    """What Bokeh's session is given for a browser's websocket: the document's changes go
    out through it (here, nowhere). A bare object would make each change fail inside Bokeh's
    ``patch_curdoc``, which then leaves the session's document as Bokeh's current one for
    every later test in the process."""

    def send_patch_document(self, event):
        sent = asyncio.get_running_loop().create_future()
        sent.set_result(None)
        return sent


async def new_session(seen, **kw):
    """A session of Bokeh's own for a page of ``page_maker`` (its HTML goes out then); its
    application's context is kept in ``seen`` (the session finds its own through it)."""
    seen["context"] = context = ApplicationContext(
        Application(FunctionHandler(page_maker(seen, **kw))), io_loop=IOLoop.current(),
        url="/app")
    return await context.create_session_if_needed("s1")


FILLED_WITHIN_S = 20.0    # the first screen's steps, a turn of the loop each: done by then


def serve_a_page(path="/app"):
    """One page served as ``panel serve`` serves it, on a session of Bokeh's own: the
    page, its document's models just after the session was made (the HTML goes out
    then), and once its first screen has been made, a turn of the event loop a step,
    from FILL_AFTER_MS on (its three columns in place and their style texts shared; on a
    busy machine the steps take longer: waited for, up to FILLED_WITHIN_S)."""
    seen = {}

    def long_texts(document):
        kept = {id(m) for m in seen["view"].bokeh_objects()}     # shown as they are
        return sum(
            isinstance(s, str) and len(s) >= theme.SHARED_SHEET_CHARS
            for m in document.models if hasattr(m, "stylesheets") and id(m) not in kept
            for s in m.stylesheets)

    async def main():
        session = await new_session(seen, path=path, share=True)
        box = seen["view"].tab_box("playground")
        seen["at_html"] = (len(session.document.models), len(box.objects))
        seen["opening_at_html"] = seen["view"] in app_module.OPENING
        await asyncio.sleep(app_module.FILL_AFTER_MS / 1e3 + 0.3)
        deadline = asyncio.get_running_loop().time() + FILLED_WITHIN_S
        while True:
            seen["filled"] = (len(session.document.models), len(box.objects))
            seen["long_texts"] = long_texts(session.document)
            if (seen["filled"][1] == 3 and seen["long_texts"] == 0
                    or asyncio.get_running_loop().time() > deadline):
                break
            await asyncio.sleep(0.05)
        seen["view"].stop()
    run(main())
    return seen


def test_a_served_pages_first_screen_is_made_after_its_html_and_its_styles_shared():
    seen = serve_a_page()
    models_at_html, children_at_html = seen["at_html"]
    models, children = seen["filled"]
    assert children_at_html == 1            # the tab's introduction only, as the HTML goes
    assert models_at_html < 200, models_at_html
    assert children == 3 and models > models_at_html + 200, (models_at_html, models)
    # the models made later share the long style texts as those made first do
    assert seen["long_texts"] == 0
    assert seen["opening_at_html"]


def test_a_browser_that_connects_before_its_time_gets_the_first_screen_first(monkeypatch):
    """A browser with the scripts in its cache may connect sooner than FILL_AFTER_MS: the
    first screen is made as it connects (``fill_when_connected``), before it can ask for
    the document, and only once."""
    monkeypatch.setattr(app_module, "FILL_AFTER_MS", 5000)     # its time: not in this test
    seen = {}

    async def main():
        session = await new_session(seen)
        box = seen["view"].tab_box("playground")
        await asyncio.sleep(0.05)                   # the HTML has gone; nobody connected
        seen["before"] = (len(box.objects), len(session.document.models))
        session.subscribe(Connection())                 # a websocket connects
        seen["at_connect"] = len(box.objects)
        await asyncio.sleep(0.05)                   # Panel's models, the shared styles
        seen["after"] = len(session.document.models)
        session.subscribe(Connection())                 # another: nothing made again
        await asyncio.sleep(0.05)
        seen["again"] = len(session.document.models)
        seen["view"].stop()
    run(main())
    assert seen["before"][0] == 1 and seen["at_connect"] == 3
    assert seen["after"] > seen["before"][1] + 200
    assert seen["again"] == seen["after"]


def test_without_a_bokeh_session_the_first_screen_comes_at_its_time_only():
    calls = []
    assert not app_module.fill_when_connected(None, lambda: calls.append(1))
    assert not app_module.fill_when_connected(SimpleNamespace(session=None),
                                              lambda: calls.append(1))
    connected = SimpleNamespace(session=SimpleNamespace(subscribe=lambda c: None,
                                                        connection_count=1))
    assert app_module.fill_when_connected(connected, lambda: calls.append(1))
    assert calls == [1]                             # connected already: at once


def test_a_session_made_for_a_websocket_gets_its_page_whole_at_once():
    """Another process of ``--num-procs`` than the one that sent the HTML makes the session
    as the browser's websocket connects, and the browser asks for the document at once: a
    first screen sent after it would miss the sizes and pictures set up when it is ready."""
    seen = serve_a_page(path="/app/ws")
    assert seen["at_html"][1] == 3 and seen["at_html"][0] > 300, seen["at_html"]


def test_the_next_spare_waits_while_a_page_opens(monkeypatch):
    """A page given to a session is opening until its browser has shown it and its first
    frame after has put its parts: the next spare page is not made meanwhile (``quiet``)."""
    from playground.ui import parts
    monkeypatch.setattr(parts, "PACE", parts.PutPace())
    page = PlaygroundApp(query=None)
    assert app_module.quiet()
    app_module.OPENING.add(page)                # as ``__panel__`` does on a served page
    assert not app_module.quiet()
    monkeypatch.setattr(page, "_doc", SimpleNamespace(
        session_context=SimpleNamespace(_session=SimpleNamespace(connection_count=1))))
    page._shown = False
    page.tick()                                 # not shown yet: still opening
    assert not app_module.quiet()
    page._on_shown()
    page.tick()                                 # its first frame: still opening
    assert not app_module.quiet()
    page._shown_at = page.clock() - app_module.OPEN_S      # OPEN_S later
    puts = []
    while page in app_module.OPENING and len(puts) < 5:
        before = len(page.later)
        page._last_put = -1e9
        page.tick()
        puts.append(before - len(page.later))
    assert page not in app_module.OPENING and app_module.quiet()
    assert puts[-1] == 0                        # opened at the first frame that put nothing
    app_module.OPENING.add(page)
    page.stop()                                 # a page closed while opening is forgotten
    assert page not in app_module.OPENING


def test_the_next_spare_waits_while_a_page_builds_a_lab_or_puts_parts(monkeypatch):
    """A spare made in the builder's thread would hold back the lab a student has just
    asked for (one build at a time there): not while a page builds one or puts parts."""
    from playground.ui import parts
    monkeypatch.setattr(parts, "PACE", parts.PutPace())
    page = PlaygroundApp(query=None)
    now = [100.0]
    page.clock = lambda: now[0]
    app_module.DRAWING.add(page)
    try:
        assert not page.building() and app_module.quiet()
        page._build_at_next_frame("descent")            # a first click on a lab's tab
        assert page.building() and not app_module.quiet()
        page._to_build = None
        page._last_put = now[0]                          # its cards going in
        assert page.building() and not app_module.quiet()
        now[0] += 1.5                                    # and a while after the last
        assert not page.building() and app_module.quiet()
    finally:
        app_module.DRAWING.discard(page)


def test_a_sweep_of_closed_pages_waits_while_a_page_opens(monkeypatch):
    """A page reloaded closes and opens at once: the sweep of the closed page's objects
    (every page waits for it) does not come while the new one opens (``busy``)."""
    from playground.server.gcpolicy import FreezeCollector
    from playground.ui import parts
    monkeypatch.setattr(parts, "PACE", parts.PutPace())
    now, pending = [0.0], []
    collector = FreezeCollector(quiet_s=2, max_wait_s=60, call_later=lambda s, fn: pending.append(
        (now[0] + s, fn)), clock=lambda: now[0], busy=app_module.busy)
    monkeypatch.setattr(collector, "sweep", lambda: setattr(collector, "sweeps",
                                                             collector.sweeps + 1))

    def advance(seconds):
        end = now[0] + seconds
        while (due := sorted((t, i) for i, (t, _) in enumerate(pending) if t <= end)):
            now[0], i = due[0]
            pending.pop(i)[1]()
        now[0] = end

    page = PlaygroundApp(query=None)
    try:
        collector.closed()                      # the old page went
        app_module.OPENING.add(page)            # and its reload opens
        advance(10)
        assert collector.sweeps == 0 and app_module.busy()
        app_module.OPENING.discard(page)        # open: the sweep at the next look
        assert not app_module.busy()
        advance(2)
        assert collector.sweeps == 1
    finally:
        app_module.OPENING.discard(page)
        page.stop()


def serve_and_watch(connect_after_steps=None):
    """A page served as ``serve_a_page`` serves it, its playground tab watched at every
    turn of the event loop until it is whole: the (tab's boxes, body's columns) seen, in
    order. ``connect_after_steps``: a browser connects once the body shows that many
    columns (None: none connects)."""
    seen = {"states": [], "found": []}

    async def main():
        session = await new_session(seen)
        view = seen["view"]
        box, body = view.tab_box("playground"), view.body
        connected = False
        for _ in range(200000):
            state = (len(box.objects), len(body.objects))
            if not seen["states"] or seen["states"][-1] != state:
                seen["states"].append(state)
            found = len(session.document.models)    # the models the document knows of
            if not seen["found"] or seen["found"][-1] != found:
                seen["found"].append(found)
            if (connect_after_steps is not None and not connected
                    and state[0] == 3 and state[1] >= connect_after_steps):
                connected = True
                session.subscribe(Connection())
                seen["at_connect"] = (len(box.objects), len(body.objects))
            if state == (3, 3) and len(seen["states"]) > 1:
                break
            await asyncio.sleep(0)          # every turn of the loop
        await asyncio.sleep(0.1)
        seen["models"] = len(session.document.models)
        view.stop()
    run(main())
    return seen


def test_a_first_screen_is_made_a_column_a_turn():
    """The first screen's models go in four steps (the top rows, then the data, network and
    output columns), each in a turn of its own: other pages' frames go between them."""
    seen = serve_and_watch()
    assert seen["states"] == [(1, 0), (3, 0), (3, 1), (3, 2), (3, 3)], seen["states"]
    assert seen["models"] > 300
    # and the document finds the steps' models once, after the last: not by a walk of all
    # the page's models at each step (13-38 ms each alone, 0.1-0.15 s under load)
    assert seen["found"] == seen["found"][:1], seen["found"]
    assert seen["models"] > seen["found"][0] + 200


def test_a_browser_that_connects_midway_gets_the_rest_at_once():
    seen = serve_and_watch(connect_after_steps=1)
    assert seen["at_connect"] == (3, 3), seen["at_connect"]
    assert seen["models"] > 300
