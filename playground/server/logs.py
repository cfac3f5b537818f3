"""The server log: the playground's own lines beside Bokeh's, and none for frames that
were on their way to a tab that just closed."""
from __future__ import annotations

import logging

LOG_NAME = "playground"


class ClosedTabFilter(logging.Filter):
    """A tab closed while a frame was on its way makes tornado log a WebSocketClosedError
    traceback ("Task exception was never retrieved"), and Bokeh and Panel a warning
    "Failed sending message as connection was closed". The frame is simply not needed any
    more; the session's frames stop at the next tick. Drop those log records.

    A page's last messages can also reach the server after Bokeh has let its session go
    (its browser sends a sign of life four times a second, and Bokeh's keep-alive ping
    detaches a connection whose socket has closed while messages it sent are still being
    read). Bokeh then finds the connection without a session and logs an AssertionError
    traceback: for each such message ("Handler or its work threw an exception", then
    "server failed to handle a message, closing connection"; or "error handling
    message"), and once more when the socket's close is handled (Tornado's "Uncaught
    exception GET …/ws"). Those are dropped too; an AssertionError raised anywhere else is
    kept."""

    def __init__(self, name=""):
        super().__init__(name)
        self._late = False          # the last record dropped was a closed page's message

    def filter(self, record):
        exc = record.exc_info[1] if record.exc_info else None
        text = record.getMessage() if record.args else str(record.msg)
        late, self._late = self._late, False
        if _after_close(exc):
            self._late = True
            return False
        if late and text.startswith("Bokeh Server internal error: server failed to handle "
                                    "a message"):
            return False
        return not (type(exc).__name__ in ("WebSocketClosedError", "StreamClosedError")
                    or "WebSocketClosedError()" in text
                    or text.startswith("Failed sending message as connection was closed"))


def _after_close(exc) -> bool:
    """``exc`` is Bokeh's assertion that a connection still has its session (it has not
    once the page's websocket closed)."""
    if not isinstance(exc, AssertionError) or exc.__traceback__ is None:
        return False
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    return code.co_name == "session" and code.co_filename.replace("\\", "/").endswith(
        "bokeh/server/connection.py")


CLOSED_TAB_LOGGERS = ("asyncio", "bokeh.server.views.ws", "bokeh.server.protocol_handler",
                      "tornado.application", "panel.io.document")


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
