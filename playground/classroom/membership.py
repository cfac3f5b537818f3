"""One page's place in a class: the code from its link, the name it joined under, and the
teacher's pushes it has not applied yet (no Panel here; ``ui.class_panel`` shows it).

    member = Membership(store, "K7QX3M")
    member.problem                 # why the page cannot join ("" when it can)
    member.join("Ada")             # ValueError with a reason a student can read
    member.new_pushes()            # the class's pushes since the last call (after a join:
                                   # first the latest of each kind, as a late joiner needs)
    member.report({...})           # this page's row on the class board
    member.leave()                 # the page closed: its name is free to take back
"""
from __future__ import annotations

import atexit
import weakref

from .store import Push, Store, Student, clean_code

POLL_S = 0.5                # a page looks for new pushes twice a second
JOINED: "weakref.WeakSet[Membership]" = weakref.WeakSet()   # this process's joined pages


def leave_all() -> int:
    """Every joined page of this process leaves (the server is stopping): after a restart
    each student takes their name back at once. Returns how many left."""
    n = 0
    for member in list(JOINED):
        try:
            member.leave()
            n += 1
        except Exception:              # the database may be gone first: nothing to free
            pass
    return n


atexit.register(leave_all)


class Membership:
    def __init__(self, store: Store, code_text: str):
        self.store = store
        self.code, self.title, self.problem = "", "", ""
        self.student: Student | None = None
        self.last_push = 0
        self._catch_up: list[Push] = []
        self._next_poll = 0.0
        try:
            self.code = clean_code(code_text)
        except ValueError as exc:
            self.problem = f"class: {exc}"
            return
        self.title = store.class_title(self.code) or ""
        if not self.title:
            self.problem = f"class: there is no class {self.code} on this server"

    @property
    def joined(self) -> bool:
        return self.student is not None

    def join(self, name: str) -> Student:
        """Join under ``name``; from now on the page gets the class's new pushes."""
        if self.problem:
            raise ValueError(self.problem)
        if self.joined:
            raise ValueError(f"this page is in the class already, as {self.student.name}")
        self.student = self.store.join(self.code, name)
        JOINED.add(self)
        # what the class has open now (a set-up, a tab, hidden controls, a lock, the
        # challenge), then everything new
        self._catch_up = self.store.current_pushes(self.code)
        self.last_push = self.store.last_push_id(self.code)
        return self.student

    def new_pushes(self, now: float | None = None) -> list[Push]:
        """The class's pushes since the last call (oldest first); with ``now`` (seconds),
        at most one look every POLL_S (an empty list in between)."""
        if not self.joined:
            return []
        if self._catch_up:
            pushes, self._catch_up = self._catch_up, []
            return pushes
        if now is not None:
            if now < self._next_poll:
                return []
            self._next_poll = now + POLL_S
        pushes = self.store.pushes_since(self.code, self.last_push)
        if pushes:
            self.last_push = pushes[-1].id
        return pushes

    def report(self, live: dict | None = None) -> None:
        """This page is still here (with ``live``: its row on the class board). The row is
        written by the store's writer thread (``Store.report_soon``), not by the caller."""
        if self.joined:
            if live is None:
                self.store.report(self.student)
            else:
                self.store.report_soon(self.student, live)

    def leave(self) -> None:
        """This page closed: its name can be taken back at once (a reload)."""
        if self.joined:
            self.store.leave(self.student)
            JOINED.discard(self)
