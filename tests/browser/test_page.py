"""The served page, driven like a learner would: by the visible labels.

Every test also fails (in the ``page`` fixture) on a request to a non-local host, a
browser console error, a page error or a server traceback.
"""
from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from playground.ui import heartbeat

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DIVERGED = "Diverged — lower the learning rate or reset"


# ------------------------------------------------------------------ helpers
def wait_until(predicate, timeout=10.0, interval=0.1, message="condition"):
    """Poll ``predicate()`` until it returns a truthy value; return that value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message} (last: {last!r})")


def epoch(page) -> int:
    """The epoch counter: 'Epoch 000,097' -> 97."""
    text = page.locator(".pg-epoch").inner_text()
    assert "Epoch" in text, text
    digits = re.sub(r"\D", "", text.split("Epoch", 1)[1])
    assert digits, f"no digits in the epoch counter: {text!r}"
    return int(digits)


def button(page, name):
    return page.get_by_role("button", name=name, exact=True)


CHOSEN_FILL = "rgb(0, 114, 181)"        # a chosen data-set tile: the primary blue


def chosen(page, name) -> bool:
    """Is the data-set tile ``name`` drawn as the chosen one (blue, white label)?"""
    return button(page, name).first.evaluate(
        f"e => getComputedStyle(e).backgroundColor === {CHOSEN_FILL!r} && "
        "getComputedStyle(e).color === 'rgb(255, 255, 255)'")


def click(page, name):
    """Click a button by its label, after moving the pointer off the previous one: a hovered
    button's tooltip (e.g. a dataset tile's) can cover its neighbours."""
    page.mouse.move(2, 2)
    try:
        wait_until(lambda: page.locator(".bk-Tooltip").filter(visible=True).count() == 0, 2,
                   interval=0.05)
    except AssertionError:
        pass
    button(page, name).click()


def select(page, label):
    """The <select> of the Panel Select widget labelled ``label``."""
    loc = page.get_by_label(label, exact=True)
    assert loc.count() == 1, f"expected one control labelled {label!r}, got {loc.count()}"
    assert loc.evaluate("e => e.tagName") == "SELECT"
    return loc


def loss_readout(page) -> str:
    return page.locator(".pg-readout").filter(has_text="Test loss").inner_text()


def output_figure(page):
    """The big output plot (heatmap or 1-D curve)."""
    figs = page.locator(".bk-Figure.pg-output-plot")
    figs.filter(visible=True).first.wait_for(timeout=10_000)

    def shown():
        # the locator is re-resolved on every use: while the page swaps the heatmap for
        # the 1-D curve, the first visible figure can change between two calls
        for i in range(figs.count()):
            box = figs.nth(i).bounding_box()
            if box is not None and box["height"] >= 240:
                return figs.nth(i)
        return None
    return wait_until(shown, 10, message="the output plot on the page")


def play(page):
    click(page, "Play")
    button(page, "Pause").wait_for(timeout=5000)


def pause(page):
    click(page, "Pause")
    button(page, "Play").wait_for(timeout=5000)


RESTART_FROM = 150      # epochs trained before a change whose restart is checked


def change_and_check_training_continues(page, action, what):
    """Run ``action`` while playing: the run restarts (counter drops) and keeps training."""
    # enough epochs that the drop on restart cannot be missed between two reads: a frame
    # that comes late after the restart catches up with up to a second of training owed
    # (scheduler.CATCH_UP_S: 60 epochs), so the first count shown may be 60 and more
    wait_until(lambda: epoch(page) >= RESTART_FROM, 30,
               message=f"{RESTART_FROM} epochs before {what}")
    before = epoch(page)
    action()
    try:
        after_reset = wait_until(lambda: (lambda e: e + 1 if e < before else 0)(epoch(page)),
                                 10, interval=0.05,
                                 message=f"the run to restart after {what}") - 1
    except AssertionError as exc:       # what the page showed, to tell a lost click apart
        words = page.locator(".pg-status-info, .pg-status-danger").filter(visible=True)
        raise AssertionError(
            f"{exc}; epoch before {before}; the page says "
            f"{page.get_by_text('hidden layer').all_inner_texts()!r}, "
            f"status {words.all_inner_texts()!r}, "
            f"Pause shown: {button(page, 'Pause').is_visible()}") from None
    wait_until(lambda: epoch(page) > after_reset, 10,
               message=f"training to continue after {what} (stuck at {after_reset})")
    assert button(page, "Pause").is_visible(), f"training stopped after {what}"


def dark_pixel_share(png: bytes, inner: bool = True) -> float:
    """Share of near-black pixels inside the plot area (axes and labels cropped off), or
    in the whole picture (``inner=False``)."""
    import numpy as np
    from PIL import Image
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    h, w, _ = img.shape
    if inner:
        img = img[int(h * 0.1):int(h * 0.85), int(w * 0.15):int(w * 0.95)]
    return float((img < 80).all(axis=2).mean())


# -------------------------------------------------------------------- tests
def test_page_loads(page):
    assert page.title() == "Neural Network Playground"
    assert page.get_by_role("heading", name="Neural Network Playground").is_visible()
    assert epoch(page) == 0
    assert button(page, "Play").is_visible()
    for name in ("Step", "↺ Reset", "+ Add layer", "− Remove layer", "Circle", "Pinwheel",
                 "Classification", "Regression"):
        assert button(page, name).is_visible(), name
    assert not button(page, "Sine").is_visible()        # the other problem type's data sets
    fig = output_figure(page)
    assert fig.locator("canvas").count() >= 1
    box = fig.bounding_box()
    assert box["width"] >= 300 and box["height"] >= 300
    assert "Test loss" in loss_readout(page)


def test_page_styles_apply_in_every_session(page):
    """The page CSS (dark header, large epoch counter) is there for every visitor, not only
    the first session after the server started (the fixture's GET /app was the first)."""
    header_bg = page.locator(".pg-header").evaluate("e => getComputedStyle(e).backgroundColor")
    epoch_size = page.locator(".pg-epoch").evaluate("e => getComputedStyle(e).fontSize")
    assert (header_bg, epoch_size) == ("rgb(24, 61, 78)", "26px"), (
        f"page CSS (theme.PAGE_CSS) missing in this session: header background {header_bg}, "
        f"epoch font-size {epoch_size}")


def test_play_trains_and_pause_stops(page):
    readout0 = loss_readout(page)
    fig = output_figure(page)
    accuracy = page.locator(".pg-accuracy-plot")
    accuracy.scroll_into_view_if_needed()
    acc0 = dark_pixel_share(accuracy.screenshot(), inner=False)  # its axes only, at epoch 0
    play(page)
    wait_until(lambda: epoch(page) > 0, 10, message="the epoch counter to move")
    wait_until(lambda: loss_readout(page) != readout0, 10, message="the loss readout to change")
    curve = page.locator(".pg-loss-plot")
    shot1, line1 = fig.screenshot(), curve.screenshot()
    page.wait_for_timeout(1500)
    shot2, line2 = fig.screenshot(), curve.screenshot()
    assert shot1 != shot2, "the output heatmap did not change while training"
    # the loss curve (drawn by the browser on a canvas of its own) shows its lines and moves
    assert line1 != line2, "the loss curve did not change while training"
    # (whole pictures: a loss near 0 and an accuracy of 100 % lie along the plots' edges,
    # which the inner crop leaves out, and a fast machine gets there within a second)
    wait_until(lambda: dark_pixel_share(curve.screenshot(), inner=False) > 0.005, 10, 0.3,
               message="the train line on the loss curve")
    # the accuracy curve (a canvas with axes) draws its lines as well
    accuracy.scroll_into_view_if_needed()
    wait_until(lambda: dark_pixel_share(accuracy.screenshot(), inner=False) > acc0 + 0.005,
               10, 0.3, message="the accuracy lines to be drawn")
    pause(page)
    page.wait_for_timeout(300)          # let the last frame in flight arrive
    a = epoch(page)
    page.wait_for_timeout(1000)
    b = epoch(page)
    assert a == b, f"the counter kept moving after Pause ({a} -> {b})"
    assert a > 0


def test_the_browser_answers_the_frames_it_shows(page):
    """The page answers each frame it has drawn (the server keeps at most a couple of
    frames unanswered): the number answered climbs while training, and stops with it."""
    shown = lambda: page.evaluate("() => window._pg_beat ? window._pg_beat.shown : -1")
    play(page)
    wait_until(lambda: shown() > 10, 15, message="the browser to answer the frames")
    a = shown()
    wait_until(lambda: shown() > a + 5, 10, message="the answers to keep coming")
    pause(page)
    page.wait_for_timeout(600)
    b = shown()
    page.wait_for_timeout(800)
    assert shown() == b, "frames kept coming after Pause"


# two frames' messages within one animation frame, then another message (a click's answer)
PACE_JS = """(name) => new Promise((resolve) => {
  const doc = Bokeh.documents[0]
  const frame = doc.get_model_by_name(name)
  const patch = (n) => ({events: [{kind: "ModelChanged", model: {id: frame.id}, attr: "tags",
                                   new: [n]}]})
  requestAnimationFrame(() => {
    doc.apply_json_patch(patch(900001), new Map())
    const first = frame.tags[0]
    doc.apply_json_patch(patch(900002), new Map())
    const second_at_once = frame.tags[0]
    requestAnimationFrame(() => requestAnimationFrame(() => {
      const next_frame = frame.tags[0]
      doc.apply_json_patch(patch(900003), new Map())
      doc.apply_json_patch(patch(900004), new Map())
      const waiting = frame.tags[0]
      doc.apply_json_patch({events: []}, new Map())
      const after_other = frame.tags[0]
      requestAnimationFrame(() => {
        document.dispatchEvent(new KeyboardEvent("keydown", {key: "Shift"}))   // a key
        doc.apply_json_patch(patch(900005), new Map())
        doc.apply_json_patch(patch(900006), new Map())
        resolve({first, second_at_once, next_frame, waiting, after_other,
                 after_a_key: frame.tags[0]})
      })
    }))
  })
})"""


def test_frames_are_shown_one_per_animation_frame(page):
    """A frame's message that comes when one was already put in place in this animation
    frame waits for the next (the browser would show only the second); any other message
    puts what waits in place at once, and comes after it; right after a click or a key no
    frame waits (it may carry their answer)."""
    got = page.evaluate(PACE_JS, heartbeat.FRAME_NAME)
    assert got == {"first": 900001, "second_at_once": 900001, "next_frame": 900002,
                   "waiting": 900003, "after_other": 900004, "after_a_key": 900006}, got


def test_changes_while_playing_keep_training(page):
    play(page)
    change_and_check_training_continues(page, lambda: click(page, "XOR"), "XOR")
    change_and_check_training_continues(page, lambda: click(page, "Spiral"), "Spiral")
    change_and_check_training_continues(
        page, lambda: select(page, "Activation").select_option(label="ReLU"), "ReLU")
    change_and_check_training_continues(
        page, lambda: click(page, "+ Add layer"), "+ Add layer")
    assert page.get_by_text("3 hidden layers").is_visible()
    change_and_check_training_continues(
        page, lambda: click(page, "− Remove layer"), "− Remove layer")
    assert page.get_by_text("2 hidden layers").is_visible()
    assert select(page, "Activation").evaluate("e => e.options[e.selectedIndex].text") == "ReLU"
    pause(page)


def test_divergence_stops_and_reset_recovers(page):
    select(page, "Learning rate").select_option(label="10")
    click(page, "Play")          # it may diverge within a frame or two: no wait for "Pause"
    page.get_by_text(DIVERGED).wait_for(state="visible", timeout=10_000)
    button(page, "Play").wait_for(state="visible", timeout=5000)
    assert button(page, "Pause").count() == 0
    assert "nan" not in loss_readout(page).lower()
    stopped = epoch(page)
    page.wait_for_timeout(800)
    assert epoch(page) == stopped, "training went on after the run diverged"

    select(page, "Learning rate").select_option(label="0.03")
    click(page, "↺ Reset")
    wait_until(lambda: epoch(page) == 0, 5, message="the epoch to return to 0 after Reset")
    wait_until(lambda: not page.get_by_text(DIVERGED).is_visible(), 5,
               message="the diverged message to go")
    assert "nan" not in loss_readout(page).lower()


def test_sine_shows_curve_and_one_d_features(page):
    for name in ("X₁", "X₂", "X₁²", "X₂²", "X₁X₂", "sin(X₁)", "sin(X₂)"):
        assert button(page, name).is_visible(), name
    heat = output_figure(page).screenshot()
    click(page, "Regression")                          # the menu shows the regression sets
    button(page, "Sine").wait_for(state="visible", timeout=10_000)
    click(page, "Sine")
    wait_until(lambda: not button(page, "X₂").is_visible(), 10,
               message="the X₂ feature to disappear")
    for name in ("X₁", "X₁²", "sin(X₁)"):
        assert button(page, name).is_visible(), name
    for name in ("X₂", "X₂²", "X₁X₂", "sin(X₂)"):
        assert not button(page, name).is_visible(), name
    # the 1-D figure: a dark (#222) fitted line over a white background, no heatmap. The
    # first click on a data set on a server still warming up may make its program first
    shots = []

    def curve_drawn():
        # the figure found may be swapped out (the heatmap's, as the curve's comes in: the
        # curve's figure is put on the page at the first 1-D data) before its picture is
        # taken: look again
        try:
            shots.append(output_figure(page).screenshot(timeout=3_000))
        except PlaywrightError:
            return False
        return dark_pixel_share(shots[-1]) > 0.002
    wait_until(curve_drawn, 15, message="the fitted curve drawn in the 1-D output")
    curve = shots[-1]
    (ARTIFACTS / "sine_output.png").write_bytes(curve)
    assert curve != heat
    assert dark_pixel_share(heat) < dark_pixel_share(curve)


def test_unchecking_every_feature_keeps_one(page):
    """Deselecting the last input feature is refused (or adjusted) with a visible message,
    and the page keeps working."""
    features = {"X₁", "X₂", "X₁²", "X₂²", "X₁X₂", "sin(X₁)", "sin(X₂)"}

    def active():
        texts = page.locator("button.bk-active").filter(visible=True).all_inner_texts()
        return [t for t in texts if t in features]
    assert active() == ["X₁", "X₂"]
    click(page, "X₁")
    wait_until(lambda: active() == ["X₂"], 5, message="X₁ to be deselected")
    click(page, "X₂")
    wait_until(lambda: page.locator(".pg-status-info, .pg-status-danger").filter(visible=True).count() > 0, 5,
               message="a message about the features")
    page.wait_for_timeout(500)
    assert any(t in ("X₁", "X₂") for t in active()), f"no feature selected: {active()}"
    click(page, "Step")
    wait_until(lambda: epoch(page) == 1, 10, message="epoch 1 after Step")


def test_step_trains_one_epoch(page):
    n = epoch(page)
    click(page, "Step")
    wait_until(lambda: epoch(page) == n + 1, 10, message=f"epoch {n + 1} after Step")
    click(page, "Step")
    wait_until(lambda: epoch(page) == n + 2, 10, message=f"epoch {n + 2} after a second Step")
    page.wait_for_timeout(500)
    assert epoch(page) == n + 2, "Step trained more than one epoch"
    assert button(page, "Play").is_visible()


@pytest.mark.query("?hidden=8,8,8,8,8,8,8,8")
def test_the_biggest_network_fits_a_1280_pixel_screen(page):
    """With 8 hidden layers the layer controls wrap (4 to a row), so the output column
    stays on a 1280-pixel screen instead of past its right edge; on a 1024-pixel one the
    columns and the status line wrap, and nothing needs sideways scrolling."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_text("8 hidden layers").wait_for()
    wait_until(lambda: page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"), timeout=5,
        message="no horizontal scrolling")
    right = page.evaluate("""() => Math.max(...[...document.querySelectorAll('.bk-Canvas, canvas')]
        .map(c => c.getBoundingClientRect().right))""")
    assert right <= 1280, f"a plot ends at x={right}, past the 1280-pixel screen"
    page.set_viewport_size({"width": 1024, "height": 768})    # a projector: the output
    wait_until(lambda: page.evaluate(                          # column moves under the rest
        "document.documentElement.scrollWidth <= window.innerWidth"), timeout=5,
        message="no horizontal scrolling at 1024 pixels")


def test_the_page_style_text_comes_once_as_a_shared_sheet(page):
    """app.py shares each long style text of a new page (``theme.share_sheets``): the
    browser's document holds one style-sheet model with the page's styles, which the
    page's parts refer to, instead of a copy in each part (72 % of the first message)."""
    counts = page.evaluate("""() => {
      const doc = Bokeh.documents[0]; let sheets = 0, users = 0;
      for (const m of doc.all_models) {
        if (m.type === 'InlineStyleSheet' && m.css.includes('--pg-accent')) sheets++;
        if (m.stylesheets && m.stylesheets.some(s => typeof s !== 'string'
            && s.css && s.css.includes('--pg-accent'))) users++;
      }
      return [sheets, users]; }""")
    assert counts[0] == 1 and counts[1] > 50, counts


def test_copy_link_puts_the_set_up_on_the_clipboard(page):
    """"Copy link" copies the page's address, which holds the set-up, in the browser (one
    listener for the page, not a Panel callback that makes Panel walk every model of the
    page at each change of a layout)."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    click(page, "XOR")
    href = lambda: page.evaluate("window.location.href")     # history.replaceState
    wait_until(lambda: "dataset=xor" in href(), message="the set-up in the address")
    button(page, "Copy link").click()
    wait_until(lambda: "dataset=xor" in page.evaluate("navigator.clipboard.readText()"),
               message="the link on the clipboard")
    assert page.evaluate("navigator.clipboard.readText()") == href()



BOXES_JS = """
  const deep = (sel, root, out) => {
    root.querySelectorAll(sel).forEach((e) => out.push(e))
    root.querySelectorAll('*').forEach((e) => e.shadowRoot && deep(sel, e.shadowRoot, out))
    return out
  }
  const shown = () => deep('.pg-tab-box', document, []).map(
    (b) => getComputedStyle(b).contentVisibility !== 'hidden' && b.offsetHeight > 0)
"""
SHOWN_JS = "() => {" + BOXES_JS + "return shown() }"
CLICK_TAB_JS = "(label) => {" + BOXES_JS + """
  const before = shown()
  deep('.bk-tab', document, []).find((t) => t.textContent.trim() === label).click()
  return [before, shown()]      // in the same task as the click: no server has answered
}"""


def test_a_tabs_box_is_shown_by_the_browser_at_its_click(page):
    """A lab tab's introduction (in its box from the start) is shown by the click itself, in
    the browser: a busy server does not delay it; the server then agrees."""
    page.locator(".pg-epoch").wait_for()
    before, after = page.evaluate(CLICK_TAB_JS, "Gradient descent")
    assert before == [True, False, False, False, False]
    assert after == [False, False, True, False, False]
    intro = page.locator(".pg-tab-intro").filter(visible=True)
    assert intro.count() == 1 and "downhill" in intro.inner_text()
    loading = page.locator(".pg-lab-loading").filter(visible=True)
    wait_until(lambda: loading.count() == 0, 60, message="the Gradient-descent lab")
    assert page.evaluate(SHOWN_JS) == [False, False, True, False, False]   # the server's too
    before, after = page.evaluate(CLICK_TAB_JS, "Playground")
    assert after == [True, False, False, False, False]
    page.wait_for_timeout(1000)                      # the server's styles: the same boxes
    assert page.evaluate(SHOWN_JS) == [True, False, False, False, False]
    assert page.locator(".pg-epoch").is_visible()
