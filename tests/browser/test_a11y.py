"""The page for everyone: axe-core finds no serious or critical problem on any tab, a whole
lesson runs from the keyboard alone, the focus is always visible, and a screen reader hears
the output change.

The per-tab axe results are written to tests/artifacts/axe-results.json (every violation
of any impact, with the elements it names), to be quoted and compared.
"""
from __future__ import annotations

import json
import re
import time

import pytest

from playground.ui.a11y import FOCUS_COLOR
from playground.ui.links import TABS
from playground.ui.theme import rgb

from .test_page import ARTIFACTS, button, epoch, wait_until

pytestmark = pytest.mark.browser

AXE_RESULTS = ARTIFACTS / "axe-results.json"
BLOCKING = ("serious", "critical")
# Rules that may report a serious or critical problem we cannot fix through any public API
# of Panel or Bokeh, each with why. (None at present: keep it that way.)
EXCEPTIONS: dict[str, str] = {}

# the element that has the focus, through the shadow roots, and what a screen reader calls it
FOCUSED_JS = """() => {
  let a = document.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  if (!a || a === document.body) return {tag: "BODY", label: "", text: ""};
  const lab = (a.labels && a.labels.length) ? a.labels[0].textContent.trim() : "";
  const st = getComputedStyle(a);
  return {tag: a.tagName, type: a.type || "", role: a.getAttribute("role") || "",
          label: lab || a.getAttribute("aria-label") || "",
          text: (a.innerText || "").trim(), outline_style: st.outlineStyle,
          outline_width: parseFloat(st.outlineWidth), outline_color: st.outlineColor};
}"""

# the live region's words (a Bokeh Div: its text lies in its shadow root)
LIVE_JS = """() => {
  const out = [];
  const deep = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.getAttribute && el.getAttribute("aria-live") === "polite")
        out.push((el.shadowRoot || el).querySelector(".bk-clearfix, div") ?
                 (el.shadowRoot || el).querySelector(".bk-clearfix, div").textContent :
                 el.textContent);
      if (el.shadowRoot) deep(el.shadowRoot);
    }
  };
  deep(document);
  return out;
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED_JS)


def live_text(page) -> str:
    texts = page.evaluate(LIVE_JS)
    assert len(texts) == 1, f"expected one polite live region, found {len(texts)}"
    return texts[0]


def tab_to(page, match, what: str, limit: int = 150) -> dict:
    """Press Tab until the focused element satisfies ``match``; return it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        f = focused(page)
        if match(f):
            return f
    raise AssertionError(f"{what} not reached in {limit} presses of Tab")


def open_tab(page, server, name: str):
    page.goto(f"{server}/app?tab={name}", wait_until="load", timeout=60_000)
    page.locator(".bk-tab.bk-active").first.wait_for(timeout=60_000)
    if name == "playground":
        page.locator(".pg-epoch").wait_for(state="visible", timeout=60_000)
    else:
        intro = page.locator(".pg-tab-intro").filter(visible=True)
        wait_until(lambda: intro.count() == 1 and "Watch a neural network" not in
                   intro.first.inner_text(), 60, message=f"the {name} tab's content")
        # the lab itself comes after its introduction (at the page's first frame), then
        # its cards' contents, one per frame
        # (every tab holds its introduction and "Setting up…" from the start)
        loading = page.locator(".pg-lab-loading").filter(visible=True)
        wait_until(lambda: loading.count() == 0, 60, message=f"the {name} lab")
        controls_settle(page)
    page.wait_for_timeout(2500)                 # its first frames, and a scan for names


CONTROLS_JS = """() => {
  let n = 0;
  const deep = (root) => {
    n += root.querySelectorAll('[role="slider"], .bk-spin-btn, button, select, input').length;
    for (const el of root.querySelectorAll("*")) { if (el.shadowRoot) deep(el.shadowRoot); }
  };
  deep(document);
  return n;
}"""


def controls_settle(page, quiet_s: float = 1.5, timeout: float = 60.0):
    """Wait until the number of controls on the page has stood still for quiet_s."""
    last, since = -1, time.monotonic()
    deadline = since + timeout
    while time.monotonic() < deadline:
        n = page.evaluate(CONTROLS_JS)
        if n != last:
            last, since = n, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return n
        page.wait_for_timeout(250)
    raise AssertionError("the tab's controls kept changing")


def summarise(violations: list) -> dict:
    by_impact: dict[str, int] = {}
    for v in violations:
        by_impact[v.get("impact") or "none"] = by_impact.get(v.get("impact") or "none", 0) + 1
    return {"by_impact": by_impact,
            "violations": [{"id": v["id"], "impact": v.get("impact"), "help": v["help"],
                            "nodes": len(v["nodes"]),
                            "targets": [n["target"] for n in v["nodes"][:8]]}
                           for v in violations]}


def test_axe_finds_no_serious_problem_on_any_tab(page, server):
    from axe_playwright_python.sync_playwright import Axe
    axe = Axe()
    results, blocking = {}, []
    for name in TABS:
        open_tab(page, server, name)
        response = axe.run(page).response
        results[name] = summarise(response["violations"])
        results[name]["passes"] = len(response["passes"])
        page.screenshot(path=str(ARTIFACTS / f"a11y-tab-{name}.png"), full_page=True)
        blocking += [f"{name}: {v['id']} ({v['impact']}, {len(v['nodes'])} elements: "
                     f"{v['help']}) {[n['target'] for n in v['nodes'][:3]]}"
                     for v in response["violations"]
                     if v.get("impact") in BLOCKING and v["id"] not in EXCEPTIONS]
    AXE_RESULTS.write_text(json.dumps(results, indent=1))
    print(json.dumps({k: v["by_impact"] for k, v in results.items()}))
    assert all(r["passes"] > 10 for r in results.values()), results   # axe really ran
    assert not blocking, "\n".join(blocking)


def settled_epoch(page, quiet_ms: int = 700, timeout: float = 10.0) -> int:
    """The epoch counter once it has stood still for quiet_ms (a paused page applies the
    epochs it had launched before the pause; on a loaded machine that can take a while)."""
    deadline = time.monotonic() + timeout
    e = epoch(page)
    while time.monotonic() < deadline:
        page.wait_for_timeout(quiet_ms)
        now = epoch(page)
        if now == e:
            return e
        e = now
    raise AssertionError(f"the epoch counter did not settle within {timeout}s (at {e})")


def test_a_whole_lesson_from_the_keyboard(page):
    f = tab_to(page, lambda f: f["tag"] == "SELECT" and f["label"] == "Lessons",
               "the lessons menu")
    assert f["outline_style"] == "solid" and f["outline_width"] >= 2, f   # a visible ring
    page.keyboard.press("ArrowDown")            # the first lesson
    banner = page.get_by_text("Lesson: Linear model can't do XOR")
    wait_until(lambda: banner.count() > 0, 10, message="the lesson to open")
    wait_until(lambda: "XOR data" in live_text(page), 5, message="the live region on XOR")
    page.keyboard.press("r")                    # a letter in a menu is the menu's
    page.wait_for_timeout(300)
    assert page.get_by_text("Lesson: Linear model can't do XOR").count() > 0
    page.keyboard.press("Escape")               # leave the menu: the keys are the page's
    assert focused(page)["tag"] == "BODY"
    scroll = page.evaluate("window.scrollY")
    page.keyboard.press(" ")
    button(page, "Pause").wait_for(timeout=5000)
    wait_until(lambda: epoch(page) >= 20, 20, message="training to run")
    assert page.evaluate("window.scrollY") == scroll, "Space scrolled the page"
    page.keyboard.press(" ")
    button(page, "Play").wait_for(timeout=5000)
    e = settled_epoch(page)     # epochs launched before the pause may still arrive
    page.keyboard.press("ArrowRight")
    wait_until(lambda: epoch(page) == e + 1, 5, message="one step")
    wait_until(lambda: f"Epoch {e + 1:,}." in live_text(page), 3,
               message="the live region to follow within a second")
    assert re.search(r"Test loss [\d.e-]+, training loss [\d.e-]+, test accuracy \d+ %",
                     live_text(page)), live_text(page)
    page.keyboard.press("R")
    wait_until(lambda: epoch(page) == 0, 5, message="the reset")
    wait_until(lambda: "Epoch 0." in live_text(page), 3, message="the words after the reset")
    page.keyboard.press("?")
    helptext = page.get_by_text("Keyboard shortcuts (Playground tab)")
    wait_until(lambda: helptext.count() > 0 and helptext.first.is_visible(), 5,
               message="the help")
    page.screenshot(path=str(ARTIFACTS / "a11y-keyboard-help.png"))
    page.keyboard.press("Escape")
    wait_until(lambda: not helptext.first.is_visible(), 5, message="the help to close")


def test_tabs_open_from_the_keyboard(page):
    tab_to(page, lambda f: f["role"] == "tab" and f["text"] == "Playground",
           "the Playground tab's title")
    page.keyboard.press("ArrowRight")
    assert focused(page)["text"] == "Neuron lab"
    page.keyboard.press("Enter")
    wait_until(lambda: page.locator(".bk-tab.bk-active").inner_text() == "Neuron lab", 10,
               message="the Neuron lab tab to open")
    selected = page.locator(".bk-tab[aria-selected=true]")
    wait_until(lambda: selected.count() == 1 and selected.inner_text() == "Neuron lab", 5,
               message="the tab marked as selected for screen readers")
    wait_until(lambda: focused(page)["text"] == "Neuron lab", 5,
               message="the focus to stay on the title of the tab just opened")
    page.keyboard.press("ArrowLeft")
    wait_until(lambda: focused(page)["text"] == "Playground", 5,
               message="← to move to the Playground tab's title")
    page.keyboard.press(" ")
    wait_until(lambda: page.locator(".bk-tab.bk-active").inner_text() == "Playground", 10,
               message="the Playground tab again")


# when each slider handle and number-box arrow was first drawn, and when it got its name
# (checked every 50 ms in the page, through the shadow roots), with the page script's look
# round every NAME_EVERY_MS stopped
WATCH_NAMES_JS = """() => {
  clearInterval(window._pg_names)       // no look round every 2 s: only the changes count
  const seen = window._pg_test_seen = new Map()
  const deep = (root, out) => {
    for (const h of root.querySelectorAll('[role="slider"], .bk-spin-btn')) out.push(h)
    for (const el of root.querySelectorAll("*")) if (el.shadowRoot) deep(el.shadowRoot, out)
    return out
  }
  window._pg_test_watch = setInterval(() => {
    const now = performance.now()
    for (const h of deep(document, [])) {
      if (!seen.has(h)) seen.set(h, {seen: now, named: null})
      const r = seen.get(h)
      if (r.named === null && h.getAttribute("aria-label")) r.named = now
    }
  }, 50)
}"""
NAMED_AFTER_JS = """() => {
  clearInterval(window._pg_test_watch)
  return Array.from(window._pg_test_seen.values()).map((r) =>
    r.named === null ? null : r.named - r.seen)
}"""


def test_controls_put_in_place_later_are_named_at_once(page):
    # a lab's cards are filled one per frame after its tab opens, and each card's views are
    # built in later tasks, seconds later on a busy machine: each control they bring is
    # named for screen readers when it is drawn (the page script watches what is added to
    # the page), not only at the script's next look round the page (every 2 s)
    page.evaluate(WATCH_NAMES_JS)
    looks, start = page.evaluate("[window._pg_name_looks || 0, performance.now()]")
    page.locator(".bk-tab", has_text="Gradient descent").click()
    # the lab's last card filled (its parallel copies' readout), then a quiet spell
    page.locator(".pg-parallel-epoch").first.wait_for(state="attached", timeout=90_000)
    controls_settle(page)
    page.wait_for_timeout(1000)
    delays = page.evaluate(NAMED_AFTER_JS)
    assert len(delays) >= 20, delays                    # the lab's sliders and number boxes
    assert None not in delays, f"{delays.count(None)} of {len(delays)} never named"
    assert max(delays) < 1000, sorted(delays)[-5:]
    # and the page is looked at no more than 10 times a second meanwhile (a look walks
    # every shadow root of the page; the lab's cards come one a frame)
    looks_now, now = page.evaluate("[window._pg_name_looks || 0, performance.now()]")
    assert 0 < looks_now - looks <= (now - start) / 1000 * 10 + 1


def test_playing_brings_no_extra_look_for_names(page):
    # the frames of a playing page change data and words, not what the layouts hold: the
    # page script's looks for new controls are not set off 60 times a second
    button(page, "Play").click()      # the click itself may draw a tooltip or a new button
    wait_until(lambda: epoch(page) > 20, 30, message="training")
    page.wait_for_timeout(500)
    before = page.evaluate("window._pg_name_looks || 0")
    page.wait_for_timeout(2000)                         # about 100 frames
    assert epoch(page) > 40
    assert page.evaluate("window._pg_name_looks || 0") == before
    button(page, "Pause").click()


def test_keys_leave_text_fields_alone(page):
    box = page.get_by_label("Stop at epoch", exact=True)
    box.click()
    box.press("Control+a")
    page.keyboard.type("2 r")                   # Space and R are typed, not shortcuts
    page.wait_for_timeout(500)
    assert button(page, "Play").is_visible() and epoch(page) == 0
    assert box.input_value().startswith("2")
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(300)
    assert epoch(page) == 0
    page.keyboard.press("Escape")
    page.keyboard.press("ArrowRight")           # now it steps
    wait_until(lambda: epoch(page) == 1, 5, message="a step after Esc")


def test_other_tabs_keep_their_keys(page, server):
    open_tab(page, server, "descent")
    page.keyboard.press(" ")
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(500)
    page.locator(".bk-tab", has_text="Playground").click()
    page.locator(".pg-epoch").wait_for(state="visible", timeout=20_000)
    assert epoch(page) == 0 and button(page, "Play").is_visible()


def test_the_focus_ring_is_visible_on_every_kind_of_control(page):
    kinds = ("button", "menu", "text box", "slider")
    seen = {}
    for _ in range(150):
        page.keyboard.press("Tab")
        f = focused(page)
        kind = ("slider" if f["role"] == "slider" else "button" if f["tag"] == "BUTTON"
                else "menu" if f["tag"] == "SELECT"
                else "text box" if f["tag"] == "INPUT" and f["type"] in ("text", "number")
                else None)
        if kind and kind not in seen:
            seen[kind] = f
            page.screenshot(path=str(ARTIFACTS / f"a11y-focus-{kind.replace(' ', '-')}.png"))
        if len(seen) == len(kinds):
            break
    assert set(seen) == set(kinds), seen
    want = "rgb({}, {}, {})".format(*rgb(FOCUS_COLOR))
    for kind, f in seen.items():
        assert f["outline_style"] == "solid" and f["outline_width"] >= 3, (kind, f)
        assert f["outline_color"] == want, (kind, f)


def test_the_network_can_be_read_as_a_table(page):
    button(page, "Show as table").click()
    table = page.locator("table.pg-weights")
    wait_until(lambda: table.count() == 3, 10, message="two layers and the output as tables")
    assert "Hidden layer 1: 4 neurons, tanh" in table.first.inner_text()
    assert table.first.locator("th[scope=col]").count() == 4      # neuron, bias, X₁, X₂
    first = table.first.inner_text()
    page.keyboard.press("ArrowRight")           # a step (the focus is on a button): new weights
    wait_until(lambda: table.first.inner_text() != first, 5, message="the table to follow")
    page.screenshot(path=str(ARTIFACTS / "a11y-network-table.png"), full_page=True)
