"""PLAYGROUND_WIRE: the frame messages' path a server takes, said in one line of its log."""
from __future__ import annotations

import logging

import pytest
from bokeh.protocol.messages.patch_doc import patch_doc

from playground import server
from playground.server import jaxconfig, resource_guard, wire


@pytest.fixture(autouse=True)
def _restore(wire_restored):
    """Each test starts without the fast wire and leaves it as it found it."""
    wire.uninstall()


def _installed() -> bool:
    create, dispatch, pull, send, references, values, active, _ = wire.snapshot()
    return (create.__func__.__module__ == wire.__name__ and active
            and dispatch is wire.dispatch_tornado and pull.__func__ is wire._pull
            and send is wire.send_message and references is wire.references
            and values is wire.properties_with_values)


@pytest.mark.parametrize("value", [None, "", "fast", " Fast "])
def test_the_fast_wire_is_the_default(monkeypatch, log_records, value):
    if value is None:
        monkeypatch.delenv(server.WIRE_ENV, raising=False)
    else:
        monkeypatch.setenv(server.WIRE_ENV, value)
    assert server.install_wire() == "fast"
    assert _installed()
    assert [(r.levelno, r.getMessage()) for r in log_records] == [
        (logging.INFO, "Frame messages: the fast wire (PLAYGROUND_WIRE=bokeh for Bokeh's "
                       "and Panel's own)")]


@pytest.mark.parametrize("value", ["bokeh", "BOKEH "])
def test_bokeh_keeps_bokehs_and_panels_own(monkeypatch, log_records, value):
    monkeypatch.setenv(server.WIRE_ENV, value)
    assert server.install_wire() == "bokeh"
    assert not _installed() and patch_doc.__dict__["create"] is wire._ORIGINAL
    assert [(r.levelno, r.getMessage()) for r in log_records] == [
        (logging.INFO, "Frame messages: Bokeh's and Panel's own (PLAYGROUND_WIRE=bokeh)")]


def test_another_value_is_one_warning_and_the_default(monkeypatch, log_records):
    monkeypatch.setenv(server.WIRE_ENV, "quick")
    assert server.install_wire() == "fast"
    assert _installed()
    assert [r.levelno for r in log_records] == [logging.WARNING, logging.INFO]
    assert log_records[0].getMessage() == ("PLAYGROUND_WIRE='quick' is neither fast nor bokeh: "
                                     "the default, fast")


def test_where_the_fast_wire_is_not_supported_the_log_says_why(monkeypatch, log_records):
    monkeypatch.delenv(server.WIRE_ENV, raising=False)
    monkeypatch.setattr(wire, "_MAX_SAFE_INT", None)
    assert server.install_wire() == "bokeh"
    assert not _installed()
    assert [r.levelno for r in log_records] == [logging.WARNING]
    assert "_MAX_SAFE_INT" in log_records[0].getMessage()


@pytest.mark.parametrize("value,fast", [("bokeh", False), ("fast", True)])
def test_server_install_takes_the_choice(monkeypatch, log_records, value, fast):
    """``server.install()`` (what app.py calls) installs the wire or not, as chosen."""
    monkeypatch.setenv(server.WIRE_ENV, value)
    monkeypatch.setattr(server, "_installed", False)
    for module, name in ((server, "install_logging"), (jaxconfig, "configure"),
                         (resource_guard, "install")):
        monkeypatch.setattr(module, name, lambda: None)     # the rest of the set-up
    server.install()
    assert _installed() is fast
    assert len([r for r in log_records if r.getMessage().startswith(wire.LOG_PREFIX)]) == 1
