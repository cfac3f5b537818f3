"""The server log: nothing for what a closing page leaves behind, everything else kept."""
import logging

from bokeh.server.connection import ServerConnection

from playground import server


def test_a_message_after_its_page_closed_leaves_no_traceback_in_the_log():
    """Bokeh's own AssertionError for a connection whose session is gone (the page's last
    sign of life crossed its closing websocket) and the "internal error" line after it are
    dropped; any other AssertionError and error line stay."""
    server.install_logging()

    class Session:
        def subscribe(self, c): pass
        def unsubscribe(self, c): pass

    connection = ServerConnection(None, None, None, Session())
    connection.detach_session()
    logger = logging.getLogger("bokeh.server.views.ws")
    kept = []

    class Keep(logging.Handler):
        def emit(self, record):
            kept.append(record.getMessage())

    handler = Keep()
    logger.addHandler(handler)
    try:
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
    finally:
        logger.removeHandler(handler)
