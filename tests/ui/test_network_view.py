"""The network diagram rendered without a server: its Bokeh sources, taps and the editor."""
from __future__ import annotations

import numpy as np
import panel as pn
import pytest
from bokeh.events import Tap
from bokeh.models import Image as ImageGlyph

from playground import Run
from playground.state import network
from playground.ui import theme
from playground.ui.network_view import NetworkDiagram

R = network.THUMB_RES


@pytest.fixture
def view():
    run = Run(seed=2)
    run.tier = "exact"
    run.train(2)
    v = NetworkDiagram(run)
    assert pn.panel(v).get_root() is not None
    return v


def tap(view, x, y):
    view._on_tap(Tap(view.figure, x=float(x), y=float(y)))


def node_xy(view, layer, j):
    L = view.layout
    k = np.flatnonzero((L["node_layer"] == layer) & (L["node_index"] == j))[0]
    return L["node_x"][k], L["node_y"][k]


def weights(view):
    return np.concatenate([W.ravel() for W in network.layer_weights(view.run)["W"]])


def test_one_picture_per_node_and_one_line_per_weight(view):
    d = view.nodes.data
    assert len(d["image"]) == 2 + 4 + 2 + 1
    assert len(view.edges.data["w"]) == 2 * 4 + 4 * 2 + 2
    for img in d["image"]:
        assert img.shape == (R, R) and img.dtype == np.uint8     # codes 0..255 for -1..1
    assert list(view.labels.data["text"]) == ["X₁", "X₂"]
    assert list(view.headers.data["text"]) == ["Inputs", "4 neurons", "2 neurons", "Output"]

    view.run.hidden = [3, 5, 2]
    view.run.features = ["x1", "x2", "x1_sq", "sin_x2"]
    view.update()
    assert len(view.nodes.data["image"]) == 4 + 3 + 5 + 2 + 1
    assert len(view.edges.data["w"]) == 4 * 3 + 3 * 5 + 5 * 2 + 2
    assert len(view.biases.data["b"]) == 3 + 5 + 2 + 1
    assert all(img.shape == (R, R) for img in view.nodes.data["image"])
    assert list(view.labels.data["text"]) == ["X₁", "X₂", "X₁²", "sin(X₂)"]

    view.run.hidden = []
    view.update()
    assert len(view.nodes.data["image"]) == 4 + 1 and len(view.edges.data["w"]) == 4


def test_pictures_change_when_the_network_learns(view):
    before = [img.copy() for img in view.nodes.data["image"]]
    view.run.train(20)
    view.update()
    after = view.nodes.data["image"]
    assert all(np.array_equal(a, b) for a, b in zip(before[:2], after[:2]))   # inputs fixed
    assert not all(np.array_equal(a, b) for a, b in zip(before[2:], after[2:]))
    decoded = after[-1].ravel() / 127.5 - 1
    np.testing.assert_allclose(decoded, np.clip(
        view.run.predict(network.features.grid_points(R)), -1, 1), atol=0.5 / 127.5 + 1e-6)
    mapper = [r.glyph for r in view.figure.renderers
              if isinstance(r.glyph, ImageGlyph)][0].color_mapper
    assert (mapper.low, mapper.high, len(mapper.palette)) == (0, 255, 256)


def test_the_words_are_on_the_overlay_and_the_pictures_below_it(view):
    # BokehJS paints a plot's overlay canvas again only when an overlay renderer changes:
    # the pictures and lines change at every drawn frame, the words only when the network
    # does, so the words stay off the canvas that is painted at each frame
    level = {id(r.data_source): r.level for r in view.figure.renderers}
    words = {view.labels, view.headers}
    assert {level[id(s)] for s in words} == {"overlay"}
    assert all(level[id(s)] != "overlay" for s in (view.nodes, view.edges, view.biases))
    view.run.hidden = [3]
    view.update()
    assert "3 neurons" in view.headers.data["text"]


def test_lines_follow_the_weights(view):
    w = weights(view)
    e = view.edges.data
    np.testing.assert_array_equal(e["w"], w)
    np.testing.assert_allclose(e["width"], 0.5 + 4 * np.minimum(np.abs(w), 3) / 3, rtol=1e-6)
    assert (w > 0).any() and (w < 0).any()
    # colour = sign: the mapper splits [-1, 1] into orange below 0 and blue from 0 up
    m = view.sign_mapper
    assert (m.palette, m.low, m.high) == ([theme.ORANGE, theme.BLUE], -1, 1)
    glyph = [r for r in view.figure.renderers if r.data_source is view.edges][0].glyph
    assert glyph.line_color.field == "w" and glyph.line_color.transform is m
    assert glyph.line_width == "width"          # a column name: one width per line
    nf = len(view.run.arch.features)
    b = np.concatenate(network.layer_weights(view.run)["b"])
    np.testing.assert_array_equal(view.biases.data["b"], b)
    assert np.isnan(view.nodes.data["b"][:nf]).all()
    np.testing.assert_array_equal(view.nodes.data["b"][nf:], b)


def test_tapping_a_line_edits_that_weight(view):
    L, run = view.layout, view.run
    k = int(np.flatnonzero((L["edge_layer"] == 1) & (L["edge_i"] == 3) & (L["edge_j"] == 0))[0])
    mid = network.CURVE_POINTS // 2
    hit = network.element_at(L, L["edge_xs"][k, mid], L["edge_ys"][k, mid])
    assert hit == ("weight", 1, 3, 0)
    grid0 = run.decision_grid().copy()
    tap(view, L["edge_xs"][k, mid], L["edge_ys"][k, mid])
    assert not view.set_button.disabled
    assert view.value.value == pytest.approx(network.layer_weights(run)["W"][1][3, 0], abs=1e-4)
    assert "neuron 4 of layer 1" in view.editor_label.object
    view.value.value = -1.5
    view.set_button.clicks += 1
    assert network.layer_weights(run)["W"][1][3, 0] == np.float32(-1.5)
    assert view.edited == 1
    assert not np.array_equal(run.decision_grid(), grid0)
    assert view.edges.data["w"][k] == np.float32(-1.5)
    assert view.edges.data["width"][k] == pytest.approx(2.5)
    view.close_button.clicks += 1
    assert view.set_button.disabled and view._target is None


def test_tapping_a_bias_edits_it_and_bad_values_are_refused(view):
    L, run = view.layout, view.run
    tap(view, L["bias_x"][-1], L["bias_y"][-1])            # the output's bias
    assert view._target == ("bias", 2, 0)
    view.value.value = 0.75
    view.set_button.clicks += 1
    assert network.layer_weights(run)["b"][2][0] == np.float32(0.75)
    assert view.biases.data["b"][-1] == np.float32(0.75)
    before = weights(view)
    view.value.value = None                                 # an empty box
    view.set_button.clicks += 1
    assert "finite" in view.editor_label.object and view.edited == 1
    np.testing.assert_array_equal(weights(view), before)


def test_tapping_a_node_selects_it_and_tapping_again_clears(view):
    seen = []
    view.on_select = seen.append
    tap(view, *node_xy(view, 0, 2))
    assert view.selected_neuron == (0, 2)
    assert len(view.selection.data["x"]) == 1
    heat = network.neuron_heatmap(view.run, *view.selected_neuron)
    assert heat.shape == (100, 100) and np.isfinite(heat).all()
    tap(view, *node_xy(view, network.INPUT, 1))
    assert view.selected_neuron == (network.INPUT, 1)
    tap(view, *node_xy(view, network.INPUT, 1))
    assert view.selected_neuron is None and len(view.selection.data["x"]) == 0
    assert seen == [(0, 2), (network.INPUT, 1), None]
    tap(view, 3, 3)                                         # empty space: nothing happens
    assert view.selected_neuron is None and view.set_button.disabled
    tap(view, *node_xy(view, 2, 0))
    view.run.hidden = [5]                                   # a new architecture clears it
    view.update()
    assert view.selected_neuron is None and seen[-1] is None


def test_every_control_explains_itself(view):
    for w in (view.value, view.set_button, view.close_button):
        assert w.description
