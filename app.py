"""Neural Network Playground — `panel serve app.py` (or `python app.py`)."""
import panel as pn
from panel.io.resources import LOCAL_DIST

import playground
from playground import server, warm
from playground.ui import PlaygroundApp

server.install()               # JAX, the frame messages, the log, the /components/ guard
pn.extension(notifications=False)
# the programs every page shares compile in the background: once the first page has loaded
# (that page compiles what it needs itself, faster alone), or after warm.DELAY_S
playground.warmup_in_background(delay_s=warm.start_delay())


def page():
    """One page per browser session, opened with the settings of its link (if any)."""
    return PlaygroundApp(query=pn.state.session_args if pn.state.curdoc else None)


if __name__ == "__main__":
    pn.serve(page, port=5006, show=False, title="Neural Network Playground")
elif pn.state.served:
    # Panel's stylesheets from this server, never its CDN (a class may have no internet).
    # Panel records where they are when it renders a page over HTTP; with --num-procs a
    # page's websocket can reach the other process, which then builds the session itself.
    pn.state.curdoc._template_variables.setdefault(
        "dist_url", f"{pn.state.rel_path}/{LOCAL_DIST}" if pn.state.rel_path else LOCAL_DIST)
    page().servable(title="Neural Network Playground")
    pn.state.onload(playground.warmup_in_background)
