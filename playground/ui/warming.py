"""The page a browser gets while its server is still cold: never a blank page.

A server just started has made no page yet. Its first page costs seconds that later pages
do not: JAX and the package are imported (about 1 s), and every small computation of a
new network (its data set, its first weights, its first evaluation) is compiled the first
time (2–3 s on 2 cores, up to 9 s when JAX's compilation cache on disk is empty). Made on
the server's event loop as a browser asked for it, that page kept the browser blank for
all of it (the page on screen 6.5 s after ``panel serve app.py``; 10.8 s on an empty cache).

So, while no page has been made in the process, a browser's page request gets this small
page at once: static HTML, its style and a few lines of script (``page_html``), with the
title bar and "Warming up…", what is happening and why, and the set-up's main choices, usable
at once. It is the page's Bokeh document's template (``serve``), with no Bokeh in it: a page
of Panel's own took 1.5–2 s more to show, its 3 MB of scripts loaded and evaluated while
the server was importing and compiling. The server's set-up and its first page are made
meanwhile in a thread of their own (``in_background``, then ``parts.Spare``). The page asks
the server every POLL_MS whether a page has been made, with a request that carries
PROBE_HEADER (answered one word, ``serve_probe``: nothing is made for it), and once one has,
loads the page again, with its link, and gets it. A browser's page request is one that
accepts HTML; a Bokeh client connecting its websocket directly (the load test's sessions)
or a script's plain request gets the page as before: neither could load it again.
"""
from __future__ import annotations

import html
import json
import logging
import threading
import time

from . import theme
from .labels import ACTIVATION_LABELS, DATASET_LABELS

TITLE_SUFFIX = " (warming up)"     # in the warming page's <title>: a script can wait for its end
POLL_MS = 150                      # how often the page asks whether a page has been made
LIMIT_S = 120.0                    # after this the page loads again anyway (the server makes one)

MESSAGE = ("<b>Warming up…</b> The server has just started and is preparing its first "
           "page: the network's computations are compiled once, the first time, and every "
           "page after this one opens at once. This page opens the playground by itself in "
           "a few seconds.")

# The set-up a student may choose while the server warms up: each choice goes into the
# page's link at once, in the browser (the server may be too busy to answer), and the
# page that loads next opens with it. (query key, label, {value: words}, default, tip)
CHOICES = (
    ("dataset", "Data set", DATASET_LABELS, "circle",
     "The points the network learns to separate (or, for Plane, Multi-Gauss and Sine, "
     "the values it learns to predict)."),
    ("hidden", "Hidden layers", {"": "none (a straight line)", "4": "4", "4,2": "4, 2",
                                 "8,8": "8, 8", "8,8,8": "8, 8, 8",
                                 "8,8,8,8,8,8": "6 layers of 8"}, "4,2",
     "How many neurons each hidden layer has. More layers can draw more curved "
     "boundaries; none is a linear model."),
    ("activation", "Activation", ACTIVATION_LABELS, "tanh",
     "What each hidden neuron does with its weighted sum: Tanh and Sigmoid are smooth "
     "S-curves, ReLU keeps only the positive part."),
    ("learning_rate", "Learning rate", {v: v for v in ("0.001", "0.003", "0.01", "0.03",
                                                       "0.1", "0.3", "1")}, "0.03",
     "How big each step of gradient descent is: too small learns slowly, too big "
     "overshoots."),
)
CHOICE_NOTE = ("While you wait, choose a set-up: the playground opens with it (and your "
               "link keeps it).")
PROBE_HEADER = "X-Playground-Probe"    # a warming-up page's question: is a page made?
PROBE_READY, PROBE_WAIT = "ready", "wait"  # its answers ("wait 150": ask again in 150 ms)
SCRIPTS_MARK = "<!-- the playground's scripts -->"   # in page_html: their tags, not run
PROBE_BUDGET_PER_S = 10.0  # probes answered a second, all warming-up pages together
PROBE_NAME_CHARS = 40      # a page's name in its probes, at most

PAGE_STYLE = """
body { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial,
  sans-serif; margin: 4px 5px; color: #222; }
.pg-waiting { display: flex; align-items: center; gap: 12px; margin: 10px 0; }
.pg-warming { font-size: 15px; padding: 10px 14px; max-width: 760px; }
.pg-spinner { flex: none; width: 22px; height: 22px; border-radius: 50%;
  border: 3px solid #cfe2ef; border-top-color: #0877bd;
  animation: pg-spin 0.9s linear infinite; }
@keyframes pg-spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .pg-spinner { animation: none; } }
.pg-choices { padding: 6px 8px; margin: 4px 0; max-width: 816px; }
.pg-menus { display: flex; flex-wrap: wrap; gap: 6px 14px; margin-top: 6px; }
.pg-choice { display: flex; flex-direction: column; font-size: 13px; gap: 2px; }
.pg-choice select { width: 160px; font-size: 13px; padding: 3px 4px; }
"""

# Each menu's change goes into the page's link (off it: the default), in the browser; the
# server is asked whether a page has been made (again after the wait it answers), and once
# one has, the page loads again.
PAGE_JS = """
(function () {
  for (const menu of document.querySelectorAll("select[name]")) {
    menu.addEventListener("change", function () {
      const url = new URL(window.location.href);
      if (menu.value === menu.dataset.default) url.searchParams.delete(menu.name);
      else url.searchParams.set(menu.name, menu.value);
      window.history.replaceState(window.history.state, "", url.toString());
    });
  }
  const started = Date.now();
  const name = Math.random().toString(36).slice(2, 12);
  async function ask() {
    let answer = "";
    try {
      const reply = await fetch(window.location.href,
                                {headers: {[%(header)s]: name}, cache: "no-store"});
      if (reply.ok) answer = (await reply.text()).trim();
    } catch (e) { /* the server is busy or restarting: ask again */ }
    if (answer === %(ready)s || Date.now() - started > %(limit)d) {
      window.location.reload();
      return;
    }
    const wait = parseInt(answer.split(" ")[1], 10);
    window.setTimeout(ask, wait > 0 ? Math.min(wait, 60000) : %(poll)d);
  }
  window.setTimeout(ask, %(poll)d);
  // the playground's scripts into the browser's cache meanwhile (not run): the page that
  // loads next finds them there
  window.addEventListener("load", function () {
    const kept = document.getElementById("pg-scripts");
    for (const script of kept ? kept.content.querySelectorAll("script[src]") : []) {
      const link = document.createElement("link");
      link.rel = "prefetch";
      link.href = script.getAttribute("src");
      document.head.appendChild(link);
    }
  });
})();
"""

MADE = threading.Event()        # a page of the playground has been made in this process
FAILED = threading.Event()      # the set-up in the background failed (the log says why)
_background: threading.Thread | None = None
_background_lock = threading.Lock()
log = logging.getLogger("playground")


def _request(doc):
    """The request that opened ``doc``'s session, or None (a page made outside a server)."""
    context = getattr(doc, "session_context", None) if doc is not None else None
    return getattr(context, "request", None) if context is not None else None


def _headers(doc) -> dict | None:
    """The headers (lower-case names) of the request that opened ``doc``'s session, or
    None if there was none (a page made outside a server)."""
    request = _request(doc)
    if request is None:
        return None
    return {k.lower(): v for k, v in (request.headers or {}).items()}


def opened_by_websocket(doc) -> bool:
    """Whether the session of ``doc`` was made for its browser's websocket (Bokeh's
    ``…/ws`` address), not for its page's HTML: a browser's websocket that reached another
    process of ``--num-procs`` than the one that sent its page."""
    path = getattr(_request(doc), "path", None)
    return isinstance(path, str) and path.rstrip("/").endswith("/ws")


def browser_page_request(doc) -> bool:
    """Whether the session of ``doc`` was opened by a browser loading the page (its
    request accepts HTML), not by a client connecting its websocket directly, nor by a
    script's plain request (which could not load the page again), nor by a browser's
    websocket that reached another process of ``--num-procs`` than the one that sent
    its page. That session's request is the websocket's (Bokeh's ``…/ws`` address) with
    the page's own headers (carried in the session's token): given the warming-up page's
    document, the browser, which already has its page, showed a blank page for good."""
    if opened_by_websocket(doc):
        return False
    headers = _headers(doc)
    if headers is None:
        return False
    accept = headers.get("accept", "")
    accept = ",".join(accept) if isinstance(accept, list) else str(accept)
    return "upgrade" not in headers and "text/html" in accept


def cold_page_request(doc) -> bool:
    """A browser's page request while no page has been made in this process."""
    return not MADE.is_set() and not FAILED.is_set() and browser_page_request(doc)


def in_background(fn) -> None:
    """``fn()`` once per process, in a thread of its own (later calls do nothing); if it
    raises, FAILED is set and the log says why (the warming-up page then loads again and
    the page is made as before, where the error shows)."""
    global _background

    def run():
        try:
            fn()
        except Exception:
            FAILED.set()
            log.exception("The server's set-up in the background failed")

    with _background_lock:
        if _background is None:
            _background = threading.Thread(target=run, name="playground-setup", daemon=True)
            _background.start()


def wait_for_background() -> None:
    """Wait for the set-up started by ``in_background`` to end, if it is under way."""
    thread = _background
    if thread is not None and thread is not threading.current_thread():
        thread.join()


def ready() -> bool:
    """Whether a warming-up page should load again: a page has been made, or the set-up
    failed."""
    return MADE.is_set() or FAILED.is_set()


def probe_request(doc) -> str | None:
    """The page's name if the session of ``doc`` was opened by a warming-up page asking
    whether a page has been made (its request carries PROBE_HEADER, with a name the page
    chose), else None. Such a request gets ``probe_answer``'s word, and nothing is made."""
    headers = _headers(doc)
    value = None if headers is None else headers.get(PROBE_HEADER.lower())
    if value is None:
        return None
    value = ",".join(value) if isinstance(value, list) else str(value)
    return value[:PROBE_NAME_CHARS]


class Probes:
    """The warming-up pages asking, and how long each should wait before it asks again.

    A probe costs the server about 10 ms (a session made, and app.py run, for one word):
    150 ms apart for one page, but a class opening thirty pages on a cold server would
    take two cores with them, while the server is importing and compiling. So all the
    pages together ask at most ``budget_per_s`` times a second: each page is told to wait
    ``max(poll_ms, 1000 * pages / budget_per_s)`` ms, where ``pages`` are those that asked
    within the last waits. Bounded: at most ``max_pages`` are remembered."""

    def __init__(self, poll_ms: int = POLL_MS, budget_per_s: float = PROBE_BUDGET_PER_S,
                 max_pages: int = 10_000, clock=time.monotonic):
        self.poll_ms, self.budget_per_s, self.max_pages = poll_ms, budget_per_s, max_pages
        self.clock = clock
        self.last: dict[str, float] = {}
        self.lock = threading.Lock()

    def wait_ms(self, page: str) -> int:
        """How long ``page`` (asking now) should wait before it asks again."""
        now = self.clock()
        with self.lock:
            self.last.pop(page, None)
            self.last[page] = now                   # in order of their last question
            gone = now - 2 * self._wait() / 1000.0 - 1.0    # none for two waits: gone
            for name, seen in list(self.last.items()):
                if seen >= gone and len(self.last) <= self.max_pages:
                    break
                del self.last[name]
            return int(round(self._wait()))

    def _wait(self) -> float:
        return max(self.poll_ms, 1000.0 * len(self.last) / self.budget_per_s)


PROBES = Probes()


def probe_answer(page: str = "", probes: Probes | None = None) -> str:
    """What a probe's request is answered: PROBE_READY once ``ready()``, else PROBE_WAIT
    and how many ms to wait before asking again (``Probes``)."""
    if ready():
        return PROBE_READY
    return f"{PROBE_WAIT} {(probes or PROBES).wait_ms(page)}"


def _first(args, key):
    raw = (args or {}).get(key) or [None]
    value = raw[0]
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def chosen(args) -> dict:
    """Each CHOICES key's value in the page's link (``{key: [bytes or str]}``), or its
    default where the link has none or one the menu does not offer."""
    values = {}
    for key, _, words, default, _ in CHOICES:
        value = _first(args, key)
        values[key] = value if value in words else default
    return values


def _menu(key, label, words, default, tip, value) -> str:
    e = html.escape
    options = "".join(
        f'<option value="{e(v)}"{" selected" if v == value else ""}>{e(text)}</option>'
        for v, text in words.items())
    return (f'<label class="pg-choice" title="{e(tip)}"><span>{e(label)}</span>'
            f'<select name="{e(key)}" data-default="{e(default)}" '
            f'aria-description="{e(tip)}">{options}</select></label>')


def page_html(args=None, title: str = "Neural Network Playground") -> str:
    """The whole warming-up page: static HTML, its style and a small script, no Bokeh.

    It is on screen as soon as the browser has it (no 3 MB of scripts to load first, while
    the server imports and compiles). Each menu's change goes into the page's link at once,
    in the browser; the script asks the server whether a page has been made (a request
    with PROBE_HEADER, again after the wait the server answers: ``probe_answer``) and then
    loads the page again, with its link (or after LIMIT_S in any case). The playground's
    scripts (SCRIPTS_MARK: their tags, inert in a ``<template>``) are fetched into the
    browser's cache once the page is shown, not run, so the page that loads next finds
    them there."""
    values = chosen(args)
    menus = "".join(_menu(key, label, words, default, tip, values[key])
                    for key, label, words, default, tip in CHOICES)
    e = html.escape
    script = PAGE_JS % {"header": json.dumps(PROBE_HEADER),
                        "ready": json.dumps(PROBE_READY), "poll": POLL_MS,
                        "limit": int(LIMIT_S * 1000)}
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title + TITLE_SUFFIX)}</title>
<style>{theme.PAGE_CSS}{PAGE_STYLE}</style>
</head>
<body>
<header class="pg-header"><h1>Neural Network Playground</h1>
<span class="pg-tagline">{e(theme.TAGLINE)}</span></header>
<main>
<div class="pg-waiting"><div class="pg-spinner" aria-hidden="true"></div>
<div role="status" aria-live="polite" class="pg-tab-intro pg-warming">{MESSAGE}</div></div>
<form class="pg-card pg-choices" onsubmit="return false">
<div class="pg-try">{e(CHOICE_NOTE)}</div>
<div class="pg-menus">{menus}</div>
</form>
</main>
<template id="pg-scripts">{SCRIPTS_MARK}</template>
<script>{script}</script>
</body>
</html>"""


def template(text: str):
    """``text`` as a Jinja2 template that renders to itself, but for SCRIPTS_MARK, where
    the page's scripts go (Bokeh's ``bokeh_js``: the tags the playground's page has): a
    Bokeh document's template (``doc.template``), which Bokeh's server renders as the page
    it answers."""
    import jinja2
    parts = text.replace("{% endraw %}", "").split(SCRIPTS_MARK)
    source = "{{ bokeh_js }}".join("{% raw %}" + part + "{% endraw %}" for part in parts)
    return jinja2.Environment(autoescape=False).from_string(source)


def serve(doc, title: str = "Neural Network Playground") -> None:
    """Make ``doc``'s page the warming-up page (its request's link arguments chosen)."""
    request = doc.session_context.request
    doc.title = title + TITLE_SUFFIX
    doc.template = template(page_html(getattr(request, "arguments", None), title))


def serve_probe(doc) -> None:
    """Make ``doc``'s page a probe's answer (``probe_answer``)."""
    doc.template = template(probe_answer(probe_request(doc) or ""))
