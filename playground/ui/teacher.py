"""The teacher's page (``/app?teacher``): sign in with the server's teacher password, make a
class, and open a set-up, a lesson or a tab, or hide controls, on every student page.

Without ``PLAYGROUND_TEACHER_PASSWORD`` on the server there is no teacher page: it says how
to set the password and offers nothing else."""
from __future__ import annotations

import hmac
import html
import os
import time

import panel as pn

from ..classroom.store import Store
from ..state.presets import PRESETS
from . import a11y, theme
from .binding import tooltip_below
from .links import HIDEABLE, TABS, page_address

PASSWORD_VARIABLE = "PLAYGROUND_TEACHER_PASSWORD"
MAX_TRIES = 5              # wrong passwords in a row before a pause
PAUSE_S = 30.0             # the pause after MAX_TRIES wrong passwords
STUDENTS_EVERY_MS = 2000   # the list of students is read again this often

OFF = (f'<div class="pg-readout">The teacher\'s page is off on this server. To turn it on, '
       f'start the server with a password in <code>{PASSWORD_VARIABLE}</code>, e.g. '
       f'<code>{PASSWORD_VARIABLE}=choose-one panel serve app.py</code>.</div>')


class Tries:
    """Wrong passwords counted for the whole process, not per page: opening a new page
    does not start the count again."""

    def __init__(self):
        self.wrong = 0
        self.paused_until = 0.0


TRIES = Tries()


def configured_password() -> str:
    return os.environ.get(PASSWORD_VARIABLE, "")


class TeacherPage(pn.viewable.Viewer):
    """One teacher's page. ``password``: the server's (None: from the environment)."""

    def __init__(self, store: Store, password: str | None = None, clock=time.monotonic,
                 tries: Tries | None = None, **params):
        super().__init__(**params)
        for css in (theme.PAGE_CSS, a11y.A11Y_CSS):      # the app's styles, focus rings
            if css not in pn.config.raw_css:
                pn.config.raw_css.append(css)
        self.store, self.clock = store, clock
        self.tries = TRIES if tries is None else tries
        self.password = configured_password() if password is None else password
        self.signed_in = False
        self.code = ""
        self.message = pn.pane.HTML(margin=(4, 5), sizing_mode="stretch_width")
        # signing in
        self.password_input = pn.widgets.PasswordInput(
            placeholder="teacher password", width=200,
            description="The password the server was started with (PLAYGROUND_TEACHER_PASSWORD).")
        self.sign_in_button = pn.widgets.Button(label="Sign in", color="primary", width=90,
                                                description="Open the teacher's page.")
        self.sign_in_button.on_click(lambda e: self.sign_in(self.password_input.value))
        # a class
        self.title_input = pn.widgets.TextInput(placeholder="class name, e.g. Year 10",
                                                width=220, max_length=60,
                                                description="A name for the new class.")
        self.create_button = pn.widgets.Button(
            label="Make a class", color="primary", width=120, align="end",
            description="Make a new class with its own short code.")
        self.create_button.on_click(lambda e: self.create_class(self.title_input.value))
        self.class_select = pn.widgets.Select(label="Class", width=260, options={},
                                              description="The class you are teaching.")
        self.class_select.param.watch(lambda e: self.choose(e.new), "value")
        self.class_info = pn.pane.HTML(margin=(4, 5), sizing_mode="stretch_width")
        # pushes
        self.link_input = pn.widgets.TextInput(
            label="A set-up (a link of the app)", width=420,
            placeholder="http://…/app?dataset=xor&hidden=4,2",
            description="Copy the link of a set-up from the app's address bar.")
        self.lesson_select = pn.widgets.Select(
            label="A lesson", width=260, options={p.title: k for k, p in PRESETS.items()},
            description="A lesson to open on every student page.")
        self.tab_select = pn.widgets.Select(label="A tab", width=160, options=list(TABS),
                                            description="A tab to open on every student page.")
        self.hide_select = pn.widgets.MultiChoice(label="Controls to hide", width=420,
                                                  options=list(HIDEABLE),
                                                  description="Controls to hide on every "
                                                  "student page (none: show them all).")
        self.push_buttons = {}
        for kind, label in (("setup", "Open this set-up"), ("lesson", "Open this lesson"),
                            ("tab", "Open this tab"), ("hide", "Hide these (only)"),
                            ("lock", "Lock their controls"), ("unlock", "Unlock them")):
            b = pn.widgets.Button(label=label, width=150, color="primary", align="end",
                                  description=tooltip_below(
                                      "Send it to every student page of the class."))
            b.on_click(lambda e, kind=kind: self.push(kind))
            self.push_buttons[kind] = b
        self.students = pn.pane.HTML(margin=(4, 5), sizing_mode="stretch_width")
        self.teaching = pn.Column(
            pn.pane.HTML('<div class="pg-section-title">Your class</div>', margin=(6, 5, 0, 5)),
            pn.Row(self.title_input, self.create_button), self.class_select, self.class_info,
            pn.pane.HTML('<div class="pg-section-title">Open on every student page</div>',
                         margin=(10, 5, 0, 5)),
            pn.Row(self.link_input, self.push_buttons["setup"]),
            pn.Row(self.lesson_select, self.push_buttons["lesson"]),
            pn.Row(self.tab_select, self.push_buttons["tab"]),
            pn.Row(self.hide_select, self.push_buttons["hide"]),
            pn.Row(self.push_buttons["lock"], self.push_buttons["unlock"]),
            pn.pane.HTML('<div class="pg-section-title">Students</div>', margin=(10, 5, 0, 5)),
            self.students, visible=False, margin=0)
        self.gate = pn.Row(self.password_input, self.sign_in_button, margin=0,
                           visible=bool(self.password))
        if not self.password:
            self.message.object = OFF
        self._callback = None

    # ------------------------------------------------------------------ actions
    def sign_in(self, typed: str) -> bool:
        if not self.password or self.signed_in:
            return self.signed_in
        now, tries = self.clock(), self.tries
        if now < tries.paused_until:
            self._say(f"Too many wrong passwords: try again in "
                      f"{tries.paused_until - now:.0f} s.", error=True)
            return False
        if not hmac.compare_digest(str(typed).encode(), self.password.encode()):
            tries.wrong += 1
            if tries.wrong >= MAX_TRIES:
                tries.wrong, tries.paused_until = 0, now + PAUSE_S
            self._say("That is not the teacher password.", error=True)
            return False
        self.signed_in, tries.wrong = True, 0
        self.password_input.value = ""
        self.gate.visible, self.teaching.visible = False, True
        self._classes()
        self._say("Signed in. Make a class, or choose one.")
        if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            self._callback = pn.state.add_periodic_callback(self.show_students,
                                                            period=STUDENTS_EVERY_MS)
        return True

    def create_class(self, title: str) -> str:
        if not self.signed_in:
            return ""
        code = self.store.create_class(title)
        self._classes()
        self.class_select.value = code
        return code

    def choose(self, code: str | None):
        self.code = code or ""
        if not self.code:
            self.class_info.object = ""
            return
        link = f"{self._base()}?class={self.code}"
        self.class_info.object = (
            f'<div class="pg-readout">Class code <b style="font-size:20px">{self.code}</b>. '
            f'Students open <code>{html.escape(link)}</code> (or type the code in '
            f'that address) and choose a name.</div>')
        self.show_students()

    def push(self, kind: str) -> bool:
        if not (self.signed_in and self.code):
            self._say("Choose a class first.", error=True)
            return False
        if kind == "setup":
            link = self.link_input.value.strip()
            if "?" not in link and "=" not in link:
                self._say("Paste a link of the app (its address, with the part after ?).",
                          error=True)
                return False
            payload, what = {"link": link[:2000]}, "the set-up"
        elif kind == "lesson":
            payload, what = {"preset": self.lesson_select.value}, "the lesson"
        elif kind == "tab":
            payload, what = {"tab": self.tab_select.value}, f"the {self.tab_select.value} tab"
        elif kind in ("lock", "unlock"):
            payload = {}
            what = "a lock on the controls" if kind == "lock" else "the controls unlocked"
        else:
            payload = {"hide": list(self.hide_select.value)}
            what = "the page with those controls hidden" if payload["hide"] else "every control"
        try:
            self.store.push(self.code, kind, payload)
        except ValueError as exc:
            self._say(f"Not sent: {exc}.", error=True)
            return False
        self._say(f"Sent {what} to every student page of {self.code}.")
        return True

    def show_students(self):
        if not self.code:
            self.students.object = ""
            return
        names = [s.name for s in self.store.students(self.code)]
        if not names:
            self.students.object = '<div class="pg-readout">No one has joined yet.</div>'
            return
        items = "".join(f"<li>{html.escape(n)}</li>" for n in names)
        self.students.object = (f'<div class="pg-readout">{len(names)} joined:</div>'
                                f'<ul class="pg-readout">{items}</ul>')

    def stop(self, *_):
        if self._callback is not None:
            self._callback.stop()
            self._callback = None

    # ------------------------------------------------------------------ helpers
    def _classes(self):
        self.class_select.options = {f"{code} — {title}": code
                                     for code, title in self.store.classes()}

    def _say(self, text: str, error: bool = False):
        kind = "danger" if error else "info"
        self.message.object = (f'<div class="pg-status pg-status-{kind}" role="status">'
                               f'{html.escape(text)}</div>')

    @staticmethod
    def _base() -> str:
        return page_address(pn.state.location) or "/app"

    def __panel__(self):
        header = pn.pane.HTML('<div class="pg-header"><h1>Neural Network Playground</h1>'
                              '<span class="pg-tagline">The teacher\'s page</span></div>',
                              sizing_mode="stretch_width", margin=(4, 5, 0, 5))
        if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            pn.state.on_session_destroyed(self.stop)
        layout = pn.Column(header, self.message, self.gate, self.teaching,
                           sizing_mode="stretch_width", margin=0)
        a11y.name_controls(layout)          # a hidden label where a control shows none
        return layout
