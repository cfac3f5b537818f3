"""A lab's cards on a page: titles first, their contents put back one per frame."""
import panel as pn

from playground.state.run import Run
from playground.ui import descent_lab
from playground.ui.descent_lab import DescentLab
from playground.ui.parts import Later, cards


def test_cards_keep_their_titles_and_get_their_contents_back_in_order():
    lab = pn.Column(pn.Column(DescentLab(Run())))
    found = cards(lab)
    assert len(found) == len(descent_lab.SECTIONS)
    before = [list(c.objects) for c in found]
    later = Later()
    assert later.hold_cards(lab) == len(found) == len(later)
    for card, objects in zip(found, before):
        assert card.objects == objects[:1]             # the title, at once
        assert "pg-section-title" in card.objects[0].object
    order = []
    while (box := later.put_next()) is not None:
        order.append(box)
    assert order == found                              # top to bottom, one at a time
    assert [list(c.objects) for c in found] == before
    assert later.put_next() is None and len(later) == 0


def test_a_card_of_one_object_is_held_whole_and_an_empty_one_not_at_all():
    one = pn.Column(pn.pane.HTML("all of it"), css_classes=["pg-card"])
    empty = pn.Column(css_classes=["pg-card"])
    plain = pn.Column(pn.pane.HTML("a"), pn.pane.HTML("b"))       # not a card
    later = Later()
    assert later.hold_cards(pn.Column(one, empty, plain)) == 1
    assert one.objects == [] and len(plain.objects) == 2
    while later.put_next() is not None:
        pass
    assert one.objects[0].object == "all of it" and len(later) == 0


def test_a_page_holds_a_labs_cards_only_when_served(monkeypatch):
    from playground.ui import PlaygroundApp
    app = PlaygroundApp(query=None)
    app.lab("descent")                                   # no page: all at once
    assert len(app.later) == 0
    app2 = PlaygroundApp(query=None)
    monkeypatch.setattr(app2, "_doc", object())         # as after start() on a page
    app2.lab("descent")
    assert len(app2.later) == len(descent_lab.SECTIONS)


def test_a_card_put_in_place_after_a_lock_comes_locked(monkeypatch):
    from playground.ui import PlaygroundApp
    app = PlaygroundApp(query=None)
    monkeypatch.setattr(app, "_doc", object())          # as after start() on a page
    app.lab("descent")
    app.lock(True)                                      # the teacher locks meanwhile
    boxes = []
    while (box := app.put_next_part()) is not None:
        boxes.append(box)
    assert len(boxes) == len(descent_lab.SECTIONS)
    widgets = [w for b in boxes for w in b.select(pn.widgets.Widget)]
    assert widgets and all(w.disabled for w in widgets)
    app.lock(False)
    assert not app.labs["descent"].parallel.reset_btn.disabled


def test_a_served_playground_puts_its_lower_parts_in_place_after_it_is_shown(monkeypatch):
    from playground.ui import app as app_module
    from playground.ui import PlaygroundApp
    monkeypatch.setattr(app_module, "_served", lambda: True)
    app = PlaygroundApp(query=None)
    boxes = [app.own_data_box, app.confusion_box, app.lessons_box, app.class_box,
             app.export_box]
    assert all(b.objects == [] for b in boxes) and len(app.later) == len(boxes)
    app.lock(True)                                      # the teacher locks meanwhile
    for box in boxes:                                   # in this order, the export card last
        assert app.put_next_part() is box
    assert app.put_next_part() is None
    assert all(b.objects for b in boxes)
    widgets = [w for b in boxes for w in b.select(pn.widgets.Widget)]
    assert widgets and all(w.disabled for w in widgets)
    app.lock(False)
    assert not any(w.disabled for w in app.export_box.select(pn.widgets.Button))


def test_a_playground_off_a_server_has_every_part_at_once():
    from playground.ui import PlaygroundApp
    app = PlaygroundApp(query=None)
    assert len(app.later) == 0
    assert all(b.objects for b in (app.own_data_box, app.confusion_box, app.lessons_box,
                                   app.class_box, app.export_box))


def test_a_lab_tab_opened_on_a_page_builds_its_lab_off_the_event_loop(monkeypatch):
    import threading
    import time
    from bokeh.document import Document
    from playground.ui import PlaygroundApp
    from playground.ui.links import TABS
    app = PlaygroundApp(query=None)
    monkeypatch.setattr(app, "_doc", Document())                          # a page
    made_in, docs = [], []
    make = app._make_lab
    monkeypatch.setattr(app, "_make_lab", lambda name: (
        made_in.append(threading.current_thread().name), docs.append(pn.state.curdoc),
        make(name))[2])
    app.tabs.active = TABS.index("descent")              # the tab's first click
    assert "pg-lab-loading" in app._lab_boxes["descent"].objects[0][1].object   # its intro
    app.tick()                                           # the next frame: the build starts
    assert "descent" not in app.labs and app._building is not None
    deadline = time.monotonic() + 60
    while not app._building[1].done():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    app.tick()                                           # then: on the page
    assert "descent" in app.labs and app._building is None
    assert made_in and made_in[0].startswith("playground-build")
    assert made_in[0] != threading.current_thread().name
    # Panel's current document in the builder's thread is the page's, not whatever the
    # event loop has set for another page's callback meanwhile
    assert docs == [app._doc]
    assert len(app.later) == len(descent_lab.SECTIONS)   # the cards' contents come next
    app.tabs.active = TABS.index("playground")
    app.tabs.active = TABS.index("descent")              # opened again: not built again
    app.tick()
    assert len(made_in) == 1 and app._building is None
