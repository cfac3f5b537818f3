"""A page's heavy parts made off the event loop, and put in place after the page is shown.

Making a card's Bokeh models and sending them takes the server's event loop about 2.5 ms
per model, and a lab has hundreds: built in one go, a lab held every other page's frames
for 1.5–2 s. So a page on a server shows a lab's cards with their titles first, and
``Later`` fills the cards over the next frames (the other pages' frames go out in
between), as many in one frame as fit in PUT_BUDGET_MS: after each change that adds models
Bokeh walks every model of the page's document, and with a few labs open that walk costs
more than making a card's models, so cards put one per frame cost the event loop several
walks where one would do (docs/performance.md, "A lab's cards in fewer frames"). The
playground's parts below its first screen (your data, the confusion matrix, the lessons,
the class entry and the export card) come together in the first frame after the page is
shown (one walk of the document's models for the five). Outside a server (a notebook, the
tests) everything is in place at once. A lab's Python objects are made in ``BUILDER``'s
thread, and so is the next plain link's page (``Spare``).
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import math
import threading
import time
from collections import deque

import panel as pn
from bokeh.document import Document
from panel.io.state import set_curdoc

log = logging.getLogger("playground")

# how long a frame may spend making held parts' models before Bokeh's one walk of the
# document (``Later.put_next``): the cards whose making starts within it share that walk
PUT_BUDGET_MS = 100.0
# and the next parts at least this long after: a put of a lab's cards holds the event loop
# for 300–400 ms, and two back to back kept a click on another tab waiting for both (the
# browser's message is read and handled over a few turns of the loop), so the cards of the
# tab just left were still sent, and the browser made them (about a second) before the tab
# the student went to (docs/performance.md, "The shown tab's parts first")
PUT_GAP_MS = 100.0

# While other pages train, the parts put on every page of the process together hold the
# event loop at most 1 / (1 + PUT_SHARE) of the time: after a put that held it t seconds,
# the next one (of any page) waits PUT_SHARE × t (``PutPace``). A student's page that
# opens again and again (or a class arriving) fills in its lower parts more slowly then,
# and the pages that play keep their frames; with nobody training, parts go in at once.
PUT_SHARE = 2.0


class PutPace:
    """The process's pace of putting parts in place (``PUT_SHARE``): ``may_put()`` before
    a put, ``put(started, others)`` after one that began at ``clock()`` = started (others:
    how many other pages compute meanwhile). Its own clock: pages' clocks may differ (the
    tests')."""

    def __init__(self, share: float = PUT_SHARE, clock=time.perf_counter):
        self.share, self.clock = share, clock
        self.next_at = -math.inf

    def may_put(self) -> bool:
        return self.clock() >= self.next_at

    def put(self, started: float, others: int) -> None:
        now = self.clock()
        self.next_at = now + (self.share * max(now - started, 0.0) if others > 0 else 0.0)

    def hold_until(self, t: float) -> None:
        """Nothing put before ``t`` (on this pace's clock; the next ``put`` sets it anew):
        a page is being made in another thread for a session about to open."""
        self.next_at = max(self.next_at, t)


PACE = PutPace()


# Builds a lab's Python objects (its Viewers, figures and widgets: 0.4–1 s for the largest)
# off the event loop, one at a time for the whole process: the loop then only puts the
# finished lab on its page, and every page's frames go on meanwhile.
BUILDER = concurrent.futures.ThreadPoolExecutor(max_workers=1,
                                                thread_name_prefix="playground-build")


def build_for(doc, fn, *args) -> concurrent.futures.Future:
    """``fn(*args)`` in ``BUILDER``'s thread, with ``doc`` (the page's) as Panel's current
    document there: Panel's widgets read it while they are made (the page's link arguments,
    for its theme), and in a thread of its own Panel would otherwise look at Bokeh's one
    current document of the process, which the event loop sets and clears for every
    page's callbacks meanwhile (seen: "'NoneType' object has no attribute
    'session_context'" between two of its reads)."""
    def build():
        with set_curdoc(doc):
            return fn(*args)
    return BUILDER.submit(build)


def build_alone(fn, *args) -> concurrent.futures.Future:
    """``build_for`` with a document of its own, for what belongs to no page yet (the
    warm-up's labs, a page made ahead). With none, Panel in the builder's thread would read
    the process's current document, which the event loop sets and clears for every page's
    callbacks meanwhile: a lab built by the warm-up while the first pages opened failed
    there ("'NoneType' object has no attribute 'session_context'", its traceback in the
    server's log)."""
    return build_for(Document(), fn, *args)


# A box inside a lab's first card whose contents may come after the card: the card shows
# without it, and it is filled like the other cards (``Later.hold_cards``)
AFTER_CARD = "pg-after-card"


def cards(layout) -> list:
    """The cards (layouts with the CSS class ``pg-card``) in ``layout``, in page order."""
    return [c for c in layout.select(pn.layout.ListPanel)
            if "pg-card" in (c.css_classes or [])]


class Later:
    """The parts still to put in place: (box, its objects, held together with the next,
    its tab), first in, first out, a hidden tab's parts skipped (``put_next``)."""

    def __init__(self):
        self.waiting: deque = deque()

    def __len__(self) -> int:
        return len(self.waiting)

    def hold_cards(self, layout, tab: str | None = None, skip: int = 0) -> int:
        """Take the contents of each card of ``layout`` (on the page's tab ``tab``) out, to
        put back later: a card keeps its first object (its title) when it has more than
        one. The first ``skip`` cards keep all of theirs but the boxes in them marked
        AFTER_CARD, which come first. Returns how many parts are held."""
        n = 0
        found = cards(layout)
        for card in found[:skip]:
            for box in card.select(pn.layout.ListPanel):
                if AFTER_CARD in (box.css_classes or []) and self.hold(box, tab=tab):
                    n += 1
        for card in found[skip:]:
            keep = 1 if len(card.objects) > 1 else 0
            held = list(card.objects[keep:])
            if held:
                card.objects = list(card.objects[:keep])
                self.waiting.append((card, held, False, tab))
                n += 1
        return n

    def hold(self, box, together: bool = False, tab: str | None = None) -> bool:
        """Take all of ``box``'s contents (on the tab ``tab``) out, to put back later
        (False: it had none). Boxes held one after another ``together`` are put back in
        one frame."""
        held = list(box.objects)
        if held:
            box.objects = []
            self.waiting.append((box, held, together, tab))
        return bool(held)

    def put_next(self, budget_ms: float = 0.0, clock=time.perf_counter, shown=None):
        """Put the oldest held part back in its box (with the parts held together with
        it), then the next ones while less than ``budget_ms`` has gone by; returns the boxes
        filled ([] when nothing is held).

        ``shown(tab)`` says whether a tab is shown: the parts of a hidden tab wait, in
        their order, until it is (None: every tab is). A browser spends about a second
        making a lab's cards (0.8–1.2 s for 250–270 kB of them, measured in the page): put
        in a tab the student has just left, they held back the tab the student went to
        (docs/performance.md, "The shown tab's parts first").

        Bokeh finds a document's models again, by walking all of them, after each change
        that adds models (its cost grows with the page; docs/performance.md, "A lab's cards
        in fewer frames"): parts put back in one call are one walk."""
        filled: list = []
        due = lambda entry: shown is None or entry[3] is None or shown(entry[3])
        if not any(due(entry) for entry in self.waiting):
            return filled
        doc = pn.state.curdoc
        frozen = doc.models.freeze() if doc is not None else contextlib.nullcontext()
        start = clock()
        waiting: deque = deque()                # a hidden tab's parts, kept in order
        with pn.io.hold(), frozen:
            while self.waiting:
                entry = self.waiting.popleft()
                if not due(entry):
                    waiting.append(entry)
                    continue
                box, held, together, _ = entry
                box.objects = list(box.objects) + held
                filled.append(box)
                if together and self.waiting and self.waiting[0][2] and due(self.waiting[0]):
                    continue                    # its group goes with it
                if (clock() - start) * 1e3 >= budget_ms:
                    break
        waiting.extend(self.waiting)
        self.waiting = waiting
        return filled


SPARE_DELAY_S = 1.0     # a spare page is made this long after the last one was taken
QUIET_POLL_S = 0.25     # and, while the event loop builds for others, once it is quiet
QUIET_MAX_S = 10.0      # (at most this much later)


class Spare:
    """One page made ahead of its visitor, in ``BUILDER``'s thread: making a page's Python
    objects (its Viewers, figures, widgets and first pictures) is a third of what a new
    page cost the event loop, and every other page's frames waited meanwhile. (A lab alike
    on every page is made ahead the same way: ``app.SPARE_LABS``, ``take_future``.)

    ``take()`` (on the event loop, as a session opens) gives the page made ahead, or None
    when there is none yet: the caller makes one as before. Each take starts the next one
    after ``delay_s``, so that it does not compete with the page just opened for the
    CPU. The page is made with a document of its own as Panel's current one (no session,
    no link: only a plain link's page can be made ahead); the page does what belongs to
    its session when it is shown (``PlaygroundApp.__panel__``).

    The next page is made only once the event loop is quiet (``quiet()``), or after
    QUIET_MAX_S; a session that finds none ready asks for one at once (``ready()``) and
    waits for it, off the loop (server/admission.py)."""

    def __init__(self, make, delay_s: float = SPARE_DELAY_S, quiet=None):
        self.make = make
        self.delay_s = delay_s
        # whether the event loop is quiet (no page or part built for others lately): a
        # spare made meanwhile takes the interpreter from the loop's own building, every
        # playing page's frames waiting longer (PACE.may_put by default)
        self.quiet = quiet if quiet is not None else (lambda: PACE.may_put())
        self._asked_at: float | None = None
        self.future: concurrent.futures.Future | None = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self.taken = 0          # pages given out made ahead
        self.missed = 0         # takes that found none ready (the caller made one)

    def prepare(self, delay_s: float | None = None) -> None:
        """Make the next page after ``delay_s`` (default: the spare's), unless one is made
        or on its way; a page waited for (``delay_s=0``) starts at once."""
        delay_s = self.delay_s if delay_s is None else delay_s
        with self._lock:
            if self.future is not None:
                return
            if self._timer is not None:
                if delay_s > 0:
                    return
                self._timer.cancel()
                self._timer = None
            if delay_s <= 0:                # waited for: at once, quiet or not
                self._asked_at = None
                self.future = build_alone(self.make)
                return
            self._timer = threading.Timer(delay_s, self._start)
            self._timer.daemon = True
            self._timer.start()

    def _start(self) -> None:
        with self._lock:
            self._timer = None
            if self.future is not None:
                return
            now = time.perf_counter()
            if self._asked_at is None:
                self._asked_at = now
            if not self.quiet() and now - self._asked_at < QUIET_MAX_S:
                self._timer = threading.Timer(QUIET_POLL_S, self._start)   # later
                self._timer.daemon = True
                self._timer.start()
                return
            self._asked_at = None
            try:
                self.future = build_alone(self.make)
            except RuntimeError:
                # the builder is shut down: the server is stopping (its timer fired as the
                # interpreter exited, and the error's traceback went to the server's log)
                self.future = None

    def ready(self) -> concurrent.futures.Future:
        """The future of the page made ahead, started at once if none is made or on its
        way: a session waits for it (server/admission.py, ``app.MadeFor``) rather than
        have its page made on the event loop."""
        self.prepare(delay_s=0.0)
        with self._lock:
            return self.future

    def take_future(self) -> concurrent.futures.Future:
        """The future of the page made ahead (made or on its way), or of one started now
        when there is none; the next one is prepared after it. For a caller that waits off
        the event loop (a page's lab, put in place once made)."""
        with self._lock:
            future, self.future = self.future, None
            if future is not None and future.cancelled():
                future = None
        if future is None:
            future = build_alone(self.make)
            self.missed += 1
        else:
            self.taken += 1
        self.prepare()
        return future

    def take(self):
        """The page made ahead, or None; the next one is prepared either way. A page
        half made is waited for (less than making a new one); one still queued behind
        a lab's build is given up."""
        with self._lock:
            future, self.future = self.future, None
        page = None
        if future is not None and (future.done() or not future.cancel()):
            try:
                page = future.result()
            except Exception:           # the caller makes one; the log says why
                log.exception("A page made ahead failed")
        if page is None:
            self.missed += 1
        else:
            self.taken += 1
        self.prepare()
        return page

    def cancel(self) -> None:
        """No page made ahead any more (a test's end, a server's)."""
        with self._lock:
            timer, self._timer = self._timer, None
            future, self.future = self.future, None
        if timer is not None:
            timer.cancel()
        if future is not None:
            future.cancel()
