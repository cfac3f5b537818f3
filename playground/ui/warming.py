"""The page a browser gets while its server is still cold: never a blank page.

A server just started has made no page yet. Its first page costs seconds that later pages
do not: JAX and the package are imported (about 1 s), and every small computation of a
new network (its data set, its first weights, its first evaluation) is compiled the first
time (2–3 s on 2 cores, up to 9 s when JAX's compilation cache on disk is empty). Made on
the server's event loop as a browser asked for it, that page kept the browser blank for
all of it (the page on screen 6.5 s after ``panel serve app.py``; 10.8 s on an empty cache).

So, while no page has been made in the process, a browser's page request gets this small
page at once (Panel alone: app.py imports nothing else for it): the title bar and "Warming
up…", with what is happening and why, on screen 2.2–2.3 s after the server starts. The
server's set-up and its first page are made meanwhile in a thread of their own
(``in_background``, then ``parts.Spare``), and as soon as a page has been made the browser
loads the page again, with the same link, and gets it. A browser's page request is one
that accepts HTML; a Bokeh client connecting its websocket directly (the load test's
sessions) or a script's plain request gets the page as before: neither could load it again.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

import panel as pn
from bokeh.models import CustomJS, Div

from . import theme
from .labels import ACTIVATION_LABELS, DATASET_LABELS

TITLE_SUFFIX = " (warming up)"     # in the warming page's <title>: a script can wait for its end
POLL_MS = 150                      # how often the page asks whether a page has been made
LIMIT_S = 120.0                    # after this the page loads again anyway (the server makes one)

MESSAGE = ("<b>Warming up…</b> The server has just started and is preparing its first "
           "page: the network's computations are compiled once, the first time, and every "
           "page after this one opens at once. This page opens the playground by itself in "
           "a few seconds.")

RELOAD_JS = "window.location.reload()"

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
# the chosen value into the page's link, without loading the page (and off it: the default)
LINK_JS = """
const value = values[cb_obj.value];
const url = new URL(window.location.href);
if (value === undefined || value === fallback) url.searchParams.delete(key);
else url.searchParams.set(key, value);
window.history.replaceState(window.history.state, "", url.toString());
"""

MADE = threading.Event()        # a page of the playground has been made in this process
FAILED = threading.Event()      # the set-up in the background failed (the log says why)
_background: threading.Thread | None = None
_background_lock = threading.Lock()
log = logging.getLogger("playground")


def browser_page_request(doc) -> bool:
    """Whether the session of ``doc`` was opened by a browser loading the page (its
    request accepts HTML), not by a client connecting its websocket directly, nor by a
    script's plain request (which could not load the page again)."""
    context = getattr(doc, "session_context", None) if doc is not None else None
    request = getattr(context, "request", None) if context is not None else None
    if request is None:
        return False
    headers = {k.lower(): v for k, v in (request.headers or {}).items()}
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


def _session_args() -> dict:
    """The page's link arguments (none outside a server)."""
    doc = pn.state.curdoc
    context = getattr(doc, "session_context", None) if doc is not None else None
    request = getattr(context, "request", None) if context is not None else None
    return dict(getattr(request, "arguments", None) or {})


class WarmingPage(pn.viewable.Viewer):
    """The title bar, the warming-up message and the set-up's main choices (CHOICES:
    usable at once, each kept in the page's link). Once the browser has loaded it, it asks
    ``ready()`` every ``poll_ms`` and, when it answers True (or after ``limit_s``), has the
    browser load the page again, with the link and so the choices."""

    def __init__(self, ready: Callable[[], bool] = ready, poll_ms: int = POLL_MS,
                 limit_s: float = LIMIT_S, clock: Callable[[], float] = time.monotonic,
                 args: dict | None = None):
        super().__init__()
        self.ready, self.poll_ms, self.limit_s, self.clock = ready, poll_ms, limit_s, clock
        self.started = None
        self.callback = None
        self.reloading = False
        # the page's own header and introduction styles (theme.PAGE_CSS), on these panes
        header = pn.pane.HTML(
            f'<div class="pg-header"><h1>Neural Network Playground</h1>'
            f'<span class="pg-tagline">{theme.TAGLINE}</span></div>',
            stylesheets=[theme.PAGE_CSS], sizing_mode="stretch_width", margin=(4, 5, 0, 5))
        self.message = pn.pane.HTML(
            '<div role="status" aria-live="polite" class="pg-tab-intro pg-warming" '
            f'style="font-size:15px;padding:10px 14px;max-width:760px">{MESSAGE}</div>',
            stylesheets=[theme.PAGE_CSS], sizing_mode="stretch_width", margin=(10, 5))
        self.spinner = pn.indicators.LoadingSpinner(value=True, size=28,
                                                    margin=(12, 5))
        # the browser loads the page again when this text changes (set once, by the server)
        self.signal = Div(text="", visible=False)
        self.signal.js_on_change("text", CustomJS(code=RELOAD_JS))
        self.choices = self._choices(args if args is not None else _session_args())
        note = pn.pane.HTML(f'<div class="pg-try">{CHOICE_NOTE}</div>',
                            stylesheets=[theme.PAGE_CSS], margin=(4, 5, 0, 5))
        self._layout = pn.Column(header, pn.Row(self.spinner, self.message, margin=0),
                                 pn.Column(note, pn.Row(*self.choices, margin=0),
                                           css_classes=["pg-card"], margin=(4, 5),
                                           styles={"padding": "4px 6px"}),
                                 pn.pane.Bokeh(self.signal, margin=0),
                                 sizing_mode="stretch_width", margin=0)

    @staticmethod
    def _choices(args) -> list:
        """One menu per CHOICES entry, showing the link's value (or the default); each
        change goes into the page's link in the browser (LINK_JS)."""
        menus = []
        for key, label, words, default, tip in CHOICES:
            raw = (args or {}).get(key) or [None]
            value = raw[0].decode() if isinstance(raw[0], bytes) else raw[0]
            value = value if value in words else default
            menu = pn.widgets.Select(label=label, options=list(words.values()),
                                     value=words[value], description=tip, width=150,
                                     margin=(2, 6))
            menu.jscallback(value=LINK_JS, args={
                "key": key, "fallback": default,
                "values": {text: v for v, text in words.items()}})
            menus.append(menu)
        return menus

    def start(self):
        """Ask ``ready()`` every ``poll_ms`` from now (Panel's onload: a browser shows it)."""
        if self.callback is None and not self.reloading:
            self.started = self.clock()
            self.callback = pn.state.add_periodic_callback(self.check, period=self.poll_ms)

    def check(self) -> bool:
        """Load the page again once a page has been made (or after ``limit_s``); returns
        whether it did."""
        if self.reloading:
            return True
        waited = self.clock() - (self.started if self.started is not None else self.clock())
        if not self.ready() and waited < self.limit_s:
            return False
        self.reloading = True
        if self.callback is not None:
            self.callback.stop()
            self.callback = None
        self.signal.text = "ready"
        return True

    def __panel__(self):
        if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            pn.state.onload(self.start)
        return self._layout
