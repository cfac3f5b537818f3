"""The teacher's page (``/app?teacher``): sign in with the server's teacher password, make a
class, and open a set-up, a lesson or a tab, or hide controls, on every student page; set
a challenge; watch the class board (every student's live row and picture, sortable, the
challenge's leaderboard, a CSV of the results).

Without ``PLAYGROUND_TEACHER_PASSWORD`` on the server there is no teacher page: it says how
to set the password and offers nothing else."""
from __future__ import annotations

import hmac
import html
import io
import os
import time

import panel as pn

from ..classroom import board
from ..classroom.challenge import MAX_EPOCHS, MAX_LAYERS, MAX_NEURONS, METRICS, Goal
from ..classroom.store import GHOST_S, Store
from ..engine import datasets, features
from ..state.presets import PRESETS
from . import a11y, prompt, theme
from .binding import tooltip_below
from .links import HIDEABLE, TABS, page_address

PASSWORD_VARIABLE = "PLAYGROUND_TEACHER_PASSWORD"
MAX_TRIES = 5              # wrong passwords in a row before a pause
PAUSE_S = 30.0             # the pause after MAX_TRIES wrong passwords
BOARD_EVERY_MS = 500       # the class board is read again this often (rows: twice a second)
STATE_COLOURS = {"training": "#1a7f37", "idle": "#555", "stopped": "#555",
                 "diverged": "#b42318", "away": "#999"}

BOARD_CSS = """
table { border-collapse: collapse; font-size: 13px; }
th { text-align: left; font-weight: 600; color: #444; border-bottom: 2px solid #ddd; }
th, td { padding: 3px 10px 3px 4px; vertical-align: middle; }
tr + tr td { border-top: 1px solid #eee; }
td:nth-child(n+4) { font-variant-numeric: tabular-nums; }
"""

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

    def __init__(self, store: Store | None, password: str | None = None, clock=time.monotonic,
                 tries: Tries | None = None, problem: str = "", **params):
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
        # a challenge
        self.goal_dataset = pn.widgets.Select(
            label="Data set", width=130, value="spiral", options=list(datasets.DATASETS),
            description="The data every student learns (the challenge opens it on their pages).")
        self.goal_noise = pn.widgets.IntInput(label="Noise", value=0, start=0, end=50, width=70,
                                              description="The data's noise (0..50), the same "
                                              "for everyone.")
        self.goal_metric = pn.widgets.Select(label="Goal", width=130, value="test_accuracy",
                                             options={v: k for k, v in METRICS.items()},
                                             description="Which number the students must reach.")
        self.goal_target = pn.widgets.FloatInput(
            label="Target (accuracy %, or loss)", value=95.0, start=0, width=150,
            description="Accuracy: at least this many percent of the test points right. "
                        "Loss: at most this test loss.")
        self.goal_layers = pn.widgets.IntInput(label="Max layers", value=2, start=0,
                                               end=MAX_LAYERS, width=90,
                                               description="At most this many hidden layers "
                                               "(0: no limit).")
        self.goal_neurons = pn.widgets.IntInput(label="Max neurons", value=6, start=0,
                                                end=MAX_NEURONS, width=90,
                                                description="At most this many neurons in each "
                                                "hidden layer (0: no limit).")
        self.goal_features = pn.widgets.CheckButtonGroup(
            label="Features allowed (none: any)", value=["x1", "x2"], color="primary",
            variant="outline", options={features.FEATURE_LABELS[f]: f
                                        for f in features.FEATURES},
            description="The input features students may use (none chosen: any).")
        self.goal_epochs = pn.widgets.IntInput(label="Max epochs", value=MAX_EPOCHS, start=1,
                                               end=MAX_EPOCHS, width=100,
                                               description="The goal must be reached within "
                                               "this many epochs (the server retrains "
                                               "each submission that far).")
        self.goal_button = pn.widgets.Button(label="Set this challenge", width=150,
                                             color="primary", align="end",
                                             description=tooltip_below(
                                                 "Show this goal on every student page, "
                                                 "checked live, with a Submit button."))
        self.goal_button.on_click(lambda e: self.set_challenge())
        self.end_button = pn.widgets.Button(label="End the challenge", width=150, align="end",
                                            description=tooltip_below(
                                                "Take the goal off the students' pages."))
        self.end_button.on_click(lambda e: self.end_challenge())
        self.goal_info = pn.pane.HTML(margin=(4, 5), sizing_mode="stretch_width")
        # the class board
        self.sort_select = pn.widgets.Select(label="Sort by", width=200, value="joined",
                                             options={v: k for k, v in board.SORTS.items()},
                                             description="The order of the board's rows.")
        self.sort_select.param.watch(lambda e: self.show_board(), "value")
        self.csv_button = pn.widgets.FileDownload(
            callback=self.results_csv, filename="class-results.csv", label="Results (CSV)",
            width=140, align="end", embed=False,
            description="Every student's row and best verified result, for a spreadsheet.")
        self.board_only = pn.widgets.Button(
            label="Board only (projector)", width=190, align="end",
            description=tooltip_below("Hide the controls and show the class board across "
                                      "the screen, e.g. on the projector; again: show them."))
        self.board_only.on_click(lambda e: self.show_board_only(self.controls.visible))
        self.board = pn.pane.HTML(margin=(4, 5), sizing_mode="stretch_width",
                                  stylesheets=[BOARD_CSS])
        self.leaders = pn.pane.HTML(margin=(4, 5), sizing_mode="stretch_width",
                                    stylesheets=[BOARD_CSS])
        self.controls = controls = pn.Column(
            pn.pane.HTML('<div class="pg-section-title">Your class</div>', margin=(6, 5, 0, 5)),
            pn.Row(self.title_input, self.create_button), self.class_select, self.class_info,
            pn.pane.HTML('<div class="pg-section-title">Open on every student page</div>',
                         margin=(10, 5, 0, 5)),
            pn.Row(self.link_input, self.push_buttons["setup"]),
            pn.Row(self.lesson_select, self.push_buttons["lesson"]),
            pn.Row(self.tab_select, self.push_buttons["tab"]),
            pn.Row(self.hide_select, self.push_buttons["hide"]),
            pn.Row(self.push_buttons["lock"], self.push_buttons["unlock"]),
            pn.pane.HTML('<div class="pg-section-title">Challenge</div>', margin=(10, 5, 0, 5)),
            pn.Row(self.goal_dataset, self.goal_noise, self.goal_metric, self.goal_target),
            pn.Row(self.goal_layers, self.goal_neurons, self.goal_epochs),
            pn.pane.HTML('<div style="font-size:13px">Features allowed (none chosen: any)'
                         '</div>', margin=(4, 10, 0, 10)), self.goal_features,
            pn.Row(self.goal_button, self.end_button), self.goal_info, width=640, margin=0)
        boards = pn.Column(
            pn.pane.HTML('<div class="pg-section-title">Class board</div>',
                         margin=(6, 5, 0, 5)),
            pn.Row(self.sort_select, self.csv_button, self.board_only), self.board,
            pn.pane.HTML('<div class="pg-section-title">Leaderboard</div>',
                         margin=(10, 5, 0, 5)),
            self.leaders, margin=0, styles={"flex": "1 1 520px", "min-width": "0"})
        # side by side on a wide screen, the board under the controls on a narrow one
        self.teaching = pn.FlexBox(controls, boards, flex_wrap="wrap", visible=False,
                                   sizing_mode="stretch_width", margin=0)
        if store is None:                     # no class database: nothing to sign in to
            self.password = ""
        self.gate = pn.Row(self.password_input, self.sign_in_button, margin=0,
                           visible=bool(self.password))
        if store is None:
            self._say(f"The class database cannot be opened ({problem or 'unknown reason'}). "
                      "Check PLAYGROUND_DB (an SQLite file the server may write, or a "
                      "postgresql:// address) and restart the server.", error=True)
        elif not self.password:
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
            self._callback = pn.state.add_periodic_callback(self.show_board,
                                                            period=BOARD_EVERY_MS)
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
            f'Students open <code>{html.escape(link)}</code> (or type the code on '
            f'any page of the app: <i>Class → Join class</i>) and choose a name.</div>')
        self._show_goal()
        self.show_board()

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

    # ------------------------------------------------------------------ the challenge
    def goal_payload(self) -> dict:
        metric = self.goal_metric.value
        target = float(self.goal_target.value or 0)
        return {"dataset": self.goal_dataset.value, "noise": self.goal_noise.value or 0,
                "metric": metric,
                "target": target / 100 if metric == "test_accuracy" else target,
                "max_layers": self.goal_layers.value or None,
                "max_neurons": self.goal_neurons.value or None,
                "features": list(self.goal_features.value) or None,
                "max_epochs": self.goal_epochs.value or MAX_EPOCHS}

    def set_challenge(self) -> bool:
        if not (self.signed_in and self.code):
            self._say("Choose a class first.", error=True)
            return False
        try:
            goal = Goal.from_payload(self.goal_payload())
        except ValueError as exc:
            self._say(f"Not sent: {exc}.", error=True)
            return False
        self.store.push(self.code, "challenge", goal.payload())
        self._say("Sent the challenge to every student page of "
                  f"{self.code}: {goal.describe()}")
        self._show_goal()
        self.show_board()
        return True

    def end_challenge(self) -> bool:
        if not (self.signed_in and self.code):
            return False
        self.store.push(self.code, "challenge", {"off": True})
        self._say("The challenge is off the students' pages.")
        self._show_goal()
        return True

    def _goal(self):
        """(push id, Goal) of the class's challenge now, or (0, None)."""
        push = self.store.challenge(self.code) if self.code else None
        if push is None or push.payload.get("off"):
            return 0, None
        try:
            return push.id, Goal.from_payload(push.payload)
        except ValueError:
            return 0, None

    def _show_goal(self):
        _, goal = self._goal()
        self.goal_info.object = ('<div class="pg-readout">No challenge is set.</div>'
                                 if goal is None else
                                 f'<div class="pg-readout"><strong>Now:</strong> '
                                 f'{html.escape(goal.describe())}</div>')

    # ------------------------------------------------------------------ the board
    def show_board(self):
        """The class board and the leaderboard, read again from the database."""
        if not self.code:
            self.board.object = self.leaders.object = ""
            return
        rows = board.sort_rows(self.store.board(self.code), self.sort_select.value)
        challenge, goal = self._goal()
        subs = self.store.submissions(self.code, challenge) if goal else []
        met = {s.student for s in subs if s.verified}
        text = board_table(rows, met, self._base(), goal is not None)
        if self.board.object != text:
            self.board.object = text
        leaders = leaderboard_table(goal, subs, self._base()) if goal else ""
        if self.leaders.object != leaders:
            self.leaders.object = leaders

    def show_board_only(self, on: bool):
        """The board across the screen (for the projector), or the controls beside it."""
        self.controls.visible = not on
        self.board_only.label = "Show the controls" if on else "Board only (projector)"

    def results_csv(self):
        """The CSV file of the class's results (the board and the best verified results)."""
        challenge, goal = self._goal()
        subs = self.store.submissions(self.code, challenge) if (self.code and goal) else []
        rows = self.store.board(self.code) if self.code else []
        return io.StringIO(board.to_csv(rows, subs, goal))

    def stop(self, *_):
        if self._callback is not None:
            self._callback.stop()
            self._callback = None

    # ------------------------------------------------------------------ helpers
    def _classes(self):
        classes = self.store.classes()
        self.class_select.options = {f"{code} — {title}": code for code, title in classes}
        if classes and self.code not in {code for code, _ in classes}:
            self.class_select.value = classes[-1][0]       # the newest class, at once

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
            a11y.install_names(pn.state.curdoc)      # names for the number boxes' arrows
        layout = pn.Column(header, self.message, self.gate, self.teaching,
                           sizing_mode="stretch_width", margin=0)
        a11y.name_controls(layout)          # a hidden label where a control shows none
        prompt.prompt_controls(layout)      # a choice answered at once
        return layout


def _percent(v) -> str:
    return "—" if v is None else f"{100 * v:.1f} %"


def _loss(v) -> str:
    return "—" if v is None else f"{v:.4f}"


def board_table(rows, met: set, base: str, challenge: bool) -> str:
    """The class board as an HTML table: a row per student (names escaped; the name and
    the picture open the student's set-up in a new tab)."""
    if not rows:
        return '<div class="pg-readout">No one has joined yet.</div>'
    head = ("<tr><th></th><th>Name</th><th>State</th><th>Epoch</th><th>Best accuracy</th>"
            "<th>Best test loss</th><th>Hidden layers</th><th>Weights</th>"
            + ("<th>Challenge</th>" if challenge else "") + "</tr>")
    body = []
    for r in rows:
        live, state = r.live, board.state_of(r, away_s=GHOST_S)
        href = html.escape(base + live["link"] if live.get("link") is not None else "",
                           quote=True)
        name = html.escape(r.name)
        pic = live.get("picture")
        img = (f'<img src="{html.escape(pic, quote=True)}" width="40" height="40" '
               f'alt="{name}\'s output" style="image-rendering:pixelated;border:1px solid #ccc">'
               if isinstance(pic, str) and pic.startswith("data:image/png;base64,") else "")
        if href:
            img = f'<a href="{href}" target="_blank" rel="noopener">{img}</a>' if img else ""
            name = (f'<a href="{href}" target="_blank" rel="noopener" '
                    f'title="Open {name}\'s set-up in a new tab">{name}</a>')
        layers = ", ".join(str(int(n)) for n in live.get("layers", [])) or "none"
        body.append(
            f'<tr data-student="{r.id}"><td>{img}</td><td>{name}</td>'
            f'<td style="color:{STATE_COLOURS.get(state, "#555")}">{state}</td>'
            f'<td>{int(live.get("epoch", 0)):,}</td><td>{_percent(live.get("best_accuracy"))}</td>'
            f'<td>{_loss(live.get("best_loss"))}</td><td>{layers}</td>'
            f'<td>{int(live.get("weights", 0))}</td>'
            + (f'<td>{"✓ met" if r.name in met else ""}</td>' if challenge else "") + "</tr>")
    return (f'<div class="pg-readout">{len(rows)} joined.</div>'
            f'<table class="pg-board" style="border-collapse:collapse;font-size:13px">'
            f'{head}{"".join(body)}</table>')


def leaderboard_table(goal, subs, base: str) -> str:
    """The challenge's leaderboard: each student's best verified submission, best first,
    and how many submissions the server refused."""
    leaders = board.leaderboard(goal, subs)
    refused = sum(not s.verified for s in subs)
    note = (f'<div class="pg-readout">{len(subs)} submitted, {refused} refused by the '
            f'server\'s retraining.</div>')
    if not leaders:
        return note + '<div class="pg-readout">No verified result yet.</div>'
    rows = []
    for rank, s in enumerate(leaders, 1):
        m = s.metrics
        value = (_percent(m.get("test_accuracy")) if goal.metric == "test_accuracy"
                 else _loss(m.get("test_loss")))
        href = html.escape(base + s.link, quote=True)
        rows.append(f'<tr><td>{rank}</td><td><a href="{href}" target="_blank" rel="noopener">'
                    f'{html.escape(s.student)}</a></td><td>{value}</td>'
                    f'<td>{int(m.get("weights", 0))}</td><td>{int(m.get("epoch", 0)):,}</td></tr>')
    head = (f"<tr><th>#</th><th>Name</th><th>{METRICS[goal.metric]}</th><th>Weights</th>"
            "<th>Epoch</th></tr>")
    return (note + '<table class="pg-leaders" style="border-collapse:collapse;font-size:13px">'
            + head + "".join(rows) + "</table>")
