"""Inside the network and your own data: hover and click a neuron, click points into the
plot, upload good and bad CSV files."""
from __future__ import annotations

import pytest

from playground import Run
from playground.state import network
from playground.ui.network_view import HEIGHT, WIDTH

from .test_page import click, output_figure, wait_until

pytestmark = pytest.mark.browser


def diagram(page):
    """The diagram's box; it is drawn in WIDTH × HEIGHT units, scaled to its column."""
    box = page.locator(".bk-Figure.pg-diagram").first.bounding_box()
    assert box is not None, "the network diagram is not on the page"
    assert abs(box["height"] / box["width"] - HEIGHT / WIDTH) < 0.02, box
    return box


def test_hover_and_click_a_neuron(page):
    before = output_figure(page).screenshot()      # (may scroll: read positions after it)
    box = diagram(page)
    layout = network.diagram_layout(Run().arch, WIDTH, HEIGHT)
    k = len(Run().arch.features)                    # the first hidden neuron
    scale = box["width"] / WIDTH
    x = box["x"] + scale * float(layout["node_x"][k])
    y = box["y"] + scale * (HEIGHT - float(layout["node_y"][k]))
    page.mouse.move(x, y)
    tip = page.get_by_text("neuron 1 of layer 1")
    wait_until(lambda: tip.count() > 0 and tip.first.is_visible(), 10,
               message="a tooltip on the neuron")
    page.mouse.click(x, y)
    wait_until(lambda: output_figure(page).screenshot() != before, 10,
               message="the big plot to show the neuron")
    page.mouse.click(x, y)                          # again: back to the network's output


def test_click_points_into_the_plot(page):
    click(page, "Add orange (−1)")
    plot = output_figure(page).bounding_box()
    for dx in (0.3, 0.5, 0.7):
        page.mouse.click(plot["x"] + plot["width"] * dx, plot["y"] + plot["height"] * 0.4)
        page.wait_for_timeout(800)      # slower than a double click
    counts = page.get_by_text("Your data:")
    wait_until(lambda: counts.count() > 0 and "253 training" in counts.first.inner_text(), 10,
               message="three more training points")
    click(page, "Clear all points")
    wait_until(lambda: "0 training" in page.get_by_text("Your data:").first.inner_text(), 10,
               message="an empty plot")


def _upload(page, content: bytes):
    page.locator("input[type=file][accept='.csv']").set_input_files(
        files=[{"name": "points.csv", "mimeType": "text/csv", "buffer": content}])


def test_upload_good_and_bad_csv(page):
    _upload(page, b"a,b\n1,2\n")
    wait_until(lambda: page.locator(".pg-status-danger").count() == 1, 10,
               message="a message about the bad file")
    assert "missing columns" in page.locator(".pg-status-danger").inner_text()
    rows = "\n".join(f"{i % 13},{(i * 7) % 11},{int((i % 13) > 6)}" for i in range(60))
    _upload(page, f"x1,x2,label\n{rows}\n".encode())
    wait_until(lambda: page.get_by_text("60 rows").count() > 0, 10, message="the scale note")
    wait_until(lambda: "30 training" in page.get_by_text("Your data:").first.inner_text(), 10,
               message="the uploaded points")
    click(page, "Step")


def test_too_large_and_empty_files_are_refused_before_they_are_sent(page):
    _upload(page, b"x1,x2,label\n" + b"1,2,1\n" * 2_700_000)      # 16 MB: over the socket's limit
    danger = page.locator(".pg-status-danger")
    wait_until(lambda: danger.count() == 1 and "at most 1 MB" in danger.inner_text(), 10,
               message="a message naming the limit")
    assert "points.csv is 16.2 MB" in danger.inner_text()
    _upload(page, b"")
    wait_until(lambda: "points.csv is empty" in danger.inner_text(), 10,
               message="a message about the empty file")
    rows = "\n".join(f"{i % 13},{(i * 7) % 11},{int((i % 13) > 6)}" for i in range(60))
    _upload(page, f"x1,x2,label\n{rows}\n".encode())               # the page still works
    wait_until(lambda: page.get_by_text("60 rows").count() > 0, 10, message="the scale note")
