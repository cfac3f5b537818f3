"""The teacher's page (/app?teacher): off without a password, a password gate that pauses
after repeated wrong tries, making a class, and pushes that reach the class's database."""
from __future__ import annotations

import panel as pn
import pytest

from playground.classroom.store import Store
from playground.ui.teacher import MAX_TRIES, OFF, PAUSE_S, TeacherPage, Tries


@pytest.fixture
def db(tmp_path):
    s = Store.open(str(tmp_path / "classes.sqlite3"))
    yield s
    s.close()


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def build(db, password, clock=None, tries=None):
    page = TeacherPage(db, password=password, tries=tries or Tries(),
                       **({"clock": clock} if clock else {}))
    assert pn.panel(page).get_root() is not None
    return page


def test_without_a_password_there_is_no_teacher_page(db):
    page = build(db, "")
    assert page.message.object == OFF and "PLAYGROUND_TEACHER_PASSWORD" in OFF
    assert not page.gate.visible and not page.teaching.visible
    assert not page.sign_in("") and not page.sign_in("anything")
    assert page.create_class("x") == "" and db.classes() == []


def test_wrong_passwords_are_refused_and_then_paused(db):
    clock, tries = Clock(), Tries()
    page = build(db, "s3cret", clock, tries)
    for _ in range(MAX_TRIES - 1):
        assert not page.sign_in("guess")
    fresh = build(db, "s3cret", clock, tries)             # a new page: the count goes on
    assert not fresh.sign_in("guess")
    assert "not the teacher password" in fresh.message.object
    assert not page.sign_in("s3cret")                     # paused, even with the password
    assert "Too many wrong passwords" in page.message.object
    clock.t += PAUSE_S + 1
    assert page.sign_in("s3cret") and page.teaching.visible and not page.gate.visible
    assert page.password_input.value == ""


def test_a_class_is_made_and_pushes_reach_it(db):
    page = build(db, "s3cret")
    page.password_input.value = "s3cret"
    page.sign_in_button.clicks += 1
    assert page.signed_in
    assert not page.push("tab")                           # no class chosen yet
    page.title_input.value = "Year 10"
    page.create_button.clicks += 1
    code = page.code
    assert db.class_title(code) == "Year 10" and f"?class={code}" in page.class_info.object
    db.join(code, "<b>Ada</b>")
    page.show_board()
    assert "&lt;b&gt;Ada&lt;/b&gt;" in page.board.object and "1 joined" in page.board.object
    page.link_input.value = "http://host:5006/app?dataset=xor&hidden=4,2"
    page.push_buttons["setup"].clicks += 1
    page.lesson_select.value = "spiral-depth"
    page.push_buttons["lesson"].clicks += 1
    page.tab_select.value = "descent"
    page.push_buttons["tab"].clicks += 1
    page.hide_select.value = ["loss", "optimizer"]
    page.push_buttons["hide"].clicks += 1
    page.push_buttons["lock"].clicks += 1
    page.push_buttons["unlock"].clicks += 1
    got = [(p.kind, p.payload) for p in db.pushes_since(code)]
    assert got == [("setup", {"link": "http://host:5006/app?dataset=xor&hidden=4,2"}),
                   ("lesson", {"preset": "spiral-depth"}), ("tab", {"tab": "descent"}),
                   ("hide", {"hide": ["loss", "optimizer"]}), ("lock", {}), ("unlock", {})]
    page.link_input.value = "not a link"
    assert not page.push("setup") and "Paste a link" in page.message.object
    assert len(db.pushes_since(code)) == 6


def signed_in(db):
    page = build(db, "s3cret")
    assert page.sign_in("s3cret")
    page.create_class("Year 10")
    return page


def test_a_challenge_is_set_from_the_form_and_checked_first(db):
    page = signed_in(db)
    assert "No challenge is set" in page.goal_info.object
    page.goal_dataset.value, page.goal_target.value = "spiral", 95.0
    page.goal_layers.value, page.goal_neurons.value = 2, 6
    page.goal_features.value = ["x1", "x2"]
    page.goal_button.clicks += 1
    push = db.challenge(page.code)
    assert push.payload["target"] == 0.95 and push.payload["max_layers"] == 2
    assert push.payload["features"] == ["x1", "x2"] and push.payload["dataset"] == "spiral"
    assert "Test accuracy ≥ 95 % on spiral" in page.goal_info.object
    page.goal_dataset.value = "plane"                     # regression: no accuracy goal
    assert not page.set_challenge() and "regression" in page.message.object
    page.goal_metric.value, page.goal_target.value = "test_loss", 0.01
    assert page.set_challenge() and db.challenge(page.code).payload["target"] == 0.01
    page.end_button.clicks += 1
    assert db.challenge(page.code).payload == {"off": True}
    assert "No challenge is set" in page.goal_info.object


def row(link, epoch, acc, loss, layers, weights, state="training"):
    return {"state": state, "epoch": epoch, "test_loss": loss, "test_accuracy": acc,
            "best_loss": loss, "best_accuracy": acc, "layers": layers, "weights": weights,
            "link": link, "picture": "data:image/png;base64,AAAA"}


def test_the_board_shows_each_student_sorted_with_the_leaderboard_and_a_csv(db):
    page = signed_in(db)
    page.goal_dataset.value = "xor"
    assert page.set_challenge()
    challenge = db.challenge(page.code).id
    ada = db.join(page.code, "Ada")
    bob = db.join(page.code, "=cmd|' /C calc'!A0")         # a name a spreadsheet would run
    db.join(page.code, "<i>Eve</i>")
    db.report(ada, row("?dataset=xor&hidden=4", 300, 0.97, 0.05, [4], 17))
    db.report(bob, row("?dataset=xor&hidden=2", 900, 0.99, 0.02, [2], 9, "diverged"))
    page.show_board()
    text = page.board.object
    assert "3 joined" in text and "&lt;i&gt;Eve&lt;/i&gt;" in text and "<i>Eve" not in text
    assert text.count('<img src="data:image/png;base64,AAAA"') == 2
    assert 'href="/app?dataset=xor&amp;hidden=4"' in text and "diverged" in text
    assert text.index("Ada") < text.index("cmd")                  # the order they joined
    page.sort_select.value = "accuracy"
    assert page.board.object.index("cmd") < page.board.object.index("Ada") \
        < page.board.object.index("Eve")                          # no number: last
    page.board_only.clicks += 1                                   # for the projector
    assert not page.controls.visible and page.board.visible
    assert page.board_only.label == "Show the controls"
    page.board_only.clicks += 1
    assert page.controls.visible
    page.sort_select.value = "size"
    assert page.board.object.index("cmd") < page.board.object.index("Ada")
    assert "No verified result yet" in page.leaders.object
    db.submit(ada, "?dataset=xor&hidden=4", {"epoch": 300, "test_accuracy": 0.97,
                                             "weights": 17}, True, challenge=challenge)
    db.submit(bob, "?dataset=xor&hidden=2", {"epoch": 900, "test_accuracy": 0.99,
                                             "weights": 9}, False, challenge=challenge,
              reason="forged")
    page.show_board()
    leaders = page.leaders.object
    assert "2 submitted, 1 refused" in leaders and "97.0 %" in leaders and "99.0 %" not in leaders
    assert "✓ met" in page.board.object
    csv_text = page.results_csv().read()
    lines = csv_text.splitlines()
    assert lines[0].startswith("name,state,epoch") and len(lines) == 4
    assert lines[1].startswith("Ada,") and ",yes," in lines[1]
    assert lines[2].startswith("'=cmd") and ",no," in lines[2]


def test_without_a_database_the_teacher_page_says_why():
    page = TeacherPage(None, password="s3cret", tries=Tries(), problem="unable to open file")
    assert pn.panel(page).get_root() is not None
    assert "cannot be opened (unable to open file)" in page.message.object
    assert not page.gate.visible and not page.sign_in("s3cret")
