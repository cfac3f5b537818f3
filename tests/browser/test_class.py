"""Class mode in the browser: the teacher signs in on /app?teacher and makes a class, two
students join it from its link, and a set-up the teacher opens shows on both student pages
within two seconds, with a banner.

The whole class live (each page its own browser context): three students get a set-up
within 2 s and are all on the board; a challenge set from the teacher's form is met,
submitted and confirmed by the server's retraining (the card, the board's "✓ met" and the
leaderboard agree with the page's numbers); a submission whose link does not give its
numbers (the learning rate changed after the goal was reached) is refused and counted; and
a restart of a server of the test's own keeps the class, the board row and the name."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest

from playground.classroom.store import Store

from tests.support import free_ports

from .conftest import (ARTIFACTS, CLASS_DB, ROOT, SERVER_START_TIMEOUT, TEACHER_PASSWORD,
                       _TRACEBACK)
from .test_a11y import BLOCKING, EXCEPTIONS
from .test_page import button, chosen, epoch, pause, play, select, wait_until

pytestmark = pytest.mark.browser


def assert_accessible(page, when: str):
    """axe-core finds no serious or critical problem on the page with its class bar."""
    from axe_playwright_python.sync_playwright import Axe
    violations = Axe().run(page).response["violations"]
    bad = [f"{v['id']} ({v['impact']}): {v['help']} {[n['target'] for n in v['nodes'][:3]]}"
           for v in violations if v.get("impact") in BLOCKING and v["id"] not in EXCEPTIONS]
    assert not bad, f"{when}: " + "; ".join(bad)


def test_students_join_and_a_push_reaches_every_page(page, browser, server):
    db = Store.open(str(CLASS_DB))
    teacher = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    pages = [page, other]
    try:
        teacher.goto(f"{server}/app?teacher")
        box = teacher.get_by_placeholder("teacher password")
        box.wait_for(state="visible", timeout=60_000)
        box.fill("wrong")
        button(teacher, "Sign in").click()
        teacher.get_by_text("That is not the teacher password").wait_for(timeout=10_000)
        box.fill(TEACHER_PASSWORD)
        button(teacher, "Sign in").click()
        title = teacher.get_by_placeholder("class name, e.g. Year 10")
        title.wait_for(state="visible", timeout=10_000)
        title.fill("Year 10")
        button(teacher, "Make a class").click()
        teacher.get_by_text("Class code").wait_for(timeout=10_000)
        code = wait_until(lambda: next((c for c, t in db.classes() if t == "Year 10"), None),
                          10, message="the class in the database")
        assert code in teacher.get_by_text("Class code").inner_text()
        assert_accessible(teacher, "the teacher's page")
        for pg, name in zip(pages, ("Ada", "Grace")):
            pg.goto(f"{server}/app?class={code}")
            pg.get_by_text("type your name to join").wait_for(state="visible", timeout=60_000)
            if pg is page:
                assert_accessible(pg, "before joining")
            box = pg.get_by_placeholder("your name")
            box.fill(name)
            box.press("Enter")
            pg.get_by_text(f"Year 10 as {name}").wait_for(state="visible", timeout=10_000)
        assert sorted(s.name for s in db.students(code)) == ["Ada", "Grace"]
        assert_accessible(page, "after joining")
        page.screenshot(path=str(ARTIFACTS / "class-student-joined.png"))
        teacher.get_by_text("Grace").wait_for(timeout=10_000)     # the list of students
        teacher.screenshot(path=str(ARTIFACTS / "class-teacher-page.png"), full_page=True)
        teacher.get_by_placeholder("http://…/app?dataset=xor&hidden=4,2").fill(
            f"{server}/app?dataset=xor&hidden=3")
        sent = time.monotonic()
        button(teacher, "Open this set-up").click()
        for pg in pages:
            wait_until(lambda: "Your teacher opened a set-up" in
                       pg.locator(".pg-status").filter(visible=True).inner_text(), 5,
                       message="the teacher's set-up on every page")
            wait_until(lambda: chosen(pg, "XOR"), 5,
                       message="the XOR tile chosen")
        took = time.monotonic() - sent
        assert took < 4.0, took           # within about 2 s each (polled once a second)
        page.screenshot(path=str(ARTIFACTS / "class-push-arrived.png"))
        button(teacher, "Lock their controls").click()
        for pg in pages:
            wait_until(lambda: button(pg, "Play").is_disabled(), 5,
                       message="Play locked on every student page")
        page.keyboard.press("Space")                      # the keys are locked too
        page.wait_for_timeout(500)
        assert button(page, "Play").is_visible()
        button(teacher, "Unlock them").click()
        wait_until(lambda: button(page, "Play").is_enabled(), 5, message="Play unlocked")
        assert f"class={code}" in page.evaluate("location.search")
    finally:
        other.context.close()
        teacher.context.close()
        db.close()


# ====================================================================== the whole class live
# A teacher and three students, a challenge met and confirmed, a forged submission refused,
# and a server restart that keeps the class. Every page is a separate browser context (its
# own Bokeh session), as a classroom's laptops are.

VIEWPORT = {"width": 1280, "height": 900}
PAGE_LOAD = 90_000              # ms: a page's first load on a busy two-core machine
SETUP_LINK = "/app?dataset=xor&hidden=3"
BOARD_COLUMNS = ("picture", "name", "state", "epoch", "best accuracy", "best test loss",
                 "hidden layers", "weights", "challenge")


def unique_title(what: str) -> str:
    """A class title no other test (or run) uses: each test has its own class."""
    return f"{what} {uuid.uuid4().hex[:6]}"


class Watcher:
    """Browser contexts opened by a test, each watched for console errors and page errors
    (like the ``page`` fixture's); closed, and judged, at the end."""

    def __init__(self, browser):
        self.browser, self.contexts, self.errors = browser, [], []

    def new_page(self, who: str):
        context = self.browser.new_context(viewport=VIEWPORT)
        self.contexts.append(context)
        pg = context.new_page()
        pg.on("console", lambda m: self.errors.append(f"{who}: console.{m.type}: {m.text}")
              if m.type == "error" else None)
        pg.on("pageerror", lambda e: self.errors.append(f"{who}: pageerror: {e}"))
        return pg

    def forget(self, who: str):
        """Drop what ``who``'s page logged so far (a page that lost its server and was
        then opened again: its old document's complaints are not a fault)."""
        self.errors = [e for e in self.errors if not e.startswith(f"{who}: ")]

    def close(self):
        for context in self.contexts:
            try:
                context.close()
            except Exception as exc:      # closing must not hide the test's own failure
                print(f"closing a browser context failed: {exc}")


def sign_in(teacher, base: str, loaded=lambda: None):
    teacher.goto(f"{base}/app?teacher", timeout=PAGE_LOAD)
    loaded()
    box = teacher.get_by_placeholder("teacher password")
    box.wait_for(state="visible", timeout=PAGE_LOAD)
    box.fill(TEACHER_PASSWORD)
    button(teacher, "Sign in").click()
    teacher.get_by_placeholder("class name, e.g. Year 10").wait_for(state="visible",
                                                                      timeout=20_000)


def make_class(teacher, db: Store, title: str) -> str:
    """Make the class ``title`` on the signed-in teacher's page; its code (from the page,
    checked against the database)."""
    teacher.get_by_placeholder("class name, e.g. Year 10").fill(title)
    button(teacher, "Make a class").click()
    code = wait_until(lambda: next((c for c, t in db.classes() if t == title), None), 20,
                      message=f"the class {title!r} in the database")
    wait_until(lambda: code in teacher.get_by_text("Class code").inner_text(), 20,
               message=f"the class code {code} on the teacher's page")
    return code


def join(pg, base: str, code: str, title: str, name: str, typed: bool = False):
    """Open the class's link on ``pg`` (or, ``typed``, the plain page, and type the code
    into its "Join a class" box) and join under ``name``."""
    if typed:
        pg.goto(f"{base}/app", timeout=PAGE_LOAD)
        box = pg.get_by_placeholder("class code")
        box.wait_for(state="visible", timeout=PAGE_LOAD)
        box.fill(f"{code[:3].lower()} {code[3:].lower()}")    # as a student might type it
        button(pg, "Join class").click()
        wait_until(lambda: f"class={code}" in pg.evaluate("location.search"), 10,
                   message="the class code in the address bar")
    else:
        pg.goto(f"{base}/app?class={code}", timeout=PAGE_LOAD)
    pg.get_by_text("type your name to join").wait_for(state="visible", timeout=PAGE_LOAD)
    box = pg.get_by_placeholder("your name")
    box.fill(name)
    box.press("Enter")
    pg.get_by_text(f"{title} as {name}").wait_for(state="visible", timeout=20_000)


def board_rows(teacher) -> dict:
    """The teacher's class board: {name: {column: text}} (BOARD_COLUMNS)."""
    rows = {}
    for row in teacher.locator("table.pg-board tr[data-student]").all():
        cells = [c.strip() for c in row.locator("td").all_inner_texts()]
        cell = dict(zip(BOARD_COLUMNS, cells))
        assert cell["name"] not in rows, f"two board rows for {cell['name']!r}"
        rows[cell["name"]] = cell
    return rows


def leaderboard(teacher) -> tuple[str, list[list[str]]]:
    """The leaderboard's note ('N submitted, M refused …') and its rows
    ([rank, name, value, weights, epoch])."""
    # the note and the rows are read one after the other: a render of the board between
    # two reads would pair one render's rows with another's note ("0 submitted" beside
    # Ada's row, seen once in CI); the note is read again after the rows until it stayed
    for _ in range(20):
        note = teacher.get_by_text("refused by the server's retraining").inner_text()
        rows = [[c.strip() for c in r.locator("td").all_inner_texts()]
                for r in teacher.locator("table.pg-leaders tr").all()]
        if teacher.get_by_text("refused by the server's retraining").inner_text() == note:
            break
    return note, [r for r in rows if r]


def has_banner(pg, text: str) -> bool:
    return pg.locator(".pg-status").filter(has_text=text).count() > 0


def set_challenge(teacher, db: Store, code: str) -> dict:
    """Fill the teacher's challenge form with a goal that trains in seconds and set it;
    the goal as the database has it."""
    select(teacher, "Data set").select_option("xor")           # the form's default is spiral
    for label, value in (("Target (accuracy %, or loss)", "90"), ("Max layers", "2"),
                         ("Max neurons", "6"), ("Max epochs", "3000")):
        box = teacher.get_by_label(label, exact=True)
        box.fill(value)
        box.press("Enter")
    allowed = teacher.locator(".bk-btn-group .bk-btn.bk-active")   # the features allowed
    assert sorted(t.strip() for t in allowed.all_inner_texts()) == ["X₁", "X₂"]
    before = db.challenge(code)
    button(teacher, "Set this challenge").click()
    push = wait_until(lambda: (lambda p: p if p and p != before else None)(db.challenge(code)),
                      20, message="the challenge in the database")
    goal = push.payload
    assert (goal["dataset"], goal["metric"], goal["max_layers"], goal["max_neurons"],
            goal["features"], goal["max_epochs"]) == (
        "xor", "test_accuracy", 2, 6, ["x1", "x2"], 3000), goal
    assert abs(goal["target"] - 0.9) < 1e-9, goal
    now = teacher.locator(".pg-readout").filter(has_text="Now:")
    now.filter(has_text="on xor").wait_for(timeout=10_000)
    assert "within 3,000 epochs" in now.inner_text(), now.inner_text()
    return goal


def checklist(pg) -> str:
    return pg.locator(".pg-checks").inner_text()


def see_challenge(pg):
    """The challenge card and the challenge's data (XOR) on a student page."""
    pg.get_by_text("Challenge:", exact=True).wait_for(state="visible", timeout=20_000)
    card = pg.locator(".pg-readout").filter(has_text="Challenge:").inner_text()
    assert "on xor" in card and "3,000 epochs" in card and "accuracy ≥ 90 %" in card, card
    wait_until(lambda: chosen(pg, "XOR"), 10,
               message="the challenge's XOR data opened on the student page")
    wait_until(lambda: "✗" in checklist(pg) or "✓" in checklist(pg), 10,
               message="the challenge's checklist")
    assert button(pg, "Submit").is_disabled(), "Submit is enabled before any training"


def train_until_met(pg, timeout: float = 120.0) -> str:
    """Play until the checklist has no ✗, pause, and wait until Submit is enabled for the
    paused run (training again if the paused run fell short); the checklist then."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"the goal was not met within {timeout}s: {checklist(pg)}"
        play(pg)
        wait_until(lambda: "✗" not in checklist(pg), left,
                   message="every item of the checklist met while training")
        pause(pg)
        try:
            # the paused run's checklist (written twice a second) decides the button
            wait_until(lambda: button(pg, "Submit").is_enabled() and "✗" not in checklist(pg),
                       5, message="Submit enabled on the paused run")
            pg.wait_for_timeout(700)               # one more report: still met, still enabled
            if button(pg, "Submit").is_enabled() and "✗" not in checklist(pg):
                return checklist(pg)
        except AssertionError:
            pass                                   # it fell short when paused: train on


def percent_in(text: str, after: str) -> float:
    """The first 'NN.N %' in ``text`` after ``after``."""
    m = re.search(re.escape(after) + r".*?(\d+(?:\.\d+)?) %", text, re.S)
    assert m, f"no percentage after {after!r} in {text!r}"
    return float(m.group(1))


def test_a_teacher_and_three_students_in_one_class(page, browser, server):
    """Three student pages join by name (two from the class's link, one by typing its code
    on the plain page); the teacher's set-up reaches every one within 2 s
    of being sent, with its banner; the board lists all three."""
    db = Store.open(str(CLASS_DB))
    watch = Watcher(browser)
    title = unique_title("Three students")
    names = ("Ada", "Grace", "Alan")
    try:
        page.set_viewport_size(VIEWPORT)
        students = [page, watch.new_page("Grace"), watch.new_page("Alan")]
        teacher = watch.new_page("teacher")
        sign_in(teacher, server)
        code = make_class(teacher, db, title)
        for pg, name in zip(students, names):
            join(pg, server, code, title, name, typed=name == "Alan")
        assert sorted(s.name for s in db.students(code)) == sorted(names)
        rows = wait_until(lambda: (lambda r: r if set(r) == set(names) else None)(
            board_rows(teacher)), 15, message="all three names on the teacher's board")
        assert teacher.get_by_text("3 joined.").is_visible()
        for name in names:
            assert rows[name]["state"] in ("idle", "training"), rows[name]
        teacher.get_by_placeholder("http://…/app?dataset=xor&hidden=4,2").fill(
            server + SETUP_LINK)
        before = db.last_push_id(code)
        sent = time.monotonic()
        button(teacher, "Open this set-up").click()
        push = wait_until(lambda: next(iter(db.pushes_since(code, before)), None), 10,
                          message="the set-up in the database")
        in_db = time.monotonic()
        assert push.kind == "setup" and push.payload["link"].endswith(SETUP_LINK), push
        arrived = {}
        deadline = time.monotonic() + 10
        while len(arrived) < len(students) and time.monotonic() < deadline:
            for pg, name in zip(students, names):
                if name not in arrived and has_banner(pg, "Your teacher opened a set-up."):
                    arrived[name] = time.monotonic()
            time.sleep(0.05)
        assert set(arrived) == set(names), f"the set-up's banner reached only {arrived}"
        since_db = {n: round(t - in_db, 2) for n, t in arrived.items()}
        since_click = {n: round(t - sent, 2) for n, t in arrived.items()}
        print(f"the set-up's banner arrived (s after the push was stored): {since_db}; "
              f"(s after the click): {since_click}")
        # (how soon is the load test's figure, `loadtest --class`, not a timed assertion
        # here: the arrival on every page within the 10 s above is what this test checks)
        for pg in students:                                 # and the set-up itself
            wait_until(lambda: chosen(pg, "XOR"),
                       5, message="the XOR tile chosen")
        rows = wait_until(lambda: (lambda r: r if all(r[n]["hidden layers"] == "3"
                                                      for n in names) else None)(
            board_rows(teacher)), 10, message="one hidden layer of 3 on every board row")
        assert len(rows) == 3, rows
        teacher.screenshot(path=str(ARTIFACTS / "class-three-students.png"), full_page=True)
    finally:
        watch.close()
        db.close()
    assert not watch.errors, "\n".join(watch.errors)


def test_a_challenge_is_met_and_shows_on_the_board(page, browser, server):
    """The teacher sets a challenge from the form; a student trains until the live checklist
    is all ✓, submits, and the server's retraining confirms it: the card says so, the board
    marks the student ✓ met, and the leaderboard lists them with the page's numbers."""
    db = Store.open(str(CLASS_DB))
    watch = Watcher(browser)
    title = unique_title("Challenge met")
    try:
        page.set_viewport_size(VIEWPORT)
        teacher = watch.new_page("teacher")
        sign_in(teacher, server)
        code = make_class(teacher, db, title)
        join(page, server, code, title, "Ada")
        board = wait_until(lambda: board_rows(teacher).get("Ada"), 15,
                           message="Ada on the board")
        assert board["state"] in ("idle", "training"), board
        set_challenge(teacher, db, code)
        see_challenge(page)
        wait_until(lambda: board_rows(teacher).get("Ada", {}).get("challenge") == "", 10,
                   message="an empty Challenge column for Ada before any submission")
        checks = train_until_met(page)
        accuracy_now = percent_in(checks, "test accuracy ≥ 90 %")
        assert accuracy_now >= 90.0, checks
        epoch_now = epoch(page)
        assert 0 < epoch_now <= 3000, epoch_now
        button(page, "Submit").click()
        verdict = page.get_by_text("Confirmed by the server")
        verdict.wait_for(timeout=60_000)
        said = verdict.inner_text()
        # the server's numbers are the page's: same link, same seed, same epoch
        assert f"at epoch {epoch_now:,} " in said, (said, epoch_now)
        assert abs(percent_in(said, "test accuracy") - accuracy_now) <= 0.5, (said, checks)
        assert "25 weights" in said, said          # 2 inputs → 4 → 2 → 1: 12 + 10 + 3
        rows = wait_until(lambda: (lambda r: r if r.get("Ada", {}).get("challenge") == "✓ met"
                                   else None)(board_rows(teacher)), 10,
                          message="✓ met for Ada on the teacher's board")
        assert percent_in(rows["Ada"]["best accuracy"], "") >= accuracy_now - 1e-9, rows
        note, leaders = wait_until(lambda: (lambda n, r: (n, r) if r else None)(
            *leaderboard(teacher)), 10, message="Ada on the leaderboard")
        assert "1 submitted, 0 refused" in note, note
        assert len(leaders) == 1 and leaders[0][:2] == ["1", "Ada"], leaders
        assert abs(percent_in(leaders[0][2], "") - accuracy_now) <= 0.5, leaders
        assert leaders[0][3] == "25" and leaders[0][4] == f"{epoch_now:,}", leaders
        [sub] = db.submissions(code)
        assert sub.verified and sub.student == "Ada" and sub.metrics["epoch"] == epoch_now, sub
        teacher.mouse.move(2, 2)                  # no tooltip over the page
        teacher.screenshot(path=str(ARTIFACTS / "class-challenge-met.png"), full_page=True)
    finally:
        watch.close()
        db.close()
    assert not watch.errors, "\n".join(watch.errors)


def test_a_forged_submission_is_refused(page, browser, server):
    """A page that changes the learning rate after reaching the goal submits numbers its
    link does not give: the server's retraining refuses it, the leaderboard counts it as
    refused, and the board shows no ✓ for it, while an honest classmate's is confirmed.
    Both students join after the challenge was set (they get it as late joiners)."""
    db = Store.open(str(CLASS_DB))
    watch = Watcher(browser)
    title = unique_title("Forgery")
    try:
        # a page of its own (navigating the fixture's live page away can race a message of
        # the old session on Bokeh's server, which then logs an AssertionError)
        forger = watch.new_page("Bob")
        honest = watch.new_page("Ada")
        teacher = watch.new_page("teacher")
        sign_in(teacher, server)
        code = make_class(teacher, db, title)
        set_challenge(teacher, db, code)
        join(forger, server, code, title, "Bob")
        join(honest, server, code, title, "Ada")
        for pg in (forger, honest):
            see_challenge(pg)
        # Bob trains at a learning rate of 0.1, then switches to 3 and submits
        rate = select(forger, "Learning rate")
        rate.select_option("0.1")
        checks = train_until_met(forger)
        epoch_then = epoch(forger)
        rate.select_option("3")
        forger.wait_for_timeout(1200)         # a few board reports with the new rate
        assert epoch(forger) == epoch_then, "changing the learning rate restarted the run"
        assert "✗" not in checklist(forger), checklist(forger)
        assert button(forger, "Submit").is_enabled(), "Submit disabled after the rate change"
        button(forger, "Submit").click()
        refused = forger.get_by_text("Not accepted:")
        refused.wait_for(timeout=60_000)
        said = refused.inner_text()
        assert "retrained from the link" in said, said
        print(f"Bob's page claimed: {checks!r}; the server said: {said!r}")
        note, leaders = wait_until(lambda: (lambda n, r: (n, r) if "1 refused" in n else None)(
            *leaderboard(teacher)), 10, message="the refusal counted on the leaderboard")
        assert "1 submitted, 1 refused" in note, note
        assert leaders == [], leaders
        assert teacher.get_by_text("No verified result yet.").is_visible()
        rows = board_rows(teacher)
        assert rows["Bob"]["challenge"] == "", rows
        [sub] = db.submissions(code)
        assert sub.student == "Bob" and not sub.verified and "retrained" in sub.reason, sub
        assert re.search(r"[?&]learning_rate=3(&|$)", sub.link), sub.link   # the new rate
        # Ada trains honestly (the default rate, unchanged) and is confirmed
        train_until_met(honest)
        button(honest, "Submit").click()
        honest.get_by_text("Confirmed by the server").wait_for(timeout=60_000)
        rows = wait_until(lambda: (lambda r: r if r.get("Ada", {}).get("challenge") == "✓ met"
                                   else None)(board_rows(teacher)), 10,
                          message="✓ met for Ada on the teacher's board")
        assert rows["Bob"]["challenge"] == "", rows
        note, leaders = wait_until(lambda: (lambda n, r: (n, r) if r else None)(
            *leaderboard(teacher)), 10, message="Ada on the leaderboard")
        assert "2 submitted, 1 refused" in note, note
        assert [r[1] for r in leaders] == ["Ada"], leaders
        teacher.mouse.move(2, 2)                  # no tooltip over the board
        teacher.screenshot(path=str(ARTIFACTS / "class-board.png"), full_page=True)
    finally:
        watch.close()
        db.close()
    assert not watch.errors, "\n".join(watch.errors)


# ----------------------------------------------------------------- a server of its own
RESTART_DB = ARTIFACTS / "classes-restart.sqlite3"
RESTART_LOG = ARTIFACTS / "panel-serve-restart.log"


def start_server(port: int, log) -> subprocess.Popen:
    """``panel serve app.py`` on ``port`` with RESTART_DB, as conftest's ``server`` starts
    it; returns once GET /app answers 200 (fails the test, with the log, otherwise)."""
    cmd = [sys.executable, "-m", "panel", "serve", "app.py", "--port", str(port),
           "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}"]
    env = {**os.environ, "PLAYGROUND_DB": str(RESTART_DB),
           "PLAYGROUND_TEACHER_PASSWORD": TEACHER_PASSWORD}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, env=env)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/app", timeout=30) as r:
                if r.status == 200:
                    return proc
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.5)
    stop_server(proc)
    pytest.fail(f"`panel serve app.py` did not answer 200 on port {port} within "
                f"{SERVER_START_TIMEOUT}s (exit code {proc.returncode}).\n--- log tail ---\n"
                + "\n".join(RESTART_LOG.read_text(errors="replace").splitlines()[-40:]),
                pytrace=False)


def stop_server(proc: subprocess.Popen):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_a_server_restart_keeps_the_class(browser):
    """The class, its student and their board row live in the database, not in the server
    process: after a restart the teacher finds the class again, the student shows as away,
    and their reloaded page takes the same name (and row) back."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(RESTART_DB.name + "*"):     # a fresh database each run
        old.unlink()
    port = free_ports(1)[0]
    base = f"http://127.0.0.1:{port}"
    db = Store.open(str(RESTART_DB))
    title = unique_title("Restart")
    code = db.create_class(title)
    watch = Watcher(browser)
    proc = None
    started = time.monotonic()
    with open(RESTART_LOG, "w") as log:
        try:
            proc = start_server(port, log)
            print(f"server up after {time.monotonic() - started:.1f}s")
            student, teacher = watch.new_page("Ada"), watch.new_page("teacher")
            join(student, base, code, title, "Ada")
            [ada] = db.students(code)
            sign_in(teacher, base)
            select(teacher, "Class").select_option(label=f"{code} — {title}")
            rows = wait_until(lambda: (lambda r: r if r.get("Ada", {}).get("state") == "idle"
                                       else None)(board_rows(teacher)), 15,
                              message="Ada idle on the board before the restart")
            assert list(rows) == ["Ada"], rows

            stopped = time.monotonic()
            stop_server(proc)
            [row] = db.board(code)
            print(f"server stopped in {time.monotonic() - stopped:.1f}s; Ada's row: "
                  f"seen {time.time() - row.seen:.1f}s ago, state {row.live.get('state')}")
            assert row.name == "Ada" and row.live.get("state") == "idle", row

            proc = start_server(port, log)
            print(f"server up again after {time.monotonic() - stopped:.1f}s")
            # a fresh page: sign in again (the old one lost its connection: not a fault)
            sign_in(teacher, base, loaded=lambda: watch.forget("teacher"))
            options = select(teacher, "Class").evaluate(
                "s => Array.from(s.options).map(o => o.textContent)")
            assert f"{code} — {title}" in options, options
            select(teacher, "Class").select_option(label=f"{code} — {title}")
            wait_until(lambda: code in teacher.get_by_text("Class code").inner_text(), 10,
                       message="the class chosen after the restart")
            rows = wait_until(lambda: (lambda r: r if r.get("Ada", {}).get("state") == "away"
                                       else None)(board_rows(teacher)), 20,
                              message="Ada away on the board after the restart")
            assert list(rows) == ["Ada"], rows

            student.reload(timeout=PAGE_LOAD)              # the student comes back
            watch.forget("Ada")
            student.get_by_text("type your name to join").wait_for(state="visible",
                                                                   timeout=PAGE_LOAD)
            box = student.get_by_placeholder("your name")
            box.fill("Ada")
            box.press("Enter")
            student.get_by_text(f"{title} as Ada").wait_for(state="visible", timeout=20_000)
            assert db.students(code) == [ada], db.students(code)       # the same student
            rows = wait_until(lambda: (lambda r: r if r.get("Ada", {}).get("state") == "idle"
                                       else None)(board_rows(teacher)), 15,
                              message="Ada back on the board (idle) after the reload")
            assert list(rows) == ["Ada"], rows
            assert teacher.get_by_text("1 joined.").is_visible()
            print(f"the restart test took {time.monotonic() - started:.1f}s")
        finally:
            watch.close()
            if proc is not None:
                stop_server(proc)
            db.close()
    server_out = RESTART_LOG.read_text(errors="replace")
    server_errors = [m.group(0) for m in _TRACEBACK.finditer(server_out)]
    assert not server_errors, f"the server logged errors:\n{server_out[-4000:]}"
    assert not watch.errors, "\n".join(watch.errors)
