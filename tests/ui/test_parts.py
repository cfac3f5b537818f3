"""A lab's cards on a page: titles first, their contents put back one per frame."""
import concurrent.futures
import panel as pn

from playground.state.run import Run
from playground.ui import descent_lab, neuron_lab
from playground.ui.descent_lab import DescentLab
from playground.ui.links import TABS
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
    while boxes := later.put_next():
        order.append(boxes)
    assert order == [[c] for c in found]               # top to bottom, one at a time
    assert [list(c.objects) for c in found] == before
    assert later.put_next() == [] and len(later) == 0


def test_a_first_cards_boxes_marked_after_card_come_first_after_it():
    """The first card stays whole but for its boxes marked AFTER_CARD, which are held
    (before the other cards' contents) and put back first."""
    from playground.ui.parts import AFTER_CARD
    after = pn.Column(pn.pane.HTML("later"), css_classes=[AFTER_CARD])
    first = pn.Column(pn.pane.HTML("title"), pn.Row(pn.pane.HTML("now"), after),
                      css_classes=["pg-card"])
    second = pn.Column(pn.pane.HTML("title 2"), pn.pane.HTML("body"), css_classes=["pg-card"])
    later = Later()
    assert later.hold_cards(pn.Column(first, second), tab="lab", skip=1) == 2
    assert len(first.objects) == 2 and after.objects == [] and len(second.objects) == 1
    assert later.put_next() == [after] and after.objects[0].object == "later"
    assert later.put_next() == [second] and len(later) == 0


def test_the_convolution_labs_relu_and_pooling_come_after_its_card():
    """On a served page the Convolution lab's card shows its input, kernel and feature map
    first; the ReLU and pooling plots come just after."""
    from playground.ui.conv_lab import ConvLabTab
    tab = ConvLabTab()
    content = pn.Column(tab)
    view = tab.lab
    plots = [view.input_plot.fig, view.output_plot.fig, view.relu_plot.fig, view.pool_plot.fig]

    def on_card():
        return [p.object for p in cards(content)[0].select(pn.pane.Bokeh) if p.object in plots]
    assert on_card() == plots
    later = Later()
    assert later.hold_cards(content, tab="convolution", skip=1) == 1
    assert on_card() == plots[:2]                       # the card, without the last two
    later.put_next()
    assert on_card() == plots and len(later) == 0


def test_the_digits_labs_curves_come_after_its_first_card():
    """On a served page the Digits lab's first card shows its settings and Play first; its
    loss and accuracy curves (empty until it trains) come just after."""
    from playground.ui.digits_lab import DigitsLab
    lab = DigitsLab()
    content = pn.Column(lab)
    curves = [lab.loss_fig, lab.acc_fig]

    def on_card():
        return [p.object for p in cards(content)[0].select(pn.pane.Bokeh) if p.object in curves]
    assert on_card() == curves
    later = Later()
    held = later.hold_cards(content, tab="digits", skip=1)
    assert held == len(cards(content))                  # the curves, then the other cards
    assert on_card() == [] and lab.play in cards(content)[0].select(pn.widgets.Widget)
    later.put_next()
    assert on_card() == curves


def test_a_card_of_one_object_is_held_whole_and_an_empty_one_not_at_all():
    one = pn.Column(pn.pane.HTML("all of it"), css_classes=["pg-card"])
    empty = pn.Column(css_classes=["pg-card"])
    plain = pn.Column(pn.pane.HTML("a"), pn.pane.HTML("b"))       # not a card
    later = Later()
    assert later.hold_cards(pn.Column(one, empty, plain)) == 1
    assert one.objects == [] and len(plain.objects) == 2
    while later.put_next():
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
    # the first card whole (the first thing a student sees), the others' contents held
    assert len(app2.later) == len(descent_lab.SECTIONS) - 1
    first, *others = cards(app2._lab_boxes["descent"])
    assert len(first.objects) == 2 and all(len(c.objects) == 1 for c in others)


def test_a_card_put_in_place_after_a_lock_comes_locked(monkeypatch):
    from playground.ui import PlaygroundApp
    app = PlaygroundApp(query=None)
    monkeypatch.setattr(app, "_doc", object())          # as after start() on a page
    app.lab("descent")
    app.tabs.active = TABS.index("descent")             # its cards go in while it is shown
    app.lock(True)                                      # the teacher locks meanwhile
    boxes = []
    while placed := app.put_next_part():               # a few cards a frame
        boxes += placed
    assert len(boxes) == len(descent_lab.SECTIONS) - 1
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
    assert app.put_next_part() == boxes     # in one frame, in this order (export card last)
    assert app.put_next_part() == []
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
    """A lab with none made ahead (every lab has one on a server: ``app.SPARE_LABS``) is
    made for its page in the builder's thread at its tab's first click."""
    import threading
    import time
    from bokeh.document import Document
    from playground.ui import PlaygroundApp
    from playground.ui import app as app_module
    from playground.ui.links import TABS
    monkeypatch.delitem(app_module.SPARE_LABS, "descent")
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
    assert len(app.later) == len(descent_lab.SECTIONS) - 1   # the others' contents next
    app.tabs.active = TABS.index("playground")
    app.tabs.active = TABS.index("descent")              # opened again: not built again
    app.tick()
    assert len(made_in) == 1 and app._building is None


def test_a_spare_page_is_made_ahead_in_the_builders_thread_and_given_once():
    import threading
    import time
    from playground.ui.parts import Spare
    made = []

    def make():
        made.append((threading.current_thread().name, pn.state.curdoc))
        return object()

    spare = Spare(make, delay_s=0.0)
    assert spare.take() is None and spare.missed == 1      # none yet: the caller makes one
    deadline = time.monotonic() + 30
    while spare.future is None or not spare.future.done():   # the next is on its way
        assert time.monotonic() < deadline
        time.sleep(0.01)
    page = spare.take()
    assert page is not None and spare.taken == 1
    name, doc = made[0]
    assert name.startswith("playground-build")            # off the event loop
    assert doc is not None and doc.session_context is None  # a document of its own
    while spare.future is None or not spare.future.done():   # and the next one again
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert spare.take() is not page and spare.taken == 2    # each page given once
    assert len({id(d) for _, d in made}) == len(made)       # each made with its own document
    spare.cancel()
    assert spare.future is None


def test_a_spare_that_failed_or_waits_in_the_queue_is_not_given(monkeypatch, caplog):
    import time
    from playground.ui import parts
    from playground.ui.parts import Spare

    def broken():
        raise RuntimeError("no page")

    spare = Spare(broken, delay_s=0.0)
    spare.prepare()
    deadline = time.monotonic() + 30
    while spare.future is None or not spare.future.done():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    with caplog.at_level("ERROR", logger="playground"):
        assert spare.take() is None
    assert "made ahead failed" in caplog.text and spare.missed == 1
    spare.cancel()
    # queued behind another build (a lab's): given up, the caller makes its page at once
    gate = __import__("threading").Event()
    blocker = parts.BUILDER.submit(gate.wait, 30)
    queued = Spare(lambda: "page", delay_s=0.0)
    queued.prepare()
    while queued.future is None:                       # its timer has handed it over
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert not queued.future.running()
    assert queued.take() is None and queued.missed == 1
    gate.set()
    blocker.result()
    queued.cancel()


def test_a_page_made_ahead_is_the_plain_links_page(monkeypatch):
    """What a spare makes (``PlaygroundApp()`` with no session) is the page a plain link
    gets, its parts not held yet: the session that shows it holds them (``__panel__``)."""
    from bokeh.document import Document
    from panel.io.state import set_curdoc
    from playground.ui import PlaygroundApp, theme
    with set_curdoc(Document()):
        ahead = PlaygroundApp()
    plain = PlaygroundApp(query={})
    try:
        assert ahead.run.settings() == plain.run.settings()
        assert ahead.view == plain.view and not ahead._parts_held and len(ahead.later) == 0
        assert ahead.summary.pane in ahead.output_column.objects   # as in a notebook
        assert all(b.objects for b in (ahead.own_data_box, ahead.export_box))
        assert theme.PAGE_CSS in pn.config.raw_css      # this session's styles, at render
        monkeypatch.setattr("playground.ui.app._served", lambda: True)
        with set_curdoc(Document()):                     # its session's document
            ahead.__panel__()
            assert ahead._parts_held and len(ahead.later) == 5
            # the plot's words: a root of the page's document, not a part of its card
            # (Panel would take a root that is also in the layout out of the roots)
            assert ahead.summary.pane not in ahead.output_column.objects
            assert ahead.summary.div in pn.state.curdoc.roots
            assert not ahead.own_data_box.objects
            ahead._hold_parts()                          # once
            assert len(ahead.later) == 5
    finally:
        ahead.stop()
        plain.stop()


def test_parts_held_together_are_put_back_in_one_walk_of_the_document():
    """Bokeh walks all of a document's models after each change that adds some; the
    playground's lower parts, held together, are put back in one frame with one walk."""
    from bokeh.document import Document
    from panel.io.state import set_curdoc
    boxes = [pn.Column(pn.pane.HTML(f"part {i}"), pn.widgets.Button(label=str(i)))
             for i in range(3)]
    card = pn.Column(pn.pane.HTML("title"), pn.pane.HTML("body"), css_classes=["pg-card"])
    doc = Document()
    layout = pn.Column(*boxes, card)
    doc.add_root(layout.get_root(doc))
    later = Later()
    for box in boxes:
        later.hold(box, together=True)
    later.hold_cards(pn.Column(card))
    walks = []
    recompute = doc.models.recompute
    doc.models.recompute = lambda: (walks.append(1), recompute())[1]
    with set_curdoc(doc):
        assert later.put_next() == boxes and len(walks) == 1
        assert later.put_next() == [card] and len(walks) == 2
        assert later.put_next() == []
    texts = {m.text for m in doc.models if hasattr(m, "text") and isinstance(m.text, str)}
    assert {"part 0", "part 2", "body"} <= texts                   # all in the document


def test_a_page_made_ahead_is_laid_out_as_one_made_in_its_session(monkeypatch):
    """Shown in a session, a page made ahead (no session yet) has the same parts in the
    same places as a page made in that session."""
    from bokeh.document import Document
    from panel.io.state import set_curdoc
    from playground.ui import PlaygroundApp
    with set_curdoc(Document()):
        ahead = PlaygroundApp()
    monkeypatch.setattr("playground.ui.app._served", lambda: True)
    try:
        with set_curdoc(Document()):
            plain = PlaygroundApp(query={})
            plain.__panel__()
        with set_curdoc(Document()):
            ahead.__panel__()

        def shape(page):
            return [(type(o).__name__, len(getattr(o, "objects", ()) or ()))
                    for o in page._layout.select()]
        assert shape(ahead) == shape(plain)
        assert [(type(b).__name__, len(h)) for b, h, *_ in ahead.later.waiting] == \
            [(type(b).__name__, len(h)) for b, h, *_ in plain.later.waiting]
    finally:
        ahead.stop()
        plain.stop()


def test_a_tab_shown_again_sends_nothing_again_and_each_lab_tab_holds_its_intro_from_the_start():
    """The tabs are a bar over five boxes, all on the page: choosing a tab changes which box
    is shown (its styles), not the page's models. With Panel's dynamic tabs, the playground
    was taken off the page at each lab click and sent again in full (443 kB) on the way
    back."""
    from bokeh.document import Document
    from playground.ui import PlaygroundApp
    from playground.ui.app import HIDDEN_TAB, LAB_INTROS
    from playground.ui.links import TABS
    app = PlaygroundApp(query=None)
    doc = Document()
    doc.add_root(app._layout.get_root(doc))
    for name, intro in LAB_INTROS.items():                # its introduction, before any click
        assert intro in app._lab_boxes[name].objects[0][0].object

    def shown():
        return [k for k, box in app._tab_boxes.items() if box.styles != HIDDEN_TAB]

    def page_models():
        return {m.id for m in doc.models}

    # the boxes' Bokeh models: after the header, the class bar, the keys' help and the tabs
    boxes = dict(zip(app._tab_boxes, doc.roots[0].children[4:9]))
    assert shown() == ["playground"]
    assert [k for k, m in boxes.items() if m.styles != HIDDEN_TAB] == ["playground"]
    playground = {m.id for m in boxes["playground"].references()}
    assert len(playground) > 300 and playground <= page_models()
    app.tabs.active = TABS.index("neurons")           # built here at once (no page's frames)
    assert shown() == ["neurons"]
    assert [k for k, m in boxes.items() if m.styles != HIDDEN_TAB] == ["neurons"]
    with_lab = page_models()
    assert playground < with_lab                      # the playground stays on the page
    app.tabs.active = TABS.index("playground")
    assert shown() == ["playground"]
    assert page_models() == with_lab                  # nothing taken off, nothing sent again
    app.tabs.active = TABS.index("neurons")
    app.tabs.active = TABS.index("playground")
    assert page_models() == with_lab


def test_cards_made_within_the_budget_share_one_walk_of_the_document():
    """``put_next(budget_ms)`` goes on with the next held parts while the budget lasts,
    all of them in one walk of the document; the first part always goes, however long it
    takes, and a spent budget leaves the rest for the next frame."""
    from bokeh.document import Document
    from panel.io.state import set_curdoc
    cards_ = [pn.Column(pn.pane.HTML(f"title {i}"), pn.pane.HTML(f"body {i}"),
                        css_classes=["pg-card"]) for i in range(4)]
    doc = Document()
    doc.add_root(pn.Column(*cards_).get_root(doc))
    later = Later()
    assert later.hold_cards(pn.Column(*cards_)) == 4
    walks = []
    recompute = doc.models.recompute
    doc.models.recompute = lambda: (walks.append(1), recompute())[1]
    now = [0.0]

    def clock():                            # 60 ms more at each reading
        now[0] += 0.06
        return now[0]
    with set_curdoc(doc):
        # 0 ms: one card a frame (the default)
        assert later.put_next(clock=clock) == [cards_[0]] and len(walks) == 1
        # 100 ms: the first card (60 ms in), the second (120 ms): the budget is spent
        assert later.put_next(100.0, clock=clock) == cards_[1:3] and len(walks) == 2
        assert later.put_next(1e9, clock=clock) == [cards_[3]] and len(walks) == 3
        assert later.put_next(1e9, clock=clock) == [] and len(walks) == 3
    assert [c.objects[1].object for c in cards_] == [f"body {i}" for i in range(4)]


def test_a_page_puts_its_cards_with_the_frame_budget(monkeypatch):
    from playground.ui import PlaygroundApp, parts
    app = PlaygroundApp(query=None)
    calls = []
    monkeypatch.setattr(app.later, "put_next", lambda budget_ms=0.0, shown=None: calls.append(budget_ms) or [])
    app.put_next_part()
    assert calls == [parts.PUT_BUDGET_MS] and parts.PUT_BUDGET_MS > 0


def test_a_page_made_ahead_serves_a_plain_link_and_one_that_only_plays():
    """A plain link, ``?play=1`` and a link to a tab get the page made ahead (playing, on
    that tab); a link with any setting, lesson, hidden control, class or unknown key gets
    its own."""
    from playground.state.urlstate import View
    from playground.ui.app import made_ahead

    class Page:
        view = View()
        tab = ""

        def open_tab(self, tab):
            self.tab = tab

    class Ahead:                    # a spare that always has a page ready
        given = 0

        def take(self):
            self.given += 1
            return Page()

    spare = Ahead()
    assert made_ahead({}, spare).view == View()
    assert made_ahead({"play": ["1"]}, spare).view == View(play=True)
    assert made_ahead("?play=1", spare).view.play
    assert made_ahead({"play": [b"0"]}, spare).view == View()
    made = made_ahead({"play": ["1"], "tab": ["descent"]}, spare)
    assert made.tab == "descent" and made.view.play
    assert made_ahead("?tab=digits", spare).tab == "digits"
    for link in ({"dataset": ["xor"]}, {"tab": ["digits"], "dataset": ["xor"]},
                 {"play": ["1"], "projector": ["1"]}, {"preset": ["logistic"]},
                 {"class": ["ABC123"]}, {"hide": ["lessons"]}, {"bogus": ["1"]},
                 {"play": ["1"], "hidden": ["9,9"]}):
        assert made_ahead(link, spare) is None, link
    assert spare.given == 6                 # only the six links above took one


def test_a_page_made_ahead_opens_at_a_links_tab_as_its_own_page_would(monkeypatch):
    """A page made ahead given to ``?tab=descent`` shows that tab with the lab's
    introduction; the lab itself is built at the first frame, off the event loop, as for
    a page made from that link (not on the event loop as the spare is handed over)."""
    from types import SimpleNamespace
    from playground.ui import PlaygroundApp, parts
    from playground.ui.app import made_ahead

    class Ahead:
        def take(self):
            return PlaygroundApp(query=None)

    built = []
    monkeypatch.setattr(PlaygroundApp, "lab", lambda self, name, made=None: built.append(name))
    app = made_ahead({"tab": ["descent"]}, Ahead())
    assert app.active_tab == "descent" and app.view.tab == "descent"
    assert app._to_build == "descent" and built == []          # at the first frame
    assert not app.keys.active                                   # the playground's keys off
    from playground.ui.app import HIDDEN_TAB, SHOWN_TAB
    assert app._tab_boxes["descent"].styles == SHOWN_TAB
    assert app._tab_boxes["playground"].styles == HIDDEN_TAB
    monkeypatch.undo()
    monkeypatch.setattr(app, "_doc", SimpleNamespace(
        session_context=SimpleNamespace(_session=SimpleNamespace(connection_count=1))))
    build_for = parts.build_for
    monkeypatch.setattr(parts, "build_for", lambda doc, fn, *a: build_for(None, fn, *a))
    app._shown = True
    app.tick()                                                   # the build starts
    app._building[1].result()
    app.tick()                                                   # the lab goes in
    assert "descent" in app.labs


def test_a_hidden_tabs_parts_wait_until_it_is_shown_in_their_order():
    """A lab's cards put while the student has gone to another tab held that tab back:
    the browser spends about a second making them. They wait, in order, for their tab."""
    boxes = {tab: [pn.Column(pn.pane.HTML("t"), pn.pane.HTML(f"{tab} {i}"),
                             css_classes=["pg-card"]) for i in range(3)]
             for tab in ("neurons", "descent")}
    later = Later()
    later.hold_cards(pn.Column(*boxes["neurons"]), tab="neurons")
    later.hold_cards(pn.Column(*boxes["descent"]), tab="descent")
    shown = ["descent"]
    put = []
    while placed := later.put_next(shown=lambda tab: tab in shown):
        put += placed
    assert put == boxes["descent"] and len(later) == 3          # the shown tab's only
    assert all(len(b.objects) == 1 for b in boxes["neurons"])   # titles only meanwhile
    shown.append("neurons")                                      # the student goes back
    while placed := later.put_next(shown=lambda tab: tab in shown):
        put += placed
    assert put == boxes["descent"] + boxes["neurons"] and len(later) == 0
    assert all(len(b.objects) == 2 for bs in boxes.values() for b in bs)


def test_a_served_pages_lab_cards_go_in_only_while_its_tab_is_shown(monkeypatch):
    from playground.ui import PlaygroundApp
    app = PlaygroundApp(query=None)
    monkeypatch.setattr(app, "_doc", object())          # as after start() on a page
    app.lab("descent")
    app.tabs.active = TABS.index("descent")
    first = app.put_next_part()
    held = len(descent_lab.SECTIONS) - 1                # (the first card comes whole)
    assert first and len(app.later) == held - len(first)
    app.tabs.active = TABS.index("playground")          # the student leaves the lab
    assert app.put_next_part() == [] and len(app.later) == held - len(first)
    app.tabs.active = TABS.index("descent")             # and comes back: the rest
    rest = []
    while placed := app.put_next_part():
        rest += placed
    assert len(first) + len(rest) == held and len(app.later) == 0


def _served_page_putting_a_card_a_put(monkeypatch):
    """A page as served (its session connected), its held parts put a card at a time, its
    labs built in the builder's thread, and a clock of the test's for the page and the
    process's pace of puts: (page, parts, now). No lab is put before its first click
    (``AHEAD_LABS``: tested on its own)."""
    from types import SimpleNamespace
    from playground.ui import PlaygroundApp, parts
    from playground.ui import app as app_module
    monkeypatch.setattr(app_module, "AHEAD_LABS", ())
    app = PlaygroundApp(query=None)
    monkeypatch.setattr(app, "_doc", SimpleNamespace(
        session_context=SimpleNamespace(_session=SimpleNamespace(connection_count=1))))
    monkeypatch.setattr(parts, "PUT_BUDGET_MS", 0.0)    # a card a put: several puts
    build_for = parts.build_for
    monkeypatch.setattr(parts, "build_for", lambda doc, fn, *a: build_for(None, fn, *a))
    now = [1000.0]
    app.clock = lambda: now[0]
    monkeypatch.setattr(parts, "PACE", parts.PutPace(clock=lambda: now[0]))
    return app, parts, now


def test_a_pages_puts_come_at_least_the_gap_apart(monkeypatch):
    """Puts of held parts (300–400 ms of the event loop each on a served page) are at least
    PUT_GAP_MS apart, and the first comes that long after the lab itself went in: back to
    back, they kept a click on another tab waiting for both."""
    app, parts, now = _served_page_putting_a_card_a_put(monkeypatch)
    monkeypatch.setattr(app, "_others_training", lambda: 0)     # nobody else trains
    app.tabs.active = TABS.index("descent")             # as a click: built at the next frame
    app._to_build = "descent"
    app.tick()                                          # the build starts off the loop
    app._building[1].result()
    app.tick()                                # the lab goes in: the first card, titles
    assert "descent" in app.labs and len(app.later) == len(descent_lab.SECTIONS) - 1
    puts = []
    for _ in range(80):
        before = len(app.later)
        app.tick()
        if len(app.later) < before:
            puts.append(now[0])
        now[0] += 0.025                                 # 40 frames a second
    assert len(puts) >= 2 and len(app.later) == 0
    assert parts.PUT_GAP_MS >= 100.0                   # what the browser measurement needed
    assert puts[0] - 1000.0 >= 0.1 - 1e-9
    assert all(b - a >= 0.1 - 1e-9 for a, b in zip(puts, puts[1:]))


def test_a_labs_other_cards_wait_until_its_first_card_was_on_screen_a_while(monkeypatch):
    """A lab's first card on the shown tab: its other cards' contents wait until the browser
    has shown it and LAB_REST_S more. A student who goes on to another lab meanwhile gets
    that lab's first card with none of the first lab's cards before it; back on the first
    lab, its cards come."""
    from playground.ui import app as app_module
    app, parts, now = _served_page_putting_a_card_a_put(monkeypatch)
    monkeypatch.setattr(app, "_others_training", lambda: 0)
    beat = app.heartbeat

    def beats(answer):          # the browser beats, and shows what it was sent (or not yet)
        beat._beat("tags", None, [beat.beats + 1, 0, beat.sent if answer else beat.shown or 0,
                                  0, -1])

    def frames(seconds, answer=True):
        puts = []
        for _ in range(round(seconds / 0.025)):
            beats(answer)
            before = len(app.later)
            app.tick()
            if len(app.later) < before:
                puts.append(round(now[0] - 1000.0, 3))
            now[0] += 0.025
        return puts

    def click(name):
        app.tabs.active = TABS.index(name)
        app._to_build = name
        beats(False)
        app.tick()                                      # the build starts off the loop
        app._building[1].result()
        beats(False)
        app.tick()                                      # its first card goes in
        assert name in app.labs

    click("descent")
    held = len(app.later)
    assert held == len(descent_lab.SECTIONS) - 1
    assert frames(1.0, answer=False) == [] and len(app.later) == held   # not shown yet
    shown_at = now[0] - 1000.0                          # the browser shows the first card
    assert app_module.LAB_REST_S > 0.4
    puts = frames(0.4)                                  # looked at for 0.4 s
    assert puts == [] and len(app.later) == held            # not long enough
    click("neurons")                                    # the student goes on at once
    assert len(app.later) == held + len(neuron_lab.SECTIONS) - 1
    frames(app_module.LAB_REST_S + 1.5)                 # the Neuron lab's cards come ...
    assert [e[3] for e in app.later.waiting] == ["descent"] * held  # ... none of the other
    app.tabs.active = TABS.index("descent")             # back on the first lab
    puts = frames(held * 0.2 + 0.5)
    assert len(puts) == held and len(app.later) == 0
    assert puts[0] - shown_at >= app_module.LAB_REST_S


def test_the_process_paces_its_puts_while_other_pages_train():
    """While others train, a put that held the event loop t seconds keeps every page's next
    put PUT_SHARE × t away; with nobody else training, the next may come at once."""
    from playground.ui import parts
    now = [0.0]
    pace = parts.PutPace(share=2.0, clock=lambda: now[0])
    assert pace.may_put()
    started = pace.clock()
    now[0] += 0.3                                      # a put of 300 ms
    pace.put(started, others=0)
    assert pace.may_put()                              # alone: at once
    started = pace.clock()
    now[0] += 0.3
    pace.put(started, others=2)
    assert not pace.may_put()
    now[0] += 0.59
    assert not pace.may_put()
    now[0] += 0.02
    assert pace.may_put()


def test_a_pages_parts_wait_for_the_process_pace_while_others_train(monkeypatch):
    """A served page's held parts: with another page training, each put (made slow here:
    200 ms of the event loop) keeps the next PUT_SHARE × 200 ms away; all still go in."""
    app, parts, now = _served_page_putting_a_card_a_put(monkeypatch)
    monkeypatch.setattr(app, "_others_training", lambda: 1)
    put_next_part = app.put_next_part

    def slow_put():
        now[0] += 0.2
        return put_next_part()
    monkeypatch.setattr(app, "put_next_part", slow_put)
    app.tabs.active = TABS.index("descent")
    app._to_build = "descent"
    app.tick()
    app._building[1].result()
    app.tick()                                          # the lab goes in
    assert "descent" in app.labs and len(app.later) >= 2
    puts = []
    for _ in range(200):
        before = len(app.later)
        app.tick()
        if len(app.later) < before:
            puts.append(now[0])                         # when each put ended
        now[0] += 0.025
        if not app.later:
            break
    assert len(app.later) == 0 and len(puts) >= 2
    share = parts.PUT_SHARE
    assert all(b - a >= share * 0.2 + 0.2 - 1e-9 for a, b in zip(puts, puts[1:]))


def test_the_warm_ups_builds_have_a_document_of_their_own(monkeypatch):
    """The warm-up's page and labs are built in the builder's thread with a document of
    their own: with none, Panel there read the process's current document, which the event
    loop sets and clears for every page meanwhile (a traceback in a served log)."""
    import panel as pn
    from playground.ui import app as app_module
    from playground.ui import parts
    doc = parts.build_alone(lambda: pn.state.curdoc).result()
    assert doc is not None and doc.session_context is None
    seen = []
    build_for = parts.build_for
    monkeypatch.setattr(parts, "build_for", lambda d, fn, *a: (seen.append(d),
                                                                build_for(d, fn, *a))[1])
    done = concurrent.futures.Future()
    done.set_result(None)
    for spare in app_module.SPARE_LABS.values():
        monkeypatch.setattr(spare, "ready", lambda: done)
    app_module.warm_labs()
    assert len(seen) == 3 and all(d is not None for d in seen)


def test_a_links_own_page_is_made_off_the_loop_while_its_session_waits():
    """``MadeFor``: a link with settings of its own has its page made in the builder's
    thread (the session waits for its turn meanwhile: server/admission.py), from the
    link's settings, and given once to that session; a plain link waits for the spare
    page; the teacher's page and a link to a lab's tab with settings are made as before;
    at most LIMIT kept."""
    import threading
    from types import SimpleNamespace
    from playground.ui.app import MadeFor
    made = []

    def make(query):
        made.append((threading.current_thread().name, query, pn.state.curdoc))
        return SimpleNamespace(query=query)

    def session(sid, **args):
        request = SimpleNamespace(arguments={k: [v.encode()] for k, v in args.items()})
        return SimpleNamespace(id=sid, request=request)

    class Ahead:                            # the spare: its page, made at once if need be
        asked = 0

        def ready(self):
            self.asked += 1
            return "the spare's future"

    spare = Ahead()
    pages = MadeFor(make, spare=spare)
    for plain in (session("a"), session("b", play="1"), session("c", tab="descent"),
                  SimpleNamespace(id="f", request=None)):
        assert pages.prepare(plain) == "the spare's future", plain.id
    assert spare.asked == 4
    for own in (session("d", teacher="1"), session("e", dataset="xor", tab="digits")):
        assert pages.prepare(own) is None, own.id                # made on the loop
    future = pages.prepare(session("s1", dataset="xor", play="1"))
    assert future is not None
    future.result(timeout=60)               # what the session's wait is for
    page = pages.take("s1")
    assert page.query == {"dataset": [b"xor"], "play": [b"1"]}
    name, _, doc = made[0]
    assert name.startswith("playground-build") and doc.session_context is None
    assert pages.take("s1") is None and pages.take("nobody") is None      # given once
    for i in range(MadeFor.LIMIT + 5):
        pages.prepare(session(f"x{i}", dataset="xor"))
    assert len(pages.pages) == MadeFor.LIMIT and "x0" not in pages.pages   # bounded


def test_a_links_page_made_off_the_loop_is_the_one_it_would_get():
    """The real page made for a link off the loop has the link's settings."""
    from types import SimpleNamespace
    from playground.ui.app import MadeFor
    pages = MadeFor()
    args = {"dataset": [b"xor"], "hidden": [b"3,2"]}
    pages.prepare(SimpleNamespace(id="s", request=SimpleNamespace(arguments=args))).result(60)
    page = pages.take("s")
    assert page.run.dataset == "xor" and list(page.run.hidden) == [3, 2]
    page.stop()


def test_a_spare_is_made_once_the_loop_is_quiet_or_at_once_when_a_session_waits():
    """The next spare waits while the event loop builds for others (``quiet()`` False),
    at most QUIET_MAX_S; ``ready()`` (a session waiting for a page) starts it at once."""
    import time
    from playground.ui import parts
    quiet = [False]
    spare = parts.Spare(lambda: object(), delay_s=0.01, quiet=lambda: quiet[0])
    spare.prepare()
    time.sleep(0.1 + parts.QUIET_POLL_S)
    assert spare.future is None and spare._timer is not None         # still waiting
    quiet[0] = True
    deadline = time.monotonic() + 10
    while spare.future is None:                                       # quiet: made
        assert time.monotonic() < deadline
        time.sleep(0.02)
    spare.future.result(timeout=30)
    assert spare.take() is not None
    spare.cancel()
    quiet[0] = False
    waited = parts.Spare(lambda: "page", delay_s=30.0, quiet=lambda: quiet[0])
    waited.prepare()                                                  # in 30 s, once quiet
    future = waited.ready()                                           # now: a session waits
    assert future is not None and future.result(timeout=30) == "page"
    assert waited.ready() is future                                   # one page, not two
    assert waited.take() == "page"
    waited.cancel()


def test_a_lab_alike_on_every_page_is_made_ahead_and_a_first_click_puts_that_one(monkeypatch):
    """Every lab is made ahead alike for every page (``app.SPARE_LABS``), and a first
    click on its tab puts that one on the page rather than waiting for a build; the next
    is made after. The Digits lab's link to the page (its filters open in the page's
    Convolution lab) is set as it goes on; the Gradient-descent lab, made with no run, is
    tied to the page's run in the builder's thread as it is taken."""
    from playground.ui import app as app_module
    from playground.ui.conv_lab import ConvLabTab
    from playground.ui.descent_lab import DescentLab
    from playground.ui.digits_lab import DigitsLab
    from playground.ui.neuron_lab import NeuronLab
    assert set(app_module.SPARE_LABS) == {"neurons", "descent", "convolution", "digits"}
    app, parts, now = _served_page_putting_a_card_a_put(monkeypatch)
    monkeypatch.setattr(app, "_others_training", lambda: 0)
    for name, factory in (("neurons", NeuronLab), ("descent", DescentLab),
                          ("convolution", ConvLabTab), ("digits", DigitsLab)):
        spare = parts.Spare(lambda f=factory: app_module.make_lab(f), delay_s=3600)
        monkeypatch.setitem(app_module.SPARE_LABS, name, spare)
        spare.prepare(delay_s=0)
        made, _ = spare.future.result()
        app.tabs.active = TABS.index(name)              # the first click
        app.tick()                                      # the one made ahead, taken
        assert spare.future is None and spare.taken == 1 and spare.missed == 0
        if name in app_module.RUN_LABS:                 # tied to the page's run first,
            assert name not in app.labs                 # in the builder's thread
            app._building[1].result()
            app.tick()
        assert app.labs[name] is made                   # that lab is on the page (ready:
        assert app._building is None                    # in the click's first frame)
        spare.cancel()
    assert app.labs["digits"].on_use_filter == app._open_filter
    descent = app.labs["descent"]
    for view in (descent.landscape, descent.finder, descent.schedule, descent.parallel):
        assert view.run is app.run
    assert descent.parallel.sweep.run is app.run and descent.parallel.sweep.state is not None
    # none made ahead: one is made at once, and the page waits for it
    spare = parts.Spare(lambda: app_module.make_lab(NeuronLab), delay_s=3600)
    future = spare.take_future()
    assert spare.missed == 1 and isinstance(future.result()[0], NeuronLab)
    spare.cancel()


def test_a_page_at_rest_has_each_labs_first_card_before_its_first_click(monkeypatch):
    """A served page left at rest, on an idle process: AHEAD_AFTER_S after it was shown,
    each lab of AHEAD_LABS in turn is made (the one made ahead, taken) and its first card
    put in its hidden tab, each AHEAD_GAP_S after the last and once the browser has shown
    it. None while a page of the process trains or the process is busy. The first click
    then builds nothing: the card is there, and the lab's other cards follow as usual."""
    from playground.ui import app as app_module
    from playground.ui import scheduler
    from playground.ui.neuron_lab import NeuronLab
    app, parts, now = _served_page_putting_a_card_a_put(monkeypatch)
    monkeypatch.setattr(app_module, "AHEAD_LABS", ("neurons", "descent"))
    monkeypatch.setattr(app, "_others_training", lambda: 0)
    for name, factory in (("neurons", NeuronLab), ("descent", DescentLab)):
        spare = parts.Spare(lambda f=factory: app_module.make_lab(f), delay_s=3600)
        monkeypatch.setitem(app_module.SPARE_LABS, name, spare)
        spare.prepare(delay_s=0)
    idle = [True]
    monkeypatch.setattr(app_module, "quiet", lambda: idle[0])
    share = scheduler.ComputeShare(clock=lambda: now[0])
    monkeypatch.setattr(scheduler, "SHARE", share)
    other = Run()                                      # another page of the process
    app._on_shown()                                    # shown at now[0]
    beat = app.heartbeat

    def frames(seconds, answer=True):
        for _ in range(int(seconds / 0.025)):
            if answer:                                 # the browser shows what it was sent
                beat._beat("tags", None, [beat.beats + 1, 0, beat.sent, 0, -1])
            app.tick()
            if app._building is not None:
                app._building[1].result()
            now[0] += 0.025
    frames(app_module.AHEAD_AFTER_S - 0.1)
    assert app.labs == {} and app._building is None   # not yet
    idle[0] = False                                    # the process is busy
    frames(0.5)
    assert app.labs == {}
    idle[0] = True
    share.join(other)                                  # another page trains
    frames(0.5)
    assert app.labs == {}
    share.leave(other)
    frames(0.1, answer=False)
    assert list(app.labs) == ["neurons"]               # the first lab, its first card
    assert app.active_tab == "playground"
    box = app._lab_boxes["neurons"]
    first = cards(pn.Column(*box.objects))[0]
    assert len(first.objects) > 1                      # whole, the other cards' titles only
    assert len(app.later) == len(cards(pn.Column(*box.objects))) - 1
    frames(app_module.AHEAD_GAP_S + 0.5, answer=False)
    assert list(app.labs) == ["neurons"]               # not before the browser has shown it
    frames(0.05)
    assert list(app.labs) == ["neurons", "descent"]    # then the next
    assert now[0] - app._last_put < 0.1
    assert list(app.labs) == ["neurons", "descent"]
    assert app.labs["descent"].landscape.run is app.run   # tied to the page's run
    waiting = len(app.later)
    frames(3.0)                                        # nothing more: their tabs are hidden
    assert list(app.labs) == ["neurons", "descent"] and len(app.later) == waiting
    neurons = app.labs["neurons"]
    app.tabs.active = TABS.index("neurons")            # the first click: nothing to build
    assert app._to_build is None
    frames(app_module.LAB_REST_S - 0.1)                # its other cards once it is looked at
    assert len(app.later) == waiting
    frames(1.0)
    assert app.labs["neurons"] is neurons and len(app.later) < waiting
    for spare in app_module.SPARE_LABS.values():
        spare.cancel()


def test_the_pointer_on_a_labs_tab_starts_building_the_lab_its_click_takes(monkeypatch):
    """The Gradient-descent lab shows its page's run: the one made ahead is taken and tied
    to the run as the pointer comes on its tab (the page's beat says which), and the first
    click takes it. A tab of a lab that takes nothing from its page, or a tab hovered
    while a lab is built, starts nothing."""
    from playground.ui import app as app_module
    from playground.ui.descent_lab import DescentLab
    app, parts, now = _served_page_putting_a_card_a_put(monkeypatch)
    monkeypatch.setattr(app, "_others_training", lambda: 0)
    spare = parts.Spare(lambda: app_module.make_lab(DescentLab), delay_s=3600)
    monkeypatch.setitem(app_module.SPARE_LABS, "descent", spare)
    beat = app.heartbeat
    beat._beat("tags", None, [1, 0, 0, 0, TABS.index("neurons")])
    app.tick()
    assert app._prebuilt == {}                          # made ahead already
    beat._beat("tags", None, [2, 0, 0, 0, TABS.index("descent")])
    assert beat.hover == TABS.index("descent")
    app.tick()
    made = app._prebuilt["descent"]
    assert app.building()                               # the spare pages wait meanwhile
    app.tick()
    assert app._prebuilt == {"descent": made}           # once
    app.tabs.active = TABS.index("descent")             # the click
    app.tick()
    assert app._building == ("descent", made) and app._prebuilt == {}
    made.result()
    app.tick()
    assert app.labs["descent"] is made.result()[0]
    assert app.labs["descent"].landscape.run is app.run and spare.missed == 1
    beat._beat("tags", None, [3, 0, 0, 0, -1])          # (no tab said: the last one kept)
    assert beat.hover == TABS.index("descent")
    spare.cancel()


def test_a_spares_timer_that_fires_as_the_server_stops_raises_nothing(monkeypatch):
    """A spare's timer can fire as the server's interpreter exits, when the builder takes
    no more work ("cannot schedule new futures after interpreter shutdown"): it makes
    nothing and raises nothing (an exception in its thread was a traceback in the log)."""
    from playground.ui import parts

    def shut(fn, *args):
        raise RuntimeError("cannot schedule new futures after interpreter shutdown")
    monkeypatch.setattr(parts, "build_alone", shut)
    spare = parts.Spare(lambda: "page", delay_s=3600, quiet=lambda: True)
    spare._start()                      # what its timer runs
    assert spare.future is None


def test_a_server_can_put_no_lab_ahead_of_its_click():
    """``PLAYGROUND_AHEAD_LABS=off`` (the browser tests' server): no lab goes on a page
    before its tab's first click; by default every lab does."""
    import os
    import subprocess
    import sys
    code = "from playground.ui import app; print(','.join(app.AHEAD_LABS))"
    env = {k: v for k, v in os.environ.items() if k != "PLAYGROUND_AHEAD_LABS"}
    default = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, timeout=120)
    off = subprocess.run([sys.executable, "-c", code],
                         env={**env, "PLAYGROUND_AHEAD_LABS": "off"}, capture_output=True,
                         text=True, timeout=120)
    assert default.stdout.split() == ["neurons,descent,convolution,digits"], default.stderr
    assert off.returncode == 0 and off.stdout.strip() == "", off.stderr


def test_the_labs_made_ahead_are_made_again_as_soon_as_the_page_is():
    """A lab taken from ``app.SPARE_LABS`` is made again as soon after as the page made
    ahead is (``parts.SPARE_DELAY_S``), once the event loop is quiet (``app.quiet``). Five
    seconds after, a page opened a few seconds after another page's lab clicks found labs
    not made again: in two runs of four pages, 2 and 4 of 16 first clicks on a lab waited
    for its build (0.2–0.4 s more), against none of 16 with a second."""
    from playground.ui import app as app_module
    from playground.ui import parts
    assert app_module.SPARE_LABS
    for spare in app_module.SPARE_LABS.values():
        assert spare.delay_s <= parts.SPARE_DELAY_S
        assert spare.quiet is app_module.quiet
