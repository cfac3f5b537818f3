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
