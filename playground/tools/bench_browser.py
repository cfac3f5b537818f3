"""The page in the browser: ``python -m playground.tools.bench_browser [--json PATH] [--reference URL]``.

Starts ``panel serve app.py`` on a free localhost port, drives headless Chromium and
reports what a student sees (also run by ``python -m playground.bench --browser``):

* cold start: seconds from launching the server to the first page's title bar on screen
  (``cold_first_screen_s``: the warming-up page, ``ui/warming.py``) and to its epoch
  counter on screen (``cold_start_s``, after the page has loaded itself again); then (``warmup_done_s``) until the server's log says its warm-up is done, which
  is waited for: what follows is measured on a warm server. A second page on the running
  server: goto to the counter and a usable Play button;
* on-screen updates per second while training (default network and 6 layers of 8): a
  ``requestAnimationFrame`` loop in the page counts the browser's own frames (``raf_fps``)
  and the frames in which the epoch counter's text changed (``updates_per_s``), with the
  epochs per second, the frame interval's p95 and maximum, and the share of the time the
  page's main thread was busy (Chromium's performance metrics);
* click to screen: from a click's ``pointerdown`` (timed in the page) to the first
  animation frame that shows its effect: a layer's "+"/"−" (the layer's neuron count) and
  "+ Add layer"/"− Remove layer" (the count of hidden layers), the data-set tiles and an
  input feature on and off (the epoch counter starts again), and from a ``keydown`` in the
  Lessons menu to the chosen lesson's banner, p50 and p95 in ms;
* a lab tab's first click to its content on screen (its first card), on a page that has
  just appeared, and on one left at rest until each lab's first card is on the page,
  hidden (``labs_ahead_s``; ``tab_<lab>_ahead_ms``).

``--reference URL`` does the same updates/s measurement on another page, e.g.
TensorFlow Playground's official build served from localhost: its epoch counter is
``#iter-number``, its play button ``#play-pause-button``; a URL without ``#`` is measured
with the default network (4,2) and with 6 layers of 8 (``networkShape`` in the hash).

Pages may only reach localhost: any other request is aborted (and counted). The figures
are printed and written as JSON (default ``bench_browser.json``).
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from .loadtest import free_port, stop_server
from .machine import machine_ms, report

ROOT = Path(__file__).resolve().parents[2]     # the repository (app.py)
CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1000}
LOCAL = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOAD_TIMEOUT_MS = 120_000
EPOCH = ".pg-epoch"
SETUPS = {"default": "?play=1", "6x8": "?play=1&hidden=8,8,8,8,8,8"}
# TensorFlow Playground keeps its whole state in the URL hash (src/state.ts serialize());
# these are its defaults, with the hidden layers set by networkShape
TFP_HASH = ("#activation=tanh&batchSize=10&dataset=circle&regDataset=reg-plane&"
            "learningRate=0.03&regularizationRate=0&noise=0&networkShape={shape}&seed=0.12345&"
            "showTestData=false&discretize=false&percTrainData=50&x=true&y=true&"
            "xTimesY=false&xSquared=false&ySquared=false&cosX=false&sinX=false&cosY=false&"
            "sinY=false&collectStats=false&problem=classification&initZero=false&"
            "hideText=false")
TFP_SHAPES = {"default": "4,2", "6x8": "8,8,8,8,8,8"}
TFP_EPOCH, TFP_PLAY = "#iter-number", "#play-pause-button"
# a data-set click is timed from a counter at least this far, so its reset reads lower
RESET_FROM = 25
FEATURE_CLICKED = "X₁²"          # its button in the input features, turned on and off
LESSONS_MENU, LESSON_BANNER = "Lessons", ".pg-lesson-banner"
TABS = {"neurons": "Neuron lab", "descent": "Gradient descent", "convolution": "Convolution",
        "digits": "Digits CNN"}
AHEAD_WAIT_S = 30        # how long a page at rest may take to have every lab's first card
AHEAD_PAUSE_S = 2.0      # from the click back to the playground to the next lab's

# In-page helpers: find elements through every shadow root (Bokeh and Panel render into
# them), keep the element found until it leaves the document, and time clicks from their
# pointerdown to the first animation frame whose probe differs.
HELPERS = r"""
() => {
  if (window.__bench) return;
  const cache = {};
  function deepAll(sel, root, out) {
    root.querySelectorAll(sel).forEach(e => out.push(e));
    root.querySelectorAll('*').forEach(e => {
      if (e.shadowRoot) deepAll(sel, e.shadowRoot, out);
    });
    return out;
  }
  // shown: laid out, and not in a part of the page the browser skips (a hidden tab's box)
  const visible = e => e.isConnected && e.getClientRects().length > 0 &&
    (!e.checkVisibility || e.checkVisibility());
  // find(sel): the first visible match, kept while it stays in the document (and, with
  // shown, while it stays visible: a check that makes the browser lay the page out)
  // A pane that re-renders replaces the element with a new one in the same (shadow) root:
  // look there first, not through the whole document (a search of every shadow root,
  // every animation frame, was a tenth of the page's main thread while measuring it)
  const roots = {};
  function find(sel, shown) {
    const c = cache[sel];
    if (c && (shown ? visible(c) : c.isConnected)) return c;
    const r = roots[sel];
    let e = null;
    if (r && (r.host ? r.host.isConnected : true)) {
      e = Array.from(r.querySelectorAll(sel)).find(visible) || null;
    }
    if (!e) e = deepAll(sel, document, []).find(visible) || null;
    cache[sel] = e;
    if (e) roots[sel] = e.getRootNode();
    return e;
  }
  const text = (sel, shown) => {
    const e = find(sel, shown);
    return e ? e.textContent.trim() : '';
  };
  const number = s => { const d = s.replace(/[^0-9]/g, ''); return d ? Number(d) : null; };
  // probe(kind, sel): the text that a click is expected to change
  const probe = (kind, sel) => text(sel, kind === 'appear');
  function changed(kind, before, now) {
    if (kind === 'epoch') {                 // reset: the counter went down
      const a = number(before), b = number(now);
      return a !== null && b !== null && b < a;
    }
    if (kind === 'appear') return now !== before && now !== '';
    return now !== before;
  }
  // watch(kind, sel, timeoutMs, event): every pointerdown (or keydown) from now on starts
  // a clock, and rAF polls the probe until it changes (results[i].ms) or timeoutMs pass
  // (ms: null)
  let listener = null, listened = null;
  function watch(kind, sel, timeoutMs, event) {
    unwatch();
    const results = window.__bench.results = [];
    listener = ev => {
      const t0 = performance.now();
      const r = {before: probe(kind, sel), t0};
      results.push(r);
      const step = () => {
        const now = probe(kind, sel);
        const t = performance.now();
        if (changed(kind, r.before, now)) Object.assign(r, {ms: t - t0, after: now});
        else if (t - t0 > timeoutMs) Object.assign(r, {ms: null, after: now});
        else requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    };
    listened = event || 'pointerdown';
    document.addEventListener(listened, listener, true);
  }
  function unwatch() {
    if (listener) document.removeEventListener(listened, listener, true);
    listener = null;
  }
  const done = i => { const r = window.__bench.results[i]; return !!r && r.ms !== undefined; };
  // frames(sel, seconds): the browser's animation frames and those in which sel's text changed
  function frames(sel, seconds) {
    return new Promise(resolve => {
      let t0 = null, prev = null, n = 0, changes = 0, last = null, first = null;
      const gaps = [];
      const step = now => {
        if (t0 === null) { t0 = now; first = text(sel); last = first; }
        else {
          const s = text(sel);
          if (s !== last) changes++;
          last = s; n++;
          gaps.push(now - prev);
        }
        prev = now;
        if (now - t0 >= seconds * 1000) {
          resolve({frames: n, changes, seconds: (now - t0) / 1000, first, last, gaps});
        } else requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    });
  }
  window.__bench = {find, text, number, watch, unwatch, done, frames, deepAll, visible};
}
"""
# From the page's first animation frame on: when (ms since navigation started) the epoch
# counter is first on screen, and when a Play (or Pause) button is first usable.
ON_LOAD = r"""
(() => {
  const seen = window.__load = {};
  // absolute times (ms since 1970) survive the page's loading again (the warming-up page)
  const now = () => performance.timeOrigin + performance.now();
  try { const h = sessionStorage.getItem('pgHeaderAt'); if (h) seen.header_at = +h; } catch (e) {}
  const look = () => {
    const b = window.__bench;
    // the frame's own time: what this frame finds was on screen at its start (the searches
    // below take tens of ms on a page of 20,000 elements, and are not the page's)
    const t = performance.now(), at = now();
    if (seen.header_at === undefined && b.find('.pg-header', true)) {
      seen.header_at = at;
      try { sessionStorage.setItem('pgHeaderAt', String(seen.header_at)); } catch (e) {}
    }
    if (seen.epoch === undefined && b.find('.pg-epoch', true)) {
      seen.epoch = t;
      seen.epoch_at = at;
    }
    if (seen.play === undefined && b.deepAll('button', document, []).some(e =>
        /^(Play|Pause)$/.test(e.textContent.trim()) && !e.disabled && b.visible(e))) {
      seen.play = t;
    }
    if (seen.epoch === undefined || seen.play === undefined) requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})();
"""


# ------------------------------------------------------------------ the browser side
def _is_local(url: str) -> bool:
    if url.startswith(("data:", "blob:", "about:")):
        return True
    host = urlparse(url).hostname or ""
    return host in LOCAL or f"[{host}]" in LOCAL


def new_page(browser, foreign: list | None = None):
    """A page in a fresh context that may only reach localhost (other requests aborted)."""
    context = browser.new_context(viewport=VIEWPORT)
    foreign = foreign if foreign is not None else []

    def route(r):
        if _is_local(r.request.url):
            r.continue_()
        else:
            foreign.append(r.request.url)
            r.abort()
    context.route("**/*", route)
    return context.new_page()


def _helpers(page):
    page.evaluate(HELPERS)


def _wait_text(page, sel: str, pred: str = "s => s !== ''", timeout_ms: int = 60_000):
    """Wait until pred(text of sel) holds (sel found through shadow roots)."""
    page.wait_for_function(f"([sel]) => ({pred})(window.__bench.text(sel))", arg=[sel],
                           timeout=timeout_ms, polling="raf")


def open_app(browser, url: str, timeout_ms: int = LOAD_TIMEOUT_MS):
    """goto url; returns (page, seconds from the start of the navigation to the epoch
    counter on screen, and to a usable Play button), timed in the page."""
    page = new_page(browser)
    page.add_init_script(f"({HELPERS})();\n{ON_LOAD}")
    page.goto_started = time.perf_counter()
    page.goto(url, timeout=timeout_ms, wait_until="commit")
    page.wait_for_function("() => window.__load.epoch !== undefined && "
                           "window.__load.play !== undefined", timeout=timeout_ms,
                           polling=100)
    seen = page.evaluate("() => window.__load")
    page.load_seen = seen           # with absolute times: header_at, epoch_at (ms since 1970)
    return page, seen["epoch"] / 1000, seen["play"] / 1000


def _main_thread(cdp) -> dict:
    """Chromium's cumulative main-thread seconds (all tasks, script, layout, style)."""
    m = {x["name"]: x["value"] for x in cdp.send("Performance.getMetrics")["metrics"]}
    return {k: m.get(k, 0.0) for k in ("TaskDuration", "ScriptDuration", "LayoutDuration",
                                       "RecalcStyleDuration")}


def frames(page, sel: str, seconds: float) -> dict:
    """Count animation frames and frames with a new text in sel for `seconds`: the
    browser's frame rate, the on-screen updates per second, the counter's epochs per second,
    the longest frame intervals, and the share of the time the page's main thread was busy
    (all tasks; script; layout and style), from Chromium's performance metrics."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    m0 = _main_thread(cdp)
    r = page.evaluate("([sel, s]) => window.__bench.frames(sel, s)", [sel, seconds])
    m1 = _main_thread(cdp)
    cdp.detach()
    e0 = int(re.sub(r"\D", "", r["first"]) or 0)
    e1 = int(re.sub(r"\D", "", r["last"]) or 0)
    gaps = sorted(r["gaps"]) or [0.0]
    busy = lambda *keys: round(100 * sum(m1[k] - m0[k] for k in keys) / r["seconds"], 1)
    return {"raf_fps": round(r["frames"] / r["seconds"], 1),
            "updates_per_s": round(r["changes"] / r["seconds"], 1),
            "epochs_per_s": round((e1 - e0) / r["seconds"], 1),
            "frame_ms_p95": round(gaps[min(len(gaps) - 1, int(0.95 * len(gaps)))], 1),
            "frame_ms_max": round(gaps[-1], 1),
            "main_thread_busy_pct": busy("TaskDuration"),
            "script_pct": busy("ScriptDuration"),
            "layout_style_pct": busy("LayoutDuration", "RecalcStyleDuration"),
            "seconds": round(r["seconds"], 2)}


def _wait_training(page, sel: str, timeout_ms: int = 60_000):
    """Until the counter is past 0 and moves again."""
    _wait_text(page, sel, "s => /[1-9]/.test(s)", timeout_ms)
    start = page.evaluate("sel => window.__bench.text(sel)", sel)
    page.wait_for_function("([sel, s]) => window.__bench.text(sel) !== s", arg=[sel, start],
                           timeout=timeout_ms, polling="raf")


def updates(page, seconds: float, warm_s: float = 1.0) -> dict:
    """On a playing page: wait until training runs, then count frames and updates."""
    _wait_training(page, EPOCH)
    page.wait_for_timeout(warm_s * 1000)
    return frames(page, EPOCH, seconds)


def reference_updates(browser, url: str, seconds: float, warm_s: float = 1.0,
                      epoch: str = TFP_EPOCH, play: str = TFP_PLAY) -> dict:
    """The same measurement on another page: press its play button, then count."""
    foreign: list = []
    page = new_page(browser, foreign)
    try:
        page.goto(url, timeout=LOAD_TIMEOUT_MS, wait_until="load")
        page.locator(epoch).wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)
        _helpers(page)
        page.locator(play).click()
        _wait_training(page, epoch)
        page.wait_for_timeout(warm_s * 1000)
        out = frames(page, epoch, seconds)
        out["blocked_requests"] = len(foreign)
        return out
    finally:
        page.context.close()


def click_series(page, targets: list, n: int, kind: str, sel: str, pause_ms: int = 0,
                 ready: str = "true", timeout_ms: int = 5000) -> list:
    """Click targets[i % len(targets)] n times; each click waits for the previous one's
    effect, then for `ready` (a JS expression) and pause_ms. A target is a locator, a
    point (x, y) clicked with the mouse, or a key (a string) pressed where the focus is.
    Returns, per click, the ms from its pointerdown (keydown) to the first animation frame
    where the probe changed (None: no change in timeout_ms)."""
    event = "keydown" if all(isinstance(t, str) for t in targets) else "pointerdown"
    page.evaluate("([k, s, t, e]) => window.__bench.watch(k, s, t, e)",
                  [kind, sel, timeout_ms, event])
    try:
        for i in range(n):
            target = targets[i % len(targets)]
            if isinstance(target, str):
                page.keyboard.press(target)
            elif isinstance(target, tuple):
                page.mouse.click(*target)
            else:
                target.click()
            page.wait_for_function(f"i => window.__bench.done(i) && ({ready})", arg=i,
                                   timeout=timeout_ms + 30_000, polling=20)
            if pause_ms and i < n - 1:
                time.sleep(pause_ms / 1000)
        return [r["ms"] for r in page.evaluate("() => window.__bench.results")]
    finally:
        page.evaluate("() => window.__bench.unwatch()")


def _centre(locator) -> tuple[float, float]:
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _pcts(ms: list) -> dict:
    got = sorted(m for m in ms if m is not None)
    if not got:
        return {"p50": None, "p95": None, "n": 0, "missed": len(ms)}
    p95 = statistics.quantiles(got, n=20, method="inclusive")[-1] if len(got) > 1 else got[0]
    return {"p50": round(statistics.median(got), 1), "p95": round(p95, 1), "n": len(got),
            "missed": len(ms) - len(got)}


def clicks(page, n: int, pause_ms: int) -> dict:
    """Click-to-screen on a warm page that trains: a hidden layer's "+" and "−" in turn
    (its neuron count changes), then "+ Add layer" and "− Remove layer" in turn (the count
    of hidden layers changes, a layer's column comes and goes), then the data-set tiles
    XOR and Circle in turn (the epoch counter starts again), then the X₁² feature on and
    off (the network is made again: the counter starts again), then the first two lessons
    in turn (their banner's text changes)."""
    _wait_training(page, EPOCH)
    # the buttons stay where they are: click their centres with the mouse (a real click,
    # without Playwright's checks before each one)
    plus = _centre(page.get_by_role("button", name="+", exact=True).first)
    minus = _centre(page.get_by_role("button", name="−", exact=True).first)
    _wait_text(page, ".pg-layer-label")
    layer = click_series(page, [plus, minus], n, "text", ".pg-layer-label", pause_ms)
    out = {f"click_layer_ms_{k}": v for k, v in _pcts(layer).items()}
    layers = [_centre(page.get_by_role("button", name=name, exact=True))
              for name in ("+ Add layer", "− Remove layer")]
    added = click_series(page, layers, n, "text", ".pg-layer-count", pause_ms)
    out.update({f"click_add_layer_ms_{k}": v for k, v in _pcts(added).items()})
    tiles = [_centre(page.get_by_role("button", name=name, exact=True).first)
             for name in ("XOR", "Circle")]
    # before each tile's click the counter must be well past 0 again, so that its reset
    # shows as a lower number even when the first frame after it comes late (on a loaded
    # machine a frame after a reset at epoch 2 could already read 3: a reset not seen)
    ready = f"window.__bench.number(window.__bench.text({EPOCH!r})) >= {RESET_FROM}"
    page.wait_for_function(f"() => {ready}", timeout=60_000, polling="raf")
    data = click_series(page, tiles, n, "epoch", EPOCH, pause_ms, ready=ready)
    out.update({f"click_dataset_ms_{k}": v for k, v in _pcts(data).items()})
    # an input feature on and off: the network is made again, its counter starts again
    feature = _centre(page.get_by_role("button", name=FEATURE_CLICKED, exact=True).first)
    page.wait_for_function(f"() => {ready}", timeout=60_000, polling="raf")
    few = max(2, n // 2)        # fewer of these two: the bench stays within its time
    feats = click_series(page, [feature], few, "epoch", EPOCH, pause_ms, ready=ready)
    out.update({f"click_feature_ms_{k}": v for k, v in _pcts(feats).items()})
    # a lesson chosen from the keyboard in its menu, the first two in turn (last: its
    # banner across the top moves the page down): to its banner on screen
    menu = page.get_by_role("combobox", name=LESSONS_MENU, exact=True)
    menu.select_option(index=1)
    _wait_text(page, LESSON_BANNER)
    menu.focus()
    lessons = click_series(page, ["ArrowDown", "ArrowUp"], few, "text", LESSON_BANNER,
                           pause_ms)
    out.update({f"click_lesson_ms_{k}": v for k, v in _pcts(lessons).items()})
    return out


def tabs(page, labs=tuple(TABS)) -> dict:
    """The first click on each lab tab (rendered on that click) to its intro on screen."""
    out = {}
    for key in labs:
        label = TABS[key]
        ms, = click_series(page, [page.locator(".bk-tab", has_text=label)], 1, "appear",
                           ".pg-tab-intro", timeout_ms=30_000)
        out[f"tab_{key}_ms"] = None if ms is None else round(ms, 1)
        # ... and to its lab's first card (the lab itself, set up after its introduction)
        page.wait_for_function("() => window.__bench.find('.pg-card', true) !== null",
                               timeout=60_000, polling="raf")
        out[f"tab_{key}_lab_ms"] = round(page.evaluate(
            "() => performance.now() - window.__bench.results[0].t0"), 1)
    return out


# the cards in each tab box after the playground's (one box per lab, in TABS' order): a
# lab's first card is put on the page before its tab is first clicked (``app.AHEAD_LABS``),
# hidden until then
LABS_ON_PAGE = r"""
() => window.__bench.deepAll('.pg-tab-box', document, []).slice(1)
  .map(b => window.__bench.deepAll('.pg-card', b.shadowRoot || b, []).length)
"""


def labs_ahead(page, labs=tuple(TABS), wait_s: float = AHEAD_WAIT_S) -> float | None:
    """Seconds until the first card of each lab of ``labs`` is on the page (hidden until
    its tab is clicked), or None if not within ``wait_s``."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < wait_s:
        on_page = page.evaluate(LABS_ON_PAGE)
        if all(on_page[i] for i, key in enumerate(TABS) if key in labs):
            return round(time.perf_counter() - t0, 2)
        time.sleep(0.25)
    return None


def tabs_ahead(page, labs=tuple(TABS), wait_s: float = AHEAD_WAIT_S,
               pause_s: float = AHEAD_PAUSE_S) -> dict:
    """A page left at rest: seconds until the first card of each lab of ``labs`` is on the
    page, hidden (``labs_ahead_s``, None if not within ``wait_s``), then each lab tab's
    first click to its first card on screen (``tab_<lab>_ahead_ms``), as `tabs` measures
    it. Between two
    labs the Playground tab is clicked, ``pause_s`` before the next lab: a lab shown gets
    its other cards, one after another, which the browser takes seconds to draw (a click
    on another lab meanwhile waits for the one being drawn, as on any page); they stop
    coming once its tab is left."""
    out = {"labs_ahead_s": labs_ahead(page, labs, wait_s)}
    for i, key in enumerate(labs):
        if i:       # back to the playground first: the last lab's other cards stop coming
            page.locator(".bk-tab", has_text="Playground").first.click()
            time.sleep(pause_s)
        out[f"tab_{key}_ahead_ms"] = tabs(page, (key,))[f"tab_{key}_lab_ms"]
    return out


# ------------------------------------------------------------------- the server side
def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


WARMUP_TIMEOUT_S = 240


def wait_for_warmup(log_path: Path, t0: float, timeout_s: float) -> float | None:
    """Seconds from the server's launch (``t0``) until its log says the warm-up is done
    (``server/warm.DONE``), or None if it did not within ``timeout_s``."""
    from ..server.warm import DONE
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        try:
            if DONE in Path(log_path).read_text(errors="replace"):
                return round(time.perf_counter() - t0, 1)
        except OSError:
            pass
        time.sleep(0.25)
    return None


def launch(log_path: Path):
    """``panel serve app.py`` on a free port, not waited for; returns (process, base, t0)."""
    port = free_port()
    cmd = [sys.executable, "-m", "panel", "serve", "app.py", "--port", str(port),
           "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}"]
    log = open(log_path, "w")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    return proc, f"http://127.0.0.1:{port}", t0, port


def measure(base: str | None = None, browser=None, seconds: float = 5.0, clicks_n: int = 20,
            pause_ms: int = 400, references: list[str] = (), log_path: Path | None = None,
            warm_s: float = 1.0, setups=tuple(SETUPS), labs=tuple(TABS),
            ahead_wait_s: float = AHEAD_WAIT_S) -> dict:
    """All the figures. With `base` (a running server's http://host:port) the server is not
    started (and there is no cold start); with `browser` that browser is used. `setups`
    (keys of SETUPS, "default" first) and `labs` (keys of TABS) choose what is measured."""
    t_start = time.perf_counter()
    res = {"date": datetime.date.today().isoformat(), "cpus": os.cpu_count(),
           "machine": platform.machine(), "commit": _commit(),
           "machine_ms_before": machine_ms()}
    proc = None
    log_path = log_path or Path(tempfile.gettempdir()) / "bench-browser-serve.log"
    pw = None
    try:
        if browser is None:
            from playwright.sync_api import sync_playwright
            pw = sync_playwright().start()
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=CHROMIUM_ARGS)
        res["chromium"] = browser.version
        if base is None:
            proc, base, t0, port = launch(log_path)
            deadline = t0 + 180
            while not _port_open(port):
                if proc.poll() is not None:
                    raise RuntimeError(f"the server exited: see {log_path}")
                if time.perf_counter() > deadline:
                    raise RuntimeError("the server did not listen within 180 s")
                time.sleep(0.05)
            res["server_listening_s"] = round(time.perf_counter() - t0, 2)
            wall0 = time.time() - (time.perf_counter() - t0)    # the launch, in wall time
            page, t_epoch, _ = open_app(browser, f"{base}/app")
            seen = page.load_seen
            # the page may have loaded twice (the warming-up page first): wall times
            res["cold_start_s"] = round(seen["epoch_at"] / 1000 - wall0, 2)
            res["cold_first_screen_s"] = round(seen["header_at"] / 1000 - wall0, 2)
            page.context.close()
            # the first page starts the server's warm-up (compiles in the background, for a
            # minute or so on 2 cores): what follows is measured on a warm server, as a
            # class finds it after its first minute
            res["warmup_done_s"] = wait_for_warmup(log_path, t0, WARMUP_TIMEOUT_S)
        # a second page, which then trains: updates/s, then clicks while it trains
        page, t_epoch, t_play = open_app(browser, f"{base}/app{SETUPS['default']}")
        res["second_page_epoch_s"] = round(t_epoch, 2)
        res["second_page_s"] = round(t_play, 2)
        try:
            r = updates(page, seconds, warm_s)
            res.update({f"{k}_default": v for k, v in r.items() if k != "seconds"})
            res.update(clicks(page, clicks_n, pause_ms))
        finally:
            page.context.close()
        for name in setups:
            if name == "default":
                continue
            page, _, _ = open_app(browser, f"{base}/app{SETUPS[name]}")
            try:
                r = updates(page, seconds, warm_s)
            finally:
                page.context.close()
            res.update({f"{k}_{name}": v for k, v in r.items() if k != "seconds"})
        for i, url in enumerate(references):
            pre = "reference" if i == 0 else f"reference{i + 1}"
            if "#" in url:
                r = reference_updates(browser, url, seconds, warm_s)
                res[f"{pre}_url"] = url
                res.update({f"{pre}_{k}": v for k, v in r.items() if k != "seconds"})
            else:
                res[f"{pre}_url"] = url
                for name in setups:
                    r = reference_updates(browser, url + TFP_HASH.format(shape=TFP_SHAPES[name]),
                                          seconds, warm_s)
                    res.update({f"{pre}_{k}_{name}": v for k, v in r.items()
                                if k != "seconds"})
        # a page at rest: the lab tabs. Opened a minute or more after the first page, when
        # the server's warm-up is done: a new page on a running server
        page, t_epoch, t_play = open_app(browser, f"{base}/app")
        res["late_page_epoch_s"] = round(t_epoch, 2)
        res["late_page_s"] = round(t_play, 2)
        try:
            res.update(tabs(page, labs))
        finally:
            page.context.close()
        # ... and a page left at rest until its labs' first cards are on it, hidden
        page, _, _ = open_app(browser, f"{base}/app")
        try:
            res.update(tabs_ahead(page, labs, ahead_wait_s))
        finally:
            page.context.close()
        res["measure_seconds"] = seconds
    finally:
        if pw is not None:
            browser.close()
            pw.stop()
        if proc is not None:
            stop_server(proc)
    res["machine_ms_after"] = machine_ms()
    res["bench_browser_s"] = round(time.perf_counter() - t_start, 1)
    return res


def _commit() -> str | None:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                             capture_output=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, text=True, capture_output=True,
                               timeout=10).stdout.strip()
        return (sha + ("+uncommitted" if dirty else "")) or None
    except (OSError, subprocess.SubprocessError):
        return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default="bench_browser.json", help="where to write the figures")
    ap.add_argument("--seconds", type=float, default=5.0,
                    help="how long each updates/s measurement runs (default 5)")
    ap.add_argument("--clicks", type=int, default=20, help="clicks of each kind (default 20)")
    ap.add_argument("--reference", action="append", default=[], metavar="URL",
                    help="also measure this page's updates/s (e.g. TensorFlow Playground "
                         "served on localhost; without '#', its default and 6x8 networks)")
    ap.add_argument("--url", help="a running server (http://127.0.0.1:PORT): no cold start")
    args = ap.parse_args(argv)
    for url in args.reference + ([args.url] if args.url else []):
        if not _is_local(url):
            ap.error(f"only localhost pages may be measured: {url}")
    res = measure(base=args.url and args.url.rstrip("/").removesuffix("/app"),
                  seconds=args.seconds, clicks_n=args.clicks, references=args.reference)
    return report(res, args.json)


if __name__ == "__main__":
    main()
