"""The server log: the playground's own lines beside Bokeh's, and none for frames that
were on their way to a tab that just closed."""
from __future__ import annotations

import logging

LOG_NAME = "playground"


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
