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
it). It also replaces Panel's ``dispatch_tornado`` with one that writes a message's parts
in one write to the socket. Both are installed only where ``supported()`` finds the
Bokeh and Panel internals they were written against; anywhere else Bokeh's and Panel's
originals stay.

The module also has the per-frame changes (``set_columns``, ``stream_columns``,
``set_property``): the same events as Bokeh's own, made without its checks.
"""
from __future__ import annotations

import base64
import inspect
import json
import struct
import sys
import zlib
from math import isfinite
from typing import Any

import bokeh
import numpy as np
from bokeh.core import serialization as _serialization
from bokeh.core.serialization import BytesRep, MapRep, NDArrayRep, Serializer
from bokeh.document.events import (ColumnDataChangedEvent, ColumnsStreamedEvent,
                                   ModelChangedEvent)
from bokeh.util.serialization import BINARY_ARRAY_TYPES
from bokeh.model import Model
from bokeh.protocol.messages.patch_doc import patch_doc
from panel.io import document as panel_document
from tornado.iostream import StreamClosedError
from tornado.websocket import WebSocketClosedError

# Bokeh's largest integer sent as a number (JavaScript's); None where Bokeh has renamed it,
# and then ``supported()`` says False and nothing is installed
_MAX_SAFE_INT = getattr(_serialization, "_MAX_SAFE_INT", None)
_ORIGINAL = patch_doc.__dict__["create"]
_ORIGINAL_DISPATCH = panel_document.dispatch_tornado
INLINE_BYTES = 4096    # arrays up to this size travel inside the message, larger as buffers
_PLAIN = frozenset(BINARY_ARRAY_TYPES)      # dtypes Bokeh sends as they are (no 64-bit ints)
_DTYPE_NAMES = {np.dtype(t): np.dtype(t).name for t in _PLAIN}   # numpy's .name is slow


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
            return NDArrayRep(type="ndarray", array=self._encode_bytes(obj.data),
                              shape=list(obj.shape), dtype=name, order=sys.byteorder)
        if kind is list:
            return [self.encode(item) for item in obj]
        if kind is dict:
            if not obj:
                return MapRep(type="map")
            return MapRep(type="map", entries=[(self.encode(k), self.encode(v))
                                               for k, v in obj.items()])
        return super().encode(obj)

    def _encode_bytes(self, obj):
        """Small arrays (a neuron's picture, one new point of the loss curve) go inside the
        message, as a gzip stream in base64, as Bokeh itself writes them outside a server
        (BokehJS reads both forms). Each binary buffer costs
        the server two more websocket messages, which for a frame's twenty small arrays
        cost more than the encoding."""
        if memoryview(obj).nbytes <= INLINE_BYTES:
            return BytesRep(type="bytes", data=base64.b64encode(stored_gzip(obj)).decode())
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
    """Same as Bokeh's patch_doc.create, with DocumentSerializer."""
    from bokeh.protocol.messages.patch_doc import PatchJson

    header = cls.create_header()
    if not events:
        raise ValueError("PATCH-DOC message requires at least one event")
    docs = {event.document for event in events}
    if len(docs) != 1:
        raise ValueError("PATCH-DOC message configured with events for more than one document")
    [doc] = docs
    serializer = DocumentSerializer(doc)
    patch_json = PatchJson(events=serializer.encode(events))
    doc.models.flush_synced(lambda model: not serializer.has_ref(model))
    msg = cls(header, metadata, patch_json)
    msg.add_buffers(*serializer.buffers)
    return msg


# ------------------------------------------------------------------ per-frame changes
# A playing page changes a few data sources and texts every frame. Bokeh's own way
# (``source.data.update``, ``source.stream``, ``model.text = ...``) copies the data,
# validates every column against the property's type, compares old and new value by
# value and only then makes the change event: for the network diagram alone that was
# two thirds of its update. The functions below make the same change and the same event
# (tests/ui/test_wire.py compares them with Bokeh's, message by message), for values the
# app itself made. Where a Python callback listens to the property, or the model is not
# in a document yet, they take Bokeh's own way.

_PLAIN_VALUES = (str, int, float, bool)       # what set_property sets directly


def _direct(model, attr: str):
    """The model's document, when a change of ``attr`` can skip Bokeh's checks."""
    doc = model.document
    if doc is None or model._callbacks.get(attr):
        return None
    return doc


def set_columns(source, columns: dict) -> None:
    """``source.data.update(columns)``: replace these columns (the others stay)."""
    doc = _direct(source, "data")
    if doc is None:
        source.data.update(columns)
        return
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
        return
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
    values = model._property_values
    if doc is None or type(value) not in _PLAIN_VALUES or attr not in values:
        setattr(model, attr, value)
        return
    if type(values[attr]) is type(value) and values[attr] == value:
        return
    values[attr] = value
    doc.callbacks.trigger_on_change(ModelChangedEvent(doc, model, attr, value))


# ------------------------------------------------------------------ onto the socket
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
    them byte for byte). A compressed or masked connection takes Panel's way."""
    socket = getattr(conn, "_socket", None)
    ws = getattr(socket, "ws_connection", None)
    if (not ws or ws.is_closing() or getattr(ws, "_compressor", True) is not None
            or getattr(ws, "mask_outgoing", True) or getattr(ws, "stream", None) is None
            or not hasattr(ws, "_wire_bytes_out") or not hasattr(ws, "_message_bytes_out")):
        return _ORIGINAL_DISPATCH(conn, events=events, msg=msg)
    if msg is None:
        if not events:
            return []
        msg = conn.protocol.create("PATCH-DOC", events)
    buffers = getattr(msg, "_buffers", None)
    if buffers is None:                         # a Bokeh that keeps them elsewhere
        return _ORIGINAL_DISPATCH(conn, msg=msg)
    parts = [(0x1, msg.header_json.encode()), (0x1, msg.metadata_json.encode()),
             (0x1, msg.content_json.encode())]
    for buffer in buffers:
        parts.append((0x1, json.dumps(buffer.ref).encode()))
        parts.append((0x2, bytes(buffer.to_bytes())))
    chunks = []
    for opcode, payload in parts:
        chunks.append(_frame_head(opcode, len(payload)))
        chunks.append(payload)
    data = b"".join(chunks)
    ws._message_bytes_out += sum(len(payload) for _, payload in parts)
    ws._wire_bytes_out += len(data)
    try:
        future = ws.stream.write(data)
    except StreamClosedError:
        raise WebSocketClosedError() from None
    return [_Written(future)]


PRIVATE_NAMES = (
    "bokeh.core.serialization._MAX_SAFE_INT", "Serializer._references",
    "Serializer._encode_float", "Serializer._encode_bytes", "DocumentModelManager._models",
    "DocumentModelManager._new_models", "DocumentModelManager.flush_synced",
    "Model._callbacks", "Model._property_values", "Message._buffers",
    "ServerConnection._socket", "panel.io.document.dispatch_tornado(conn, events, msg)")


def supported() -> bool:
    """True where every Bokeh and Panel internal this module uses (PRIVATE_NAMES) is there
    as it was written against, probed on real objects; anywhere else nothing is installed
    and Bokeh's and Panel's own ways stay. (What a frame meets at run time, such as a
    websocket's byte counters, is checked again there, with the same fallback.)"""
    try:
        from bokeh.document import Document
        from bokeh.models import Div
        from bokeh.protocol import Protocol
        from bokeh.server.connection import ServerConnection
        doc = Document()
        div = Div()
        doc.add_root(div)
        manager = doc.models
        return (bokeh.__version__.split(".")[0] == "3"
                and isinstance(_MAX_SAFE_INT, int)
                and "_references" in Serializer.__annotations__
                and callable(getattr(Serializer, "_encode_float", None))
                and callable(getattr(Serializer, "_encode_bytes", None))
                and isinstance(getattr(manager, "_models", None), dict)
                and isinstance(getattr(manager, "_new_models", None), set)
                and callable(getattr(manager, "flush_synced", None))
                and isinstance(getattr(div, "_callbacks", None), dict)
                and isinstance(getattr(div, "_property_values", None), dict)
                and isinstance(getattr(Protocol().create("ACK"), "_buffers", None), list)
                and "self._socket" in inspect.getsource(ServerConnection.__init__)
                and list(inspect.signature(_ORIGINAL_DISPATCH).parameters) == [
                    "conn", "events", "msg"])
    except Exception:           # anything unexpected: not the releases this was written for
        return False


def install() -> bool:
    """Use the faster PATCH-DOC builder and socket writer (once per process); False
    where not supported."""
    if not supported():
        return False
    patch_doc.create = classmethod(_create)
    panel_document.dispatch_tornado = dispatch_tornado
    return True


def uninstall() -> None:
    patch_doc.create = _ORIGINAL
    panel_document.dispatch_tornado = _ORIGINAL_DISPATCH
