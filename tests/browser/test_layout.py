"""One screen and every click: the playground at a projector's 1024×768, a laptop's
1366×768 and a desktop's 1600×1000 shows the data choice, the network diagram and the
output (heatmap and loss curve) without scrolling, no text is cut or sticks out of its
card in any tab, and quick clicks all count."""
from __future__ import annotations

import pytest

from playground.ui import heat_canvas, sizing

from .test_page import button, chosen, click, wait_until

pytestmark = pytest.mark.browser

SIZES = [(1024, 768), (1366, 768), (1600, 1000)]

# Every visible text box whose text is wider than the box (its scroll width is greater than
# its width), every menu whose chosen option does not fit, and every control that sticks
# out of its card, through the page's shadow roots.
OVERFLOWS_JS = """() => {
  const out = [];
  const ctx = document.createElement("canvas").getContext("2d");
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return null;
    const st = getComputedStyle(el);
    return (st.visibility === "hidden" || st.display === "none") ? null : [r, st];
  };
  const deep = (root, f) => {
    for (const el of root.querySelectorAll("*")) { f(el); if (el.shadowRoot) deep(el.shadowRoot, f); }
  };
  deep(document, (el) => {
    const s = shown(el); if (!s) return;
    const st = s[1];
    if (el.tagName === "SELECT") {
      const opt = el.options[el.selectedIndex]; if (!opt) return;
      ctx.font = st.font;
      const need = ctx.measureText(opt.text).width;
      const room = el.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight);
      if (need > room + 1) out.push(`menu "${opt.text}" needs ${need.toFixed(0)} px, has ${room.toFixed(0)}`);
      return;
    }
    const text = Array.from(el.childNodes).filter(n => n.nodeType === 3)
      .map(n => n.textContent).join("").trim();
    if (text && el.scrollWidth > el.clientWidth + 1 && st.overflowX !== "visible")
      out.push(`"${text.slice(0, 40)}" is cut: ${el.scrollWidth} px in ${el.clientWidth}`);
  });
  deep(document, (card) => {
    if (!card.classList || !card.classList.contains("pg-card")) return;
    const c = card.getBoundingClientRect(); if (c.width === 0) return;
    deep(card.shadowRoot || card, (el) => {
      const s = shown(el); if (!s) return;
      const r = s[0], text = (el.innerText || el.value || "").trim();
      if (!text && el.tagName !== "INPUT" && el.tagName !== "SELECT") return;
      if (r.right > c.right + 1 || r.left < c.left - 1)
        out.push(`"${text.slice(0, 30)}" sticks out of its card (${r.left.toFixed(0)}..` +
                 `${r.right.toFixed(0)} in ${c.left.toFixed(0)}..${c.right.toFixed(0)})`);
    });
  });
  return Array.from(new Set(out));
}"""


def overflows(page) -> list:
    return page.evaluate(OVERFLOWS_JS)


def scrolls_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def in_view(page, locator, what: str, width: int, height: int):
    locator.first.wait_for(state="visible", timeout=10_000)
    box = locator.first.bounding_box()
    assert box is not None, f"{what} is not on the page"
    assert box["x"] >= -1 and box["y"] >= -1 and box["x"] + box["width"] <= width + 1 \
        and box["y"] + box["height"] <= height + 1, (
            f"{what} is not all on a {width}×{height} screen: {box}")
    return box


def settle(page):
    """Let the page lay itself out at its new size (a few frames)."""
    page.wait_for_timeout(700)


@pytest.mark.parametrize("projector", [False, True], ids=["page", "projector"])
def test_data_network_and_output_on_one_screen(page, server, projector):
    if projector:
        page.goto(f"{server}/app?projector=1")
        page.locator(".pg-epoch").wait_for(state="visible", timeout=60_000)
    for width, height in SIZES:         # one page, resized as a window is
        page.set_viewport_size({"width": width, "height": height})
        settle(page)
        page.evaluate("window.scrollTo(0, 0)")
        in_view(page, button(page, "Circle"), "the data sets", width, height)
        in_view(page, button(page, "Pinwheel"), "the data sets", width, height)
        in_view(page, page.locator(".bk-Figure.pg-diagram"), "the network diagram", width,
                height)
        in_view(page, button(page, "+ Add layer"), "the layer controls", width, height)
        plot = in_view(page, page.locator(".bk-Figure.pg-output-plot"), "the heatmap", width,
                       height)
        in_view(page, page.locator(".pg-loss-plot"), "the loss curve", width, height)
        in_view(page, button(page, "Play"), "Play", width, height)
        assert plot["width"] >= 240, (width, height, plot)
        assert not scrolls_sideways(page), f"the page scrolls sideways at {width}×{height}"
        assert overflows(page) == [], (width, height)


def test_wider_screens_get_bigger_plots(page):
    sizes = {}
    for width, height in ((1024, 768), (1600, 1000)):
        page.set_viewport_size({"width": width, "height": height})
        settle(page)
        sizes[width] = page.locator(".bk-Figure.pg-output-plot").filter(visible=True).first.bounding_box()["width"]
    assert sizes[1600] > 1.3 * sizes[1024], sizes


def test_every_lab_fits_a_projector(page):
    page.set_viewport_size({"width": 1024, "height": 768})
    intro = page.locator(".pg-tab-intro").filter(visible=True)
    for tab in ("Neuron lab", "Gradient descent", "Convolution", "Digits CNN"):
        page.locator(".bk-tab", has_text=tab).click()
        wait_until(lambda: tab in page.locator(".bk-tab.bk-active").inner_text(), 10,
                   message=f"the {tab} tab")
        wait_until(lambda: intro.count() == 1 and "Watch a neural network" not in
                   intro.first.inner_text(), 30, message=f"the {tab} tab's content")
        page.wait_for_timeout(2500)              # the lab's first frames
        assert not scrolls_sideways(page), f"the {tab} tab scrolls sideways at 1024 pixels"
        assert overflows(page) == [], tab


def test_the_biggest_network_has_no_cut_text(page, server):
    page.goto(f"{server}/app?hidden=8,8,8,8,8,8,8,8")
    page.locator(".pg-epoch").wait_for(state="visible", timeout=60_000)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        settle(page)
        assert not scrolls_sideways(page), (width, height)
        assert overflows(page) == [], (width, height)


def layer_label(page, i: int) -> str:
    return page.locator(".pg-layer-label").nth(i).inner_text()


def test_quick_clicks_on_plus_and_minus_all_count(page):
    """Five clicks on a layer's "+" 100 ms apart add five neurons; three on "−", three less."""
    assert "4 neurons" in layer_label(page, 0)
    plus = page.get_by_role("button", name="+", exact=True).first
    minus = page.get_by_role("button", name="−", exact=True).first
    for _ in range(5):
        plus.click()
        page.wait_for_timeout(100)
    wait_until(lambda: "9 neurons" in layer_label(page, 0), 5,
               message="five more neurons (last seen: %r)" % layer_label(page, 0))
    for _ in range(3):
        minus.click()
        page.wait_for_timeout(100)
    wait_until(lambda: "6 neurons" in layer_label(page, 0), 5, message="three fewer neurons")
    for _ in range(2):
        button(page, "+ Add layer").click()
        page.wait_for_timeout(100)
    wait_until(lambda: page.get_by_text("4 hidden layers").count() > 0, 5,
               message="two more layers")


# Counts the page's whole-page layouts: Bokeh lays a root out again (every plot and control
# of the page, 25-250 ms on a 2-core machine) when a layout property of any of its models
# changes (size, margin, visibility, CSS classes, style sheets) and when a button is drawn
# again (a new type or label). Watched on the layout views' shared method, from the page:
# a layout computed by a view with no layout above it is a root's.
ROOT_LAYOUTS_JS = """() => {
  const owner = (o, k) => { while (o && !Object.prototype.hasOwnProperty.call(o, k))
                              o = Object.getPrototypeOf(o); return o };
  const views = Object.values(Bokeh.index);
  const page = views.find(v => v.model.type.endsWith("Column"));
  const proto = owner(page, "compute_layout");
  if (!proto.__pg_counted) {
    const plain = proto.compute_layout;
    proto.compute_layout = function () {
      if (!(this.parent && this.parent.compute_layout)) window.__pg_root_layouts.push(
        [Math.round(performance.now()), this.model.type]);
      return plain.call(this);
    };
    proto.__pg_counted = true;
  }
  window.__pg_root_layouts = [];
}"""


def page_layouts(page) -> list:
    """The whole-page layouts since ``ROOT_LAYOUTS_JS`` (the screen reader's words, a root
    of their own, are laid out alone)."""
    return [x for x in page.evaluate("() => window.__pg_root_layouts") if x[1] != "Div"]


def test_a_data_set_neuron_or_layer_click_lays_nothing_out_again(page):
    """Choosing a data set, adding or removing a neuron, and adding or removing a layer (its
    controls made with the page, shown and hidden by their inline style) change texts,
    pictures and styles only: the page is not laid out again (the chosen tile is drawn by
    its inline styles). A text's first change also sends its style sheets again, once (the
    page shares them when it is made, Panel sends its own copies): so the clicks are done
    twice, and the second round is watched."""
    page.evaluate(ROOT_LAYOUTS_JS)

    def settled():                      # the page's lower parts come in its first frames
        page.evaluate("() => window.__pg_root_layouts.length = 0")
        page.wait_for_timeout(1500)
        return not page_layouts(page)
    wait_until(settled, 20, interval=0, message="a page that is not laid out again")
    for tile, other in (("XOR", "Circle"), ("Circle", "XOR")):
        page.evaluate("() => window.__pg_root_layouts.length = 0")
        click(page, tile)
        wait_until(lambda: chosen(page, tile) and not chosen(page, other), 5,
                   message=f"the {tile} tile chosen")
        page.get_by_role("button", name="+", exact=True).first.click()
        wait_until(lambda: "5 neurons" in layer_label(page, 0), 5, message="a fifth neuron")
        page.get_by_role("button", name="−", exact=True).first.click()
        wait_until(lambda: "4 neurons" in layer_label(page, 0), 5, message="four neurons again")
        button(page, "+ Add layer").click()
        wait_until(lambda: page.locator(".pg-layer-label").filter(visible=True).count() == 3,
                   5, message="the third layer's controls shown")
        # the count is a text of its own (LiveHTML): it may come a frame after the columns
        wait_until(lambda: page.get_by_text("3 hidden layers").is_visible(), 5,
                   message="the count of three hidden layers")
        button(page, "− Remove layer").click()
        wait_until(lambda: page.locator(".pg-layer-label").filter(visible=True).count() == 2,
                   5, message="the third layer's controls hidden")
        wait_until(lambda: page.get_by_text("2 hidden layers").is_visible(), 5,
                   message="the count of two hidden layers")
        page.wait_for_timeout(300)
    assert page_layouts(page) == []


def test_ten_quick_clicks_on_the_plot_add_ten_points(page):
    """Clicks 150 ms apart: each second one reaches Bokeh as a double tap, and counts too.
    The first click turns the data into your own and says so."""
    page.mouse.move(2, 2)
    plot = page.locator(".bk-Figure.pg-output-plot").filter(visible=True).first.bounding_box()
    for i in range(10):
        page.mouse.click(plot["x"] + plot["width"] * (0.3 + 0.04 * i),
                         plot["y"] + plot["height"] * 0.45)
        page.wait_for_timeout(150)
    counts = page.get_by_text("Your data:")
    wait_until(lambda: counts.count() > 0 and "260 training" in counts.first.inner_text(), 10,
               message="ten more training points (250 + 10)")
    assert "made this your own data" in page.locator(".pg-status").filter(visible=True).inner_text()


def test_clicking_a_checkbox_words_toggles_it(page):
    for words in ("Show test data", "Discretize output", "Log scale"):
        box = page.locator(".bk-Checkbox", has_text=words).locator("input[type=checkbox]")
        assert box.count() == 1 and not box.is_checked(), words
        text = page.get_by_text(words, exact=True).bounding_box()
        for checked in (True, False):           # where a student clicks: on the words
            page.mouse.click(text["x"] + text["width"] * 0.6, text["y"] + text["height"] / 2)
            wait_until(lambda: box.is_checked() == checked, 5,
                       message=f"'{words}' {'checked' if checked else 'unchecked'} by its words")


# BokehJS's roots hidden from the page before it loads: the sizing then finds no root views
# to lay out once (ui/sizing.FIT_JS's quiet path) and must set the sizes the plain way
HIDE_ROOTS_JS = """(() => {
  let real;
  window.pg_roots_asked = 0;
  Object.defineProperty(window, "Bokeh", {configurable: true, set(v) { real = v; },
    get() {
      if (real === undefined) return real;
      return new Proxy(real, {get(t, k) {
        const v = Reflect.get(t, k);
        if (k !== "index" || !v) return v;
        return new Proxy(v, {get(i, name) {
          if (name === "roots") { window.pg_roots_asked += 1; return undefined; }
          const w = Reflect.get(i, name);
          return typeof w === "function" ? w.bind(i) : w;
        }});
      }});
    }});
})();"""

FITTED = (".bk-Figure.pg-output-plot", ".bk-Figure.pg-diagram", ".pg-loss-plot")


def fitted_sizes(page) -> dict:
    out = {}
    for sel in FITTED:
        box = page.locator(sel).filter(visible=True).first.bounding_box()
        out[sel] = (round(box["width"]), round(box["height"]))
    return out


@pytest.mark.parametrize("width,height", [(1024, 768), (1600, 1000)], ids=["1024", "1600"])
def test_the_plots_are_fitted_the_plain_way_without_bokehs_root_views(browser, server,
                                                                       width, height):
    sizes = {}
    for plain in (False, True):
        context = browser.new_context(viewport={"width": width, "height": height})
        try:
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            if plain:
                page.add_init_script(HIDE_ROOTS_JS)
            page.goto(f"{server}/app", timeout=120_000)
            page.locator(".pg-epoch").wait_for(state="visible", timeout=120_000)
            settle(page)
            sizes[plain] = fitted_sizes(page)
            if plain:
                assert page.evaluate("window.pg_roots_asked") > 0, "the sizing never looked"
            assert errors == []
        finally:
            context.close()
    assert sizes[True] == sizes[False]
    # and fitted to the screen: the big plot is wider on the wider screen, as the rule says
    side = sizes[True][".bk-Figure.pg-output-plot"][0]
    share, below, widest = sizing.OUTPUT_RULE
    expected = max(250, min(share * width, height - below, widest)) - 10 - heat_canvas.INSET
    assert abs(side - expected) <= 2, (side, expected)


def curve_side(page) -> tuple:
    box = page.locator(".bk-Figure.pg-output-plot").filter(visible=True).first.bounding_box()
    return round(box["width"]), round(box["height"])


def fitted_square(width, height) -> int:
    share, below, widest = sizing.OUTPUT_RULE
    return int(max(250, min(share * width, height - below, widest)) - 10)


@pytest.mark.parametrize("width,height", [(1024, 768), (1600, 1000)], ids=["1024", "1600"])
def test_the_curve_put_in_at_the_first_1d_data_is_fitted_as_a_1d_page_has_it(browser, server,
                                                                             width, height):
    """A new page with 2-D data has no curve figure; the one put in when the student picks
    Sine is sized to the screen as on a page opened with the sine data, and after a
    resize."""
    sides = {}
    for link in ("?dataset=sine", ""):
        context = browser.new_context(viewport={"width": width, "height": height})
        try:
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{server}/app{link}", timeout=120_000)
            page.locator(".pg-epoch").wait_for(state="visible", timeout=120_000)
            if not link:
                click(page, "Regression")
                button(page, "Sine").wait_for(state="visible", timeout=10_000)
                click(page, "Sine")
                wait_until(lambda: not button(page, "X₂").is_visible(), 10,
                           message="the 1-D features")
            settle(page)
            # the curve's figure is built when it comes (a moment longer on a busy machine)
            fitted = fitted_square(width, height)
            wait_until(lambda: abs(curve_side(page)[0] - fitted) <= 2, 10,
                       message=f"the curve fitted to {fitted} px")
            sides[link] = curve_side(page)
            if not link:
                page.set_viewport_size({"width": width - 200, "height": height})
                settle(page)
                expected = fitted_square(width - 200, height)
                wait_until(lambda: abs(curve_side(page)[0] - expected) <= 2, 5,
                           message=f"the curve refitted after a resize to {expected} px")
            assert errors == []
        finally:
            context.close()
    expected = fitted_square(width, height)
    assert sides[""] == sides["?dataset=sine"], sides
    assert abs(sides[""][0] - expected) <= 2 and sides[""][0] == sides[""][1], (sides, expected)
