"""A page's messages leave the server at once: no Nagle delay on its websocket.

Tornado leaves Nagle's algorithm on for a websocket unless the handler turns it off
(``WebSocketHandler.set_nodelay``), and Bokeh's handler does not. With it on, a small
write waits until the browser has acknowledged the one before. The page answers its
frames (``ui/heartbeat.py``, about 30 answers a second) and Bokeh answers each of those
messages with a short "OK" of three writes, so a frame written just after an "OK" waited
for the browser's delayed acknowledgement (up to 40 ms on Linux), and every frame's answer
with it: the server could draw a frame in fewer than half of its ticks
(docs/performance.md, "Frames leave at once").

``install()`` wraps Bokeh's websocket handler's ``open`` (its public method, called once
per page when the socket opens) so that it also calls Tornado's public ``set_nodelay(True)``.
Where either is missing (another Bokeh or Tornado), nothing changes and one line in the
server log says so; a socket that refuses the option keeps Nagle's algorithm, quietly.
"""
from __future__ import annotations

import functools
import logging

from .logs import LOG_NAME

_installed = False


def install() -> bool:
    """Turn Nagle's algorithm off on every page's websocket from now on (idempotent).
    Returns whether it is on."""
    global _installed
    if _installed:
        return True
    try:
        from bokeh.server.views.ws import WSHandler
        opened = WSHandler.open
        WSHandler.set_nodelay          # (Tornado's, inherited)
    except (ImportError, AttributeError) as exc:
        logging.getLogger(LOG_NAME).warning(
            "Websockets keep Nagle's algorithm (frames may wait up to 40 ms): %s", exc)
        return False

    @functools.wraps(opened)
    def open_without_delay(self, *args, **kwargs):
        result = opened(self, *args, **kwargs)
        no_delay(self)
        return result

    WSHandler.open = open_without_delay
    _installed = True
    return True


def no_delay(handler) -> bool:
    """``set_nodelay(True)`` on one open websocket handler; False where it cannot be set
    (a socket already closed, or not TCP)."""
    try:
        handler.set_nodelay(True)
    except Exception:              # closed between open and here, or not a TCP stream
        return False
    return True
