"""A page's heavy parts put in place one per frame, after the page is shown.

Making a card's Bokeh models and sending them takes the server's event loop about 2.5 ms
per model, and a lab has hundreds: built in one go, a lab held every other page's frames
for 1.5–2 s. So a page on a server shows a lab's cards with their titles first, and
``Later`` fills one card per frame (the other pages' frames go out in between). The
playground's parts below its first screen (your data, the confusion matrix, the lessons,
the class entry and the export card) come the same way, after the page is shown. Outside a server (a notebook, the tests)
everything is in place at once.
"""
from __future__ import annotations

import concurrent.futures
from collections import deque

import panel as pn
from panel.io.state import set_curdoc

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


def cards(layout) -> list:
    """The cards (layouts with the CSS class ``pg-card``) in ``layout``, in page order."""
    return [c for c in layout.select(pn.layout.ListPanel)
            if "pg-card" in (c.css_classes or [])]


class Later:
    """The parts still to put in place: (box, its objects), first in, first out."""

    def __init__(self):
        self.waiting: deque = deque()

    def __len__(self) -> int:
        return len(self.waiting)

    def hold_cards(self, layout) -> int:
        """Take the contents of each card of ``layout`` out, to put back later: a card keeps
        its first object (its title) when it has more than one. Returns how many."""
        n = 0
        for card in cards(layout):
            keep = 1 if len(card.objects) > 1 else 0
            held = list(card.objects[keep:])
            if held:
                card.objects = list(card.objects[:keep])
                self.waiting.append((card, held))
                n += 1
        return n

    def hold(self, box) -> bool:
        """Take all of ``box``'s contents out, to put back later (False: it had none)."""
        held = list(box.objects)
        if held:
            box.objects = []
            self.waiting.append((box, held))
        return bool(held)

    def put_next(self):
        """Put the oldest held part back in its box; returns the box (None: nothing held)."""
        if not self.waiting:
            return None
        box, held = self.waiting.popleft()
        with pn.io.hold():
            box.objects = list(box.objects) + held
        return box
