"""Neural Network Playground — `panel serve app.py` (or `python app.py`)."""
import importlib

import panel as pn

from playground import server
from playground.ui import warming


def setup():
    """Once per process, before its first page of the playground (each later call returns
    at once): JAX's devices first, before anything computes; then the server's parts, and
    the programs every page shares compiled in the background (once the first page has
    loaded: that page compiles what it needs itself, faster alone; or after
    warm.DELAY_S), then the two slow labs built once, before a student's click."""
    server.install()           # JAX, the interpreter, the frame messages, the log, the guard
    import playground
    from playground.server import gcpolicy, warm
    from playground.ui.app import busy, warm_labs
    # a sweep of closed pages' objects stalls every page: not while pages train, open or
    # build, if it can wait (server/gcpolicy.py)
    gcpolicy.COLLECTOR.busy = busy
    warm.also(warm_labs)
    # what the threads below would import on first use, imported here first: an import
    # that ends in another thread while a session is made failed that session
    warm.import_ahead()
    importlib.import_module("panel.io.location")    # pages made in the builder's thread
    playground.warmup_in_background(delay_s=warm.start_delay())


def setup_and_make_a_page():
    """A server's first page request: its set-up and a page made, off the event loop (the
    browser shows "Warming up…" meanwhile, and loads the page again once it is made)."""
    setup()
    from playground.ui.app import SPARE
    SPARE.prepare(delay_s=0.0)


def page():
    """One page per browser session, opened with the settings of its link (if any);
    ``/app?teacher`` is the teacher's page (class mode)."""
    from playground.classroom import store
    from playground.ui import PlaygroundApp
    from playground.ui.app import MADE_FOR, made_ahead
    from playground.ui.teacher import TeacherPage
    args = pn.state.session_args if pn.state.curdoc else None
    if args and "teacher" in args:
        try:
            return TeacherPage(store.shared())
        except Exception as exc:            # the page says why, the server goes on
            return TeacherPage(None, problem=str(exc))
    if pn.state.curdoc is not None:
        # made off the event loop: a plain link's (?play=1, ?tab=…) ahead of it, another
        # link's while its session waited for its turn (server/admission.py)
        made = made_ahead(args) or MADE_FOR.take(pn.state.curdoc.session_context.id)
        if made is not None:
            return made
    return PlaygroundApp(query=args)


TITLE = "Neural Network Playground"

if __name__ == "__main__":
    setup()
    pn.extension(notifications=False)
    pn.serve(page, port=5006, show=False, title=TITLE)
elif pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
    # a page of `panel serve app.py`
    doc = pn.state.curdoc
    if warming.probe_request(doc) is not None:
        # a warming-up page asks whether a page has been made: one word, nothing made
        warming.serve_probe(doc)
    else:
        server.use_local_resources(doc)         # never Panel's CDN
        pn.extension(notifications=False)
        if warming.cold_page_request(doc):
            # a server just started, a browser asks: "Warming up…" at once (static
            # HTML, the page's scripts fetched ahead), the page once the server is set
            # up and has made one (its first-time compiles done)
            warming.in_background(setup_and_make_a_page)
            warming.serve(doc, TITLE)
        else:
            warming.wait_for_background()       # a set-up under way finishes first
            setup()
            import playground
            from playground.server import admission
            from playground.ui import PlaygroundApp, page_script, parts, scheduler, theme
            from playground.ui.app import MADE_FOR
            started = parts.PACE.clock()
            view = page()
            view.servable(title=TITLE)
            page_script.use(doc)                # plots drawn without reading CSS variables
            if isinstance(view, PlaygroundApp):  # each long style text sent once
                theme.share_sheets(doc, keep=view.bokeh_objects())
            # what making it held the event loop: while others train, the next page waits
            # (server/admission.py, at the pace of the pages' held parts)
            parts.PACE.put(started, scheduler.SHARE.count)
            admission.install(doc, parts.PACE, prepare=MADE_FOR.prepare)
            pn.state.onload(playground.warmup_in_background)
