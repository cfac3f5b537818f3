"""The convolution lab's state and Viewer (no server): the worked cases, the walk through
convolution → ReLU → pooling, kernel edits, painting, a kernel put in from outside."""
from __future__ import annotations

import numpy as np
import panel as pn
import pytest

from playground.state.conv_lab import ConvLab
from playground.ui.conv_lab import ConvLabTab, ConvLabView


def test_walk_through_the_classic_example():
    lab = ConvLab()
    np.testing.assert_array_equal(lab.result()["out"], [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    assert lab.n_steps() == 9 + 1 + 1 and lab.phase() == ("start", -1)
    sums = []
    for _ in range(9):
        lab.forward()
        sums.append(lab.current()["sum"])
    assert sums == [4, 3, 4, 2, 4, 3, 2, 3, 4]
    lab.forward()
    assert lab.phase() == ("relu", 0) and lab.current() is None
    lab.forward()
    assert lab.phase() == ("pool", 0) and lab.current()["value"] == 4
    lab.forward()                                 # already at the end: stays
    assert lab.step == 10
    lab.backward()
    assert lab.phase() == ("relu", 0)


def test_curve_detector_is_a_template_matcher():
    lab = ConvLab(kernel_name="curve_detector", source="curve_field")
    assert lab.kernel_size == 7 and lab.result()["out"].tolist() == [[6600.0]]
    lab.source = "no_curve_field"
    assert lab.result()["out"].tolist() == [[0.0]]


def test_bad_combination_says_why_and_recovers():
    lab = ConvLab(kernel_name="curve_detector")           # 7×7 over the 5×5 image
    assert lab.result() is None and "do not fit" in lab.message and lab.n_steps() == 0
    lab.padding = "same"
    assert lab.result()["out"].shape == (5, 5) and lab.message == ""


def test_edit_paint_and_use_kernel():
    lab = ConvLab()
    lab.set_kernel_cell(1, 1, 0.0)
    assert lab.kernel_name == "custom" and lab.result()["out"][0, 0] == 3
    with pytest.raises(ValueError, match="number"):
        lab.set_kernel_cell(0, 0, float("nan"))
    lab.source = "paint"
    before = lab.image().sum()
    lab.toggle_pixel(0, 0)
    assert lab.image().sum() == before + 1
    lab.use_kernel(np.ones((5, 5)))
    assert lab.kernel_size == 5 and lab.result()["out"].shape == (4, 4)
    with pytest.raises(ValueError, match="square"):
        lab.use_kernel(np.ones((2, 3)))


def test_view_redraws_on_its_frame():
    tab = ConvLabTab()
    assert pn.panel(tab).get_root() is not None
    view: ConvLabView = tab.lab
    view.next_btn.clicks += 1
    tab.tick()
    assert 'class="pg-conv-sum">4<' in view.arith.object
    assert len(view.input_plot.box.data["x"]) == 1
    assert np.isnan(view.output_plot.image.data["image"][0]).sum() == 8   # one cell of nine
    view.end_btn.clicks += 1
    tab.tick()
    assert 'pg-pool-value">4<' in view.arith.object
    view.model.source = "photo"
    tab.tick()
    assert view.input_plot.text.data["t"] == []          # no numbers on a 64×64 photo
    view.play.value = True
    tab.tick()
    assert view.model.step == 39                          # 40 cells per frame on big images
