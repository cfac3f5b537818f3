"""Neural Network Playground — `panel serve app.py` (or `python app.py`)."""
import panel as pn

import playground
from playground.ui import PlaygroundApp

pn.extension(notifications=False)
playground.warmup_in_background()


def page():
    return PlaygroundApp()


if __name__ == "__main__":
    pn.serve(page, port=5006, show=False, title="Neural Network Playground")
elif pn.state.served:
    page().servable(title="Neural Network Playground")
