"""The class bar of a student's page (``/app?class=CODE``): join under a name, then see who
you are in which class; the challenge card (the teacher's goal, checked live, and a Submit
that the server verifies); the page's row on the class board, reported twice a second.

The teacher's other pushes (a set-up, a lesson, a tab, hidden controls, a lock) are applied
by the page (``PlaygroundApp``): ``tick`` hands them over."""
from __future__ import annotations

import html
import logging
import time

import panel as pn

from ..classroom.board import Tracker, count_weights
from ..classroom.challenge import Goal
from ..classroom.membership import Membership
from ..classroom.store import CODE_LENGTH, MAX_NAME
from ..classroom.verify import VERIFIER
from ..state import urlstate
from .thumbnails import boundary_thumbnail

REPORT_S = 0.5             # the page's board row is written this often while it changes …
ALIVE_S = 3.0              # … and at least this often (the board shows "away" after 10 s)
PICTURE_S = 2.0            # the row's picture of the output is made at most this often
log = logging.getLogger("playground")


def _percent(x) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def _box_and_button(submit, margin, placeholder, max_length, width, tip, label, color,
                    button_width, button_tip):
    """A text box and its button; the button or Enter in the box calls ``submit()``."""
    box = pn.widgets.TextInput(placeholder=placeholder, max_length=max_length, width=width,
                               margin=margin, description=tip)
    button = pn.widgets.Button(label=label, color=color, width=button_width, margin=margin,
                               description=button_tip)
    button.on_click(lambda e: submit())
    box.param.watch(lambda e: submit(), "enter_pressed")
    return box, button


class ClassEntry(pn.viewable.Viewer):
    """"Join a class" on any page: a class code typed here does what ``?class=CODE`` in the
    link does, and keeps the page's set-up and training. ``enter(code)`` returns what went
    wrong ('' if nothing)."""

    def __init__(self, enter, **params):
        super().__init__(**params)
        self.enter = enter
        self.code_input, self.join_button = _box_and_button(
            self.submit, margin=(5, 4), placeholder="class code",
            max_length=CODE_LENGTH + 6, width=124,
            tip="The code your teacher shows, such as K7QX3M. This page joins that class; "
                "what you have built here stays.",
            label="Join class", color="light", button_width=86,
            button_tip="Join the class with this code.")
        self.message = pn.pane.HTML("", margin=(0, 5), width=222)
        self.row = pn.Row(self.join_button, self.code_input, margin=0)
        self.code = ""                      # the class this page joined here

    def submit(self) -> bool:
        if self.code:                       # a quick second click, sent before the first's
            return True                     # answer hid the button: already done
        text = self.code_input.value_input or self.code_input.value or ""
        if not text.strip():
            self.message.object = ('<div class="pg-note" role="alert">Type the class code '
                                   'your teacher gives you first.</div>')
            return False
        problem = self.enter(text)
        if problem:
            problem = problem.removeprefix("class: ")
            self.message.object = (f'<div class="pg-note" role="alert">Could not join: '
                                   f'{html.escape(problem)}.</div>')
            return False
        return True

    def joined(self, code: str):
        """The page is in class ``code`` now: say so instead of asking."""
        self.code = code
        self.row.visible = False
        self.code_input.value = code
        self.message.object = (f'<div class="pg-note">In class <strong>{html.escape(code)}'
                               f'</strong>: the class bar is at the top of the page.</div>')

    def __panel__(self):
        return pn.Column(
            pn.pane.HTML('<div class="pg-section-title">Class</div>', margin=(6, 5, 0, 5)),
            self.row, self.message, width=232, margin=0)


class ClassPanel(pn.viewable.Viewer):
    """Join a class; ``member`` is the page's Membership, ``run`` its Run and
    ``playing()`` whether it trains now."""

    def __init__(self, member: Membership, on_error, run=None, playing=lambda: False,
                 on_goal=lambda goal: None, verifier=VERIFIER, clock=time.monotonic,
                 **params):
        super().__init__(**params)
        self.member, self.run, self.playing, self.on_goal = member, run, playing, on_goal
        self.verifier, self.clock = verifier, clock
        self._on_error = on_error
        self.name_input, self.join_button = _box_and_button(
            self.join, margin=(0, 5), placeholder="your name", max_length=MAX_NAME,
            width=180, tip="The name your teacher will see on the class board (nothing "
                           "else about you is kept).",
            label="Join", color="primary", button_width=70,
            button_tip="Join the class under this name.")
        self.text = pn.pane.HTML(margin=(4, 5), sizing_mode="stretch_width")
        self.row = pn.Row(self.text, self.name_input, self.join_button, margin=(2, 0),
                          css_classes=["pg-class-bar"], sizing_mode="stretch_width",
                          visible=not member.problem)
        # the challenge
        self.goal: Goal | None = None
        self.challenge_id = 0
        self.goal_text = pn.pane.HTML(margin=(2, 5), sizing_mode="stretch_width")
        self.checks = pn.pane.HTML(margin=(0, 5), sizing_mode="stretch_width")
        self.submit_button = pn.widgets.Button(
            label="Submit", color="success", width=90, disabled=True, margin=(2, 5),
            description="Send this result to the class board. The server trains your set-up "
                        "again from its link, with the same seed, to confirm it.")
        self.submit_button.on_click(lambda e: self.submit())
        self.verdict = pn.pane.HTML(margin=(2, 5), sizing_mode="stretch_width")
        self.card = pn.Column(pn.Row(pn.Column(self.goal_text, self.checks, margin=0,
                                               sizing_mode="stretch_width"),
                                     self.submit_button, margin=0, sizing_mode="stretch_width"),
                              self.verdict, visible=False, margin=(2, 0),
                              css_classes=["pg-challenge"], sizing_mode="stretch_width")
        self._future = None
        self._submitted = None                 # (link, claimed) being checked
        self.tracker = Tracker()
        self._next_report = self._next_alive = self._next_picture = 0.0
        self._next_warning = 0.0
        self._link_text = None
        if run is not None:
            run.param.watch(self._settings_changed, list(run.setting_names()))
        self._last_row: dict = {}
        self._picture = None
        self._show()

    # ------------------------------------------------------------------ joining
    def _show(self):
        m = self.member
        title = html.escape(m.title)
        if m.joined:
            name = html.escape(m.student.name)
            self.text.object = (f'<div class="pg-readout" role="status">You are in '
                                f'<strong>{title}</strong> as <strong>{name}</strong>. '
                                f'What your teacher opens appears here.</div>')
            self.name_input.visible = self.join_button.visible = False
        else:
            self.text.object = (f'<div class="pg-readout">Class <strong>{title}</strong> '
                                f'(code {m.code}): type your name to join.</div>')

    def join(self):
        if self.member.joined:
            return
        try:
            self.member.join(self.name_input.value_input or self.name_input.value)
        except ValueError as exc:
            self._on_error(f"Could not join the class: {exc}.")
            return
        self._show()

    def leave(self):
        """The page closed: free the name for a reload."""
        try:
            self.member.leave()
        except Exception:               # a closing page never raises (the database may be gone)
            pass

    # ------------------------------------------------------------------ each frame
    def tick(self, now: float | None = None) -> list:
        """Once a frame: the teacher's new pushes (the challenge is kept here; the rest are
        returned for the page to apply), the board row, a finished check."""
        now = self.clock() if now is None else now
        if not self.member.joined:
            return []
        pushes = []
        try:
            for push in self.member.new_pushes(now):
                if push.kind == "challenge":
                    self.set_challenge(push)
                else:
                    pushes.append(push)
            if self.run is not None and now >= self._next_report:
                self._next_report = now + REPORT_S
                self._report(now)
            if self._future is not None and self._future.done():
                self._checked(self._future.result())
        except self.member.store.errors as exc:   # the database is away: the page trains on
            if now >= self._next_warning:
                self._next_warning = now + 60.0
                log.warning("Class %s: the class database did not answer: %s",
                            self.member.code, exc)
        return pushes

    def _link(self) -> str:
        """The run's set-up as a link's query (made again only after a setting changed)."""
        if self._link_text is None:
            self._link_text = urlstate.to_search(self.run.settings())
        return self._link_text

    def _settings_changed(self, *events):
        self._link_text = None

    def _report(self, now: float):
        run = self.run
        row = self.tracker.row(run, bool(self.playing()), self._link())
        if now >= self._next_picture and not run.one_d:
            self._next_picture = now + PICTURE_S
            self._picture = boundary_thumbnail(run.decision_codes(), run.classes)
        row["picture"] = self._picture
        if row != self._last_row or now >= self._next_alive:
            self._next_alive = now + ALIVE_S
            self.member.report(row)
            self._last_row = row
        if self.goal is not None:
            self._show_checks()

    # ------------------------------------------------------------------ the challenge
    def set_challenge(self, push):
        p = push.payload if isinstance(push.payload, dict) else {}
        if p.get("off"):
            self.goal, self.challenge_id = None, 0
            self.card.visible = False
            return
        try:
            self.goal = Goal.from_payload(p)
        except ValueError:
            return                        # the teacher's page checks goals before sending
        self.challenge_id = push.id
        self.goal_text.object = (f'<div class="pg-readout"><strong>Challenge:</strong> '
                                 f'{html.escape(self.goal.describe())}</div>')
        self.verdict.object = ""
        self.card.visible = True
        self.on_goal(self.goal)               # the page opens the challenge's data
        if self.run is not None:
            self._show_checks()

    def _claimed(self) -> dict:
        m = {k: v for k, v in self.run.metrics().items()}
        m["weights"] = count_weights(self.run)
        return m

    def _show_checks(self):
        checks = self.goal.check(self.run.settings(), self.run.metrics())
        items = " ".join(
            f'<span style="color:{"#1a7f37" if c.met else "#8a4b00"};white-space:nowrap;'
            f'margin-right:10px">{"✓" if c.met else "✗"} {html.escape(c.label)} '
            f'<span style="color:#666">({html.escape(c.detail)})</span></span>'
            for c in checks)
        text = f'<div class="pg-checks" style="font-size:12px;line-height:1.5">{items}</div>'
        if self.checks.object != text:
            self.checks.object = text
        self.submit_button.disabled = (self._future is not None
                                       or not all(c.met for c in checks))

    def submit(self, claimed: dict | None = None) -> bool:
        """Send the run's result (``claimed``: what the page says it reached; by default
        its metrics now) for the server to check by retraining."""
        if self.goal is None or self._future is not None or self.run is None:
            return False
        link = self._link()
        if claimed is None:
            claimed = self._claimed()
            if not self.goal.met(self.run.settings(), claimed):    # a click on a stale button
                self._show_checks()
                return False
        claimed = dict(claimed)
        try:
            self._future = self.verifier.check(self.goal, link, claimed)
        except ValueError as exc:
            self.verdict.object = self._said(f"Not sent: {exc}.", False)
            return False
        self._submitted = (link, claimed, self.challenge_id)
        self.submit_button.disabled = True
        self.verdict.object = ('<div class="pg-readout" role="status">Checking: the server is '
                               'training your set-up again from its link…</div>')
        return True

    @property
    def checking(self) -> bool:
        """True while the server retrains a submission of this page."""
        return self._future is not None

    def wait(self, timeout: float | None = None):
        """Wait for the check in flight and show its verdict (scripts and tests; a page's
        frames poll instead)."""
        if self._future is not None:
            self._checked(self._future.result(timeout))

    def _checked(self, verdict):
        self._future = None
        link, claimed, challenge = self._submitted
        numbers = verdict.metrics if verdict.ok else claimed
        try:
            self.member.store.submit(self.member.student, link, numbers, verdict.ok,
                                     challenge=challenge, reason=verdict.reason)
        except ValueError as exc:
            self.verdict.object = self._said(f"Not saved: {exc}.", False)
            return
        if verdict.ok:
            m = verdict.metrics
            shown = (f"test accuracy {_percent(m.get('test_accuracy'))}"
                     if "test_accuracy" in m else f"test loss {m.get('test_loss', 0):.4f}")
            self.verdict.object = self._said(
                f"Confirmed by the server: {shown} at epoch {m['epoch']:,} with "
                f"{m['weights']} weights. It is on the class board.", True)
        else:
            self.verdict.object = self._said(f"Not accepted: {verdict.reason}.", False)
        if self.goal is not None:
            self._show_checks()

    @staticmethod
    def _said(text: str, good: bool) -> str:
        kind = "info" if good else "danger"
        return (f'<div class="pg-status pg-status-{kind}" role="status">'
                f'{html.escape(text)}</div>')

    def __panel__(self):
        return pn.Column(self.row, self.card, margin=0, sizing_mode="stretch_width")
