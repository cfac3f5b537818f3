"""The faster PATCH-DOC builder sends what Bokeh's own would, for the playground's frames."""
import ast
import asyncio
import base64
import gzip
import inspect
import json
import logging
import re
import threading

import numpy as np
import pytest
from bokeh.document import Document
from bokeh.core.has_props import HasProps
from bokeh.model import Model
from bokeh.model.util import collect_models
from bokeh.models import ColumnDataSource, Div, Row
from bokeh.plotting import figure
from bokeh.protocol import Protocol
from bokeh.protocol.messages.patch_doc import patch_doc
from bokeh.server.views.ws import WSHandler
from panel.io import document as panel_document

from playground.server import wire


@pytest.fixture(autouse=True)
def _restore(wire_restored):
    """Each test leaves the fast wire as it found it."""


@pytest.fixture
def direct(monkeypatch):
    """The per-frame changes made directly, as while the fast wire is installed."""
    monkeypatch.setattr(wire, "_active", True)


def _normalise(msg):
    """The content of a message as the browser decodes it: every array's bytes in place,
    whether they came as a binary buffer or inline as base64."""
    buffers = {b.id: bytes(b.to_bytes()) for b in msg.buffers}

    def walk(x):
        if isinstance(x, dict):
            if x.get("type") == "bytes":
                data = x["data"]
                raw = (gzip.decompress(base64.b64decode(data)) if isinstance(data, str)
                       else buffers[data["id"]])        # as Bokeh's Deserializer reads them
                return ("bytes", raw)
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v) for v in x]
        return x
    return walk(json.loads(msg.content_json))


def _page():
    doc = Document()
    src = ColumnDataSource({"image": [np.zeros((3, 3), np.float32)], "x": [0.0]})
    fig = figure(width=100, height=100)
    fig.image(image="image", x=0, y=0, dw=1, dh=1, source=src)
    div = Div(text="epoch 0")
    doc.add_root(Row(fig, div))
    doc.models.flush_synced()                 # as after the page was first sent
    return doc, src, div, fig


def _both(doc, change):
    """Bokeh's message and ours for the same events, from the same document state."""
    events = []
    doc.on_change(events.append)
    change()
    new_before = set(doc.models._new_models)
    proto = Protocol()
    wire.uninstall()
    try:
        original = proto.create("PATCH-DOC", events)
        new_after_original = set(doc.models._new_models)
        doc.models._new_models = set(new_before)
        assert wire.install()
        ours = proto.create("PATCH-DOC", events)
        new_after_ours = set(doc.models._new_models)
    finally:
        wire.uninstall()
    return original, ours, new_after_original, new_after_ours


def test_supported_on_the_pinned_bokeh():
    assert wire.supported()


def test_a_frame_of_data_and_text_is_the_same_message():
    doc, src, div, _ = _page()

    def change():
        src.data = {"image": [np.arange(9, dtype=np.float32).reshape(3, 3)], "x": [1.0]}
        div.text = "epoch 12"
    a, b, na, nb = _both(doc, change)
    assert _normalise(a) == _normalise(b)
    assert na == nb
    assert '"epoch 12"' in a.content_json


def test_a_new_model_is_sent_whole_and_then_by_reference():
    doc, src, div, fig = _page()
    added = Div(text="new")

    def change():
        doc.roots[0].children = [*doc.roots[0].children, added]
        div.text = "changed"
    a, b, na, nb = _both(doc, change)
    assert _normalise(a) == _normalise(b)
    assert na == nb and added not in nb          # sent once: synced from now on
    content = json.loads(b.content_json)
    whole = [r for r in re.findall(r'"id":"[^"]+"', b.content_json) if added.id in r]
    assert whole and '"new"' in b.content_json and content["events"]


def test_small_arrays_travel_inline_and_big_ones_as_buffers():
    doc, src, div, _ = _page()
    big = np.arange(100 * 100, dtype=np.float32).reshape(100, 100)

    def change():
        src.data = {"image": [big], "x": np.arange(1, dtype=np.float64)}
    a, b, *_ = _both(doc, change)
    assert _normalise(a) == _normalise(b)
    assert len(a.buffers) == 2                  # Bokeh: every array a buffer
    assert len(b.buffers) == 1                  # ours: only the 40 kB picture
    assert b.buffers[0].to_bytes() == big.tobytes()


def test_stream_and_patch_events_too():
    doc, src, div, _ = _page()

    def change():
        src.stream({"image": [np.ones((3, 3), np.float32)], "x": [2.0]})
        src.patch({"x": [(0, 5.0)]})
    a, b, na, nb = _both(doc, change)
    assert _normalise(a) == _normalise(b)


def test_install_is_what_a_server_uses_and_uninstall_restores_bokeh():
    wire.uninstall()
    original = patch_doc.__dict__["create"]
    assert wire.install()
    assert patch_doc.__dict__["create"] is not original
    wire.uninstall()
    assert patch_doc.__dict__["create"] is original


def test_bokeh_reads_the_inline_arrays_back():
    """Bokeh's own decoder (the Python twin of the browser's) reads what we write inline."""
    from bokeh.core.serialization import Deserializer

    doc, *_ = _page()
    small = np.arange(12, dtype=np.float32).reshape(3, 4)
    rep = wire.DocumentSerializer(doc).encode(small)
    assert isinstance(rep["array"]["data"], str)          # inline, not a buffer
    np.testing.assert_array_equal(Deserializer().decode(rep), small)


@pytest.mark.filterwarnings("ignore:out of range integer")     # 2**60: Bokeh warns, both ways
def test_every_kind_of_value_encodes_as_bokeh_encodes_it():
    """The fast path (plain values, lists, dicts, plain arrays) and what it hands on to
    Bokeh (64-bit ints, masked, strided, 0-d arrays, NaN, huge ints) give Bokeh's output."""
    doc, src, div, fig = _page()
    grid = np.arange(20, dtype=np.float64).reshape(4, 5)
    values = {
        "f32": np.linspace(0, 1, 7, dtype=np.float32), "f64": grid,
        "i32": np.arange(5, dtype=np.int32), "u8": np.arange(5, dtype=np.uint8),
        "bool": np.array([True, False, True]), "i64": np.arange(5, dtype=np.int64),
        "big_i64": np.array([2 ** 40, 1], dtype=np.int64),
        "strided": grid[:, ::2], "masked": np.ma.masked_array([1.0, 2.0], [False, True]),
        "scalar": np.float32(2.5), "zero_d": np.array(3.0), "strings": np.array(["a", "b"]),
        "list": [1, 2.5, float("nan"), float("inf"), -float("inf"), None, True, "x"],
        "nested": [[1.0, 2.0], {"k": [np.arange(3, dtype=np.float32)]}],
        "empty": {}, "huge_int": 2 ** 60, "text": "épsilon <b>",
    }
    for name, value in values.items():
        ours = wire.DocumentSerializer(doc)
        theirs = wire.Serializer(references=set(doc.models), deferred=True)
        a, b = ours.encode(value), theirs.encode(value)

        def plain(rep, buffers):
            # arrays compared by their bytes: ours may inline them where Bokeh buffers them
            if isinstance(rep, dict) and rep.get("type") == "bytes":
                data = rep["data"]
                return ("bytes", gzip.decompress(base64.b64decode(data))
                        if isinstance(data, str) else bytes(data.to_bytes()))
            if isinstance(rep, dict):
                return {k: plain(v, buffers) for k, v in rep.items()}
            if isinstance(rep, (list, tuple)):
                return [plain(v, buffers) for v in rep]
            return rep
        assert json.dumps(plain(a, ours.buffers), default=repr, sort_keys=True) == \
            json.dumps(plain(b, theirs.buffers), default=repr, sort_keys=True), name


@pytest.mark.parametrize("n", [0, 1, 400, 4096, 65535, 65536, 140_000])
def test_stored_gzip_is_a_gzip_stream_any_reader_takes(n):
    data = np.random.default_rng(n).integers(0, 256, n, dtype=np.uint8)
    packed = wire.stored_gzip(data)
    assert gzip.decompress(packed) == data.tobytes()
    import zlib
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)         # and checks the CRC and size
    assert d.decompress(packed) == data.tobytes() and d.eof and not d.unused_data


# ---------------------------------------------------------- per-frame changes, made directly
def _message_of(doc, change):
    """The PATCH-DOC content (as the browser decodes it) of the events ``change`` makes."""
    events = []
    doc.on_change(events.append)
    try:
        change()
    finally:
        doc.remove_on_change(events.append)
    assert events, "the change made no event"
    content = _normalise(Protocol().create("PATCH-DOC", events))
    for event in content["events"]:          # Bokeh lists the changed columns from a set
        if event.get("cols"):
            event["cols"] = sorted(event["cols"])
            event["data"]["entries"] = sorted(event["data"]["entries"], key=lambda e: e[0])
    return content, [type(e) for e in events]


def _copy(data):
    return {k: (v.copy() if isinstance(v, np.ndarray) else list(v)) for k, v in data.items()}


def _same_data(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert type(a[k]) is type(b[k]), k
        np.testing.assert_equal(a[k], b[k])             # NaN equals NaN here


@pytest.mark.parametrize("columns", [
    {"image": [np.arange(9, dtype=np.uint8).reshape(3, 3)]},
    {"image": [np.ones((3, 3), np.float32)], "x": [2.5]},
    {"x": np.array([1.0], np.float32)},
])
def test_set_columns_sends_and_keeps_what_bokehs_update_does(columns, direct):
    doc, src, _, _ = _page()
    before = _copy(src.data)
    theirs, kinds = _message_of(doc, lambda: src.data.update(columns))
    after_theirs = _copy(src.data)
    dict.clear(src.data)
    dict.update(src.data, before)
    ours, our_kinds = _message_of(doc, lambda: wire.set_columns(src, columns))
    assert ours == theirs and our_kinds == kinds
    _same_data(src.data, after_theirs)


@pytest.mark.parametrize("start,rows", [
    ({"epoch": [1, 2], "loss": [0.5, 0.4]}, {"epoch": [3], "loss": [0.3]}),
    ({"epoch": [1], "loss": [0.5]}, {"epoch": [2, 3], "loss": [0.4, 0.25]}),
    ({"epoch": np.array([1, 2]), "loss": np.array([0.5, 0.4])},
     {"epoch": np.array([3]), "loss": np.array([0.3])}),
    ({"epoch": [], "loss": []}, {"epoch": [1], "loss": [float("nan")]}),
    ({"epoch": np.array([1]), "loss": np.array([0.5])},
     {"epoch": np.array([], int), "loss": np.array([])}),
    ({"epoch": [1], "loss": [0.5]}, {"epoch": np.array([2]), "loss": np.array([0.25])}),
    ({"epoch": (1,), "loss": (0.5,)}, {"epoch": [2], "loss": [0.25]}),
])
def test_stream_columns_sends_and_keeps_what_bokehs_stream_does(start, rows, direct):
    doc = Document()
    src = ColumnDataSource(_copy(start))
    fig = figure(width=100, height=100)
    fig.line("epoch", "loss", source=src)
    doc.add_root(fig)
    doc.models.flush_synced()
    theirs, kinds = _message_of(doc, lambda: src.stream(rows))
    after_theirs = _copy(src.data)
    dict.clear(src.data)
    dict.update(src.data, _copy(start))
    ours, our_kinds = _message_of(doc, lambda: wire.stream_columns(src, rows))
    assert ours == theirs and our_kinds == kinds
    _same_data(src.data, after_theirs)


def test_set_property_sends_what_bokehs_setattr_does_and_skips_no_change(direct):
    doc, _, div, _ = _page()
    theirs, kinds = _message_of(doc, lambda: setattr(div, "text", "epoch <b>7</b>"))
    div.text = "epoch 0"
    ours, our_kinds = _message_of(doc, lambda: wire.set_property(div, "text", "epoch <b>7</b>"))
    assert ours == theirs and our_kinds == kinds
    assert div.text == "epoch <b>7</b>"
    events = []
    doc.on_change(events.append)
    wire.set_property(div, "text", "epoch <b>7</b>")      # the same text: nothing to send
    assert events == []


def test_direct_changes_keep_python_listeners_and_work_outside_a_document(direct):
    doc, src, div, _ = _page()
    heard = []
    src.on_change("data", lambda attr, old, new: heard.append(attr))
    div.on_change("text", lambda attr, old, new: heard.append(attr))
    wire.set_columns(src, {"x": [3.0]})
    wire.set_property(div, "text", "heard")
    assert heard == ["data", "text"]                 # Bokeh's own way was taken
    lone = ColumnDataSource({"a": [1], "b": [2]})
    wire.set_columns(lone, {"a": [5]})
    wire.stream_columns(lone, {"a": [6], "b": [7]})
    assert dict(lone.data) == {"a": [5, 6], "b": [2, 7]}
    text = Div(text="x")
    wire.set_property(text, "text", "y")
    assert text.text == "y"


def test_stream_columns_with_other_columns_is_refused_as_bokeh_refuses_it(direct):
    doc, src, _, _ = _page()
    with pytest.raises(ValueError):
        wire.stream_columns(src, {"x": [1.0]})          # "image" is missing


# ------------------------------------------------------------------ onto the socket
def _run(make):
    """``asyncio.run(make())`` in a thread of its own: in the whole suite the browser tests
    leave an event loop running in this one."""
    out = {}

    def target():
        try:
            out["value"] = asyncio.run(make())
        except BaseException as exc:        # handed to the test below
            out["error"] = exc
    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in out:
        raise out["error"]
    return out.get("value")


class _Stream:
    """A Tornado IOStream's write side: what was written, in what calls."""

    def __init__(self):
        self.writes, self.is_closed = [], False

    def closed(self):
        return self.is_closed

    def write(self, data):
        from tornado.iostream import StreamClosedError
        if self.is_closed:
            raise StreamClosedError()
        self.writes.append(bytes(data))
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


def _connection():
    from types import SimpleNamespace
    from tornado.websocket import WebSocketProtocol13, _WebSocketParams
    ws = WebSocketProtocol13(None, mask_outgoing=False, params=_WebSocketParams())
    ws.stream = _Stream()
    return SimpleNamespace(_socket=SimpleNamespace(ws_connection=ws), protocol=Protocol()), ws


def _a_frame_message(with_buffer: bool):
    doc, src, div, _ = _page()
    events = []
    doc.on_change(events.append)
    big = np.arange(wire.INLINE_BYTES * 2, dtype=np.uint8).reshape(-1, 64)   # a buffer
    src.data = {"image": [big if with_buffer else np.eye(3, dtype=np.float32)], "x": [1.0]}
    div.text = "épоch 12 ✓"                     # text beyond ASCII
    return Protocol().create("PATCH-DOC", events)


@pytest.mark.parametrize("with_buffer", [False, True])
def test_a_message_goes_out_in_one_write_as_the_same_bytes_tornado_writes(with_buffer):
    assert wire.install()            # as a server has it (server.install): small arrays inline
    try:
        msg = _a_frame_message(with_buffer)
    finally:
        wire.uninstall()
    assert bool(msg.buffers) == with_buffer

    async def both():
        conn, ws = _connection()
        futures = wire._ORIGINAL_DISPATCH(conn, msg=msg)
        for f in futures:
            await f
        theirs, their_count = b"".join(ws.stream.writes), len(ws.stream.writes)
        counters = (ws._message_bytes_out, ws._wire_bytes_out)
        conn, ws = _connection()
        futures = wire.dispatch_tornado(conn, msg=msg)
        for f in futures:
            await f
        return theirs, their_count, counters, ws.stream.writes, (ws._message_bytes_out,
                                                                 ws._wire_bytes_out)
    theirs, their_count, their_counters, ours, our_counters = _run(both)
    assert their_count == (5 if with_buffer else 3)
    assert len(ours) == 1 and ours[0] == theirs
    assert our_counters == their_counters


def _handler():
    """Bokeh's websocket handler as a server has it for a page: its websocket (writing
    into a _Stream) and its write lock."""
    from tornado import locks
    _, ws = _connection()
    handler = WSHandler.__new__(WSHandler)
    handler.ws_connection, handler.write_lock = ws, locks.Lock()
    return handler, ws


def _lock_is_free(lock) -> bool:
    """Whether ``lock`` is taken at once (and then given back)."""
    taken = lock.acquire()
    if taken.done():
        lock.release()
        return True
    taken.cancel()
    return False


@pytest.mark.parametrize("with_buffer", [False, True])
def test_bokehs_messages_go_out_in_one_write_without_holding_the_lock(with_buffer):
    """Bokeh's replies and the changes it sends: the bytes its own writer writes, in one
    write, the socket's write lock free again before the loop turns (Panel, finding it
    held, would keep a click's changes back and send them late)."""
    msg = _a_frame_message(with_buffer)

    async def both():
        handler, ws = _handler()
        await wire._ORIGINAL_SEND(handler, msg)
        theirs = list(ws.stream.writes)
        handler, ws = _handler()
        sending = asyncio.ensure_future(wire.send_message(handler, msg))
        await asyncio.sleep(0)          # one turn of the loop: the message is written
        written, free = list(ws.stream.writes), _lock_is_free(handler.write_lock)
        await sending
        return theirs, written, free
    theirs, ours, free = _run(both)
    assert len(theirs) == 3 + 2 * len(msg.buffers) and ours == [b"".join(theirs)]
    assert free


def test_a_message_waits_while_bokehs_own_writer_holds_the_lock():
    """Where Bokeh's own writer is part-way through a message (the lock taken), this one
    goes after it, never between its parts."""
    first, second = _a_frame_message(False), _a_frame_message(True)

    async def run():
        handler, ws = _handler()
        await handler.write_lock.acquire()          # Bokeh's writer, mid-message
        await handler.write_message(first.header_json, locked=False)
        sending = asyncio.ensure_future(wire.send_message(handler, second))
        for _ in range(3):
            await asyncio.sleep(0)
        during = len(ws.stream.writes)
        await handler.write_message(first.metadata_json, locked=False)
        await handler.write_message(first.content_json, locked=False)
        handler.write_lock.release()
        await sending
        return during, ws.stream.writes
    during, writes = _run(run)
    assert during == 1 and len(writes) == 4
    assert writes[3].startswith(wire._frame_head(0x1, len(second.header_json.encode())))


def test_a_closed_tab_is_said_as_bokeh_says_it_and_is_no_failure(log_records, caplog):
    msg = _a_frame_message(False)
    assert wire.install()

    async def closes_while_writing():
        from tornado.iostream import StreamClosedError
        handler, ws = _handler()
        failed = asyncio.get_running_loop().create_future()
        failed.set_exception(StreamClosedError())
        ws.stream.write = lambda data: failed
        await WSHandler.send_message(handler, msg)
        return _lock_is_free(handler.write_lock)
    with caplog.at_level(logging.WARNING, logger="bokeh.server.views.ws"):
        assert _run(closes_while_writing)
    assert "Failed sending message as connection was closed" in caplog.text
    assert wire.failure() is None and log_records == []
    assert WSHandler.send_message is wire.send_message


def test_a_failing_writer_hands_bokehs_messages_to_bokeh_for_good(monkeypatch, log_records):
    msg = _a_frame_message(True)
    assert wire.install()

    def broken(opcode, n):
        raise OverflowError("boom")
    monkeypatch.setattr(wire, "_frame_head", broken)

    async def run():
        handler, ws = _handler()
        await wire._ORIGINAL_SEND(handler, msg)
        theirs = list(ws.stream.writes)
        handler, ws = _handler()
        await WSHandler.send_message(handler, msg)          # the installed writer
        await wire.send_message(handler, msg)               # one taken before: Bokeh's
        return theirs, ws.stream.writes, _lock_is_free(handler.write_lock)
    theirs, writes, free = _run(run)
    assert writes == theirs * 2 and free
    assert WSHandler.__dict__["send_message"] is wire._ORIGINAL_SEND and not wire.installed()
    assert [r.levelno for r in log_records] == [logging.WARNING]
    assert "failed writing a message: OverflowError: boom" in log_records[0].getMessage()


def test_frame_heads_for_every_length_class():
    for n in (0, 125, 126, 0xFFFF, 0x10000):
        head = wire._frame_head(0x2, n)
        assert head[0] == 0x82                      # FIN, binary
        if n < 126:
            assert head[1] == n and len(head) == 2
        elif n <= 0xFFFF:
            assert head[1] == 126 and int.from_bytes(head[2:4], "big") == n
        else:
            assert head[1] == 127 and int.from_bytes(head[2:10], "big") == n


def test_a_closed_socket_is_reported_as_tornado_reports_it():
    from tornado.websocket import WebSocketClosedError
    msg = _a_frame_message(False)

    async def closed_now():
        conn, ws = _connection()
        ws.stream.is_closed = True
        return wire.dispatch_tornado(conn, msg=msg)      # closing: nothing is written
    assert _run(closed_now) == []

    async def closes_while_writing():
        from tornado.iostream import StreamClosedError
        conn, ws = _connection()
        failed = asyncio.get_running_loop().create_future()
        failed.set_exception(StreamClosedError())
        ws.stream.write = lambda data: failed
        [written] = wire.dispatch_tornado(conn, msg=msg)
        await written
    with pytest.raises(WebSocketClosedError):
        _run(closes_while_writing)


def test_a_compressed_connection_takes_panels_way():
    msg = _a_frame_message(True)

    async def run():
        conn, ws = _connection()
        ws._compressor = object()                    # permessage-deflate was agreed
        calls = []
        original = wire._ORIGINAL_DISPATCH
        try:
            wire._ORIGINAL_DISPATCH = lambda conn, events=None, msg=None: calls.append(msg) or []
            wire.dispatch_tornado(conn, msg=msg)
        finally:
            wire._ORIGINAL_DISPATCH = original
        return calls
    assert _run(run) == [msg]


def test_install_puts_both_in_place_and_uninstall_takes_them_out():
    from bokeh.server.session import ServerSession
    from panel.io import document as panel_document
    try:
        assert wire.install()
        assert panel_document.dispatch_tornado is wire.dispatch_tornado
        assert ServerSession.__dict__["pull"] is not wire._ORIGINAL_PULL
        assert WSHandler.send_message is wire.send_message
        assert Model.references is wire.references
        assert HasProps.properties_with_values is wire.properties_with_values
    finally:
        wire.uninstall()
    assert panel_document.dispatch_tornado is wire._ORIGINAL_DISPATCH
    assert patch_doc.__dict__["create"] is wire._ORIGINAL
    assert ServerSession.__dict__["pull"] is wire._ORIGINAL_PULL
    assert WSHandler.__dict__["send_message"] is wire._ORIGINAL_SEND
    assert Model.__dict__["references"] is wire._ORIGINAL_REFERENCES
    assert HasProps.__dict__["properties_with_values"] is wire._ORIGINAL_VALUES


# ------------------------------------------------------------------ a page's models
def _ids(models):
    return sorted(m.id for m in models)


def _whole_page():
    """The playground's first screen on a document with a theme."""
    import panel as pn
    from bokeh.themes import Theme
    from panel.io.state import set_curdoc
    from playground.ui import PlaygroundApp
    doc = Document()
    doc.theme = Theme(json={"attrs": {"Plot": {"background_fill_color": "#fafafa"},
                                      "Axis": {"axis_label_text_font_size": "11px"}}})
    with set_curdoc(doc):
        app = PlaygroundApp()
        root = pn.panel(app).get_root(doc)
    doc.add_root(root)
    return doc, root


def _bokehs_values(model):
    return wire._ORIGINAL_VALUES(model, include_defaults=False)


def _same_document(a, b) -> bool:
    """Two serializations of a document alike but for their buffers' ids."""
    strip = lambda doc: re.sub(r"Buffer\(id='p\d+', data=<memory at 0x[0-9a-f]+>\)", "buffer",
                               json.dumps(doc.content, default=repr))
    return strip(a) == strip(b)


def test_properties_with_values_sends_what_bokeh_sends_on_the_whole_page():
    """Each model of the playground's page (with a theme): the same values in the same
    order as Bokeh's own; the whole document serializes alike."""
    doc, _ = _whole_page()
    every = list(doc.models)
    assert len(every) > 300
    for model in every:
        ours = wire.properties_with_values(model, include_defaults=False)
        bokehs = _bokehs_values(model)
        assert list(ours) == list(bokehs), model
        assert all(ours[k] is bokehs[k] or ours[k] == bokehs[k] for k in ours), model
    wire.uninstall()
    bokehs = doc.to_json()
    assert wire.install()
    assert _same_document(doc.to_json(), bokehs)
    # with defaults: Bokeh's own
    plot = figure(width=50, height=50)
    assert list(wire.properties_with_values(plot)) == list(wire._ORIGINAL_VALUES(plot))


def test_a_first_serialization_keeps_the_defaults_bokehs_keeps():
    """Bokeh's first serialization of a model makes (and keeps) the defaults that are made on
    first read, without sending them; its second sends the models among them. Twins, one
    serialized each way, stay alike through both."""
    from bokeh.models import Button, GlyphRenderer, LinearAxis, Slider
    for kind in (LinearAxis, lambda: Slider(start=0, end=1, value=0), Button,
                 lambda: figure(width=50, height=50)):
        ours, theirs = kind(), kind()
        for _ in range(2):
            a = wire.properties_with_values(ours, include_defaults=False)
            b = _bokehs_values(theirs)
            assert list(a) == list(b)
            assert sorted(ours._unstable_default_values) == sorted(
                theirs._unstable_default_values)
    # a property that must be set and is not: both fail alike
    from bokeh.core.property.descriptors import UnsetValueError
    with pytest.raises(UnsetValueError):
        _bokehs_values(GlyphRenderer())
    with pytest.raises(UnsetValueError):
        wire.properties_with_values(GlyphRenderer(), include_defaults=False)


def test_references_finds_the_models_bokeh_finds_on_the_whole_page():
    """On the playground's page, with its lower parts and a theme: from its root and from
    every fifth of its models, the same models as Bokeh's ``collect_models`` (which reads
    every property, defaults included)."""
    doc, root = _whole_page()
    every = list(doc.models)
    assert len(every) > 300
    assert _ids(wire.references(root)) == _ids(collect_models(root))
    for model in every[::5]:
        assert _ids(wire.references(model)) == _ids(collect_models(model)), model
    # what Bokeh makes on first read (a plot's toolbar never looked at) is found too
    plot = figure(width=50, height=50)
    plot.line([0, 1], [0, 1])
    fresh = figure(width=50, height=50)
    assert _ids(wire.references(fresh)) == _ids(collect_models(fresh))
    row = Row(plot, fresh)
    assert _ids(wire.references(row)) == _ids(collect_models(row))


def test_references_skips_only_defaults_that_hold_no_model():
    """A property whose default is a plain value is left unread; one whose default is made
    on first read is read; values set are read from what was set."""
    from bokeh.models import TextInput, Tooltip
    tip = Tooltip(content="why")
    box = TextInput(title="rate", description=tip)
    plans = dict(wire._plan(TextInput))
    assert plans["description"] is False           # None unless set
    assert plans["js_event_callbacks"] is True      # a dict Bokeh makes and keeps
    assert wire.references(box) == {box, tip}
    bare = TextInput()
    assert _ids(wire.references(bare)) == _ids(collect_models(bare)) == [bare.id]


def test_the_page_documents_models_are_bokehs_with_references_installed():
    """A document's own list of models, recomputed after a change to its layout, is the
    same with either walk."""
    from bokeh.models import Button
    wire.uninstall()
    doc, _, div, fig = _page()
    doc.roots[0].children = [*doc.roots[0].children, Button(label="new")]
    bokehs = _ids(doc.models)
    assert wire.install()
    doc.models.recompute()
    assert _ids(doc.models) == bokehs
    doc.roots[0].children = [div]
    assert _ids(doc.models) == _ids(collect_models(div, doc.roots[0]))


# ------------------------------------------------------------------ a page's whole document
def _pull(doc, while_made=None):
    """A served session of ``doc`` answers a PULL-DOC as its browser's first message gets
    answered. ``while_made(seen)`` runs in the thread that makes the document, as it is
    made. Returns what was seen: the reply, the thread the document was made in, the
    event loop's thread, and what happened meanwhile, in order."""
    from types import SimpleNamespace
    from bokeh.server.session import ServerSession
    from tornado.ioloop import IOLoop
    seen = {"order": []}
    real = doc.to_json

    def to_json(*args, **kwargs):
        seen["thread"] = threading.current_thread().name
        if while_made is not None:
            while_made(seen)
        seen["order"].append("document made")
        return real(*args, **kwargs)
    doc.to_json = to_json

    async def make():
        session = ServerSession("s", doc, IOLoop.current())
        connection = SimpleNamespace(session=session, protocol=Protocol())
        seen["loop"] = asyncio.get_running_loop()
        seen["loop thread"] = threading.current_thread().name
        asked = Protocol().create("PULL-DOC-REQ")
        reply = asyncio.ensure_future(ServerSession.pull(asked, connection))
        await asyncio.sleep(0)
        # the session's own callbacks wait for the document, as with Bokeh's handler
        locked = asyncio.ensure_future(session.with_document_locked(
            lambda: seen["order"].append("the page's own callback")))
        msg = await reply
        await locked
        return msg
    seen["reply"] = _run(make)
    doc.to_json = real
    return seen


def test_a_pages_document_is_made_off_the_event_loop_with_the_page_locked():
    """The reply is Bokeh's own, made in PULL_THREAD; the event loop serves others while
    it is made (a callback of the loop sets what the thread waits for), and the page's own
    callbacks wait until it is made."""
    doc = _page()[0]
    wire.uninstall()
    bokehs = _pull(doc)
    assert bokehs["thread"] == bokehs["loop thread"]
    assert wire.install()
    served = threading.Event()

    def while_made(seen):          # returns only once the event loop has run a callback
        seen["loop"].call_soon_threadsafe(served.set)
        assert served.wait(5), "the event loop did not turn while the document was made"
        seen["order"].append("the loop turned")
    ours = _pull(doc, while_made)
    assert ours["thread"].startswith(wire.PULL_THREAD)
    assert ours["order"] == ["the loop turned", "document made", "the page's own callback"]
    assert bokehs["order"] == ["document made", "the page's own callback"]
    assert ours["reply"].header["msgtype"] == "PULL-DOC-REPLY"
    assert _normalise(ours["reply"]) == _normalise(bokehs["reply"])


def test_a_document_that_fails_off_the_loop_is_made_on_it_and_the_wire_turns_off(
        log_records):
    doc = _page()[0]
    assert wire.install()

    def while_made(seen):
        if threading.current_thread().name.startswith(wire.PULL_THREAD):
            raise RuntimeError("changed meanwhile")
    seen = _pull(doc, while_made)
    assert seen["thread"] == seen["loop thread"]
    assert _normalise(seen["reply"])["doc"]["roots"]
    assert "changed meanwhile" in wire.failure()
    assert not wire.installed()
    assert [r.levelno for r in log_records] == [logging.WARNING]


def _no_buffers(monkeypatch):
    from bokeh.protocol.message import Message
    real = Message.__init__

    def init(self, *args, **kwargs):
        real(self, *args, **kwargs)
        self.__dict__.pop("_buffers", None)
        self.__dict__["_parts"] = []
    monkeypatch.setattr(Message, "__init__", init)


def _no_references(monkeypatch):
    real = wire.Serializer.__init__

    def init(self, *args, **kwargs):
        real(self, *args, **kwargs)
        del self._references
    monkeypatch.setattr(wire.Serializer, "__init__", init)


@pytest.mark.parametrize("missing", [
    lambda mp: mp.setattr(wire, "_MAX_SAFE_INT", None),
    lambda mp: mp.delattr(wire.Serializer, "_encode_bytes"),
    lambda mp: mp.delattr(wire.Serializer, "_encode_float"),
    _no_references,
    lambda mp: mp.delattr(__import__("bokeh.document.models", fromlist=["x"])
                          .DocumentModelManager, "flush_synced"),
    _no_buffers,
    lambda mp: mp.setattr(wire, "_ORIGINAL_DISPATCH", lambda conn, msg=None: []),
    lambda mp: mp.setattr(wire, "_DTYPE_NAMES", {}),
    lambda mp: mp.setattr(wire.inspect, "getsource", lambda code: ""),
    lambda mp: mp.setattr(wire, "_tornado", lambda name: type(name, (), {})),
    lambda mp: mp.setattr(wire, "_ORIGINAL_PULL", None),
    lambda mp: mp.setattr(wire, "_ORIGINAL_REFERENCES", None),
    lambda mp: mp.setattr(wire, "_ORIGINAL_VALUES", None),
    lambda mp: mp.setattr(wire, "_ORIGINAL_SEND", lambda self, message, locked=True: None),
], ids=["max_safe_int", "encode_bytes", "encode_float", "references", "flush_synced",
        "buffers", "dispatch_signature", "binary_array_types", "no_sources", "tornado",
        "pull", "references", "values", "send"])
def test_a_renamed_internal_leaves_bokeh_and_panel_as_they_are(monkeypatch, missing,
                                                               log_records):
    """Where any internal the module relies on is gone or changed (a Bokeh or Panel
    release it was not written for), supported() says so and install() changes nothing:
    the page keeps Bokeh's and Panel's own message builder and socket writer, and the
    server log says why in one line."""
    wire.uninstall()
    missing(monkeypatch)
    from bokeh.server.session import ServerSession
    before = (patch_doc.__dict__["create"], panel_document.dispatch_tornado,
              ServerSession.__dict__["pull"], WSHandler.__dict__["send_message"])
    assert not wire.supported()
    assert wire.install() is False
    assert (patch_doc.__dict__["create"], panel_document.dispatch_tornado,
            ServerSession.__dict__["pull"], WSHandler.__dict__["send_message"]) == before
    assert not wire.installed()
    assert [r.levelno for r in log_records] == [logging.WARNING]
    assert wire.missing() in log_records[0].getMessage()


# ------------------------------------------------------------------ never a risk
def _own_names(tree, module) -> set[str]:
    """Underscore names the module's classes define themselves (methods, slots,
    ``self.x = ...``), less those their Bokeh base classes have too."""
    own = set()
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        names = set()
        for node in ast.walk(cls):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(node.name)
            elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                  and isinstance(node.value, ast.Name) and node.value.id == "self"):
                names.add(node.attr)
            elif (isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets)):
                names.update(ast.literal_eval(node.value))
        bases = getattr(module, cls.name).__mro__[1:]
        own |= {n for n in names if not any(n in vars(base) for base in bases)}
    return own


def foreign_underscore_names(module) -> dict[str, int]:
    """Every underscore name the module reads or writes on another library's objects
    (attributes, and getattr/hasattr/setattr with a constant name), with a line of each."""
    tree = ast.parse(inspect.getsource(module))
    own = _own_names(tree, module)
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            target, name = node.value, node.attr
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "hasattr", "setattr") and len(node.args) > 1
              and isinstance(node.args[1], ast.Constant)
              and isinstance(node.args[1].value, str)):
            target, name = node.args[0], node.args[1].value
        else:
            continue
        if not name.startswith("_") or name.startswith("__"):
            continue
        if isinstance(target, ast.Name) and target.id in ("self", "cls") and name in own:
            continue
        found.setdefault(name, node.lineno)
    return found


def test_private_names_lists_every_internal_the_module_touches():
    """PRIVATE_NAMES (each probed by supported()) names exactly the underscore names the
    module uses on Bokeh's, Panel's and Tornado's objects: a new one cannot slip in unprobed."""
    used = foreign_underscore_names(wire)
    listed = {n for entry in wire.PRIVATE_NAMES for n in re.findall(r"\b_[A-Za-z]\w*", entry)}
    unlisted = {name: f"line {line}" for name, line in used.items() if name not in listed}
    assert not unlisted, f"used by playground/server/wire.py but not in PRIVATE_NAMES: {unlisted}"
    assert listed <= set(used), f"listed but no longer used: {listed - set(used)}"
    # the scan sees reads through self, super() and getattr, and skips the module's own
    assert {"_references", "_encode_float", "_encode_bytes", "_MAX_SAFE_INT",
            "_socket", "_buffers", "_compressor", "_wire_bytes_out"} <= set(used)
    assert not {"_manager", "_synced", "_future"} & set(used)


def _frame_events():
    """A frame's events on a page: a text and a new model (sent whole, then by reference)."""
    doc, src, div, _ = _page()
    events = []
    doc.on_change(events.append)
    added = Div(text="new")
    doc.roots[0].children = [*doc.roots[0].children, added]
    div.text = "epoch 12"
    return doc, events, added


def _bokehs_message(doc, events, new_before):
    """What Bokeh's own builder makes of ``events`` from the document state before."""
    doc.models._new_models = set(new_before)
    return wire._ORIGINAL.__func__(patch_doc, events)


def test_a_failing_builder_hands_the_frame_to_bokeh_for_good(monkeypatch, log_records):
    assert wire.install()

    def broken(self, obj):
        raise RuntimeError("boom")
    monkeypatch.setattr(wire.DocumentSerializer, "encode", broken)
    doc, events, added = _frame_events()
    new_before = set(doc.models._new_models)
    msg = Protocol().create("PATCH-DOC", events)          # through the installed builder
    assert added not in doc.models._new_models           # sent, whole: synced from now on
    assert _normalise(msg) == _normalise(_bokehs_message(doc, events, new_before))
    assert '"epoch 12"' in msg.content_json and '"new"' in msg.content_json
    assert patch_doc.__dict__["create"] is wire._ORIGINAL       # off, for good
    assert panel_document.dispatch_tornado is wire._ORIGINAL_DISPATCH
    assert not wire.installed() and "RuntimeError: boom" in wire.failure()
    for _ in range(3):          # more frames, some through the builder taken before
        doc, events, _ = _frame_events()
        assert '"epoch 12"' in wire._create(patch_doc, events).content_json
        assert '"epoch 12"' in Protocol().create("PATCH-DOC", events).content_json
    wire._fall_back("failed building a message: RuntimeError: again")   # a racing frame
    assert not wire.install()
    assert [r.levelno for r in log_records] == [logging.WARNING]
    line = log_records[0].getMessage()
    assert line.startswith(wire.LOG_PREFIX) and "RuntimeError: boom" in line


def test_bokehs_own_refusals_are_no_failure(log_records):
    """A wrong call is refused as Bokeh refuses it; the fast wire stays."""
    assert wire.install()
    with pytest.raises(ValueError):
        Protocol().create("PATCH-DOC", [])
    assert wire.failure() is None and patch_doc.__dict__["create"] is not wire._ORIGINAL
    assert log_records == []


@pytest.mark.parametrize("with_buffer", [False, True])
def test_a_failing_writer_hands_the_frame_to_panel_for_good(monkeypatch, log_records,
                                                            with_buffer):
    msg = _a_frame_message(with_buffer)
    assert wire.install()

    def broken(opcode, n):
        raise OverflowError("boom")
    monkeypatch.setattr(wire, "_frame_head", broken)

    async def frames():
        conn, ws = _connection()
        for f in wire._ORIGINAL_DISPATCH(conn, msg=msg):
            await f
        theirs = list(ws.stream.writes)
        conn, ws = _connection()
        for f in panel_document.dispatch_tornado(conn, msg=msg):    # the installed writer
            await f
        first = list(ws.stream.writes)
        for _ in range(3):          # more frames, some through the writer taken before
            for f in wire.dispatch_tornado(conn, msg=msg):
                await f
            for f in panel_document.dispatch_tornado(conn, msg=msg):
                await f
        return theirs, first, ws.stream.writes
    theirs, first, writes = _run(frames)
    assert first == theirs and len(first) == 3 + 2 * len(msg.buffers)    # Panel's writes
    assert writes == theirs * 7
    assert panel_document.dispatch_tornado is wire._ORIGINAL_DISPATCH
    assert patch_doc.__dict__["create"] is wire._ORIGINAL and not wire.installed()
    assert not wire.install()
    assert [r.levelno for r in log_records] == [logging.WARNING]
    assert "failed writing a message: OverflowError: boom" in log_records[0].getMessage()


def test_a_closed_connection_is_no_failure(log_records):
    from tornado.iostream import StreamClosedError
    from tornado.websocket import WebSocketClosedError
    msg = _a_frame_message(True)
    assert wire.install()

    def closed(data):
        raise StreamClosedError()

    async def closes_at_the_write():
        conn, ws = _connection()
        ws.stream.write = closed
        return panel_document.dispatch_tornado(conn, msg=msg)

    async def closes_while_writing():
        conn, ws = _connection()
        failed = asyncio.get_running_loop().create_future()
        failed.set_exception(StreamClosedError())
        ws.stream.write = lambda data: failed
        for f in panel_document.dispatch_tornado(conn, msg=msg):
            await f
    for closing in (closes_at_the_write, closes_while_writing):
        with pytest.raises(WebSocketClosedError):
            _run(closing)
    assert wire.failure() is None and log_records == []
    assert panel_document.dispatch_tornado is wire.dispatch_tornado


def test_a_failing_install_leaves_bokeh_and_panel_and_says_why_once(monkeypatch, log_records):
    wire.uninstall()

    class ReadOnly:
        dispatch_tornado = wire._ORIGINAL_DISPATCH

        def __setattr__(self, name, value):
            raise TypeError("read-only module")
    monkeypatch.setattr(wire, "panel_document", ReadOnly())
    assert wire.install() is False
    assert patch_doc.__dict__["create"] is wire._ORIGINAL and not wire.installed()
    assert wire.install() is False                      # for good: no second try
    assert [r.levelno for r in log_records] == [logging.WARNING]
    assert "TypeError: read-only module" in log_records[0].getMessage()


def test_per_frame_changes_take_bokehs_way_unless_the_fast_wire_is_installed(monkeypatch):
    def unexpected(*args):
        raise AssertionError("the direct way was taken")
    assert wire.install()
    for name in ("_set_columns", "_stream_columns", "_set_property"):
        monkeypatch.setattr(wire, name, unexpected)
    doc, src, div, _ = _page()
    with pytest.raises(AssertionError, match="direct way"):
        wire.set_property(div, "text", "direct")
    wire.uninstall()
    wire.set_columns(src, {"x": [3.0]})
    wire.stream_columns(src, {"image": [np.ones((3, 3), np.float32)], "x": [4.0]})
    wire.set_property(div, "text", "plain")
    assert list(src.data["x"]) == [3.0, 4.0] and div.text == "plain"
