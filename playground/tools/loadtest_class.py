"""``python -m playground.loadtest --class``: a class of N students on one server, with the
teacher's board open (class mode).

    python -m playground.loadtest --class --sessions 60 --seconds 20

It starts its own servers (with a class database in a temporary folder and a teacher
password of its own), one for each part, and measures two things in the same run:

1. **the plain app**: N sessions training (Play), frames per second per session, as
   ``loadtest`` does without ``--class``;
2. **class mode**: a class made in the database, N sessions opening ``/app?class=CODE``,
   each typing a name and joining, then training, with the teacher's page signed in and
   its class board refreshing. Reported: each student's frames per second (the same
   figures as 1, and the ratio), and on the teacher's side the board's updates per second
   for each row (a row's epoch changed between two boards the server sent), the rows it
   lists and the seconds it took for all students to show; last, the teacher pushes a
   set-up: the seconds until each student page received its banner ("Your teacher opened
   a set-up."), and until every page's board row (on any of the ``--procs`` processes)
   shows the new set-up.

Each session is a real Bokeh client session (the browser's websocket protocol). The last
line printed is one JSON object. It measures; it judges nothing.
"""
from __future__ import annotations

import html
import json
import os
import re
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from . import loadtest as lt

PUSHED, PUSHED_LAYERS = "/app?dataset=xor&hidden=3,3", [3, 3]   # the push at the end
ROW = re.compile(r'<tr data-student="(\d+)">.*?</td>.*?</td><td[^>]*>(\w+)</td>'
                 r'<td>([\d,]+)</td>')


def _find(session, kind: str, **props):
    import bokeh.models
    cls = getattr(bokeh.models, kind)
    for m in session.document.models:
        if isinstance(m, cls) and all(getattr(m, k, None) == v for k, v in props.items()):
            return m
    raise LookupError(f"no {kind} with {props}")


def _set(session, model, name: str, value):
    """What typing into a field sends: the model's new value, as one document patch."""
    from bokeh.document.events import ModelChangedEvent
    setattr(model, name, value)           # the client's own document
    event = ModelChangedEvent(session.document, model, name, value)
    session._connection._send_patch_document(session.id, event)


def watch_board(session):
    """Read the teacher page's messages; keep (time, {student id: epoch}) for each class
    board the server sends (the HTML table, as the message carries it)."""
    session.boards = []

    def on_frame(t, text):
        if "data-student" not in text:
            return
        for event in json.loads(text).get("events", []):
            new = event.get("new") if isinstance(event, dict) else None
            if isinstance(new, str) and "data-student" in new:
                rows = {int(i): int(e.replace(",", ""))
                        for i, _state, e in ROW.findall(html.unescape(new))}
                session.boards.append((t, rows))

    lt.keep_reading(session, on_frame)


BANNER = "Your teacher opened"


def watch_student(session):
    """Count a student page's frames, and note when the first banner of a teacher's push
    arrives (``session.banner_at``)."""
    session.banner_at = None

    def on_frame(t, text):
        if session.banner_at is None and BANNER in text:
            session.banner_at = t

    lt.keep_reading(session, on_frame)


def row_rates(boards, t0: float, t1: float) -> dict:
    """Updates per second of each row (its epoch changed from one board to the next) in
    [t0, t1]."""
    last: dict = {}
    changes: dict = {}
    for t, rows in boards:
        for sid, epoch in rows.items():
            if t0 <= t <= t1 and sid in last and epoch != last[sid]:
                changes[sid] = changes.get(sid, 0) + 1
            last[sid] = epoch
    return {sid: changes.get(sid, 0) / (t1 - t0) for sid in last}


def _open(Session, ws, loop, reader, arguments):
    s = Session(websocket_url=ws, io_loop=loop, arguments=arguments)
    s.pull()
    lt.announce_ready(s)
    reader(s)
    return s


def class_phase(url: str, db_path: str, password: str, sessions: int, seconds: float,
                pid: int | None) -> dict:
    from bokeh.client.util import websocket_url_for_server_url
    from tornado.ioloop import IOLoop

    from ..classroom.store import Store

    loop = IOLoop.current()
    Session = lt.session_class()
    ws = websocket_url_for_server_url(url)
    store = Store.open(db_path)
    code = store.create_class("Load test")
    errors: list[str] = []
    teacher = _open(Session, ws, loop, watch_board, {"teacher": ""})
    _set(teacher, _find(teacher, "PasswordInput"), "value", password)
    lt.click(teacher, _find(teacher, "Button", label="Sign in"))
    t_open = time.perf_counter()
    students = []
    for i in range(sessions):
        try:
            s = _open(Session, ws, loop, watch_student, {"class": code})
            _set(s, _find(s, "TextInput", placeholder="your name"), "value", f"student {i:02d}")
            lt.click(s, _find(s, "Button", label="Join"))
            students.append(s)
        except Exception as exc:
            errors.append(f"student {i}: {exc}")
    open_s = time.perf_counter() - t_open
    for s in students:
        try:
            lt.press_play(s)
        except Exception as exc:
            errors.append(f"student {s.id[:8]}: Play: {exc}")
    # every student on the board: the seconds from the last Join click
    t_joined = time.perf_counter()
    all_in_s = None
    while time.perf_counter() - t_joined < 60:
        loop.run_sync(lambda: lt.pause(0.25))
        if teacher.boards and len(teacher.boards[-1][1]) >= len(students):
            all_in_s = round(time.perf_counter() - t_joined, 2)
            break
    loop.run_sync(lambda: lt.pause(lt.WARMUP_S))
    pids = lt.process_tree(pid) if pid else []
    cpu0, t0 = lt.cpu_seconds(pids), time.perf_counter()
    loop.run_sync(lambda: lt.pause(seconds))
    t1 = time.perf_counter()
    cpu1 = lt.cpu_seconds(pids)
    fps = [len([f for f in s.frames if t0 <= f <= t1]) / (t1 - t0) for s in students]
    rates = row_rates(teacher.boards, t0, t1)
    boards_in = [t for t, _ in teacher.boards if t0 <= t <= t1]
    joined = len(store.students(code))
    # a push: the seconds until every student's page (on whichever process serves it)
    # shows the pushed set-up in its board row
    for s in students:
        s.banner_at = None
    store.push(code, "setup", {"link": PUSHED})
    t_push, push_s, banners = time.perf_counter(), None, []
    while time.perf_counter() - t_push < 30:
        loop.run_sync(lambda: lt.pause(0.1))
        rows = store.board(code)
        if rows and all(r.live.get("layers") == PUSHED_LAYERS for r in rows):
            push_s = round(time.perf_counter() - t_push, 2)
            break
    banners = sorted(s.banner_at - t_push for s in students if s.banner_at is not None)
    for s in [*students, teacher]:
        if getattr(s, "dropped", False):
            errors.append(f"session {s.id[:8]} was disconnected by the server")
        try:
            s.close()
        except Exception:
            pass
    store.close()
    values = sorted(rates.values())
    return {
        "students": sessions, "joined": joined, "open_s": round(open_s, 2),
        "all_on_board_s": all_in_s,
        "fps_min": round(min(fps), 2) if fps else 0.0,
        "fps_p50": round(statistics.median(fps), 2) if fps else 0.0,
        "board_rows": len(rates),
        "board_updates_per_s": round(len(boards_in) / (t1 - t0), 2),
        "row_updates_per_s_min": round(values[0], 2) if values else 0.0,
        "row_updates_per_s_p50": round(statistics.median(values), 2) if values else 0.0,
        "rows_below_1_per_s": sum(v < 1.0 for v in values),
        "push_banner_pages": len(banners),
        "push_banner_s_p50": round(statistics.median(banners), 2) if banners else None,
        "push_banner_s_max": round(banners[-1], 2) if banners else None,
        "push_to_every_page_s": push_s,
        "server_cpu_percent": round(100 * (cpu1 - cpu0) / (t1 - t0), 1) if pids else None,
        "rss_mb": round(lt.rss_mb(pids), 1) if pids else None,
        "errors": len(errors), "error_messages": errors[:10],
    }


def main(sessions: int, seconds: float, procs: int = 1, json_path: str | None = None) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="playground-class-"))
    db_path = str(folder / "classes.sqlite3")
    password = secrets.token_urlsafe(12)
    log_path = folder / "server.log"
    env = {"PLAYGROUND_DB": db_path, "PLAYGROUND_TEACHER_PASSWORD": password}
    # each part on a fresh server: a server that has just served (and closed) a class's
    # pages gives the next ones fewer frames, whichever part comes second
    proc, url = lt.start_server(procs, folder / "plain.log", env=env)
    try:
        plain = lt.run(url, sessions, seconds, 0, proc.pid, None)
    finally:
        lt.stop_server(proc)
    proc, url = lt.start_server(procs, log_path, env=env)
    try:
        klass = class_phase(url, db_path, password, sessions, seconds, proc.pid)
    finally:
        lt.stop_server(proc)
    log_text = log_path.read_text(errors="replace") + (folder / "plain.log").read_text(
        errors="replace")
    result = {
        "sessions": sessions, "seconds": seconds, "procs": procs,
        "plain": {k: plain[k] for k in ("connected", "open_s", "fps_min", "fps_p50",
                                        "server_cpu_percent", "errors")},
        "class": klass,
        "fps_ratio_p50": round(klass["fps_p50"] / plain["fps_p50"], 2) if plain["fps_p50"]
        else None,
        **lt.log_counts(log_text),
        "machine_ms": lt.machine_ms(), "cpu_count": os.cpu_count(),
    }
    print(f"plain app: {sessions} sessions, frames/s p50 {plain['fps_p50']} (min "
          f"{plain['fps_min']}); class mode: {klass['joined']} joined, frames/s p50 "
          f"{klass['fps_p50']} (min {klass['fps_min']}), ratio {result['fps_ratio_p50']}; "
          f"board: {klass['board_rows']} rows, {klass['board_updates_per_s']} boards/s, "
          f"row updates/s min {klass['row_updates_per_s_min']} p50 "
          f"{klass['row_updates_per_s_p50']} ({klass['rows_below_1_per_s']} rows below 1/s); "
          f"all on the board {klass['all_on_board_s']} s after the last join; a push's "
          f"banner on {klass['push_banner_pages']} pages within {klass['push_banner_s_max']} s "
          f"(p50 {klass['push_banner_s_p50']}), on every board row in "
          f"{klass['push_to_every_page_s']} s; tracebacks "
          f"{result['tracebacks']}, errors {klass['errors']}")
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    return result
