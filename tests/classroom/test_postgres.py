"""The class store on PostgreSQL (PLAYGROUND_DB=postgresql://…), for several machines: the
same schema steps, the same behaviour as on SQLite, pages on two "machines" (two
connections) seeing each other's pushes, and a student page driven through it.

The database is Debian's PostgreSQL, started by ``.ci/run``, which names it in
PLAYGROUND_TEST_POSTGRES. Without it the tests skip on a developer's machine; under CI=true
a missing database is a failure, not a skip. Each test works in a schema of its own."""
from __future__ import annotations

import os
import secrets
import sys
import threading
import time

import pytest

from playground.classroom import store as store_module
from playground.classroom.store import MIGRATIONS, Store

URL = os.environ.get("PLAYGROUND_TEST_POSTGRES", "")


def _need_database():
    if not URL:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but PLAYGROUND_TEST_POSTGRES names no PostgreSQL database")
        pytest.skip("no PostgreSQL here (set PLAYGROUND_TEST_POSTGRES=postgresql://…)")
    try:
        __import__("psycopg")
    except ImportError:
        pytest.fail('PLAYGROUND_TEST_POSTGRES is set but psycopg is not installed '
                    '(pip install -e ".[test]")')


@pytest.fixture
def pg():
    """A URL whose connections work in a fresh, empty schema (dropped afterwards)."""
    _need_database()
    import psycopg
    schema = "t_" + secrets.token_hex(6)
    with psycopg.connect(URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in URL else "?"
    yield f"{URL}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(URL, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")


def test_a_fresh_database_gets_every_schema_step_once(pg):
    s = Store.open(pg)
    assert s.kind == "PostgreSQL" and s.version() == len(MIGRATIONS) == 2
    again = Store.open(pg)                           # a second process: nothing to do
    assert again.version() == len(MIGRATIONS)
    code = s.create_class("Year 10")
    assert again.class_title(code) == "Year 10"
    s.close()
    again.close()


def test_two_processes_migrating_at_once_take_turns(pg):
    stores, errors = [], []

    def open_one():
        try:
            stores.append(Store.open(pg))
        except Exception as exc:                     # pragma: no cover - the failure shown
            errors.append(exc)
    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(stores) == 4
    assert {s.version() for s in stores} == {len(MIGRATIONS)}
    for s in stores:
        s.close()


def test_the_store_behaves_as_on_sqlite(pg, monkeypatch):
    s = Store.open(pg)
    code = s.create_class("  Year   10  ")
    assert s.classes() == [(code, "Year 10")]
    ada = s.join(code.lower(), " Ada ")
    with pytest.raises(ValueError, match="already has that name"):
        s.join(code, "ADA")
    with pytest.raises(ValueError, match="no class"):
        s.join("ZZZZZZ", "Bob")
    s.leave(ada)                                     # a reload: the name comes back
    assert s.join(code, "ada") == ada
    now = time.time()
    monkeypatch.setattr(store_module.time, "time", lambda: now + store_module.GHOST_S + 1)
    assert s.join(code, "Ada").id == ada.id          # gone quiet: taken back
    monkeypatch.undo()
    ids = [s.push(code, "tab", {"tab": "digits"}), s.push(code, "lock", {}),
           s.push(code, "setup", {"link": "?dataset=xor"}), s.push(code, "unlock", {}),
           s.push(code, "challenge", {"dataset": "xor", "target": 0.9})]
    assert ids == sorted(ids)
    assert [p.kind for p in s.pushes_since(code, ids[1])] == ["setup", "unlock", "challenge"]
    assert [p.kind for p in s.current_pushes(code)] == ["tab", "setup", "challenge"]
    assert s.challenge(code).payload == {"dataset": "xor", "target": 0.9}
    assert s.last_push_id(code) == ids[-1]
    s.report(ada, {"state": "training", "epoch": 12, "name": "<b>x</b>"})
    (row,) = s.board(code)
    assert row.live == {"state": "training", "epoch": 12, "name": "<b>x</b>"}
    assert abs(row.seen - time.time()) < 60          # seconds since 1970, not rounded
    assert row.seen != round(row.seen)
    sub = s.submit(ada, "?dataset=xor", {"epoch": 5, "test_accuracy": 0.9}, True,
                   challenge=ids[-1], reason="")
    s.submit(ada, "?dataset=xor", {"epoch": 5}, False, challenge=7, reason="r" * 500)
    got = s.submissions(code)
    assert [g.id for g in got][0] == sub and got[0].verified and got[0].challenge == ids[-1]
    assert [g.reason for g in s.submissions(code, challenge=7)] == ["r" * 300]
    with pytest.raises(ValueError, match="too large"):
        s.push(code, "setup", {"link": "x" * 30_000})
    s.close()


def test_two_machines_see_each_other(pg):
    """Two connections, as two servers behind a load balancer would have."""
    one, two = Store.open(pg), Store.open(pg)
    code = one.create_class("A")
    student = two.join(code, "Grace")
    pid = one.push(code, "tab", {"tab": "descent"})
    assert [p.id for p in two.pushes_since(code)] == [pid]
    two.report(student, {"state": "idle"})
    assert one.board(code)[0].live == {"state": "idle"}
    one.close()
    two.close()


def test_a_student_page_runs_on_it(pg, monkeypatch):
    import panel as pn
    from bokeh.document import Document
    from panel.io.state import set_curdoc
    from playground.ui import PlaygroundApp
    monkeypatch.setenv("PLAYGROUND_DB", pg)
    db = store_module.shared()
    assert db.kind == "PostgreSQL"
    code = db.create_class("A")
    db.push(code, "setup", {"link": "/app?dataset=xor&hidden=3"})
    app = PlaygroundApp(query=f"?class={code}")
    # a page on a document of its own (not served): a served session's document that
    # another test left current in this process is not this page's
    with set_curdoc(Document()):
        assert pn.panel(app).get_root() is not None
    app.stop()
    panel = app.class_bar
    panel.name_input.value = "Ada"
    panel.join_button.clicks += 1
    assert app.member.joined
    app.tick()                                       # the class's set-up, caught up
    assert (app.run.dataset, app.run.hidden) == ("xor", [3])
    panel.tick(now=1e9)
    db.flush()
    assert db.board(code)[0].live["layers"] == [3]


def test_the_password_is_not_shown_in_messages():
    shown = Store.__new__(Store)
    shown.location = "postgresql://teacher:s3cret@db.example:5432/classes"
    where = shown.shown_location()
    assert "s3cret" not in where and "db.example:5432/classes" in where


def test_without_the_driver_the_message_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(RuntimeError, match=r'pip install "psycopg\[binary\]"'):
        Store.open("postgresql://nobody@127.0.0.1:1/none")


def test_a_lost_connection_is_made_again(pg):
    """The database server restarted (or dropped the connection): the next call connects
    again instead of failing every page's frames."""
    import psycopg
    s = Store.open(pg)
    code = s.create_class("R")
    with psycopg.connect(URL, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
            "usename = current_user AND datname = current_database() AND "
            "pid <> pg_backend_pid()").fetchall()
    assert killed and all(ok for (ok,) in killed)
    assert s.class_title(code) == "R"
    s.close()
