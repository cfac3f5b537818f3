"""A student's page in a class (?class=CODE): join under a name, then the teacher's pushes
(a set-up, a lesson, a tab, hidden controls) arrive within the next second's look."""
from __future__ import annotations

import panel as pn
import pytest

from playground.classroom import store as store_module
from playground.classroom.membership import POLL_S
from playground.ui import PlaygroundApp


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_DB", str(tmp_path / "classes.sqlite3"))
    return store_module.shared()


def build(query):
    app = PlaygroundApp(query=query)
    assert pn.panel(app).get_root() is not None
    app.stop()
    return app


def join(app, name):
    panel = app.class_bar
    panel.name_input.value = name
    panel.join_button.clicks += 1
    return panel


def test_a_student_joins_and_the_pushes_arrive(db):
    code = db.create_class("Year 10 <Tuesday>")
    db.push(code, "tab", {"tab": "neurons"})
    db.push(code, "tab", {"tab": "digits"})           # what the class has open now …
    db.push(code, "lock", {})
    db.push(code, "unlock", {})                       # … unlocked again: nothing to apply
    app = build(f"?class={code.lower()}")
    panel = app.class_bar
    assert "Year 10 &lt;Tuesday&gt;" in panel.text.object and "type your name" in panel.text.object
    join(app, "  Ada ")
    assert app.member.student.name == "Ada" and [s.name for s in db.students(code)] == ["Ada"]
    assert "You are in" in panel.text.object and not panel.name_input.visible
    assert f"class={code}" in app.lessons.link_text           # a reload stays in the class
    app.tick()
    assert app.active_tab == "digits" and not app.locked      # a late joiner catches up
    assert app.controls.message == "Your teacher opened a tab."
    app.tabs.active = 0
    db.push(code, "setup", {"link": "/app?dataset=xor&hidden=3&learning_rate=0.1"})
    app.member._next_poll = 0.0
    app.tick()
    run = app.run
    assert (run.dataset, run.hidden, run.learning_rate) == ("xor", [3], 0.1)
    assert app.controls.message == "Your teacher opened a set-up."
    db.push(code, "lesson", {"preset": "spiral-depth"})
    db.push(code, "hide", {"hide": ["loss", "optimizer", "no-such-control"]})
    app.tick()                                                 # within the same second: later
    assert app.lessons.lesson != "spiral-depth"
    app.member._next_poll = 0.0
    app.tick()
    assert app.lessons.lesson == "spiral-depth"
    assert not app.hyper.by_name["loss"].visible and app.hyper.by_name["activation"].visible
    assert app.controls.message == "Your teacher opened the page with some controls hidden."
    db.push(code, "hide", {"hide": []})
    db.push(code, "tab", {"tab": "neurons"})
    app.member._next_poll = 0.0
    app.tick()
    assert app.hyper.by_name["loss"].visible and app.active_tab == "neurons"
    assert POLL_S <= 1.0


def test_names_are_checked_and_a_bad_code_is_a_notice(db):
    code = db.create_class("A")
    first = build(f"?class={code}")
    join(first, "Grace")
    second = build(f"?class={code}")
    join(second, "GRACE")
    assert not second.member.joined
    assert "already has that name" in second.controls.message
    assert second.controls.message_kind == "danger"
    join(second, "x" * 40)
    assert "at most 24" in second.controls.message
    join(second, "Grace H")
    assert second.member.joined
    for bad, words in [("ZZZZZZ", "there is no class ZZZZZZ"), ("12", "6 letters and digits")]:
        app = build(f"?class={bad}")
        assert app.member is None and app.class_bar is None and app.class_panel.objects == []
        assert words in app.controls.message and app.controls.message_kind == "warning"


def test_a_class_code_typed_on_the_page_joins_and_keeps_the_set_up(db):
    code = db.create_class("Year 9")
    app = build("?dataset=xor&hidden=3")
    app.run.train(40)
    entry = app.class_entry
    entry.join_button.clicks += 1                             # nothing typed
    assert "Type the class code" in entry.message.object and app.class_bar is None
    for typed, words in [("ZZZZZZ", "there is no class ZZZZZZ"),
                         ("12", "6 letters and digits")]:
        entry.code_input.value = typed
        entry.join_button.clicks += 1
        assert words in entry.message.object and app.class_bar is None
        assert app.class_panel.objects == [] and "class=" not in app.lessons.link_text
    entry.code_input.value = f" {code[:3].lower()}-{code[3:].lower()} "
    entry.join_button.clicks += 1
    assert app.class_bar is not None and len(app.class_panel.objects) == 1
    assert app.member.code == code and not entry.row.visible and code in entry.message.object
    assert (app.run.dataset, app.run.hidden, app.run.epoch) == ("xor", [3], 40)   # kept
    assert f"class={code}" in app.lessons.link_text           # a reload stays in the class
    said = entry.message.object
    entry.join_button.clicks += 1              # a quick second click: nothing more to say
    assert entry.message.object == said and "Could not" not in said
    join(app, "Ada")
    assert [s.name for s in db.students(code)] == ["Ada"]
    assert "already" in app.enter_class(code)                 # one class per page


def test_a_class_code_typed_without_a_database_says_so(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("PLAYGROUND_DB", str(blocked / "classes.sqlite3"))
    app = build("?dataset=xor")
    app.class_entry.code_input.value = "K7QX3M"
    assert not app.class_entry.submit()
    assert "class mode is not available" in app.class_entry.message.object
    assert app.class_bar is None and app.run.dataset == "xor"


def test_a_page_without_a_class_has_no_class_bar(db):
    app = build("?dataset=xor")
    assert app.member is None and app.class_panel.objects == []


def test_the_teacher_locks_the_controls_for_a_demonstration(db):
    code = db.create_class("A")
    app = build(f"?class={code}")
    join(app, "Ada")
    before = {id(w): w.disabled for w in app._layout.select(pn.widgets.Widget)}
    db.push(code, "lock", {})
    app.member._next_poll = 0.0
    app.tick()
    assert app.locked and "locked the controls" in app.controls.message
    play = app.controls.play
    assert play.disabled and not app.keys.press("play") and not app.controls.playing
    assert not app.output.palette_select.disabled and not app.keys.button.disabled
    app.diagram.open_editor(("bias", 0, 0))                 # no hand edits either
    assert app.diagram.set_button.disabled
    points = len(app.run.y_train)
    app.output.on_click(1.0, 1.0, False)                   # a click on the plot: ignored
    assert len(app.run.y_train) == points
    app.tabs.active = 1                                    # a lab built while locked
    app.lab("neurons")
    assert all(w.disabled for w in app._lab_boxes["neurons"].select(pn.widgets.Widget))
    db.push(code, "unlock", {})
    app.member._next_poll = 0.0
    app.tick()
    assert not app.locked and "unlocked" in app.controls.message
    assert {id(w): w.disabled for w in app._layout.select(pn.widgets.Widget)
            if id(w) in before} == before                  # as they were, no more


CHALLENGE = {"dataset": "xor", "metric": "test_accuracy", "target": 0.9, "max_layers": 2,
             "max_neurons": 6, "features": ["x1", "x2"], "max_epochs": 3000}


def test_a_challenge_is_checked_live_submitted_and_verified(db):
    code = db.create_class("A")
    app = build(f"?class={code}&dataset=circle&features=x1,x2,x1_sq")
    join(app, "Ada")
    panel, run = app.class_bar, app.run
    db.push(code, "challenge", CHALLENGE)
    t = 1e6
    panel.tick(now=t)
    assert panel.card.visible and "xor" in panel.goal_text.object
    assert run.dataset == "xor" and run.features == ["x1", "x2"]       # its data opened
    assert "set a challenge" in app.controls.message
    assert panel.submit_button.disabled and "✗" in panel.checks.object  # epoch 0: not yet
    assert not panel.submit()
    run.hidden = [4, 4]
    run.learning_rate = 0.1
    while run.metrics()["test_accuracy"] < 0.9 and run.epoch < 2000:
        run.train(100)
    t += 1
    panel.tick(now=t)
    assert "✗" not in panel.checks.object and not panel.submit_button.disabled
    db.flush()                      # the store's writer thread writes rows: here at once
    row = db.board(code)[0]
    assert row.live["epoch"] == run.epoch and row.live["layers"] == [4, 4]
    assert row.live["weights"] == (2 + 1) * 4 + (4 + 1) * 4 + (4 + 1) * 1
    assert row.live["picture"].startswith("data:image/png;base64,")
    assert row.live["state"] == "idle" and row.live["best_accuracy"] >= 0.9
    assert panel.submit() and panel.checking and panel.submit_button.disabled
    assert not panel.submit()                                  # one check at a time
    panel.wait(120)
    (sub,) = db.submissions(code)
    assert sub.verified and sub.student == "Ada" and sub.challenge > 0
    assert sub.metrics["epoch"] == run.epoch
    assert abs(sub.metrics["test_accuracy"] - run.metrics()["test_accuracy"]) < 1e-6
    assert "Confirmed by the server" in panel.verdict.object
    # a forged result: "100 % at epoch 5" is retrained and refused, and stored as refused
    assert panel.submit(claimed={**run.metrics(), "epoch": 5, "test_accuracy": 1.0})
    panel.wait(120)
    forged = db.submissions(code)[-1]
    assert not forged.verified and "retrained from the link" in forged.reason
    assert "Not accepted" in panel.verdict.object
    # the teacher ends it: the card goes
    db.push(code, "challenge", {"off": True})
    t += 2
    panel.tick(now=t)
    assert not panel.card.visible


def test_a_reload_takes_the_name_back_and_a_late_joiner_gets_the_challenge(db):
    code = db.create_class("A")
    db.push(code, "challenge", CHALLENGE)
    first = build(f"?class={code}")
    join(first, "Ada")
    first.class_bar.tick(now=1e6)
    assert first.class_bar.card.visible and first.run.dataset == "xor"   # caught up
    ada = first.member.student
    second = build(f"?class={code}")
    join(second, "ada")                                  # the first page is still open
    assert not second.member.joined and "already has that name" in second.controls.message
    first.class_bar.leave()                              # closed (a reload)
    join(second, "ada")
    assert second.member.student.id == ada.id and second.member.student.name == "Ada"


def test_a_class_link_without_a_database_still_opens_the_page(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("")                            # a file where a folder is needed
    monkeypatch.setenv("PLAYGROUND_DB", str(blocked / "classes.sqlite3"))
    app = build("?class=K7QX3M&dataset=xor")
    assert app.member is None and app.class_panel.objects == [] and app.run.dataset == "xor"
    assert "class mode is not available" in app.controls.message
    assert "class=" not in app.lessons.link_text


def test_the_page_trains_on_while_the_database_is_away(db):
    code = db.create_class("A")
    app = build(f"?class={code}")
    join(app, "Ada")
    db.close()                                        # gone (a database server restarting)
    assert app.class_bar.tick(now=1e9) == []          # no exception: a warning, later again
    app.run.train(3)
    assert app.run.epoch == 3
