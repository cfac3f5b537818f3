"""A classroom in a box: N sessions training at once against one playground server.

    python -m playground.loadtest --sessions 60 --seconds 30            # starts its own server
    python -m playground.loadtest --sessions 60 --seconds 30 --procs 2  # … with 2 processes
    python -m playground.loadtest --sessions 20 --seconds 20 --url http://127.0.0.1:5006/app
    python -m playground.loadtest --chaos                               # a fairness run
    python -m playground.loadtest --class --sessions 60                 # class mode

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

``--chaos`` is a fairness run (about 80 s with the defaults, server start included): victim
sessions train the default net (``--victims``, 2), each measured alone first
(``--solo-seconds``), then all together while attackers, each a page in a thread of its
own, do the heaviest thing of every tab: 8 layers of 16 at batch size 1 and the most
epochs per frame; the Digits CNN training while its Filters 1 / Filters 2 / Kernel size
change every ``--change-every`` seconds; the Gradient descent tab's parallel copies at the
maximum with every Play on; the LR finder clicked again every second; pages opened and
closed while their frames stream. The attackers' pages open at once (at most
``--open-timeout`` s, the "opening" part), then run ``--attack-seconds`` (the "running"
part); ``--attackers`` picks some of them, or ``net_and_digits,descent_and_finder``: the
same heavy actions from two pages (the heavy net playing on while its page's Digits CNN
trains and changes shape; the copies playing while their page's LR finder runs).
Reported per victim: epochs/s alone and under attack and their ratio, the longest time
without epoch progress (read from the epoch counter in the frames), frames/s; the server's
RSS (start, max, end, after closing); the tracebacks and "Failed sending message" lines in
the server log while the pages were open. It measures; it judges nothing.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlparse

from .machine import machine_ms

MAX_SESSIONS = 200
MAX_SECONDS = 600
MAX_BROWSERS = 8
WARMUP_S = 3.0          # frames in the first seconds after connecting are not counted
LOCAL = {"127.0.0.1", "localhost", "::1"}
ROOT = Path(__file__).resolve().parents[2]     # the repository (app.py)


# ------------------------------------------------------------------- the server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(procs: int, log_path: Path, timeout: float = 180.0, extra=(), env=None):
    """``panel serve app.py`` on a free local port (``env``: more environment variables);
    returns (process, page URL)."""
    port = free_port()
    cmd = [sys.executable, "-m", "panel", "serve", "app.py", "--port", str(port),
           "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}",
           "--num-procs", str(procs), "--check-unused-sessions", "2000",
           "--unused-session-lifetime", "5000", "--stats-log-frequency", "1000", *extra]
    log = open(log_path, "w")
    # its clients load no page in a browser: the server warms up at once
    env = {**os.environ, "PLAYGROUND_WARMUP_DELAY_S": "0", **(env or {})}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, env=env)
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
def session_class():
    # registers Panel's Bokeh models and its own (the page's widgets), so that the page's
    # document loads
    importlib.import_module("panel.models")
    from bokeh.client.session import ClientSession

    class CountingSession(ClientSession):
        """A client session that only counts the server's document patches (frames)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.frames: list[float] = []

        def _handle_patch(self, message):
            self.frames.append(time.perf_counter())

    return CountingSession


def keep_reading(session, on_frame=None):
    """Read the server's messages while the shared IOLoop runs, counting each document
    patch (a frame); ``on_frame(time, text)`` also sees each frame's JSON text. Bokeh's own
    client reads one message per recursive call, which overflows the stack after about a
    thousand frames; this loop does not."""
    conn = session._connection

    async def reader():
        while True:
            message = await conn._pop_message()
            if message is None:                  # the server closed the connection
                session.dropped = True
                return
            if message.msgtype == "PATCH-DOC":
                t = time.perf_counter()
                session.frames.append(t)
                if on_frame is not None:
                    on_frame(t, getattr(message, "_content_json", "") or "")
                if session.apply_patches:        # new models (a lab's) come this way
                    message.apply_to_document(session.document, session)

    session.dropped = False
    session.apply_patches = getattr(session, "apply_patches", False)
    conn.io_loop.add_callback(reader)


def announce_ready(session):
    """What BokehJS sends once the page is shown: Panel's onload callbacks run on it."""
    from bokeh.document.events import MessageSentEvent
    from bokeh.events import DocumentReady
    event = MessageSentEvent(session.document, "bokeh_event", DocumentReady())
    session._connection._send_patch_document(session.id, event)


# Pages are opened as a browser opens them (``page_session``): their HTML first, then
# their websocket. False: the websocket alone, as a browser's websocket that lands on
# another process of a ``--num-procs`` server than its HTML (its session is made then, its
# page whole at once: ``app.PlaygroundApp._fill_after_request``). ``main``: --ws-only.
HTML_FIRST = True
# A browser connects its websocket once it has loaded and run the page's scripts (3 MB):
# 0.52–0.69 s after the HTML on this project's 2-core machine with the scripts in its
# cache, 0.6–0.9 s without (docs/performance.md). The load test's pages wait this long
# after their HTML, as the quickest browser measured; 0 (``--connect-after 0``): at once,
# sooner than any browser (a page's first screen is then made as it connects, in one go).
CONNECT_AFTER_S = 0.5


def page_session(session_class, ws: str, loop, arguments: dict | None = None):
    """A client session of a new page, pulled: as a browser opens it (``HTML_FIRST``), a
    GET of its page's HTML makes the session (and its page, in its turn: server/
    admission.py), and the websocket attaches to that session by the id in the HTML's
    token; else the websocket alone makes it."""
    if not HTML_FIRST:
        s = session_class(websocket_url=ws, io_loop=loop, arguments=arguments)
        s.pull()
        return s
    from bokeh.util.token import get_session_id
    page = re.sub(r"^ws", "http", ws).removesuffix("/ws")
    if arguments:
        page += "?" + urlencode(arguments)
    with urllib.request.urlopen(page, timeout=120) as r:
        html = r.read().decode("utf-8", "replace")
    found = re.search(r'"token":\s*"([^"]+)"', html)
    if found is None:
        raise RuntimeError(f"no session token in the page of {page}")
    if CONNECT_AFTER_S > 0:                 # the browser loads and runs the scripts
        time.sleep(CONNECT_AFTER_S)
    s = session_class(session_id=get_session_id(found.group(1)), websocket_url=ws,
                      io_loop=loop)
    s.pull()
    return s


def open_session(session_class, ws: str, loop, reader):
    """A session as a browser opens one: its page, pulled, announced ready, then the
    server's messages read with ``reader(session)``."""
    s = page_session(session_class, ws, loop)
    announce_ready(s)
    reader(s)
    return s


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
    Session = session_class()
    ws = websocket_url_for_server_url(url)
    errors: list[str] = []
    opened = []
    machine_before = machine_ms()
    t_open = time.perf_counter()
    for i in range(sessions):
        try:
            opened.append(open_session(Session, ws, loop, keep_reading))
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
            loop.run_sync(lambda: pause(0.2))
    loop.run_sync(lambda: pause(WARMUP_S))
    pids = process_tree(pid) if pid else []
    cpu0, t0 = cpu_seconds(pids), time.perf_counter()
    go.set()
    loop.run_sync(lambda: pause(seconds))
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
    Session = session_class()
    ws = websocket_url_for_server_url(url)
    pids = process_tree(pid) if pid else []
    errors, rss_start = [], None
    for i in range(cycles):
        try:
            s = page_session(Session, ws, loop, {"play": "1"})
            announce_ready(s)
            keep_reading(s)
            loop.run_sync(lambda: pause(0.15))
            s.close()
        except Exception as exc:
            errors.append(f"cycle {i}: {exc}")
        if i == 9:
            loop.run_sync(lambda: pause(8.0))        # let the server drop the first ones
            rss_start = rss_mb(pids) if pids else None
    loop.run_sync(lambda: pause(10.0))               # unused-session lifetime + checks
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


# ------------------------------------------------------------------------- chaos
LAB_WAIT_S = 60.0      # the most an attacker waits for its lab's controls to arrive
ATTACKERS = ("heavy_net", "digits_cnn", "descent_parallel", "lr_finder", "churn")
# the same heavy actions from two pages (the fairness target's "two other pages run the
# heaviest settings of every tab"): 8 layers of 16 playing while its Digits CNN trains and
# changes shape; the Gradient descent tab's copies playing while its LR finder runs again
TWO_PAGES = ("net_and_digits", "descent_and_finder")
HEAVY_NET = {"hidden": ",".join(["16"] * 8), "batch_size": "1", "play": "1"}
EPOCH_TEXT = re.compile(r"Epoch(?:&lt;|<)/small(?:&gt;|>)([0-9,]+)")


def watch_epochs(session):
    """Like ``keep_reading``, and also record (time, epoch) from each frame that carries the
    playground's epoch counter (the ``.pg-epoch`` text, read from the message itself)."""
    session.epochs = []

    def on_frame(t, text):
        found = EPOCH_TEXT.findall(text)
        if found:
            session.epochs.append((t, int(found[-1].replace(",", ""))))

    keep_reading(session, on_frame)


def _models(session, kind: str, label: str):
    """The page's Bokeh models of the Bokeh widget class ``kind`` ("Toggle", "Select", …, or
    a subclass: Panel's menus are CustomSelect) whose label (buttons) or title (sliders,
    menus) is ``label``."""
    import bokeh.models
    cls = getattr(bokeh.models, kind)
    return [m for m in session.document.models if isinstance(m, cls)
            and (getattr(m, "label", None) == label or getattr(m, "title", None) == label)]


def click(session, button):
    """What a click on ``button`` sends (as ``press_play`` does for Play)."""
    from bokeh.document.events import MessageSentEvent
    from bokeh.events import ButtonClick
    event = MessageSentEvent(session.document, "bokeh_event", ButtonClick(button))
    session._connection._send_patch_document(session.id, event)


def _options(select) -> list:
    return [o[0] if isinstance(o, (tuple, list)) else o for o in select.options]


def epoch_rate(samples, t0: float, t1: float) -> tuple[float, float]:
    """From (time, epoch) samples: epochs per second in [t0, t1] and the longest stretch
    (s) in it without epoch progress (window edges count as its ends)."""
    before = [e for t, e in samples if t <= t0]
    inside = [(t, e) for t, e in samples if t0 < t <= t1]
    last = before[-1] if before else (inside[0][1] if inside else 0)
    start, progress = last, [t0]
    for t, e in inside:
        if e > last:
            progress.append(t)
        last = max(last, e)
    progress.append(t1)
    rate = (last - start) / (t1 - t0) if t1 > t0 else 0.0
    return rate, max(b - a for a, b in zip(progress, progress[1:]))


def log_counts(text: str) -> dict:
    return {"tracebacks": text.count("Traceback (most recent call last)"),
            "failed_sending": text.count("Failed sending message")}


class Attacker(threading.Thread):
    """One attacking page in a thread of its own, with its own event loop and websocket (a
    student of its own): it opens, starts its heavy work, repeats its actions until told to
    stop, then closes. Opening under load can take many seconds; the victims, served by the
    main thread, are measured meanwhile."""

    def __init__(self, name: str, ws: str, arguments: dict, start, step=None,
                 every: float = 1.0):
        super().__init__(name=f"chaos-{name}", daemon=True)
        self.label, self.ws, self.arguments = name, ws, arguments
        self.start_fn, self.step_fn, self.every = start, step, every
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.actions = 0
        self.opened_at = None          # perf_counter when its page was open and started
        self.session = None
        self.started = False           # its first heavy action is on (the two-page ones)
        self.left_playground = False   # it went to a lab's tab: its epoch counter not drawn

    def run(self):
        import asyncio
        from tornado.ioloop import IOLoop
        asyncio.set_event_loop(asyncio.new_event_loop())
        loop = IOLoop.current()
        try:
            s = page_session(session_class(), self.ws, loop, self.arguments)
            s.apply_patches = True             # until its controls are there (below)
            announce_ready(s)
            watch_epochs(s)
            self.session = s
            # a link to a lab brings the lab's models at the page's first frame: until
            # then its controls are not there to use ("no … on the … tab")
            deadline = time.perf_counter() + LAB_WAIT_S
            while True:
                try:
                    self.start_fn(self, s)
                    break
                except RuntimeError:
                    if time.perf_counter() > deadline or self.stop.is_set():
                        raise
                    loop.run_sync(lambda: pause(0.1))
            s.apply_patches = False            # then only counted, as a browser's frames
            self.opened_at = time.perf_counter()
            due = self.opened_at + self.every
            while not self.stop.is_set():
                loop.run_sync(lambda: pause(0.1))
                if self.step_fn is not None and time.perf_counter() >= due:
                    due = time.perf_counter() + self.every
                    self.step_fn(self, s)
        except Exception as exc:
            if not self.stop.is_set():
                self.errors.append(f"{self.label}: {type(exc).__name__}: {exc}")
        finally:
            if self.session is not None:
                try:
                    self.session.close()
                    loop.run_sync(lambda: pause(0.2))
                except Exception:
                    pass


def _heavy_net(a: Attacker, s):
    """8 layers of 16, batch size 1, playing (?play=1) at the most epochs per frame."""
    slider = _models(s, "Slider", "Epochs per frame")
    if not slider:
        raise RuntimeError("no 'Epochs per frame' slider")
    slider[0].value = slider[0].end
    a.actions += 1


def _digits_start(a: Attacker, s):
    """The digits CNN training (its Play on), then ``_digits_change``."""
    plays = _models(s, "Toggle", "▶ Play")
    if not plays:
        raise RuntimeError("no Play toggle on the Digits CNN tab")
    for t in plays:
        t.active = True
    _digits_change(a, s)


def _digits_change(a: Attacker, s):
    """Filters 1 / Filters 2 / Kernel size to their next option (each new shape is a new
    program to compile), walking the options from the largest."""
    k = a.actions
    for title in ("Filters1", "Filters2", "Kernel size"):
        found = _models(s, "Select", title)
        if not found:
            raise RuntimeError(f"no {title!r} menu on the Digits CNN tab")
        opts = _options(found[0])[::-1]
        found[0].value = opts[(k + (title == "Kernel size")) % len(opts)]
    a.actions += 1


def _parallel(a: Attacker, s):
    """The Gradient descent tab: parallel copies at the maximum, and every Play on."""
    sliders = _models(s, "Slider", "Copies")
    plays = _models(s, "Toggle", "▶ Play")
    if not sliders or not plays:
        raise RuntimeError("no 'Copies' slider or Play toggle on the Gradient descent tab")
    for slider in sliders:
        slider.value = slider.end
    for t in plays:
        t.active = True
    a.actions += 1


def _finder(a: Attacker, s):
    """The LR finder, clicked again every second (a busy finder ignores the click)."""
    buttons = _models(s, "Button", "Run the finder")
    if not buttons:
        raise RuntimeError("no 'Run the finder' button")
    click(s, buttons[0])
    a.actions += 1


def _show_tab(s, title: str):
    """What a click on the tab ``title`` sends: the page's tabs' ``active``."""
    import bokeh.models
    for tabs in (m for m in s.document.models if isinstance(m, bokeh.models.Tabs)):
        titles = [getattr(t, "title", None) for t in tabs.tabs]
        if title in titles:
            tabs.active = titles.index(title)
            return
    raise RuntimeError(f"no {title!r} tab")


def _net_and_digits(a: Attacker, s):
    """One page, two tabs' heaviest: 8 layers of 16 at batch size 1 playing at the most
    epochs per frame (``_heavy_net``; it trains on, unseen, while another tab is shown),
    then the Digits CNN tab: its training on and its shape changing (``_digits_start``).
    Called again until the Digits tab's controls have come."""
    if not a.left_playground:
        _heavy_net(a, s)
        _show_tab(s, "Digits CNN")
        a.left_playground = True
    _digits_start(a, s)


def _descent_and_finder(a: Attacker, s):
    """One page on the Gradient descent tab: its parallel copies at the maximum, every
    Play on (``_parallel``), and its LR finder run (``_finder``; again every second)."""
    if not a.started:
        _parallel(a, s)
        a.started = True
    _finder(a, s)


class Churn(threading.Thread):
    """Pages opened (playing) and closed again 0.05–0.6 s after their first frame, while
    their frames stream: tabs closed mid-frame, one after another until told to stop."""

    def __init__(self, ws: str):
        super().__init__(name="chaos-churn", daemon=True)
        self.ws, self.stop = ws, threading.Event()
        self.cycles, self.errors = 0, []
        self.label, self.opened_at, self.session, self.actions = "churn", None, None, 0

    def run(self):
        import asyncio
        import random
        from tornado.ioloop import IOLoop
        asyncio.set_event_loop(asyncio.new_event_loop())
        loop, rng = IOLoop.current(), random.Random(0)
        self.opened_at = time.perf_counter()
        while not self.stop.is_set():
            try:
                s = page_session(session_class(), self.ws, loop, {"play": "1"})
                announce_ready(s)
                keep_reading(s)
                deadline = time.perf_counter() + 10
                while not s.frames and time.perf_counter() < deadline \
                        and not self.stop.is_set():
                    loop.run_sync(lambda: pause(0.02))
                loop.run_sync(lambda: pause(rng.uniform(0.05, 0.6)))
                s.close()
                loop.run_sync(lambda: pause(0.05))
                self.cycles += 1
            except Exception as exc:
                if not self.stop.is_set():
                    self.errors.append(f"churn: {type(exc).__name__}: {exc}")
                    time.sleep(0.5)


def chaos(url: str, victims: int, solo_s: float, attack_s: float, change_every: float,
          pid: int | None, log_path: Path | None, open_timeout: float = 30.0,
          only=None) -> dict:
    """A fairness run. ``victims`` sessions train the default net: each is measured alone
    first (Play, ``solo_s`` seconds, Pause; the others paused), then all play while the
    attackers, each in a thread of its own, open their pages (all at once; the "opening"
    part, at most ``open_timeout`` seconds) and then run for ``attack_s`` seconds (the
    "running" part): 8 layers of 16 at batch size 1 and the most epochs per frame;
    the Digits CNN training while its Filters 1 / Filters 2 / Kernel size change every
    ``change_every`` seconds; the Gradient descent tab's parallel copies at the maximum with
    every Play on; the LR finder clicked again every second; and pages opened and closed
    while their frames stream. Per victim: epochs/s alone and under attack (ratio), the
    longest time without epoch progress, frames/s, over the whole attack and over each part.
    ``only``: the names of the attackers to run (default all of ATTACKERS)."""
    from tornado.ioloop import IOLoop
    from bokeh.client.util import websocket_url_for_server_url

    loop = IOLoop.current()
    Session = session_class()
    ws = websocket_url_for_server_url(url)
    errors: list[str] = []
    rss: list[float] = []
    next_rss = [0.0]
    log_text = lambda: log_path.read_text(errors="replace") if log_path else ""
    log0 = len(log_text())

    def sample_rss(force=False):
        now = time.perf_counter()
        if pid and (force or now >= next_rss[0]):
            rss.append(rss_mb(process_tree(pid)))
            next_rss[0] = now + 0.5
        return rss[-1] if rss else None

    def wait(seconds):
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            loop.run_sync(lambda: pause(min(0.1, left)))
            sample_rss()

    rss_start = sample_rss(force=True)
    cpu0 = os.times()
    vs = []
    for i in range(victims):
        try:
            vs.append(open_session(Session, ws, loop, watch_epochs))
        except Exception as exc:
            errors.append(f"victim {i}: {type(exc).__name__}: {exc}")
    solo = []
    for v in vs:                               # each alone on the server
        press_play(v)
        wait(WARMUP_S / 2)                     # its first epochs (and any compile) first
        t0, f0 = time.perf_counter(), len(v.frames)
        wait(solo_s)
        t1 = time.perf_counter()
        solo.append((*epoch_rate(v.epochs, t0, t1), (len(v.frames) - f0) / (t1 - t0)))
        press_play(v)                          # pause
    wait(0.5)
    for v in vs:                               # all play again, then the attack begins
        press_play(v)
    wait(1.0)
    attackers = [Attacker("heavy_net", ws, HEAVY_NET, _heavy_net),
                 Attacker("digits_cnn", ws, {"tab": "digits"}, _digits_start, _digits_change,
                          every=change_every),
                 Attacker("descent_parallel", ws, {"tab": "descent"}, _parallel),
                 Attacker("lr_finder", ws, {"tab": "descent"}, _finder, _finder, every=1.0),
                 Churn(ws),
                 Attacker("net_and_digits", ws, HEAVY_NET, _net_and_digits, _digits_change,
                          every=change_every),
                 Attacker("descent_and_finder", ws, {"tab": "descent"}, _descent_and_finder,
                          _finder, every=1.0)]
    attackers = [a for a in attackers if a.label in (ATTACKERS if only is None else only)]
    t_attack = time.perf_counter()
    for a in attackers:
        a.start()
    deadline = t_attack + open_timeout           # opening the pages is part of the attack
    while time.perf_counter() < deadline and any(
            a.opened_at is None and a.is_alive() for a in attackers):
        wait(0.2)
    t_open = time.perf_counter()
    wait(attack_s)
    t_end = time.perf_counter()
    rss_end = sample_rss(force=True)
    during = log_text()[log0:]
    for a in attackers:
        a.stop.set()
    report = []
    for v, (s_rate, s_stall, s_fps) in zip(vs, solo):
        rate, stall = epoch_rate(v.epochs, t_attack, t_end)
        o_rate, o_stall = epoch_rate(v.epochs, t_attack, t_open)
        r_rate, r_stall = epoch_rate(v.epochs, t_open, t_end)
        report.append({
            "solo_epochs_per_s": round(s_rate, 1),
            "attack_epochs_per_s": round(rate, 1),
            "ratio": round(rate / s_rate, 3) if s_rate else None,
            "solo_longest_stall_s": round(s_stall, 2),
            "attack_longest_stall_s": round(stall, 2),
            "solo_fps": round(s_fps, 1),
            "attack_fps": round(len([f for f in v.frames if t_attack <= f <= t_end])
                                / (t_end - t_attack), 1),
            "opening_epochs_per_s": round(o_rate, 1), "opening_longest_stall_s": round(o_stall, 2),
            "running_epochs_per_s": round(r_rate, 1), "running_longest_stall_s": round(r_stall, 2),
            "dropped": bool(getattr(v, "dropped", False))})
    out = {}
    for a in attackers:
        s = a.session
        frames = [f for f in (s.frames if s is not None else []) if f <= t_end]
        entry = {"open_s": round(a.opened_at - t_attack, 2) if a.opened_at else None,
                 "actions": a.actions}
        if isinstance(a, Churn):
            entry = {"cycles": a.cycles}
        else:
            entry["messages_per_s"] = round(len(frames) / (t_end - a.opened_at), 1) \
                if a.opened_at and t_end > a.opened_at else 0.0
            entry["dropped"] = bool(getattr(s, "dropped", False))
            epochs = [e for t, e in getattr(s, "epochs", []) if t <= t_end]
            if len(epochs) > 1 and not a.left_playground:
                # a playground page shown: its own epoch counter
                entry["epochs_per_s"] = round(epoch_rate(s.epochs, a.opened_at, t_end)[0], 1)
        out[a.label] = entry
    for v in vs:
        try:
            v.close()
        except Exception:
            pass
    for a in attackers:
        a.join(timeout=5)
        errors += a.errors
    wait(3.0)                                  # the server lets the closed pages go
    rss_after = sample_rss(force=True)
    cpu1 = os.times()
    counts, counts_all = log_counts(during), log_counts(log_text()[log0:])
    ratios = [r["ratio"] for r in report if r["ratio"] is not None]
    stalls = [r["attack_longest_stall_s"] for r in report]
    r1 = lambda x: None if x is None else round(x, 1)
    return {
        "mode": "chaos", "victims": report, "attackers": out,
        "victim_ratio_min": min(ratios) if ratios else None,
        "victim_longest_stall_s": max(stalls) if stalls else None,
        "solo_seconds": solo_s, "attack_seconds": round(t_end - t_attack, 1),
        "opening_seconds": round(t_open - t_attack, 1),
        "running_seconds": round(t_end - t_open, 1),
        "change_every_s": change_every,
        "rss_mb": {"start": r1(rss_start), "max": r1(max(rss)) if rss else None,
                   "end": r1(rss_end), "after_close": r1(rss_after)},
        "tracebacks": counts["tracebacks"], "failed_sending": counts["failed_sending"],
        "tracebacks_while_closing": counts_all["tracebacks"] - counts["tracebacks"],
        "failed_sending_while_closing": counts_all["failed_sending"] - counts["failed_sending"],
        "client_cpu_s": round((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system), 1),
        "errors": len(errors), "error_messages": errors[:10],
    }


async def pause(s):
    import asyncio
    await asyncio.sleep(s)


def _check_local(url: str) -> str:
    host = urlparse(url).hostname or ""
    if host not in LOCAL:
        raise SystemExit(f"only localhost may be load-tested, not {host!r}")
    return url


def main(argv=None) -> dict:
    global HTML_FIRST, CONNECT_AFTER_S
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
    ap.add_argument("--chaos", action="store_true",
                    help="instead: a fairness run; victims' epochs/s alone, then beside "
                         "attackers doing the heaviest thing of every tab")
    ap.add_argument("--class", dest="klass", action="store_true",
                    help="instead: class mode; --sessions students join a class and train "
                         "while the teacher's board is open, against the plain app in the "
                         "same run (its own server)")
    ap.add_argument("--victims", type=int, default=2, help="--chaos: victim sessions")
    ap.add_argument("--solo-seconds", type=float, default=3.0,
                    help="--chaos: each victim measured alone for this long")
    ap.add_argument("--attack-seconds", type=float, default=15.0,
                    help="--chaos: the attackers run this long once all are open")
    ap.add_argument("--open-timeout", type=float, default=30.0,
                    help="--chaos: the most seconds the attackers' pages may take to open")
    ap.add_argument("--attackers", default=",".join(ATTACKERS),
                    help="--chaos: which attackers run (comma-separated; default all: "
                         f"{','.join(ATTACKERS)}; or the same heavy actions from two "
                         f"pages: {','.join(TWO_PAGES)})")
    ap.add_argument("--change-every", type=float, default=3.0,
                    help="--chaos: seconds between changes of the Digits CNN's shape")
    ap.add_argument("--ws-only", action="store_true",
                    help="open each page by its websocket alone, not its HTML first as a "
                         "browser does (as a --num-procs server's browser whose websocket "
                         "lands on another process than its HTML)")
    ap.add_argument("--connect-after", type=float, default=CONNECT_AFTER_S,
                    help="seconds between a page's HTML and its websocket, as a browser "
                         f"loads the page's scripts meanwhile (default {CONNECT_AFTER_S}; "
                         "0: at once)")
    a = ap.parse_args(argv)
    HTML_FIRST = not a.ws_only
    if not 0 <= a.connect_after <= 10:
        ap.error("--connect-after: 0..10 seconds")
    CONNECT_AFTER_S = a.connect_after
    only = [n.strip() for n in a.attackers.split(",") if n.strip()]
    if a.chaos and not set(only) <= set(ATTACKERS + TWO_PAGES):
        ap.error(f"--attackers: names from {','.join(ATTACKERS + TWO_PAGES)}")
    if a.chaos and not (1 <= a.victims <= 8 and 1 <= a.solo_seconds <= 60
                        and 2 <= a.attack_seconds <= MAX_SECONDS
                        and 0.5 <= a.change_every <= 60 and 1 <= a.open_timeout <= 300):
        ap.error("--chaos: victims 1..8, solo-seconds 1..60, attack-seconds 2.."
                 f"{MAX_SECONDS}, change-every 0.5..60, open-timeout 1..300")
    if not (1 <= a.sessions <= MAX_SESSIONS and 1 <= a.seconds <= MAX_SECONDS
            and 0 <= a.browsers <= MAX_BROWSERS and 1 <= a.procs <= 16):
        ap.error(f"sessions 1..{MAX_SESSIONS}, seconds 1..{MAX_SECONDS}, "
                 f"browsers 0..{MAX_BROWSERS}, procs 1..16")
    if a.klass:
        if a.url or a.chaos or a.soak or a.browsers:
            ap.error("--class starts its own server; no --url, --chaos, --soak or --browsers")
        from . import loadtest_class
        return loadtest_class.main(a.sessions, a.seconds, a.procs, a.json)
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
        if a.chaos:
            result = chaos(url, a.victims, a.solo_seconds, a.attack_seconds, a.change_every,
                           pid, log_path, a.open_timeout, only)
            result["machine_ms"] = machine_ms()
            result["cpu_count"] = os.cpu_count()
            for i, v in enumerate(result["victims"]):
                print(f"victim {i}: {v['solo_epochs_per_s']} epochs/s alone, "
                      f"{v['attack_epochs_per_s']} under attack (ratio {v['ratio']}); longest "
                      f"stall {v['solo_longest_stall_s']} s alone, "
                      f"{v['attack_longest_stall_s']} s under attack; frames/s "
                      f"{v['solo_fps']} -> {v['attack_fps']}; while the attackers' pages "
                      f"opened ({result['opening_seconds']} s) {v['opening_epochs_per_s']} "
                      f"epochs/s, then ({result['running_seconds']} s) "
                      f"{v['running_epochs_per_s']}")
            r = result["rss_mb"]
            print(f"server RSS {r['start']} MB at start, {r['max']} max, {r['end']} at the end "
                  f"({r['after_close']} after closing); tracebacks {result['tracebacks']}, "
                  f"'Failed sending message' {result['failed_sending']}; attackers "
                  + ", ".join(f"{k} {v}" for k, v in result["attackers"].items())
                  + f"; errors {result['errors']}")
            if a.json:
                Path(a.json).write_text(json.dumps(result, indent=2))
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
            text = raw[:mark].decode(errors="replace")
            first = text[text.index("Traceback (most recent call last)"):][:1500]
            result["error_messages"].append(f"{during} tracebacks in {log_path}; the first: "
                                            f"{first}")
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
