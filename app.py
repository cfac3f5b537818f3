"""Neural Network Playground — `panel serve app.py` (or `python app.py`)."""
import panel as pn

from playground import server

# first: JAX's devices are chosen before anything computes
server.install()               # JAX, the interpreter, the frame messages, the log, the guard

import playground                                   # noqa: E402
from playground.server import warm                  # noqa: E402
from playground.classroom import store              # noqa: E402
from playground.ui import PlaygroundApp, theme      # noqa: E402
from playground.ui.app import made_ahead, warm_labs    # noqa: E402
from playground.ui.teacher import TeacherPage       # noqa: E402

pn.extension(notifications=False)
# the programs every page shares compile in the background: once the first page has loaded
# (that page compiles what it needs itself, faster alone), or after warm.DELAY_S
warm.also(warm_labs)           # then the two slow labs built once, before a student's click
playground.warmup_in_background(delay_s=warm.start_delay())


def page():
    """One page per browser session, opened with the settings of its link (if any);
    ``/app?teacher`` is the teacher's page (class mode)."""
    args = pn.state.session_args if pn.state.curdoc else None
    if args and "teacher" in args:
        try:
            return TeacherPage(store.shared())
        except Exception as exc:            # the page says why, the server goes on
            return TeacherPage(None, problem=str(exc))
    if pn.state.curdoc is not None:
        made = made_ahead(args)         # made off the event loop (a plain link, ?play=1)
        if made is not None:
            return made
    return PlaygroundApp(query=args)


if __name__ == "__main__":
    pn.serve(page, port=5006, show=False, title="Neural Network Playground")
elif pn.state.served:
    server.use_local_resources(pn.state.curdoc)     # never Panel's CDN
    view = page()
    view.servable(title="Neural Network Playground")
    if isinstance(view, PlaygroundApp):     # each long style text sent once, not per part
        theme.share_sheets(pn.state.curdoc, keep=view.bokeh_objects())
    pn.state.onload(playground.warmup_in_background)
