"""What goes over the websocket: Bokeh's PATCH-DOC message, built without touching every
model of the page.

Every frame of a playing session is one PATCH-DOC message. Bokeh builds it with a
serializer that first makes a reference for *every* model already in the browser (about
500 for the playground page: each widget brings its stylesheets and tooltips) so that it
can tell "send a reference" from "send the whole model". That took about a fifth of a
frame's time on the server, and it grows with the page, not with what changed.

``install()`` replaces ``patch_doc.create`` with one that asks the document, per model it
meets, whether the browser already has it, and that puts small arrays inside the message
instead of sending each as two more websocket messages. BokehJS reads both forms; the
message decodes to the same document change as Bokeh's own (tests/ui/test_wire.py checks
it). It also replaces Panel's ``dispatch_tornado`` and Bokeh's ``WSHandler.send_message``
with writers that put a message's parts on the socket in one write: Bokeh's held the
socket's write lock over several turns of the event loop, and Panel, finding it held,
kept a click's changes back and sent them late, after later messages.

A page's whole document, the first thing its browser asks for (PULL-DOC), is made in
``PULL_THREAD`` with the session's document locked, as Bokeh's own handler locks it: Bokeh
makes it in one turn of the event loop (about 430 models, 150 ms of CPU on an idle
server, up to 1.15 s while other pages compile and build), and every other page's frames
waited for it. Nothing of that page changes meanwhile; other pages' frames go on.

Every change to a page's layout (a lab's card put on it, a layer added) has Bokeh find the
page's models again from its roots (``Model.references``, on every root): each property
that can hold a model is read, and reading one never set computes its default, with its
checks, every time (45 ms for the playground's 431 models, 0.1–0.2 s for a page with a
lab, in a turn of the event loop). ``references`` reads the values set, and the defaults
only of the properties whose default can hold a model (Bokeh keeps those once made): the
same models, in about half the time. Serializing a model (``properties_with_values``, for a
page's first document and for every model a change adds) computed the default of each of
its properties, set or not, and then sent only those set: ``properties_with_values``
computes only what it sends, and reads the rest only where Bokeh's reading keeps
something (a default made on first read) or fails (a property that must be set). The
same values in the same order: the playground's first document in 35–75 ms instead of
170–250 ms.

The module also has the per-frame changes (``set_columns``, ``stream_columns``,
``set_property``): the same events as Bokeh's own, made without its checks, while the fast
wire is installed (Bokeh's own way otherwise).

The fast wire is an accelerator, never a condition for a working page:

* it is installed only where ``supported()`` finds every Bokeh, Panel and Tornado internal
  it uses (``PRIVATE_NAMES``) as it was written against, probed on real objects;
* an install that fails, or an unexpected exception while a frame is built or written,
  turns it off for good: Bokeh's and Panel's own take over (the failed frame goes through
  them, so it is not lost) and the server log gets one line naming the cause. A closed
  connection is not a failure;
* ``PLAYGROUND_WIRE=bokeh`` keeps it off from the start (``playground.server``).
"""
from __future__ import annotations

import asyncio
import base64
import inspect
import json
import logging
import struct
import sys
import threading
import zlib
from math import isfinite
from typing import Any

import bokeh
import numpy as np
from bokeh.core import serialization as _serialization
from bokeh.core.has_props import HasProps
from bokeh.core.property.singletons import Undefined
from bokeh.core.property.wrappers import PropertyValueContainer
from bokeh.core.serialization import Serializer
from bokeh.document.events import (ColumnDataChangedEvent, ColumnsStreamedEvent,
                                   ModelChangedEvent)
from bokeh.model import Model
from bokeh.model.util import collect_models, visit_value_and_its_immediate_references
from bokeh.protocol.messages.patch_doc import patch_doc
from bokeh.server.session import ServerSession
from bokeh.server.views.ws import WSHandler
from bokeh.util import serialization as _util_serialization
from panel.io import document as panel_document
from tornado.iostream import StreamClosedError
from tornado.websocket import WebSocketClosedError

log = logging.getLogger("playground")     # the server's log (playground.server.LOG_NAME)
LOG_PREFIX = "Frame messages: "           # every line this module and the server write
# Bokeh's largest integer sent as a number (JavaScript's); None where Bokeh has renamed it,
# and then ``supported()`` says False and nothing is installed
_MAX_SAFE_INT = getattr(_serialization, "_MAX_SAFE_INT", None)
_ORIGINAL = patch_doc.__dict__.get("create")
_ORIGINAL_DISPATCH = getattr(panel_document, "dispatch_tornado", None)
_ORIGINAL_PULL = ServerSession.__dict__.get("pull")
_ORIGINAL_SEND = WSHandler.__dict__.get("send_message")
_ORIGINAL_REFERENCES = Model.__dict__.get("references")
_ORIGINAL_VALUES = HasProps.__dict__.get("properties_with_values")
PULL_THREAD = "playground-pull"        # the thread that makes each page's whole document
INLINE_BYTES = 4096    # arrays up to this size travel inside the message, larger as buffers
# dtypes Bokeh sends as they are (no 64-bit ints)
_PLAIN = frozenset(getattr(_util_serialization, "BINARY_ARRAY_TYPES", ()))
_DTYPE_NAMES = {np.dtype(t): np.dtype(t).name for t in _PLAIN}   # numpy's .name is slow

_active = False         # the fast wire is installed (the per-frame changes take it too)
_failure = None         # why it was turned off for good (None: it was not)
_lock = threading.Lock()
_pull_pool = None       # made at the first page's PULL-DOC


class DocumentSerializer(Serializer):
    """A Serializer whose known references are the document's synced models, looked up
    one at a time instead of built up front."""

    def __init__(self, doc) -> None:
        super().__init__()
        self._manager = doc.models

    def _synced(self, obj: Any) -> bool:
        manager = self._manager
        return (isinstance(obj, Model) and manager._models.get(obj.id) is obj
                and obj not in manager._new_models)

    def has_ref(self, obj: Any) -> bool:
        return id(obj) in self._references or self._synced(obj)

    def get_ref(self, obj: Any):
        ref = self._references.get(id(obj))
        if ref is None and self._synced(obj):
            ref = obj.ref
        return ref

    def encode(self, obj: Any):
        """Bokeh's ``encode`` for what a frame carries (text, numbers, lists, dicts of
        plain arrays) without its per-value bookkeeping (reference lookup, cycle check, a
        chain of type tests): the same output, for less of a frame's time. Anything else
        goes to Bokeh's."""
        kind = type(obj)
        if kind is str or kind is bool or obj is None:
            return obj
        if kind is float:
            return obj if isfinite(obj) else self._encode_float(obj)
        if kind is int:
            return obj if -_MAX_SAFE_INT < obj <= _MAX_SAFE_INT else super().encode(obj)
        if (kind is np.ndarray and (name := _DTYPE_NAMES.get(obj.dtype)) is not None
                and obj.ndim and obj.flags.c_contiguous):
            return {"type": "ndarray", "array": self._encode_bytes(obj.data),
                    "shape": list(obj.shape), "dtype": name, "order": sys.byteorder}
        if kind is list:
            return [self.encode(item) for item in obj]
        if kind is dict:
            if not obj:
                return {"type": "map"}
            return {"type": "map", "entries": [(self.encode(k), self.encode(v))
                                               for k, v in obj.items()]}
        return super().encode(obj)

    def _encode_bytes(self, obj):
        """Small arrays (a neuron's picture, one new point of the loss curve) go inside the
        message, as a gzip stream in base64, as Bokeh itself writes them outside a server
        (BokehJS reads both forms). Each binary buffer costs
        the server two more websocket messages, which for a frame's twenty small arrays
        cost more than the encoding."""
        if memoryview(obj).nbytes <= INLINE_BYTES:
            return {"type": "bytes", "data": base64.b64encode(stored_gzip(obj)).decode()}
        return super()._encode_bytes(obj)


_GZIP_HEAD = b"\x1f\x8b\x08\x00\x01\x00\x00\x00\x00\xff"     # as Bokeh's header: mtime 1


def stored_gzip(data) -> bytes:
    """``data`` as a gzip stream that any gunzip reads (BokehJS's included), in stored
    (uncompressed) deflate blocks. Bokeh compresses inline arrays; for a frame's small
    arrays (a neuron's 20×20 picture) that saves nearly nothing and costs more to set up
    the compressor than this whole function (docs/performance.md, "Code choices")."""
    raw = memoryview(data).cast("B")
    n = len(raw)
    if n <= 0xFFFF:                    # one block: a frame's pictures and points
        return b"".join((_GZIP_HEAD, struct.pack("<BHH", 1, n, n ^ 0xFFFF), raw,
                         struct.pack("<II", zlib.crc32(raw), n)))
    out = bytearray(_GZIP_HEAD)
    for start in range(0, max(n, 1), 0xFFFF):
        block = raw[start:start + 0xFFFF]
        k = len(block)
        out += struct.pack("<BHH", start + 0xFFFF >= n, k, k ^ 0xFFFF)
        out += block
    out += struct.pack("<II", zlib.crc32(raw), n & 0xFFFFFFFF)
    return bytes(out)


def _create(cls, events, **metadata):
    """Bokeh's patch_doc.create, with DocumentSerializer. Any unexpected failure turns
    the fast wire off for good and the message is made by Bokeh's own."""
    if not events:
        raise ValueError("PATCH-DOC message requires at least one event")
    docs = {event.document for event in events}
    if len(docs) != 1:
        raise ValueError("PATCH-DOC message configured with events for more than one document")
    if _failure is None:
        try:
            return _build(cls, docs.pop(), events, metadata)
        except Exception as exc:
            _fall_back(f"failed building a message: {_describe(exc)}")
    return _ORIGINAL.__func__(cls, events, **metadata)


def _build(cls, doc, events, metadata):
    from bokeh.protocol.messages.patch_doc import PatchJson

    serializer = DocumentSerializer(doc)
    msg = cls(cls.create_header(), metadata, PatchJson(events=serializer.encode(events)))
    msg.add_buffers(*serializer.buffers)
    # last: the document's record of what the browser has changes only for a message made
    doc.models.flush_synced(lambda model: not serializer.has_ref(model))
    return msg


# ------------------------------------------------------------------ per-frame changes
# A playing page changes a few data sources and texts every frame. Bokeh's own way
# (``source.data.update``, ``source.stream``, ``model.text = ...``) copies the data,
# validates every column against the property's type, compares old and new value by
# value and only then makes the change event: for the network diagram alone that was
# two thirds of its update. The functions below make the same change and the same event
# (tests/ui/test_wire.py compares them with Bokeh's, message by message), for values the
# app itself made. Where the fast wire is not installed, a Python callback listens to the
# property, or the model is not in a document yet, they take Bokeh's own way.

_PLAIN_VALUES = (str, int, float, bool)       # what set_property sets directly


def _direct(model, attr: str):
    """The model's document, when a change of ``attr`` can skip Bokeh's checks (the fast
    wire is installed, no Python callback listens, the model is in a document)."""
    if not _active:
        return None
    doc = model.document
    if doc is None or model._callbacks.get(attr):
        return None
    return doc


def set_columns(source, columns: dict) -> None:
    """``source.data.update(columns)``: replace these columns (the others stay)."""
    doc = _direct(source, "data")
    if doc is None:
        source.data.update(columns)
    else:
        _set_columns(doc, source, columns)


def _set_columns(doc, source, columns: dict) -> None:
    dict.update(source.data, columns)
    doc.callbacks.notify_change(source, "data", None, None, hint=ColumnDataChangedEvent(
        doc, source, "data", cols=list(columns)))


def stream_columns(source, rows: dict) -> None:
    """``source.stream(rows)``: append the same number of values to every column
    (lists are extended in place, arrays appended to), no rollover."""
    doc = _direct(source, "data")
    data = source.data
    if (doc is None or set(rows) != set(data)
            or not all(type(v) in (list, np.ndarray) for v in (*data.values(), *rows.values()))):
        source.stream(rows)
    else:
        _stream_columns(doc, source, rows)


def _stream_columns(doc, source, rows: dict) -> None:
    data = source.data
    for name, new in rows.items():
        old = data[name]
        if type(old) is list and type(new) is list:
            old.extend(new)
        else:                                   # as Bokeh: an array, empty sides kept as they are
            dict.__setitem__(data, name, new if len(old) == 0 else old if len(new) == 0
                             else np.append(old, new))
    doc.callbacks.notify_change(source, "data", None, None, hint=ColumnsStreamedEvent(
        doc, source, "data", rows, None, None))


def set_property(model, attr: str, value) -> None:
    """``setattr(model, attr, value)`` for text, a number or a flag already set once."""
    doc = _direct(model, attr)
    if doc is None or type(value) not in _PLAIN_VALUES or attr not in model._property_values:
        setattr(model, attr, value)
    else:
        _set_property(doc, model, attr, value)


def _set_property(doc, model, attr: str, value) -> None:
    values = model._property_values
    if type(values[attr]) is type(value) and values[attr] == value:
        return
    values[attr] = value
    doc.callbacks.trigger_on_change(ModelChangedEvent(doc, model, attr, value))


# ------------------------------------------------------------------ onto the socket
_PLANS: dict[type, tuple] = {}         # a model class: (property name, default kept?)


def _read_default(cls, name: str, prop, unless) -> bool:
    """Whether reading the property ``name`` of a ``cls`` never set does more than compute
    the same plain value every time: Bokeh makes its default on first read and keeps it
    (a callable default), or ``unless(class default)`` says so (or computing it fails)."""
    descriptor = cls.lookup(name)
    if prop._may_have_unstable_default() or descriptor.is_unstable(
            getattr(cls, "__overridden_defaults__", {}).get(name)):
        return True
    try:
        return bool(unless(descriptor.class_default(cls)))
    except Exception:
        return True


def _holds_models(value) -> bool:
    found = []
    visit_value_and_its_immediate_references(value, found.append)
    return bool(found)


def _plan(cls) -> tuple:
    """The properties of ``cls`` that can hold a model, each with whether its default must
    be read (Bokeh makes and keeps such a default on first read: a callable one). The
    others' defaults are the same plain value for every instance, holding no model."""
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = tuple(
            (name, _read_default(cls, name, prop, _holds_models))
            for name, prop in cls.properties_with_refs().items())
    return plan


_NO_MODELS = (str, int, float, bool, type(None))


def references(self) -> set:
    """``Model.references``: every model reachable from this one, itself included, as
    Bokeh's ``collect_models`` finds them, without computing defaults that hold none."""
    if _failure is not None:
        return _ORIGINAL_REFERENCES(self)
    seen = {self.id: self}
    todo = [self]

    def one(model):
        if model.id not in seen:
            seen[model.id] = model
            todo.append(model)
    while todo:
        model = todo.pop()
        values = model._property_values
        for name, read in _plan(type(model)):
            if name in values:
                value = values[name]
            elif read:
                value = getattr(model, name)
            else:
                continue
            kind = type(value)
            if kind in _NO_MODELS:
                continue
            if kind is list or kind is tuple:
                for item in value:
                    if isinstance(item, Model):
                        one(item)
                    elif type(item) not in _NO_MODELS:
                        visit_value_and_its_immediate_references(item, one)
            elif isinstance(value, Model):
                one(value)
            else:
                visit_value_and_its_immediate_references(value, one)
    return set(seen.values())


_SENT: dict[type, tuple] = {}      # a model class: (name, descriptor, read anyway?)


def _sent(cls) -> tuple:
    """The properties of ``cls`` that Bokeh sends, in its order, each with whether reading
    it does more than compute a plain default: it keeps a default made on first read, or
    it fails (no default: the property must be set)."""
    plan = _SENT.get(cls)
    if plan is None:
        plan = _SENT[cls] = tuple(
            (name, cls.lookup(name),
             _read_default(cls, name, prop, lambda default: default is Undefined))
            for name, prop in cls.properties(_with_props=True).items()
            if cls.lookup(name).serialized)
    return plan


def properties_with_values(self, *, include_defaults: bool = True,
                           include_undefined: bool = False) -> dict:
    """``HasProps.properties_with_values``: what Bokeh sends of a model. Without defaults
    (as Bokeh serializes), the same values in the same order as Bokeh's own, which
    computes every property's default first and then drops those not set."""
    if include_defaults or include_undefined or _failure is not None:
        return _ORIGINAL_VALUES(self, include_defaults=include_defaults,
                                include_undefined=include_undefined)
    values, kept = self._property_values, self._unstable_default_values
    themed = self.themed_values() or {}
    chosen = set(values) | set(kept) | set(themed)
    result = {}
    for name, descriptor, read in _sent(type(self)):
        if name in chosen:
            value = descriptor.get_value(self)
            if name not in themed and isinstance(value, PropertyValueContainer) and name in kept:
                continue
            result[name] = value
        elif read:
            descriptor.get_value(self)
    return result


def _pull(cls, message, connection):
    """Bokeh's PULL-DOC handler (``ServerSession.pull``): the same reply, made in
    ``PULL_THREAD`` while the session's document is locked (``with_document_locked``, as
    Bokeh's own handler is)."""
    if _failure is not None:
        return _ORIGINAL_PULL.__get__(None, cls)(message, connection)
    session = connection.session
    return session.with_document_locked(_pull_reply, session, message, connection)


async def _pull_reply(session, message, connection):
    def reply():
        return connection.protocol.create("PULL-DOC-REPLY", message.header["msgid"],
                                          session.document)
    try:
        return await asyncio.get_running_loop().run_in_executor(_pull_thread(), reply)
    except Exception as exc:        # made on the event loop, as Bokeh makes it
        _fall_back(f"failed making a page's document: {_describe(exc)}")
        return reply()


def _pull_thread():
    global _pull_pool
    with _lock:
        if _pull_pool is None:
            from concurrent.futures import ThreadPoolExecutor
            _pull_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=PULL_THREAD)
        return _pull_pool


def _frame_head(opcode: int, n: int) -> bytes:
    """An unmasked, unfragmented websocket frame's head (RFC 6455 §5.2), as a server
    sends it."""
    if n < 126:
        return struct.pack("!BB", 0x80 | opcode, n)
    if n <= 0xFFFF:
        return struct.pack("!BBH", 0x80 | opcode, 126, n)
    return struct.pack("!BBQ", 0x80 | opcode, 127, n)


class _Written:
    """What Panel awaits (and cancels, when the session goes) for a written message:
    the stream's write, with a closed stream reported as Tornado reports it."""

    __slots__ = ("_future",)

    def __init__(self, future):
        self._future = future

    def __await__(self):
        try:
            return (yield from self._future.__await__())
        except StreamClosedError:
            raise WebSocketClosedError() from None

    def cancel(self):
        return self._future.cancel()


def dispatch_tornado(conn, events=None, msg=None):
    """Panel's ``dispatch_tornado``: one message (header, metadata, content and each
    binary buffer) onto the websocket in one write, instead of one write, one system
    call and one asyncio task per part (five for a frame with the heatmap). The bytes
    are the frames Tornado writes for the same parts (tests/ui/test_wire.py checks
    them byte for byte). A compressed or masked connection takes Panel's way; any
    unexpected failure turns the fast wire off for good and the message goes Panel's way."""
    if _failure is not None:
        return _ORIGINAL_DISPATCH(conn, events=events, msg=msg)
    try:
        ws = _plain_websocket(conn._socket)
    except Exception as exc:
        _fall_back(f"failed looking at a websocket: {_describe(exc)}")
        ws = None
    if ws is None:
        return _ORIGINAL_DISPATCH(conn, events=events, msg=msg)
    if msg is None:
        if not events:
            return []
        msg = conn.protocol.create("PATCH-DOC", events)     # (with its own fallback)
    try:
        return _write(ws, msg)
    except (WebSocketClosedError, StreamClosedError):
        raise                                   # a tab that closed: not a failure
    except Exception as exc:
        _fall_back(f"failed writing a message: {_describe(exc)}")
    return _ORIGINAL_DISPATCH(conn, msg=msg)


async def send_message(self, message):
    """Bokeh's ``WSHandler.send_message`` (its replies, and the changes sent Bokeh's way:
    a ``LiveHTML``'s text, a page's first frames): the message in one write, as
    ``dispatch_tornado`` writes Panel's.

    Bokeh writes a message's parts one by one and awaits each, holding the socket's write
    lock over several turns of the event loop. Panel, finding that lock held when a
    click's changes are ready, keeps them back and looks again every 10 ms: on a page
    that trained, 58 clicks' changes in three minutes waited 13–75 ms so, and kept
    changes went out after later messages written Bokeh's way (a new layer's neuron
    count before its column, which the browser did not yet have). One write in one turn
    of the loop cannot interleave with another message, so the lock is taken and given
    back around it, never held across a turn: Panel writes its changes at once, and
    every message reaches the browser in the order it was made. Where Bokeh's own
    writer holds the lock (the fast wire was off), this one waits its turn."""
    if _failure is not None:
        return await _ORIGINAL_SEND(self, message)
    try:
        ws = _plain_websocket(self)
    except Exception as exc:
        _fall_back(f"failed looking at a websocket: {_describe(exc)}")
        ws = None
    if ws is None:
        return await _ORIGINAL_SEND(self, message)
    try:
        await self.write_lock.acquire()         # at once, unless Bokeh's own writer has it
        try:
            written = _write(ws, message)
        except WebSocketClosedError:
            raise
        except Exception as exc:
            _fall_back(f"failed writing a message: {_describe(exc)}")
            written = None
        finally:
            self.write_lock.release()
        if written is None:                     # not a byte of it went out: Bokeh's way
            return await _ORIGINAL_SEND(self, message)
        for part in written:
            await part
    except WebSocketClosedError:                # a tab that closed, as Bokeh reports it
        _BOKEH_WS_LOG.warning("Failed sending message as connection was closed")
    return None


_BOKEH_WS_LOG = logging.getLogger("bokeh.server.views.ws")


def _plain_websocket(handler):
    """The websocket of a connection's handler where a message can go out as plain
    frames; None where Bokeh's or Panel's way is the one (closed or closing, compressed,
    masked)."""
    ws = getattr(handler, "ws_connection", None)
    if (not ws or ws.stream is None or ws.is_closing() or ws._compressor is not None
            or ws.mask_outgoing):
        return None
    return ws


def _write(ws, msg):
    parts = [(0x1, msg.header_json.encode()), (0x1, msg.metadata_json.encode()),
             (0x1, msg.content_json.encode())]
    for buffer in msg._buffers:
        parts.append((0x1, json.dumps(buffer.ref).encode()))
        parts.append((0x2, bytes(buffer.to_bytes())))
    chunks = []
    for opcode, payload in parts:
        chunks.append(_frame_head(opcode, len(payload)))
        chunks.append(payload)
    data = b"".join(chunks)
    # Tornado's counters, read before the write: a failure after it would send twice
    message_bytes, wire_bytes = ws._message_bytes_out, ws._wire_bytes_out
    try:
        future = ws.stream.write(data)
    except StreamClosedError:
        raise WebSocketClosedError() from None
    ws._message_bytes_out = message_bytes + sum(len(payload) for _, payload in parts)
    ws._wire_bytes_out = wire_bytes + len(data)
    return [_Written(future)]


# ------------------------------------------------------------------ guard and switch
def _probe_page():
    """A small document as the server has it after sending a page: the objects the
    probes below look at."""
    from bokeh.document import Document
    from bokeh.models import ColumnDataSource, Div, Row
    from bokeh.plotting import figure
    doc = Document()
    source = ColumnDataSource({"x": [0.0], "y": [1.0]})
    div = Div(text="probe")
    fig = figure(width=50, height=50)
    fig.line("x", "y", source=source)
    doc.add_root(Row(div, fig))
    doc.models.flush_synced()
    return doc, source, div


def _probe_frame() -> bool:
    """One frame's changes, made and built into a message as a playing page does, give the
    events and message Bokeh's own would."""
    doc, source, div = _probe_page()
    events = []
    doc.on_change(events.append)
    _set_columns(doc, source, {"x": [0.5]})
    _stream_columns(doc, source, {"x": [1.0], "y": [float("nan")]})
    _set_property(doc, div, "text", "frame")
    kinds = [type(e) for e in events]
    msg = _build(patch_doc, doc, events, {})
    content = json.loads(msg.content_json)
    return (kinds == [ColumnDataChangedEvent, ColumnsStreamedEvent, ModelChangedEvent]
            and source.data["x"] == [0.5, 1.0] and div.text == "frame"
            and [e["kind"] for e in content["events"]] == [
                "ColumnDataChanged", "ColumnsStreamed", "ModelChanged"])


def _probe_references(doc, source, div) -> bool:
    """A synced model is sent as a reference, a new one whole."""
    from bokeh.models import Div
    serializer = DocumentSerializer(doc)
    new = Div()
    return (serializer.has_ref(div) and serializer.get_ref(div) == div.ref
            and not serializer.has_ref(new) and serializer.get_ref(new) is None)


def _probe_arrays(doc) -> bool:
    """A small array goes inside the message, a big one as a buffer."""
    serializer = DocumentSerializer(doc)
    small = serializer.encode(np.zeros(4, np.float32))
    big = serializer.encode(np.zeros(2 * INLINE_BYTES, np.uint8))
    return (type(small["array"]["data"]) is str and len(serializer.buffers) == 1
            and big["array"]["data"] is serializer.buffers[0])


def _probe_values(doc) -> bool:
    """Every model of the probe page sends the same values both ways, and a model's first
    serialization keeps the defaults Bokeh's keeps."""
    from bokeh.models import Range1d
    fresh, twin = Range1d(), Range1d()
    same = properties_with_values(fresh, include_defaults=False) == _ORIGINAL_VALUES(
        twin, include_defaults=False)
    return same and set(fresh._unstable_default_values) == set(
        twin._unstable_default_values) and all(
        properties_with_values(m, include_defaults=False)
        == _ORIGINAL_VALUES(m, include_defaults=False) for m in doc.models)


def _source_has(code, *names) -> bool:
    source = inspect.getsource(code)
    return all(f"self.{name}" in source for name in names)


def _server_connection():
    from bokeh.server.connection import ServerConnection
    return ServerConnection


def _ack():
    from bokeh.protocol import Protocol
    return Protocol().create("ACK")


def _protocol_handler():
    from bokeh.server.protocol_handler import ProtocolHandler
    return ProtocolHandler


def _tornado(name: str):
    from tornado import websocket
    return getattr(websocket, name)


# Every Bokeh, Panel and Tornado internal this module uses: underscore names and the
# internal API without one, each with its probe (given the probe page: document, data
# source, Div), all run by supported(). tests/ui/test_wire.py checks that the module
# touches no other underscore name.
_PROBES = {
    "bokeh.core.serialization._MAX_SAFE_INT": lambda page: isinstance(_MAX_SAFE_INT, int),
    "bokeh.util.serialization.BINARY_ARRAY_TYPES":
        lambda page: np.dtype("float32") in _DTYPE_NAMES,
    "Serializer._references": lambda page: _probe_references(*page),
    "Serializer._encode_float": lambda page: DocumentSerializer(page[0]).encode(
        float("nan")) == Serializer().encode(float("nan")),
    "Serializer._encode_bytes": lambda page: _probe_arrays(page[0]),
    "DocumentModelManager._models": lambda page: page[0].models._models.get(page[2].id)
        is page[2],
    "DocumentModelManager._new_models":
        lambda page: isinstance(page[0].models._new_models, set),
    "DocumentModelManager.flush_synced(is_still_new)": lambda page: list(
        inspect.signature(page[0].models.flush_synced).parameters) == ["is_still_new"],
    "Model._callbacks": lambda page: isinstance(page[2]._callbacks, dict),
    "Model._property_values": lambda page: page[2]._property_values.get("text") == "probe",
    "DocumentCallbackManager.notify_change(hint=), trigger_on_change":
        lambda page: _probe_frame(),
    "patch_doc.create": lambda page: isinstance(_ORIGINAL, classmethod),
    "HasProps.properties_with_values; HasProps._unstable_default_values":
        lambda page: _probe_values(page[0]),
    "Model.references; Property._may_have_unstable_default": lambda page: (
        callable(_ORIGINAL_REFERENCES) and references(page[0].roots[0])
        == set(collect_models(page[0].roots[0])) == _ORIGINAL_REFERENCES(page[0].roots[0])),
    "ServerSession.pull, looked up per connection; with_document_locked": lambda page: (
        isinstance(_ORIGINAL_PULL, classmethod)
        and callable(getattr(ServerSession, "with_document_locked", None))
        and "ServerSession.pull" in inspect.getsource(_protocol_handler().__init__)),
    "Message._buffers": lambda page: isinstance(_ack()._buffers, list),
    "ServerConnection._socket":
        lambda page: _source_has(_server_connection().__init__, "_socket"),
    "panel.io.document.dispatch_tornado(conn, events, msg)": lambda page: list(
        inspect.signature(_ORIGINAL_DISPATCH).parameters) == ["conn", "events", "msg"],
    "WSHandler.send_message(self, message), write_lock": lambda page: (
        inspect.iscoroutinefunction(_ORIGINAL_SEND)
        and list(inspect.signature(_ORIGINAL_SEND).parameters) == ["self", "message"]
        and _source_has(WSHandler.__init__, "write_lock")),
    "WebSocketProtocol.stream":
        lambda page: _source_has(_tornado("WebSocketProtocol").__init__, "stream"),
    "WebSocketProtocol13.mask_outgoing":
        lambda page: _source_has(_tornado("WebSocketProtocol13").__init__, "mask_outgoing"),
    "WebSocketProtocol13._compressor":
        lambda page: _source_has(_tornado("WebSocketProtocol13"), "_compressor"),
    "WebSocketProtocol13._message_bytes_out":
        lambda page: _source_has(_tornado("WebSocketProtocol13"), "_message_bytes_out"),
    "WebSocketProtocol13._wire_bytes_out":
        lambda page: _source_has(_tornado("WebSocketProtocol13"), "_wire_bytes_out"),
}
PRIVATE_NAMES = tuple(_PROBES)


def missing():
    """The first of PRIVATE_NAMES that is not there as this module was written against
    (its name, and the exception where a probe raised one); None where all are."""
    if bokeh.__version__.split(".")[0] != "3":
        return f"Bokeh {bokeh.__version__}"
    try:
        page = _probe_page()
    except Exception as exc:
        return f"a Bokeh document ({type(exc).__name__}: {exc})"
    for name, probe in _PROBES.items():
        try:
            if not probe(page):
                return name
        except Exception as exc:    # anything unexpected: not the releases this was written for
            return f"{name} ({type(exc).__name__}: {exc})"
    return None


def supported() -> bool:
    """True where every Bokeh, Panel and Tornado internal this module uses
    (PRIVATE_NAMES) is there as it was written against, probed on real objects; anywhere
    else nothing is installed and Bokeh's and Panel's own ways stay."""
    return missing() is None


def install() -> bool:
    """Use the faster PATCH-DOC builder, socket writer, per-frame changes,
    ``references`` and ``properties_with_values``, and make each page's whole document off the event loop (once per
    process). False, with one line in the server's log, where not supported or where
    the install fails; False too once the fast wire has been turned off for good."""
    global _active
    if _failure is not None:
        return False
    absent = missing()
    if absent is not None:
        _fall_back(f"needs what this Bokeh/Panel/Tornado lacks: {absent}", installed=False)
        return False
    try:
        patch_doc.create = classmethod(_create)
        panel_document.dispatch_tornado = dispatch_tornado
        ServerSession.pull = classmethod(_pull)
        WSHandler.send_message = send_message
        Model.references = references
        HasProps.properties_with_values = properties_with_values
        _active = True
    except Exception as exc:
        _fall_back(f"could not be installed: {_describe(exc)}")
        return False
    return True


def uninstall() -> None:
    """Bokeh's and Panel's own builder, writer, per-frame changes, ``references``,
    ``properties_with_values`` and PULL-DOC handler again."""
    global _active
    _active = False
    if _ORIGINAL is not None:
        patch_doc.create = _ORIGINAL
    if _ORIGINAL_DISPATCH is not None:
        panel_document.dispatch_tornado = _ORIGINAL_DISPATCH
    if _ORIGINAL_PULL is not None:
        ServerSession.pull = _ORIGINAL_PULL
    if _ORIGINAL_SEND is not None:
        WSHandler.send_message = _ORIGINAL_SEND
    if _ORIGINAL_REFERENCES is not None:
        Model.references = _ORIGINAL_REFERENCES
    if _ORIGINAL_VALUES is not None:
        HasProps.properties_with_values = _ORIGINAL_VALUES


def _fall_back(reason: str, installed: bool = True) -> None:
    """Bokeh's and Panel's own from now on, said once in the server's log. (Should the
    uninstall itself fail, the replacements still hand every message to the originals:
    they look at ``_failure`` first.)"""
    global _failure
    with _lock:
        first = _failure is None
        if first:
            _failure = reason
        if installed:
            try:
                uninstall()
            except Exception:       # see above: the originals serve anyway
                pass
    if first:
        log.warning("%sBokeh's and Panel's own%s; the fast wire %s", LOG_PREFIX,
                    " from now on" if installed else "", reason)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def failure():
    """Why the fast wire was turned off for good in this process; None if it was not."""
    return _failure


def installed() -> bool:
    """Whether the fast wire serves the frames now (its builder, writer and per-frame
    changes)."""
    return _active


def snapshot() -> tuple:
    """What this module has put in place, and whether it was turned off for good (for a
    test that changes it: ``restore(snapshot())`` puts it back)."""
    return (patch_doc.__dict__["create"], panel_document.dispatch_tornado,
            ServerSession.__dict__["pull"], WSHandler.__dict__["send_message"],
            Model.__dict__["references"], HasProps.__dict__["properties_with_values"],
            _active, _failure)


def restore(state: tuple) -> None:
    """Put back what ``snapshot()`` returned."""
    global _active, _failure
    (patch_doc.create, panel_document.dispatch_tornado, ServerSession.pull,
     WSHandler.send_message, Model.references, HasProps.properties_with_values, _active,
     _failure) = state
