"""The class database: its versioned schema, names and codes, pushes seen by every process,
submissions, and values from outside stored as data only."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from playground.classroom import store as store_module
from playground.classroom.store import (CODE_ALPHABET, CODE_LENGTH, MAX_NAME, MIGRATIONS,
                                        Store, clean_code, clean_name, default_location)

ROOT = Path(__file__).resolve().parents[2]


def test_a_new_database_gets_the_whole_schema_once(tmp_path):
    path = str(tmp_path / "c.sqlite3")
    s = Store.open(path)
    assert s.version() == len(MIGRATIONS) >= 1
    code = s.create_class("Year 10")
    s.close()
    again = Store.open(path)                     # a restart: nothing applied twice
    assert again.version() == len(MIGRATIONS) and again.class_title(code) == "Year 10"
    tables = {r[0] for r in sqlite3.connect(path).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"classes", "students", "pushes", "submissions"} <= tables


def test_a_failed_step_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    path = str(tmp_path / "c.sqlite3")
    Store.open(path).close()
    broken = MIGRATIONS + (("CREATE TABLE extra (x INTEGER)", "THIS IS NOT SQL"),)
    monkeypatch.setattr(store_module, "MIGRATIONS", broken)
    with pytest.raises(sqlite3.OperationalError):
        Store.open(path)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert not con.execute("SELECT name FROM sqlite_master WHERE name = 'extra'").fetchall()


def test_a_newer_database_is_refused(tmp_path):
    path = str(tmp_path / "c.sqlite3")
    Store.open(path).close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    with pytest.raises(RuntimeError, match="schema version 99"):
        Store.open(path)


def test_class_codes_are_short_and_easy_to_read(db):
    codes = {db.create_class(f"class {i}") for i in range(30)}
    assert len(codes) == 30
    for code in codes:
        assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
        assert not set(code) & set("0O1IL")
    code = sorted(codes)[0]
    assert clean_code(f" {code[:3].lower()}-{code[3:]} ") == code
    for bad in ("", "ABC", "ABCDEFG", "ABC0EF", None, 123456):
        with pytest.raises(ValueError):
            clean_code(bad)


def test_names_are_unique_per_class_and_length_limited(db):
    a, b = db.create_class("A"), db.create_class("B")
    ada = db.join(a, "  Ada   Lovelace ")
    assert ada.name == "Ada Lovelace" and ada.class_code == a
    with pytest.raises(ValueError, match="already has that name"):
        db.join(a, "ada lovelace")                 # the same name in another case
    assert db.join(b, "Ada Lovelace").class_code == b    # another class: fine
    with pytest.raises(ValueError, match=f"at most {MAX_NAME}"):
        db.join(a, "x" * (MAX_NAME + 1))
    for empty in ("", "   ", "\x00\x07\n"):
        with pytest.raises(ValueError, match="type a name"):
            db.join(a, empty)
    with pytest.raises(ValueError, match="no class"):
        db.join("ZZZZZZ", "Grace")
    assert clean_name("Gr\u0061\u0301ce\x1b[31m") == "Gráce[31m"     # NFC, no control codes
    assert [s.name for s in db.students(a)] == ["Ada Lovelace"]


def test_hostile_text_is_stored_as_text(db):
    code = db.create_class("<b>class</b>'); DROP TABLE classes;--")
    name = "'); DROP TABLE students;"
    assert len(name) <= MAX_NAME
    who = db.join(code, name)
    db.push(code, "setup", {"link": "?dataset=xor", "note": "__import__('os').system('x')"})
    assert db.students(code)[0].name == name
    assert db.class_title(code).startswith("<b>class</b>")
    assert db.pushes_since(code)[0].payload["note"] == "__import__('os').system('x')"
    db.submit(who, "?dataset=xor", {"test_accuracy": 0.97}, verified=False)
    assert db.submissions(code)[0].student == who.name


def test_pushes_reach_every_process_in_order(db, tmp_path):
    code = db.create_class("A")
    other = db.create_class("B")
    first = db.push(code, "lesson", {"preset": "spiral-depth"})
    db.push(other, "tab", {"tab": "digits"})
    # another process (as under panel serve --num-procs 2) pushes to the same file
    script = ("import sys; from playground.classroom.store import Store; "
              "s = Store.open(sys.argv[1]); s.push(sys.argv[2], 'hide', {'hide': ['loss']})")
    subprocess.run([sys.executable, "-c", script, db.location, code], check=True, cwd=ROOT)
    got = db.pushes_since(code)
    assert [(p.kind, p.payload) for p in got] == [("lesson", {"preset": "spiral-depth"}),
                                                  ("hide", {"hide": ["loss"]})]
    assert [p.kind for p in db.pushes_since(code, after=first)] == ["hide"]
    assert db.last_push_id(code) == got[-1].id and db.pushes_since(code, after=got[-1].id) == []
    with pytest.raises(ValueError, match="a push is one of"):
        db.push(code, "exec", {})
    with pytest.raises(ValueError, match="too large"):
        db.push(code, "setup", {"link": "x" * 30_000})
    with pytest.raises(ValueError):
        db.push(code, "setup", {"value": float("nan")})


def test_the_default_location_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PLAYGROUND_DB", str(tmp_path / "x.sqlite3"))
    assert default_location() == str(tmp_path / "x.sqlite3")
    monkeypatch.delenv("PLAYGROUND_DB")
    monkeypatch.chdir(tmp_path)
    assert default_location() == str(tmp_path / "classes.sqlite3")


# ------------------------------------------------------------------ schema version 2
class Clock:
    """A stand-in for the store module's ``time``: ``time()`` is whatever ``now`` says."""

    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(store_module, "time", c)
    return c


def test_a_version_1_database_is_migrated_and_keeps_its_rows(tmp_path, monkeypatch):
    path = str(tmp_path / "old.sqlite3")
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:1])
    old = Store.open(path)
    assert old.version() == 1
    code = old.create_class("Year 9")
    push_id = old.push(code, "setup", {"link": "?dataset=xor"})
    old.close()
    con = sqlite3.connect(path)                  # version 1 has no seen/live/challenge/reason
    sid = con.execute("INSERT INTO students (class_code, name, name_key, joined) "
                      "VALUES (?, 'Ada', 'ada', 5.0)", (code,)).lastrowid
    con.execute("INSERT INTO submissions (class_code, student_id, link, metrics, verified, "
                "created) VALUES (?, ?, '?dataset=xor', '{\"test_accuracy\": 0.9}', 1, 6.0)",
                (code, sid))
    con.commit()
    con.close()
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)

    new = Store.open(path)
    try:
        assert new.version() == len(MIGRATIONS) == 2
        assert new.class_title(code) == "Year 9"
        assert [(p.id, p.kind, p.payload) for p in new.pushes_since(code)] == [
            (push_id, "setup", {"link": "?dataset=xor"})]
        assert [tuple(s) for s in new.students(code)] == [(sid, code, "Ada")]
        rows = new.board(code)
        assert len(rows) == 1
        assert (rows[0].id, rows[0].name, rows[0].live, rows[0].seen) == (sid, "Ada", {}, 0)
        (sub,) = new.submissions(code)
        assert (sub.student, sub.link, sub.metrics, sub.verified, sub.created) == (
            "Ada", "?dataset=xor", {"test_accuracy": 0.9}, True, 6.0)
        assert (sub.challenge, sub.reason) == (0, "")
        # never seen since the upgrade: the name can be taken back, with its rows
        assert new.join(code, "ADA").id == sid
    finally:
        new.close()
    cols = {r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(students)")}
    assert {"seen", "live"} <= cols


def test_report_and_board_round_trip(db, clock):
    code, other = db.create_class("A"), db.create_class("B")
    clock.now = 100.0
    ada = db.join(code, "Ada")
    grace = db.join(code, "Grace")
    db.join(other, "Linus")
    assert [(r.name, r.live, r.seen) for r in db.board(code)] == [("Ada", {}, 100.0),
                                                                  ("Grace", {}, 100.0)]
    live = {"state": "training", "epoch": 120, "test_accuracy": 0.875, "layers": [4, 2],
            "link": "?dataset=xor&hidden=4,2", "note": "ünïcode <b>"}
    clock.now = 130.5
    db.report(grace, live)
    clock.now = 140.0
    db.report(ada)                               # only "still here": the row is kept
    rows = db.board(code)
    assert [r.id for r in rows] == [ada.id, grace.id]            # the order they joined
    assert rows[0] == store_module.Row(ada.id, "Ada", {}, 140.0)
    assert rows[1] == store_module.Row(grace.id, "Grace", live, 130.5)
    db.report(grace, {"state": "idle"})           # a new report replaces the row
    assert db.board(code)[1].live == {"state": "idle"}
    assert [r.name for r in db.board(other)] == ["Linus"]
    with pytest.raises(ValueError):
        db.report(ada, {"loss": float("nan")})    # JSON only, no NaN
    with pytest.raises(ValueError, match="too large"):
        db.report(ada, {"picture": "x" * 30_000})
    assert db.board(code)[0].live == {}


def test_leave_frees_the_name_at_once_for_the_same_student(db, clock):
    code = db.create_class("A")
    ada = db.join(code, "Ada Lovelace")
    db.submit(ada, "?dataset=xor", {"test_accuracy": 0.9}, verified=True)
    with pytest.raises(ValueError, match="already has that name"):
        db.join(code, "ada lovelace")
    db.leave(ada)
    assert db.board(code)[0].seen == 0
    again = db.join(code, "ADA  LOVELACE")       # any case, any spacing
    assert again == store_module.Student(ada.id, code, "Ada Lovelace")
    assert db.board(code)[0].seen == clock.now    # taken back: seen again
    assert [s.student for s in db.submissions(code)] == ["Ada Lovelace"]
    assert len(db.students(code)) == 1
    with pytest.raises(ValueError, match="already has that name"):
        db.join(code, "Ada Lovelace")             # a second page now: refused


def test_a_name_seen_recently_is_refused_until_ghost_s(db, clock):
    code = db.create_class("A")
    clock.now = 1_000.0
    ada = db.join(code, "Ada")
    clock.now = 1_005.0
    with pytest.raises(ValueError, match="already has that name"):
        db.join(code, "ada")
    db.report(ada, {"state": "training"})         # seen at 1005
    clock.now = 1_005.0 + store_module.GHOST_S - 0.5
    with pytest.raises(ValueError, match="already has that name"):
        db.join(code, "Ada")
    assert db.board(code)[0].seen == 1_005.0      # a refused join changes nothing
    clock.now = 1_005.0 + store_module.GHOST_S + 0.5
    back = db.join(code, "aDA")
    assert back.id == ada.id and back.name == "Ada"
    assert db.board(code)[0].seen == clock.now
    assert db.board(code)[0].live == {"state": "training"}   # the row comes back too
    with pytest.raises(ValueError, match="already has that name"):
        db.join(code, "Ada")                      # just taken back: seen now
    other = db.create_class("B")
    assert db.join(other, "Ada").id != ada.id     # another class: another student


def test_current_pushes_keep_the_latest_of_each_slot(db):
    code = db.create_class("A")
    assert db.current_pushes(code) == []
    setup = db.push(code, "setup", {"link": "?dataset=xor"})
    tab = db.push(code, "tab", {"tab": "digits"})
    lock = db.push(code, "lock", {})
    assert [p.id for p in db.current_pushes(code)] == [setup, tab, lock]
    lesson = db.push(code, "lesson", {"preset": "spiral-depth"})   # replaces the set-up
    db.push(code, "unlock", {})                                    # clears the lock
    hide1 = db.push(code, "hide", {"hide": ["loss"]})
    tab2 = db.push(code, "tab", {"tab": "playground"})
    hide2 = db.push(code, "hide", {"hide": []})
    got = db.current_pushes(code)
    assert [(p.id, p.kind) for p in got] == [(lesson, "lesson"), (tab2, "tab"),
                                             (hide2, "hide")]
    assert got[0].payload == {"preset": "spiral-depth"}
    assert hide1 not in [p.id for p in got] and tab not in [p.id for p in got]
    lock2 = db.push(code, "lock", {"why": "eyes up"})
    assert [p.id for p in db.current_pushes(code)] == [lesson, tab2, hide2, lock2]
    other = db.create_class("B")
    db.push(other, "setup", {"link": "?dataset=circle"})
    assert [p.id for p in db.current_pushes(code)] == [lesson, tab2, hide2, lock2]
    # a lock then an unlock gives nothing for the lock slot
    third = db.create_class("C")
    db.push(third, "lock", {})
    db.push(third, "unlock", {})
    assert db.current_pushes(third) == []
    # a set-up then a lesson: only the lesson
    fourth = db.create_class("D")
    db.push(fourth, "setup", {"link": "?dataset=xor"})
    only = db.push(fourth, "lesson", {"preset": "x"})
    assert [(p.id, p.kind) for p in db.current_pushes(fourth)] == [(only, "lesson")]


def test_challenge_is_the_latest_challenge_push(db):
    code, other = db.create_class("A"), db.create_class("B")
    assert db.challenge(code) is None
    db.push(code, "setup", {"link": "?dataset=xor"})
    assert db.challenge(code) is None
    first = db.push(code, "challenge", {"dataset": "xor", "target": 0.9})
    db.push(other, "challenge", {"dataset": "spiral", "target": 0.8})
    db.push(code, "tab", {"tab": "digits"})
    got = db.challenge(code)
    assert (got.id, got.kind, got.payload) == (first, "challenge",
                                               {"dataset": "xor", "target": 0.9})
    second = db.push(code, "challenge", {"dataset": "circle", "target": 0.95})
    assert db.challenge(code).id == second
    assert db.challenge(code).payload["dataset"] == "circle"
    assert db.challenge(other).payload["dataset"] == "spiral"
    assert [p.id for p in db.current_pushes(code) if p.kind == "challenge"] == [second]


def test_submissions_filter_by_challenge_and_keep_the_reason(db):
    code, other = db.create_class("A"), db.create_class("B")
    ada, grace = db.join(code, "Ada"), db.join(code, "Grace")
    linus = db.join(other, "Linus")
    c1 = db.push(code, "challenge", {"dataset": "xor"})
    c2 = db.push(code, "challenge", {"dataset": "spiral"})
    s0 = db.submit(ada, "?dataset=circle", {"test_accuracy": 0.5}, verified=False)
    s1 = db.submit(ada, "?dataset=xor", {"test_accuracy": 0.97, "epoch": 300}, verified=True,
                   challenge=c1)
    long_reason = "retrained from the link " + "x" * 400
    s2 = db.submit(grace, "?dataset=xor", {"test_accuracy": 0.99}, verified=False,
                   challenge=c1, reason=long_reason)
    s3 = db.submit(grace, "?dataset=spiral", {"test_accuracy": 0.8}, verified=True,
                   challenge=c2)
    db.submit(linus, "?dataset=xor", {"test_accuracy": 0.9}, verified=True, challenge=c1)
    assert [s.id for s in db.submissions(code)] == [s0, s1, s2, s3]
    assert [s.id for s in db.submissions(code, challenge=c1)] == [s1, s2]
    assert [s.id for s in db.submissions(code, challenge=c2)] == [s3]
    assert [s.id for s in db.submissions(code, challenge=0)] == [s0]
    assert db.submissions(code, challenge=c2 + 1000) == []
    first, second = db.submissions(code, challenge=c1)
    assert (first.student, first.challenge, first.verified, first.reason) == ("Ada", c1, True, "")
    assert first.metrics == {"test_accuracy": 0.97, "epoch": 300}
    assert (second.student, second.challenge, second.verified) == ("Grace", c1, False)
    assert second.reason == long_reason[:300] and len(second.reason) == 300
    with pytest.raises(ValueError, match="2,000"):
        db.submit(ada, "?" + "x" * 2_001, {}, verified=False)


def test_rows_reported_soon_are_written_together_and_a_leave_is_not_undone(tmp_path):
    s = Store.open(str(tmp_path / "soon.sqlite3"))
    code = s.create_class("A")
    ada, bob = s.join(code, "Ada"), s.join(code, "Bob")
    s.report_soon(ada, {"epoch": 1})
    s.report_soon(ada, {"epoch": 2})                 # the newer row replaces the older
    s.report_soon(bob, {"epoch": 7})
    s.report_soon(bob, {"bad": float("nan")})        # not JSON: never written
    import time as time_module
    deadline = time_module.time() + 5
    while time_module.time() < deadline and s.board(code)[0].live != {"epoch": 2}:
        time_module.sleep(0.05)                      # the writer thread, within FLUSH_S
    assert [r.live for r in s.board(code)] == [{"epoch": 2}, {}]
    s.report_soon(ada, {"epoch": 3})
    s.leave(ada)                                     # closed before the row was written
    assert s.flush() == 0
    assert s.board(code)[0].seen == 0 and s.join(code, "Ada").id == ada.id
    s.close()
