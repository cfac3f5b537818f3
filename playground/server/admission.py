"""New pages take their turn while other pages train.

Making a page costs the server's event loop 0.5–1 s on 2 cores (Bokeh's models for its
controls and plots, ``app.py``), and nothing else runs on the loop meanwhile: every page's
frames wait. Pages that opened together (a class arriving, or one student opening and
closing tabs) were made back to back, and a page that was training stalled for all of
them: 3.3–3.5 s without an epoch in ``loadtest --chaos`` while four pages opened at once.

So a new session waits for its turn before its page is made: ``Admission`` is a Bokeh
application handler whose ``on_session_created`` (which Bokeh awaits before it makes the
session's document) waits, one session at a time, until ``pace.may_put()`` says the loop
may build again. The pace (``parts.PACE``) is the one the pages' held parts already
follow: while other pages train, building holds the loop at most 1 / (1 + PUT_SHARE) of
the time (``app.py`` reports what each page cost with ``pace.put``), and with nobody
training a page is made at once. No session waits longer than ``MAX_WAIT_S``.

In its turn the session's page is made off the loop: ``prepare(session_context)`` starts
it in another thread (a future, or None: ``app.MadeFor``, the page made ahead or one from
the link's own settings) and the session waits for it too, within the same MAX_WAIT_S,
while nothing else is built on the loop (``pace.hold_until``).
"""
from __future__ import annotations

import asyncio
import logging

from bokeh.application.handlers.handler import Handler

MAX_WAIT_S = 4.0        # the longest a new page waits for its turn
POLL_S = 0.05           # how often a waiting page looks again (at most)

log = logging.getLogger("playground")


class Admission(Handler):
    """Sessions made one at a time at the pace of ``pace`` (anything with ``may_put()``,
    ``next_at`` and ``clock()``: ``parts.PutPace``). A handler of the application: it
    changes no document."""

    def __init__(self, pace, max_wait_s: float = MAX_WAIT_S, sleep=asyncio.sleep,
                 prepare=None):
        super().__init__()
        self.pace, self.max_wait_s, self.sleep = pace, max_wait_s, sleep
        self.prepare = prepare
        self.waited = 0                  # sessions that had to wait
        self._lock: asyncio.Lock | None = None

    def modify_document(self, doc) -> None:
        """Nothing: the page is made by ``app.py``."""

    async def on_session_created(self, session_context) -> None:
        """Wait for this session's turn (first come, first served), then for its page
        made off the loop (``prepare``)."""
        await self.turn(session_context)

    def _prepare(self, session_context):
        if self.prepare is None or session_context is None:
            return None
        try:
            return self.prepare(session_context)
        except Exception:                   # made on the loop as before; the log says why
            log.exception("A page could not be prepared off the event loop")
            return None

    async def turn(self, session_context=None) -> float:
        """Wait until the pace allows a page to be made, then for the page ``prepare``
        starts for ``session_context`` (if any), at most MAX_WAIT_S in all; returns the
        wait. The page is asked for in the session's turn: the sessions before it have
        taken theirs (a page made ahead goes to one session), and their pages' first
        messages have gone (a page made meanwhile in another thread took the interpreter
        from them, stretching each). While it is made nothing else is built on the loop
        (``pace.hold_until``): the loop's own building would compete with it."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        start = self.pace.clock()
        async with self._lock:
            deadline = self.pace.clock() + self.max_wait_s
            await self._until(lambda: self.pace.may_put(), deadline)
            made = self._prepare(session_context)
            if made is not None and not made.done():
                self.pace.hold_until(deadline)
                await self._until(made.done, deadline)
        waited = self.pace.clock() - start         # on the pace's clock (a test's own)
        if waited > 0.01:
            self.waited += 1
        return waited

    async def _until(self, done, deadline: float) -> None:
        while not done() and self.pace.clock() < deadline:
            wait = min(max(self.pace.next_at, self.pace.clock()), deadline) - self.pace.clock()
            await self.sleep(max(min(wait, POLL_S), 0.001))


_installed: dict[int, Admission] = {}


def install(doc, pace, prepare=None) -> Admission | None:
    """Add an ``Admission`` on ``pace`` (and ``prepare``) to the application that serves
    ``doc`` (once per application; the pages made before it, like the first, do not
    wait). None outside a server."""
    context = getattr(doc, "session_context", None)
    server = getattr(context, "server_context", None) if context is not None else None
    app_context = getattr(server, "application_context", None) if server is not None else None
    application = getattr(app_context, "application", None)
    if application is None:
        return None
    key = id(application)
    if key not in _installed:
        handler = Admission(pace, prepare=prepare)
        application.add(handler)
        _installed[key] = handler
        log.info("New pages take their turn while others train (at most %.0f s)",
                 handler.max_wait_s)
    return _installed[key]
