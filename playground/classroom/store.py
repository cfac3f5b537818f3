"""The class database: classes, students, pushes, challenges and submissions.

SQLite (the standard library) is the default, in the file ``PLAYGROUND_DB`` names or
``classes.sqlite3`` in the server's working directory (``default_location``). Every process
of ``panel serve --num-procs N`` opens the same file, so what one process writes the others
read: a push is a row that every student page polls for. For several machines,
``PLAYGROUND_DB=postgresql://user:password@host/db`` keeps it in PostgreSQL instead
(``backends``); the SQL is the same.

    store = Store.open()                       # PLAYGROUND_DB, or ./classes.sqlite3
    store = shared()                           # the one Store of this process (pages)
    code = store.create_class("Year 10, Tuesday")
    student = store.join(code, "Ada")          # a display name, unique in its class
    store.push(code, "setup", {"link": "?dataset=xor"})
    store.pushes_since(code, after=0)          # [Push(id, kind, payload, created), ...]
    store.report(student, {"state": "training", "epoch": 120, ...})   # the board's row
    store.board(code)                          # [Row(id, name, live, seen), ...]

The schema has a version (``MIGRATIONS``): opening a database brings it up to date, one
numbered step at a time, in a transaction that one process holds at a time. Values from outside (names, links,
metrics) are stored as text or JSON and read back with ``json.loads``; nothing in the
database is ever evaluated as code, and every statement takes its values as parameters.
A student is a display name and nothing else.
"""
from __future__ import annotations

import json
import os
import secrets
import threading
import time
import unicodedata
from pathlib import Path
from typing import NamedTuple

from . import backends

DEFAULT_FILE = "classes.sqlite3"
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"    # no 0/O, 1/I/L: read off a projector
CODE_LENGTH = 6
MAX_NAME = 24              # characters of a display name
MAX_TITLE = 60
MAX_PAYLOAD = 20_000       # bytes of a push's or a submission's JSON
PUSH_KINDS = ("lesson", "setup", "tab", "hide", "lock", "unlock", "challenge")
# What a page that joins late (or again) is given of the class's past pushes: the latest
# push of each slot, in their order (a set-up and a lesson fill the same slot; so do a lock
# and an unlock).
PUSH_SLOTS = {"setup": "content", "lesson": "content", "tab": "tab", "hide": "hide",
              "lock": "lock", "unlock": "lock", "challenge": "challenge"}
GHOST_S = 10.0             # a name whose page has not been seen this long can be taken back
FLUSH_S = 0.25             # report_soon's rows are written this often

# Each step brings the schema from version i to i + 1 (applied in order, once). {id} and
# {real} are filled in per database (backends).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (   # 1: classes, students, pushes, submissions
        """CREATE TABLE classes (
               code TEXT PRIMARY KEY,
               title TEXT NOT NULL,
               created {real} NOT NULL)""",
        """CREATE TABLE students (
               id {id},
               class_code TEXT NOT NULL REFERENCES classes(code) ON DELETE CASCADE,
               name TEXT NOT NULL,
               name_key TEXT NOT NULL,
               joined {real} NOT NULL,
               UNIQUE (class_code, name_key))""",
        """CREATE TABLE pushes (
               id {id},
               class_code TEXT NOT NULL REFERENCES classes(code) ON DELETE CASCADE,
               kind TEXT NOT NULL,
               payload TEXT NOT NULL,
               created {real} NOT NULL)""",
        "CREATE INDEX pushes_by_class ON pushes (class_code, id)",
        """CREATE TABLE submissions (
               id {id},
               class_code TEXT NOT NULL REFERENCES classes(code) ON DELETE CASCADE,
               student_id INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
               link TEXT NOT NULL,
               metrics TEXT NOT NULL,
               verified INTEGER NOT NULL,
               created {real} NOT NULL)""",
    ),
    (   # 2: the class board (each student page's live row) and challenge submissions
        "ALTER TABLE students ADD COLUMN seen {real} NOT NULL DEFAULT 0",
        "ALTER TABLE students ADD COLUMN live TEXT NOT NULL DEFAULT '{}'",
        "ALTER TABLE submissions ADD COLUMN challenge INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE submissions ADD COLUMN reason TEXT NOT NULL DEFAULT ''",
    ),
)


class Push(NamedTuple):
    id: int
    kind: str
    payload: dict
    created: float


class Student(NamedTuple):
    id: int
    class_code: str
    name: str


class Submission(NamedTuple):
    id: int
    student: str
    link: str
    metrics: dict
    verified: bool
    created: float
    challenge: int = 0          # the id of the challenge push it answers
    reason: str = ""            # why the server did not confirm it ("" when it did)


class Row(NamedTuple):
    """A student's row on the class board: what the page last reported (``live``) and when
    (``seen``, seconds since the epoch; 0 once the page has closed)."""
    id: int
    name: str
    live: dict
    seen: float


def default_location() -> str:
    """Where the class database is: ``PLAYGROUND_DB``, or classes.sqlite3 here."""
    return os.environ.get("PLAYGROUND_DB") or str(Path.cwd() / DEFAULT_FILE)


def clean_name(text) -> str:
    """A display name as typed, made safe to store: normalised (NFC), single spaces, no
    control characters, 1..MAX_NAME characters. ValueError with a reason otherwise (the
    page escapes it wherever it shows it)."""
    if not isinstance(text, str):
        raise ValueError("a name is text")
    text = unicodedata.normalize("NFC", text)
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    text = " ".join(text.split())
    if not text:
        raise ValueError("type a name (letters, digits or spaces)")
    if len(text) > MAX_NAME:
        raise ValueError(f"a name has at most {MAX_NAME} characters")
    return text


def _name_key(name: str) -> str:
    """Names that differ only in case are the same name in a class."""
    return name.casefold()


def clean_code(text) -> str:
    """A class code as typed: letters and digits of CODE_ALPHABET, any case, spaces and
    dashes ignored. ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError("a class code is text")
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        raise ValueError(f"a class code has {CODE_LENGTH} letters and digits, "
                         "such as K7QX3M")
    return code


def _payload(value) -> str:
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, sort_keys=True)
    if len(text.encode("utf-8")) > MAX_PAYLOAD:
        raise ValueError(f"too large (at most {MAX_PAYLOAD:,} bytes)")
    return text


class Store:
    """The class database (SQLite or PostgreSQL). Safe to share between the threads of a
    process (one connection, a lock) and between processes (the database's own locking;
    SQLite's WAL journal)."""

    def __init__(self, location: str):
        self.location = location
        self._db = backends.connect(location)
        self.kind = self._db.kind
        self.errors = (self._db.Error,)        # what a call may raise when the database is away
        self._lock = threading.Lock()
        self._pending: dict = {}                  # report_soon's rows, by student id
        self._pending_lock = threading.Lock()
        self._writer: threading.Thread | None = None
        self._closed = False
        self.migrate()

    @classmethod
    def open(cls, location: str | None = None) -> "Store":
        return cls(location or default_location())

    def close(self):
        self._closed = True
        with self._lock:
            self._db.close()

    # -------------------------------------------------------------- schema
    def version(self) -> int:
        with self._lock, self._db.exclusive():
            return self._db.version()

    def migrate(self) -> int:
        """Apply the steps this database has not had yet, each in one transaction;
        returns the version now. A database newer than this code is refused."""
        with self._lock:
            while True:
                with self._db.exclusive():                 # one process migrates at a time
                    v = self._db.version()
                    if v > len(MIGRATIONS):
                        raise RuntimeError(
                            f"the class database {self.shown_location()} has schema version {v}; "
                            f"this playground knows up to {len(MIGRATIONS)}")
                    if v == len(MIGRATIONS):
                        return v
                    for statement in MIGRATIONS[v]:
                        self._db.execute(statement)
                    self._db.set_version(v + 1)

    def shown_location(self) -> str:
        """The location without a password (for messages)."""
        if backends.is_postgres(self.location) and "@" in self.location:
            scheme, rest = self.location.split("://", 1)
            return f"{scheme}://…@{rest.rsplit('@', 1)[1]}"
        return self.location

    def _write(self, statement: str, values=()) -> int:
        """Run a change; the number of rows it changed."""
        with self._lock:
            return self._db.execute(statement, values).rowcount

    def _insert(self, statement: str, values=()) -> int:
        """Insert a row into a table with an id; the new id."""
        with self._lock:
            return self._db.insert(statement, values)

    def _read(self, statement: str, values=()) -> list:
        with self._lock:
            return self._db.execute(statement, values).fetchall()

    # -------------------------------------------------------------- classes
    def create_class(self, title: str = "") -> str:
        """A new class with a fresh short code (returned)."""
        title = " ".join(str(title).split())[:MAX_TITLE] or "Class"
        for _ in range(20):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            try:
                self._write("INSERT INTO classes (code, title, created) VALUES (?, ?, ?)",
                            (code, title, time.time()))
                return code
            except self._db.IntegrityError:            # that code is taken: another
                continue
        raise RuntimeError("no free class code found")

    def class_title(self, code: str) -> str | None:
        rows = self._read("SELECT title FROM classes WHERE code = ?", (code,))
        return rows[0][0] if rows else None

    def classes(self) -> list[tuple[str, str]]:
        return [tuple(r) for r in self._read(
            "SELECT code, title FROM classes ORDER BY created")]

    # -------------------------------------------------------------- students
    def join(self, code: str, name: str) -> Student:
        """Join the class ``code`` under the display name ``name``. ValueError with a
        reason a student can read: no such class, a bad name, or the name is taken."""
        code, name = clean_code(code), clean_name(name)
        if self.class_title(code) is None:
            raise ValueError(f"there is no class {code} on this server")
        now = time.time()
        try:
            sid = self._insert("INSERT INTO students (class_code, name, name_key, joined, seen) "
                               "VALUES (?, ?, ?, ?, ?)", (code, name, _name_key(name), now, now))
        except self._db.IntegrityError:
            # the name is taken: by a page that is gone (closed, reloaded, or the server
            # restarted) it can be taken back, with its board row and submissions
            taken_back = self._write(
                "UPDATE students SET seen = ? WHERE class_code = ? AND name_key = ? "
                "AND seen < ?", (now, code, _name_key(name), now - GHOST_S))
            rows = self._read(
                "SELECT id, name FROM students WHERE class_code = ? AND name_key = ?",
                (code, _name_key(name))) if taken_back else []
            row = rows[0] if rows else None
            if row is None:
                raise ValueError("someone in this class already has that name; "
                                 "choose another") from None
            return Student(row[0], code, row[1])
        return Student(sid, code, name)

    def report(self, student: Student, live: dict | None = None) -> None:
        """The page of ``student`` is still there; with ``live``, its board row (state,
        metrics, size, link, picture) as well."""
        if live is None:
            self._write("UPDATE students SET seen = ? WHERE id = ?", (time.time(), student.id))
        else:
            self._write("UPDATE students SET seen = ?, live = ? WHERE id = ?",
                        (time.time(), _payload(live), student.id))

    def report_soon(self, student: Student, live: dict) -> None:
        """``report`` without waiting for the database: the row is written by the store's
        writer thread within FLUSH_S, together with the other pages' rows (one transaction),
        so a server's event loop never encodes or commits board rows. A newer row of the
        same student replaces one not yet written."""
        with self._pending_lock:
            self._pending[student.id] = (time.time(), live)
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._write_pending, daemon=True,
                                                name="class-board-writer")
                self._writer.start()

    def flush(self) -> int:
        """Write the rows ``report_soon`` holds now; how many."""
        with self._lock:
            with self._pending_lock:
                pending, self._pending = self._pending, {}
            rows = []
            for sid, (seen, live) in pending.items():
                try:
                    rows.append((seen, _payload(live), sid))
                except ValueError:               # too large, or not JSON: that row waits
                    continue
            if rows:
                self._db.execute_many("UPDATE students SET seen = ?, live = ? WHERE id = ?",
                                      rows)
            return len(rows)

    def _write_pending(self):
        while not self._closed:
            time.sleep(FLUSH_S)
            try:
                self.flush()
            except Exception:                  # the database is away: the next rows retry
                continue

    def leave(self, student: Student) -> None:
        """The page of ``student`` closed: its name can be taken back at once (a reload)."""
        with self._lock:
            with self._pending_lock:             # a row not yet written would say "seen"
                self._pending.pop(student.id, None)
            self._db.execute("UPDATE students SET seen = 0 WHERE id = ?", (student.id,))

    def board(self, code: str) -> list[Row]:
        """Every student of the class with their last report, in the order they joined."""
        return [Row(i, n, json.loads(live), seen) for i, n, live, seen in self._read(
            "SELECT id, name, live, seen FROM students WHERE class_code = ? ORDER BY id",
            (code,))]

    def students(self, code: str) -> list[Student]:
        return [Student(*r) for r in self._read(
            "SELECT id, class_code, name FROM students WHERE class_code = ? ORDER BY id",
            (code,))]

    # -------------------------------------------------------------- pushes
    def push(self, code: str, kind: str, payload: dict) -> int:
        """Something the teacher sends to every student page of the class; its id."""
        if kind not in PUSH_KINDS:
            raise ValueError(f"a push is one of {', '.join(PUSH_KINDS)}")
        if self.class_title(code) is None:
            raise ValueError(f"there is no class {code}")
        return self._insert("INSERT INTO pushes (class_code, kind, payload, created) "
                           "VALUES (?, ?, ?, ?)", (code, kind, _payload(payload), time.time()))

    def pushes_since(self, code: str, after: int = 0, limit: int = 100) -> list[Push]:
        """The class's pushes newer than the id ``after``, oldest first."""
        return [Push(i, k, json.loads(p), c) for i, k, p, c in self._read(
            "SELECT id, kind, payload, created FROM pushes WHERE class_code = ? AND id > ? "
            "ORDER BY id LIMIT ?", (code, int(after), int(limit)))]

    def current_pushes(self, code: str) -> list[Push]:
        """What a page joining now is given: the latest push of each slot (PUSH_SLOTS),
        oldest first; an unlock (the default) is left out."""
        latest: dict = {}
        for push in self._pushes(code, "SELECT id, kind, payload, created FROM pushes "
                                       "WHERE class_code = ? ORDER BY id"):
            latest[PUSH_SLOTS[push.kind]] = push
        return sorted((p for p in latest.values() if p.kind != "unlock"), key=lambda p: p.id)

    def challenge(self, code: str) -> Push | None:
        """The class's challenge now (the latest challenge push), or None."""
        pushes = self._pushes(code, "SELECT id, kind, payload, created FROM pushes "
                                    "WHERE class_code = ? AND kind = 'challenge' "
                                    "ORDER BY id DESC LIMIT 1")
        return pushes[0] if pushes else None

    def _pushes(self, code: str, statement: str) -> list[Push]:
        return [Push(i, k, json.loads(p), c) for i, k, p, c in self._read(statement, (code,))]

    def last_push_id(self, code: str) -> int:
        rows = self._read("SELECT MAX(id) FROM pushes WHERE class_code = ?", (code,))
        return int(rows[0][0] or 0)

    # -------------------------------------------------------------- submissions
    def submit(self, student: Student, link: str, metrics: dict, verified: bool,
               challenge: int = 0, reason: str = "") -> int:
        """A student's result for the class's challenge (the push id ``challenge``): the
        set-up link, its metrics, and whether the server's own retraining confirmed them
        (``reason``: why not)."""
        if not isinstance(link, str) or len(link) > 2_000:
            raise ValueError("a link is text of at most 2,000 characters")
        return self._insert(
            "INSERT INTO submissions (class_code, student_id, link, metrics, verified, "
            "created, challenge, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (student.class_code, student.id, link, _payload(metrics), int(bool(verified)),
             time.time(), int(challenge), str(reason)[:300]))

    def submissions(self, code: str, challenge: int | None = None) -> list[Submission]:
        """The class's submissions, oldest first (only those for ``challenge`` if given)."""
        where, values = "s.class_code = ?", [code]
        if challenge is not None:
            where, values = where + " AND s.challenge = ?", [code, int(challenge)]
        return [Submission(i, n, link, json.loads(m), bool(v), c, ch, r)
                for i, n, link, m, v, c, ch, r in self._read(
                    "SELECT s.id, st.name, s.link, s.metrics, s.verified, s.created, "
                    "s.challenge, s.reason FROM submissions s "
                    "JOIN students st ON st.id = s.student_id "
                    f"WHERE {where} ORDER BY s.id", values)]


_SHARED: dict = {}
_SHARED_LOCK = threading.Lock()


def shared(location: str | None = None) -> Store:
    """The process's one Store for ``location`` (default: ``default_location()``), opened
    on first use; every page of the process uses it."""
    location = location or default_location()
    with _SHARED_LOCK:
        if location not in _SHARED:
            _SHARED[location] = Store(location)
        return _SHARED[location]
