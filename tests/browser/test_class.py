"""Class mode in the browser: the teacher signs in on /app?teacher and makes a class, two
students join it from its link, and a set-up the teacher opens shows on both student pages
within two seconds, with a banner."""
from __future__ import annotations

import time

import pytest

from playground.classroom.store import Store

from .conftest import ARTIFACTS, CLASS_DB, TEACHER_PASSWORD
from .test_a11y import BLOCKING, EXCEPTIONS
from .test_page import button, wait_until

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
                       pg.locator(".pg-status").inner_text(), 5,
                       message="the teacher's set-up on every page")
            wait_until(lambda: "primary" in button(pg, "XOR").evaluate("e => e.className"), 5,
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
