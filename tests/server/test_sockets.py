"""A page's websocket sends at once: Nagle's algorithm is off on the server's side."""
import asyncio
import gc
import socket
import threading

from bokeh.application import Application
from bokeh.application.handlers.function import FunctionHandler
from bokeh.client import pull_session
from bokeh.models import Div
from bokeh.server.server import Server
from bokeh.server.views.ws import WSHandler

from playground.server import sockets


def _open_handlers() -> list:
    return [h for h in gc.get_objects() if isinstance(h, WSHandler)
            and h.ws_connection is not None and h.ws_connection.stream is not None]


def _nodelay(handler) -> int:
    return handler.ws_connection.stream.socket.getsockopt(socket.IPPROTO_TCP,
                                                          socket.TCP_NODELAY)


def _serve():
    """A Bokeh server with a one-Div app on a free port, in its own thread."""
    ready, box = threading.Event(), {}

    def run():
        asyncio.set_event_loop(asyncio.new_event_loop())
        app = Application(FunctionHandler(lambda doc: doc.add_root(Div(text="x"))))
        server = Server({"/": app}, port=0, address="127.0.0.1")
        server.start()
        box["server"] = server
        ready.set()
        server.io_loop.start()

    threading.Thread(target=run, daemon=True).start()
    assert ready.wait(20)
    return box["server"]


def _in_a_thread(work):
    """work() in a thread of its own: Bokeh's client runs an event loop, and a test before
    this one may have left one running in this thread."""
    box = {}

    def run():
        try:
            box["value"] = work()
        except BaseException as exc:          # (re-raised below)
            box["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_every_pages_websocket_has_nagle_off():
    assert sockets.install() and sockets.install()           # (idempotent)
    server = _serve()

    def look():
        session = pull_session(url=f"http://127.0.0.1:{server.port}/")
        try:
            return [_nodelay(h) for h in _open_handlers()]
        finally:
            session.close()
    try:
        options = _in_a_thread(look)
        assert options, "no open websocket on the server"
        assert all(options), options
    finally:
        server.io_loop.add_callback(server.stop)
        server.io_loop.add_callback(server.io_loop.stop)


def test_a_socket_that_cannot_take_the_option_is_left_as_it_is():
    class Closed:
        def set_nodelay(self, value):
            raise AttributeError("'NoneType' object has no attribute 'setsockopt'")

    assert sockets.no_delay(Closed()) is False
