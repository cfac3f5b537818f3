"""What a link may say about the page it opens (``state.urlstate.Page``): its tabs, as
``?tab=name`` opens them (the first is the default), and the controls a teacher may hide
with ``?hide=a,b`` (``PlaygroundApp._hideable`` maps each name to its widgets)."""
from __future__ import annotations

from ..state.urlstate import Page

TABS = ("playground", "neurons", "descent", "convolution", "digits")
HIDEABLE = ("data", "features", "layers", "learning_rate", "activation", "optimizer", "loss",
            "regularization", "batch_size", "noise", "ratio", "speed", "stop", "presets",
            "export")
PAGE = Page(TABS, HIDEABLE)


def page_address(location) -> str:
    """The page's address without its query ("http://host:5006/app"), from Panel's
    ``pn.state.location``; "" while the browser has not reported it."""
    if location is None or not location.hostname:
        return ""
    port = f":{location.port}" if location.port else ""
    return f"{location.protocol}//{location.hostname}{port}{location.pathname}"
