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
    page.show_students()
    assert "&lt;b&gt;Ada&lt;/b&gt;" in page.students.object and "1 joined" in page.students.object
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
