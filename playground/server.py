"""What a playground server sets up for its whole process, in one explicit call.

``install()`` is called by ``app.py`` (``panel serve app.py``) before the first page:

* JAX's device (``PLAYGROUND_DEVICE``) and on-disk compilation cache
  (``PLAYGROUND_CACHE_DIR``): ``jaxconfig.configure``;
* the faster frame messages (``ui.wire``), where the Bokeh and Panel releases are the ones
  they were written for (else Bokeh's and Panel's own stay); ``PLAYGROUND_WIRE=bokeh``
  keeps Bokeh's and Panel's own. The server log says at start which one serves the pages;
* the server log: the playground's lines ("Frames stopped for a page …") beside Bokeh's,
  and no lines for frames that were on their way to a tab that just closed;
* the guard of Panel's ``/components/`` handler (``ui.resource_guard``).

Importing any module of the package changes nothing in the process; this does. Headless
use (``from playground import Run``) needs none of it; ``jaxconfig.configure()`` alone
gives a notebook the same device choice and compilation cache.
"""
from __future__ import annotations

import logging
import os

LOG_NAME = "playground"
WIRE_ENV = "PLAYGROUND_WIRE"
WIRES = ("fast", "bokeh")       # the first is the default
_installed = False


class ClosedTabFilter(logging.Filter):
    """A tab closed while a frame was on its way makes tornado log a WebSocketClosedError
    traceback ("Task exception was never retrieved"), and Bokeh and Panel a warning
    "Failed sending message as connection was closed". The frame is simply not needed any
    more; the session's frames stop at the next tick. Drop those log records."""

    def filter(self, record):
        exc = record.exc_info[1] if record.exc_info else None
        text = record.getMessage() if record.args else str(record.msg)
        return not (type(exc).__name__ in ("WebSocketClosedError", "StreamClosedError")
                    or "WebSocketClosedError()" in text
                    or text.startswith("Failed sending message as connection was closed"))


CLOSED_TAB_LOGGERS = ("asyncio", "bokeh.server.views.ws", "panel.io.document")


def install_logging() -> None:
    """The playground's log lines on stderr, and the closed-tab filter (once)."""
    for name in CLOSED_TAB_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ClosedTabFilter) for f in logger.filters):
            logger.addFilter(ClosedTabFilter())
    log = logging.getLogger(LOG_NAME)
    if not log.handlers:            # the server's log (stderr), beside Bokeh's own lines
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def wire_choice() -> str:
    """``PLAYGROUND_WIRE``: "fast" (the default: ``ui.wire`` where supported) or "bokeh"
    (Bokeh's and Panel's own). Any other value: one warning line, and the default."""
    raw = os.environ.get(WIRE_ENV, "")
    value = raw.strip().lower()
    if value in WIRES:
        return value
    if value:
        logging.getLogger(LOG_NAME).warning("%s=%r is neither %s: the default, %s",
                                            WIRE_ENV, raw, " nor ".join(WIRES), WIRES[0])
    return WIRES[0]


def install_wire() -> str:
    """The frame messages' path for this process, said in one line of the server log:
    "fast" (``ui.wire`` installed) or "bokeh" (Bokeh's and Panel's own: chosen with
    ``PLAYGROUND_WIRE=bokeh``, or ``ui.wire`` not supported here, which logs why)."""
    from .ui import wire
    log = logging.getLogger(LOG_NAME)
    if wire_choice() == "bokeh":
        log.info("%sBokeh's and Panel's own (%s=bokeh)", wire.LOG_PREFIX, WIRE_ENV)
        return "bokeh"
    if wire.install():
        log.info("%sthe fast wire (%s=bokeh for Bokeh's and Panel's own)",
                 wire.LOG_PREFIX, WIRE_ENV)
        return "fast"
    return "bokeh"


def install() -> None:
    """Set the process up for serving pages (idempotent)."""
    global _installed
    if _installed:
        return
    from . import jaxconfig
    from .ui import resource_guard
    install_logging()           # first: the lines below go to the server log
    jaxconfig.configure()
    install_wire()
    resource_guard.install()
    _installed = True
