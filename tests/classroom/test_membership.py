"""A page's place in a class: a late joiner catches up, and a stopping server frees its
students' names (a restart does not lock them out of their own rows)."""
from __future__ import annotations

import pytest

from playground.classroom import membership
from playground.classroom.membership import POLL_S, Membership


def test_a_stopping_server_frees_its_students_names(db):
    code = db.create_class("A")
    pages = [Membership(db, code) for _ in range(2)]
    ada, bob = pages[0].join("Ada"), pages[1].join("Bob")
    with pytest.raises(ValueError, match="already has that name"):
        db.join(code, "Ada")                          # Ada's page is open
    assert membership.leave_all() >= 2
    assert db.join(code, "ada").id == ada.id and db.join(code, "BOB").id == bob.id
    assert membership.leave_all() == 0                # nothing joined is left


def test_a_late_joiner_gets_what_the_class_has_open_once(db):
    code = db.create_class("A")
    db.push(code, "lesson", {"preset": "xor"})
    db.push(code, "tab", {"tab": "descent"})
    db.push(code, "setup", {"link": "?dataset=spiral"})
    page = Membership(db, code)
    assert page.new_pushes() == []                    # not joined: nothing
    page.join("Ada")
    assert [p.kind for p in page.new_pushes(now=0.0)] == ["tab", "setup"]
    assert page.new_pushes(now=1.0) == []             # then only what is new
    db.push(code, "tab", {"tab": "digits"})
    assert page.new_pushes(now=1.0 + POLL_S / 2) == []        # soon after the last look
    assert [p.payload for p in page.new_pushes(now=1.0 + POLL_S)] == [{"tab": "digits"}]
    assert POLL_S <= 0.5                              # a push shows within 2 s, with room
