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


@pytest.fixture
def db(tmp_path):
    s = Store.open(str(tmp_path / "classes.sqlite3"))
    yield s
    s.close()


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
