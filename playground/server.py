"""What a playground server sets up for its whole process, in one explicit call.

``install()`` is called by ``app.py`` (``panel serve app.py``) before the first page:

* JAX's device (``PLAYGROUND_DEVICE``) and on-disk compilation cache
  (``PLAYGROUND_CACHE_DIR``): ``jaxconfig.configure``;
* the faster frame messages (``ui.wire``), where the Bokeh and Panel releases are the ones
  they were written for (else Bokeh's and Panel's own stay);
* the server log: the playground's lines ("Frames stopped for a page …") beside Bokeh's,
  and no lines for frames that were on their way to a tab that just closed;
* the guard of Panel's ``/components/`` handler (``ui.resource_guard``).

Importing any module of the package changes nothing in the process; this does. Headless
use (``from playground import Run``) needs none of it; ``jaxconfig.configure()`` alone
gives a notebook the same device choice and compilation cache.
"""
from __future__ import annotations

import logging

LOG_NAME = "playground"
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


def install() -> None:
    """Set the process up for serving pages (idempotent)."""
    global _installed
    if _installed:
        return
    from . import jaxconfig
    from .ui import resource_guard, wire
    jaxconfig.configure()
    wire.install()
    install_logging()
    resource_guard.install()
    _installed = True
