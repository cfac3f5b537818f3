"""A control of choices (a menu, a row of buttons to pick from, a check box) is handled
as soon as the browser's change arrives; Panel holds the others' changes 50 ms, as it
holds every change with PLAYGROUND_WIRE=bokeh or a Panel this project does not know."""
from __future__ import annotations

from types import SimpleNamespace

import panel as pn
import pytest
from bokeh.document import Document

from playground.ui import PlaygroundApp, prompt


class ServedDocument(Document):
    """A document as a served session has it (its session's context)."""
    session_context = SimpleNamespace(
        id="test", request=SimpleNamespace(arguments={}, headers={}, cookies={}))


def browser_change(monkeypatch, widget, **change) -> list:
    """``change`` made to the widget's model as a browser's patch makes it, on a served
    document; returns the waits (ms) Panel asked for before handling it."""
    doc = ServedDocument()
    waits = []
    monkeypatch.setattr(doc, "add_timeout_callback", lambda cb, ms: waits.append(ms))
    model = widget.get_root(doc)
    model.update(**change)
    return waits


CHOICES = [
    (lambda: pn.widgets.CheckButtonGroup(options=["a", "b"], value=["a"]), {"active": [0, 1]}),
    (lambda: pn.widgets.Select(options=["a", "b"], value="a"), {"value": "b"}),
    (lambda: pn.widgets.RadioButtonGroup(options=["a", "b"], value="a"), {"active": 1}),
    (lambda: pn.widgets.Checkbox(value=False), {"active": True}),
    (lambda: pn.widgets.Toggle(value=False), {"active": True}),
]


@pytest.mark.parametrize("make, change", CHOICES)
def test_a_choice_from_the_browser_is_handled_at_once(monkeypatch, make, change):
    monkeypatch.delenv("PLAYGROUND_WIRE", raising=False)
    widget = make()
    assert browser_change(monkeypatch, widget, **change) == [pn.widgets.Select._debounce]
    widget = make()
    assert prompt.prompt(widget) == 1
    assert browser_change(monkeypatch, widget, **change) == [0]


def test_a_slider_and_a_number_box_keep_panels_hold(monkeypatch):
    monkeypatch.delenv("PLAYGROUND_WIRE", raising=False)
    slider = pn.widgets.FloatSlider(start=0, end=1, value=0.5)
    number = pn.widgets.IntInput(value=1)
    assert prompt.prompt(slider, number) == 0
    assert browser_change(monkeypatch, slider, value=0.7) == [50]
    assert browser_change(monkeypatch, number, value=2) == [50]


def test_with_bokehs_and_panels_own_ways_a_choice_waits_as_before(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_WIRE", "bokeh")
    menu = pn.widgets.Select(options=["a", "b"], value="a")
    assert not prompt.enabled() and prompt.prompt(menu) == 0
    assert prompt.prompt_controls(pn.Column(menu)) == 0
    assert browser_change(monkeypatch, menu, value="b") == [50]


def test_a_panel_whose_hold_is_another_is_left_as_it_is(monkeypatch):
    from panel.reactive import Syncable
    monkeypatch.delenv("PLAYGROUND_WIRE", raising=False)
    assert prompt.available()

    def server_change(self, doc, ref, subpath, attr, old, new):    # reads no _debounce
        self._change_event(doc)

    monkeypatch.setattr(Syncable, "_server_change", server_change)
    assert not prompt.available() and not prompt.enabled()
    assert prompt.prompt(pn.widgets.Select(options=["a"])) == 0


def test_the_pages_choices_are_handled_at_once(monkeypatch):
    """The input features, the lesson menu, a layer's activation (a layer's controls are
    made with the page or later) and the data's problem type."""
    monkeypatch.delenv("PLAYGROUND_WIRE", raising=False)
    app = PlaygroundApp()
    try:
        pn.panel(app).get_root()
        net = app.network
        assert browser_change(monkeypatch, net.features, active=[0, 1, 2]) == [0]
        assert browser_change(monkeypatch, app.lessons.menu, value="xor-linear") == [0]
        assert browser_change(monkeypatch, app.data.problem, active=1) == [0]
        app.run.hidden = [4, 2, 2, 2, 2, 2]               # a second row of layers
        activation = net.shown_layers[-1].select(pn.widgets.Select)[0]
        assert browser_change(monkeypatch, activation, value="relu") == [0]
        # a slider is held as Panel holds it
        assert browser_change(monkeypatch, app.data.noise, value=20) == [50]
    finally:
        app.stop()
