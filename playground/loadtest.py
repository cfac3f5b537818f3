"""A classroom in a box: N sessions training at once against one playground server.

    python -m playground.loadtest --sessions 60 --seconds 30            # starts its own server
    python -m playground.loadtest --sessions 60 --seconds 30 --procs 2  # … with 2 processes
    python -m playground.loadtest --sessions 20 --seconds 20 --url http://127.0.0.1:5006/app

Each session is a real Bokeh client session (the same websocket protocol as a browser): it
opens the page, announces that its document is ready (as a browser does) and counts the
frames the server pushes (one message per frame). Once all sessions are open (the class is
in), each one clicks Play, as a student would. ``--browsers B`` adds B headless Chromium pages (Playwright), whose frame rate is read
from the page's epoch counter.

Reported: frames per second per session (min, p50), the interval between two frames as a
session sees it (p50, p95: the server's tick latency plus the time its turn waits), the
server's CPU use and RSS (when this tool started the server, or with ``--pid``), and errors
(sessions that failed or were dropped, tracebacks in the server log). The last line printed
is one JSON object. Only localhost is allowed, and counts and durations are bounded.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from .machine import machine_ms

MAX_SESSIONS = 200
MAX_SECONDS = 600
MAX_BROWSERS = 8
WARMUP_S = 3.0          # frames in the first seconds after connecting are not counted
LOCAL = {"127.0.0.1", "localhost", "::1"}
ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------- the server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(procs: int, log_path: Path, timeout: float = 180.0, extra=()):
    """``panel serve app.py`` on a free local port; returns (process, page URL)."""
    port = free_port()
    cmd = [sys.executable, "-m", "panel", "serve", "app.py", "--port", str(port),
           "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}",
           "--num-procs", str(procs), "--check-unused-sessions", "2000",
           "--unused-session-lifetime", "5000", "--stats-log-frequency", "1000", *extra]
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}/app"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: see {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=60) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.5)
    stop_server(proc)
    raise RuntimeError(f"the server did not answer within {timeout:.0f}s: see {log_path}")


def stop_server(proc) -> None:
    """Stop the server and, with --procs N, its forked workers (its whole process group:
    the workers outlive a parent that is only told to stop)."""
    import signal
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:         # the workers go after the parent
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def process_tree(pid: int) -> list[int]:
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += _children(p)
    return seen


def cpu_seconds(pids) -> float:
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def rss_mb(pids) -> float:
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


# ------------------------------------------------------------------ the sessions
def _session_class():
    import panel  # noqa: F401  (registers Panel's Bokeh models, so the page's document loads)
    import panel.models  # noqa: F401
    from bokeh.client.session import ClientSession

    class CountingSession(ClientSession):
        """A client session that only counts the server's document patches (frames)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.frames: list[float] = []

        def _handle_patch(self, message):
            self.frames.append(time.perf_counter())

    return CountingSession


def keep_reading(session):
    """Read the server's messages while the shared IOLoop runs, counting each document
    patch (a frame). Bokeh's own client reads one message per recursive call, which
    overflows the stack after about a thousand frames; this loop does not."""
    conn = session._connection

    async def reader():
        while True:
            message = await conn._pop_message()
            if message is None:                  # the server closed the connection
                session.dropped = True
                return
            if message.msgtype == "PATCH-DOC":
                session.frames.append(time.perf_counter())

    session.dropped = False
    conn.io_loop.add_callback(reader)


def announce_ready(session):
    """What BokehJS sends once the page is shown: Panel's onload callbacks run on it."""
    from bokeh.document.events import MessageSentEvent
    from bokeh.events import DocumentReady
    event = MessageSentEvent(session.document, "bokeh_event", DocumentReady())
    session._connection._send_patch_document(session.id, event)


def press_play(session):
    """What a click on the page's Play button sends."""
    from bokeh.document.events import MessageSentEvent
    from bokeh.events import ButtonClick
    from bokeh.models import AbstractButton
    button = next(m for m in session.document.models
                  if isinstance(m, AbstractButton) and getattr(m, "label", "") == "Play")
    event = MessageSentEvent(session.document, "bokeh_event", ButtonClick(button))
    session._connection._send_patch_document(session.id, event)


def browser_worker(url: str, n: int, seconds: float, results: list, errors: list,
                   ready: threading.Event, go: threading.Event):
    try:
        from playwright.sync_api import sync_playwright
        exe = os.environ.get("PLAYWRIGHT_CHROMIUM", "/usr/bin/chromium")
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=exe, headless=True,
                                   args=["--no-sandbox", "--disable-gpu"])
            pages = []
            for _ in range(n):
                pg = b.new_page()
                pg.on("pageerror", lambda e: errors.append(f"browser: {e}"))
                pg.goto(url + "?play=1", timeout=120_000)
                pg.locator(".pg-epoch").wait_for(timeout=120_000)
                pages.append(pg)
            ready.set()
            go.wait()

            def epoch(pg):
                digits = "".join(c for c in pg.locator(".pg-epoch").inner_text() if c.isdigit())
                return int(digits or 0)
            start = [(epoch(pg), time.perf_counter()) for pg in pages]
            time.sleep(seconds)
            for pg, (e0, t0) in zip(pages, start):
                results.append((epoch(pg) - e0) / (time.perf_counter() - t0))
            b.close()
    except Exception as exc:       # reported, not raised: the load figures still count
        errors.append(f"browser: {exc}")
        ready.set()


def run(url: str, sessions: int, seconds: float, browsers: int = 0, pid: int | None = None,
        log_path: Path | None = None):
    from tornado.ioloop import IOLoop
    from bokeh.client.util import websocket_url_for_server_url

    loop = IOLoop.current()
    Session = _session_class()
    ws = websocket_url_for_server_url(url)
    errors: list[str] = []
    opened = []
    machine_before = machine_ms()
    t_open = time.perf_counter()
    for i in range(sessions):
        try:
            s = Session(websocket_url=ws, io_loop=loop)
            s.pull()
            announce_ready(s)
            keep_reading(s)
            opened.append(s)
        except Exception as exc:
            errors.append(f"session {i}: {exc}")
    open_s = time.perf_counter() - t_open
    for s in opened:                          # the class is in: everyone presses Play
        try:
            press_play(s)
        except Exception as exc:
            errors.append(f"session {s.id[:8]}: Play: {exc}")
    browser_fps: list[float] = []
    ready, go = threading.Event(), threading.Event()
    thread = None
    if browsers:
        thread = threading.Thread(target=browser_worker, daemon=True,
                                  args=(url, browsers, seconds, browser_fps, errors, ready, go))
        thread.start()
        while not ready.is_set():            # keep the sessions served while pages open
            loop.run_sync(lambda: _sleep(0.2))
    loop.run_sync(lambda: _sleep(WARMUP_S))
    pids = process_tree(pid) if pid else []
    cpu0, t0 = cpu_seconds(pids), time.perf_counter()
    go.set()
    loop.run_sync(lambda: _sleep(seconds))
    t1 = time.perf_counter()
    cpu1 = cpu_seconds(pids)
    if thread is not None:
        thread.join(timeout=60)
    fps, gaps = [], []
    for s in opened:
        frames = [f for f in s.frames if t0 <= f <= t1]
        fps.append(len(frames) / (t1 - t0))
        gaps += [(b - a) * 1e3 for a, b in zip(frames, frames[1:])]
        if getattr(s, "dropped", False):
            errors.append(f"session {s.id[:8]} was disconnected by the server")
    log_mark = log_path.stat().st_size if log_path is not None else None
    for s in opened:
        try:
            s.close()
        except Exception:
            pass
    all_fps = fps + browser_fps
    q = lambda xs, p: statistics.quantiles(xs, n=100)[p - 1] if len(xs) > 1 else \
        (xs[0] if xs else 0.0)
    return {
        "sessions": sessions, "browsers": browsers, "seconds": seconds,
        "connected": len(opened), "open_s": round(open_s, 2),
        "fps_min": round(min(all_fps), 2) if all_fps else 0.0,
        "fps_p50": round(statistics.median(all_fps), 2) if all_fps else 0.0,
        "fps_mean": round(statistics.fmean(all_fps), 2) if all_fps else 0.0,
        "browser_fps": [round(f, 2) for f in browser_fps],
        "tick_ms_p50": round(q(gaps, 50), 1), "tick_ms_p95": round(q(gaps, 95), 1),
        "server_cpu_percent": round(100 * (cpu1 - cpu0) / (t1 - t0), 1) if pids else None,
        "rss_mb": round(rss_mb(pids), 1) if pids else None,
        "server_processes": len(pids) or None,
        "errors": len(errors), "error_messages": errors[:10], "log_mark": log_mark,
        "machine_ms_before": machine_before,
    }


def soak(url: str, cycles: int, pid: int | None, log_path: Path | None) -> dict:
    """Open a session, let it train a moment, close it; ``cycles`` times. RSS after the
    first 10 cycles (the process warmed up) against RSS at the end, once the server has
    dropped the closed sessions; and how many sessions the server still holds."""
    from tornado.ioloop import IOLoop
    from bokeh.client.util import websocket_url_for_server_url

    loop = IOLoop.current()
    Session = _session_class()
    ws = websocket_url_for_server_url(url)
    pids = process_tree(pid) if pid else []
    errors, rss_start = [], None
    for i in range(cycles):
        try:
            s = Session(websocket_url=ws, io_loop=loop, arguments={"play": "1"})
            s.pull()
            announce_ready(s)
            keep_reading(s)
            loop.run_sync(lambda: _sleep(0.15))
            s.close()
        except Exception as exc:
            errors.append(f"cycle {i}: {exc}")
        if i == 9:
            loop.run_sync(lambda: _sleep(8.0))        # let the server drop the first ones
            rss_start = rss_mb(pids) if pids else None
    loop.run_sync(lambda: _sleep(10.0))               # unused-session lifetime + checks
    rss_end = rss_mb(pids) if pids else None
    left = drawing = None
    if log_path is not None:
        text = log_path.read_text(errors="replace").splitlines()
        lines = [ln for ln in text if " has " in ln and " sessions" in ln]
        if lines:                       # Bokeh's statistics (logged at --log-level debug)
            left = int(lines[-1].split(" has ")[1].split()[0])
        lines = [ln for ln in text if "pages still drawing" in ln]
        if lines:                       # the app's own line when a page's frames stop
            drawing = int(lines[-1].split("; ")[-1].split()[0])
    growth = (100 * (rss_end - rss_start) / rss_start) if rss_start else None
    return {"cycles": cycles, "rss_start_mb": rss_start and round(rss_start, 1),
            "rss_end_mb": rss_end and round(rss_end, 1),
            "rss_growth_percent": growth if growth is None else round(growth, 1),
            "sessions_left": left, "pages_still_drawing": drawing,
            "errors": len(errors), "error_messages": errors[:5]}


async def _sleep(s):
    import asyncio
    await asyncio.sleep(s)


def _check_local(url: str) -> str:
    host = urlparse(url).hostname or ""
    if host not in LOCAL:
        raise SystemExit(f"only localhost may be load-tested, not {host!r}")
    return url


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--url", help="a running server's page (localhost only); default: start one")
    ap.add_argument("--procs", type=int, default=1, help="--num-procs of the server it starts")
    ap.add_argument("--pid", type=int, help="the running server's process id (CPU, RSS)")
    ap.add_argument("--browsers", type=int, default=0, help="headless Chromium pages as well")
    ap.add_argument("--json", help="also write the result to this file")
    ap.add_argument("--soak", type=int, default=0,
                    help="instead: open and close this many sessions one after another")
    a = ap.parse_args(argv)
    if not (1 <= a.sessions <= MAX_SESSIONS and 1 <= a.seconds <= MAX_SECONDS
            and 0 <= a.browsers <= MAX_BROWSERS and 1 <= a.procs <= 16):
        ap.error(f"sessions 1..{MAX_SESSIONS}, seconds 1..{MAX_SECONDS}, "
                 f"browsers 0..{MAX_BROWSERS}, procs 1..16")
    proc, log_path = None, None
    if a.url:
        url, pid = _check_local(a.url), a.pid
    else:
        log_path = Path(tempfile.gettempdir()) / "playground-loadtest-server.log"
        # a soak reads the server's session count from its statistics, logged at debug
        proc, url = start_server(a.procs, log_path,
                                 extra=("--log-level", "debug") if a.soak else ())
        pid = proc.pid
    try:
        if a.soak:
            if not 10 < a.soak <= 2000:
                ap.error("--soak: 11..2000 cycles")
            result = soak(url, a.soak, pid, log_path)
            print(json.dumps(result))
            return result
        result = run(url, a.sessions, a.seconds, a.browsers, pid, log_path)
    finally:
        if proc is not None:
            stop_server(proc)
    if proc is None:
        time.sleep(3.0)                 # a running server lets the closed sessions go
    result["machine_ms_after"] = machine_ms()
    if log_path is not None:
        raw = log_path.read_bytes()
        mark = result.pop("log_mark", None) or len(raw)
        during = raw[:mark].decode(errors="replace").count("Traceback (most recent call last)")
        after = raw[mark:].decode(errors="replace").count("Traceback (most recent call last)")
        if during:              # while the sessions were open: a real error
            result["errors"] += during
            result["error_messages"].append(f"{during} tracebacks in {log_path}")
        result["tracebacks_while_closing"] = after     # sockets closed mid-write: noise
    else:
        result.pop("log_mark", None)
    result["procs"] = a.procs if proc is not None else None
    result["cpu_count"] = os.cpu_count()
    print(f"{result['connected']}/{a.sessions} sessions (+{a.browsers} browsers) for "
          f"{a.seconds:.0f}s: fps min {result['fps_min']}, p50 {result['fps_p50']}; frame "
          f"interval p50 {result['tick_ms_p50']} ms, p95 {result['tick_ms_p95']} ms; server CPU "
          f"{result['server_cpu_percent']}%, RSS {result['rss_mb']} MB; "
          f"errors {result['errors']}")
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
