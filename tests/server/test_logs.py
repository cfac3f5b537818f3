"""The server log: nothing for what a closing page leaves behind, everything else kept."""
import contextlib
import logging

from bokeh.server.connection import ServerConnection

from playground import server


class _Session:
    def subscribe(self, c): pass
    def unsubscribe(self, c): pass


def _closed_connection() -> ServerConnection:
    """A connection of Bokeh's own whose session has gone (as after its keep-alive ping
    found the socket closed)."""
    connection = ServerConnection(None, None, None, _Session())
    connection.detach_session()
    return connection


@contextlib.contextmanager
def _kept(logger):
    """The messages of the records ``logger`` lets through (the server's filters
    installed)."""
    server.install_logging()
    kept = []

    class Keep(logging.Handler):
        def emit(self, record):
            kept.append(record.getMessage())

    handler = Keep()
    logger.addHandler(handler)
    try:
        yield kept
    finally:
        logger.removeHandler(handler)


def test_a_message_after_its_page_closed_leaves_no_traceback_in_the_log():
    """Bokeh's own AssertionError for a connection whose session is gone (the page's last
    sign of life crossed its closing websocket) and the "internal error" line after it are
    dropped; any other AssertionError and error line stay."""
    connection = _closed_connection()
    logger = logging.getLogger("bokeh.server.views.ws")
    with _kept(logger) as kept:
        def handle(work):            # as Bokeh's WSHandler.on_message logs a failed message
            try:
                work()
            except Exception as e:
                logger.error("Handler or its work threw an exception: %r: %r", e, "msg",
                             exc_info=True)
                logger.error("Bokeh Server internal error: %s, closing connection",
                             "server failed to handle a message")

        handle(lambda: connection.session)
        assert kept == []

        def other():
            assert 1 + 1 == 3, "a real bug"
        handle(other)
        assert len(kept) == 2 and "a real bug" in kept[0] and "internal error" in kept[1]
        logger.error("Bokeh Server internal error: %s, closing connection",
                     "server failed to handle a message")
        assert len(kept) == 3                     # not after a closed page's message: kept


def test_every_way_bokeh_reports_a_closed_pages_message_is_dropped():
    """The same AssertionError as Bokeh's protocol handler logs it ("error handling
    message") and as Tornado logs it when the socket's close is handled ("Uncaught
    exception GET /app/ws"); the same loggers keep any other error."""
    connection = _closed_connection()
    for name, text in [("bokeh.server.protocol_handler",
                        "error handling message\n message: %r \n error: %r"),
                       ("tornado.application", "Uncaught exception %s\n%r")]:
        logger = logging.getLogger(name)
        with _kept(logger) as kept:
            try:
                connection.session.notify_connection_lost()
            except AssertionError as e:
                logger.error(text, "GET /app/ws", e, exc_info=True)
            assert kept == [], name
            try:
                raise KeyError("a real bug")
            except KeyError as e:
                logger.error(text, "GET /app/ws", e, exc_info=True)
            assert len(kept) == 1 and "a real bug" in kept[0], name
