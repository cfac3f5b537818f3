"""Neural Network Playground — `panel serve app.py` (or `python app.py`)."""
import panel as pn

import playground
from playground.ui import PlaygroundApp

pn.extension(notifications=False)
playground.warmup_in_background()


def page():
    """One page per browser session, opened with the settings of its link (if any)."""
    return PlaygroundApp(query=pn.state.session_args if pn.state.curdoc else None)


if __name__ == "__main__":
    pn.serve(page, port=5006, show=False, title="Neural Network Playground")
elif pn.state.served:
    page().servable(title="Neural Network Playground")
