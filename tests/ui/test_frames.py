"""LiveHTML: per-frame text goes straight to the browser's model and stays in step."""
import html

import panel as pn
from bokeh.document import Document

from playground.ui.frames import LiveHTML


def test_show_updates_object_and_every_rendered_model():
    pane = LiveHTML("<b>a</b>")
    doc = Document()
    model = pane.get_root(doc)
    seen = []
    pane.param.watch(lambda e: seen.append(e.new), "object")
    pane.show('<div class="x">Epoch 5 & more</div>')
    assert pane.object == '<div class="x">Epoch 5 & more</div>'
    assert html.unescape(model.text) == '<div class="x">Epoch 5 & more</div>'
    assert model.text != pane.object          # escaped as Panel escapes it
    assert seen == []                          # Panel's own re-render was not woken


def test_show_writes_what_panel_would_have_written():
    a, b = LiveHTML("start"), pn.pane.HTML("start")
    ma, mb = a.get_root(Document()), b.get_root(Document())
    text = "<i>loss</i> 0.123 &nbsp;·&nbsp; <b>acc</b> 97%"
    a.show(text)
    b.object = text
    assert ma.text == mb.text


def test_same_text_sends_nothing():
    pane = LiveHTML("same")
    doc = Document()
    pane.get_root(doc)
    events = []
    doc.on_change(events.append)
    pane.show("same")
    assert events == []


def test_setting_object_after_show_still_renders():
    pane = LiveHTML("a")
    model = pane.get_root(Document())
    pane.show("b")
    pane.object = "c"                           # Panel's own way, e.g. a reset message
    assert html.unescape(model.text) == "c" and pane.object == "c"
    pane.show("c")                              # unchanged: nothing to do
    pane.show("d")
    assert html.unescape(model.text) == "d"
