"""Four classes in the browser: the page opened on /app?dataset=blobs4 trains, shows its
four class colours and a 4×4 confusion matrix."""
from __future__ import annotations

import pytest

from .conftest import ARTIFACTS
from .test_page import chosen, epoch, output_figure, pause, play, wait_until

pytestmark = pytest.mark.browser

# The confusion matrix is drawn on a canvas: its cells are read from the page's Bokeh
# document (the source with a "count" column per cell).
MATRIX_CELLS = """() => {
  for (const doc of (window.Bokeh && window.Bokeh.documents) || []) {
    for (const m of doc.all_models) {
      const d = m.data;
      if (d && d.count !== undefined && d.label !== undefined && d.name !== undefined)
        return [d.count.length, Array.from(d.count).reduce((a, b) => a + b, 0)];
    }
  }
  return [-1, -1];
}"""


@pytest.mark.query("?dataset=blobs4")
def test_four_classes_train_with_their_colours_and_a_4x4_matrix(page):
    assert chosen(page, "4 blobs")
    key = page.locator(".pg-class-scale")
    wait_until(lambda: key.count() == 1 and key.is_visible(), 10,
               message="the key of the four class colours")
    assert key.inner_text().split("·")[0].split() == ["class", "0", "1", "2", "3"]
    assert key.locator("span").count() == 4            # one swatch per class
    fig = output_figure(page)
    shot0 = fig.screenshot()
    play(page)
    wait_until(lambda: epoch(page) > 5, 15, message="the epoch counter to move")
    page.wait_for_timeout(800)
    pause(page)
    assert fig.screenshot() != shot0, "the heatmap did not change while training"
    cells = wait_until(lambda: (lambda c: c if c[0] == 16 and c[1] > 0 else None)(
        page.evaluate(MATRIX_CELLS)), 10, message="a 4×4 confusion matrix with its counts")
    assert cells[1] == 250                               # every test point counted once


@pytest.mark.query("?dataset=blobs4&hidden=6&palette=okabe_ito&show_test=1")
def test_the_colour_blind_palette_comes_from_the_link_and_goes_back_into_it(page):
    menu = page.get_by_label("The colours of the classes", exact=True)
    assert menu.input_value() == "Colours: colour-blind safe"
    assert page.evaluate("location.search").endswith("show_test=1&palette=okabe_ito")
    key = page.locator(".pg-class-scale")
    wait_until(lambda: key.count() == 1 and "▲1" in key.inner_text(), 10,
               message="the class key with a shape per class")
    play(page)
    wait_until(lambda: epoch(page) > 100, 30, message="a hundred epochs")
    pause(page)
    fig = output_figure(page)
    okabe = fig.screenshot()
    page.screenshot(path=str(ARTIFACTS / "colour-blind-palette-4-classes.png"))
    menu.select_option(label="Colours: standard")
    wait_until(lambda: "palette" not in page.evaluate("location.search"), 10,
               message="the address bar to drop the palette")
    wait_until(lambda: "▲" not in key.inner_text(), 10, message="the plain class key")
    assert fig.screenshot() != okabe, "the plot kept its colours"
    assert "show_test=1" in page.evaluate("location.search")
