"""The Neuron lab: its state models reproduce the course's numbers, and its Viewers show them
(rendered without a server; buttons pressed as the browser would)."""
from __future__ import annotations

import numpy as np
import panel as pn
import pytest

from playground.engine import neuron_lab as nl
from playground.state.neuron_lab import (PARAM_NAMES, STAGES, Backprop, DeltaRule, Gallery,
                                         HousePrices, Logistic, Perceptron)
from playground.ui import PlaygroundApp
from playground.ui.neuron_lab import SECTIONS, NeuronLab


def press(button):
    button.clicks += 1


@pytest.fixture(scope="module")
def lab():
    lab = NeuronLab()
    assert pn.panel(lab).get_root() is not None
    return lab


# ------------------------------------------------------------------------- models
def test_perceptron_defaults_are_the_course_example():
    p = Perceptron()
    assert p.inputs == [0, 1, 1] and p.weights == [0.7, 0.4, 0.2] and p.threshold == 0.8
    assert p.result() == (pytest.approx(0.6), 0)
    p.param.update(x1=True, x2=False)
    assert p.result() == (pytest.approx(0.9), 1)
    p.threshold = 5.0
    assert p.result()[1] == 0 and all(o == 0 for *_, o in p.table())


def test_gallery_probe_matches_jax_grad():
    g = Gallery(activation="tanh", z=0.5)
    value, slope, auto = g.probe()
    assert value == pytest.approx(np.tanh(0.5)) and slope == pytest.approx(1 - np.tanh(0.5) ** 2)
    assert auto == pytest.approx(slope, rel=1e-9)
    c = g.curves()
    assert c["saturated"][0] and c["saturated"][-1] and not c["saturated"][len(c["z"]) // 2]


def test_delta_rule_history_steps_back_and_resets_on_change():
    d = DeltaRule()
    w0 = d.w.copy()
    for _ in range(3):
        d.step()
    r = d.history[0]
    np.testing.assert_allclose(r["w_new"], r["w_autodiff"], rtol=1e-10)
    assert d.history[-1]["loss"] < d.history[0]["loss"]
    d.back()
    assert len(d.history) == 2
    d.eta = 0.5
    assert d.history == [] and np.array_equal(d.w, w0)


def test_logistic_learns_and_resets():
    m = Logistic()
    start = m.losses[0]
    m.step(50)
    assert m.epoch == 50 and m.losses[-1] < start / 2 and m.accuracy() > 0.85
    m.reset()
    assert m.epoch == 0 and m.losses == [start]


def test_backprop_stages_gradients_and_update():
    b = Backprop()
    assert b.stage == 0
    for _ in range(20):
        b.forward()
    assert STAGES[b.stage] == "update"
    v = b.values()
    auto = nl.tiny_net_autodiff(b.net(), b.x, b.target, b.activation)
    for name, (field, index) in PARAM_NAMES.items():
        want = getattr(auto, field)
        want = float(want if index is None else want[index])
        assert b.gradient(name) == pytest.approx(want, rel=1e-9, abs=1e-12), name
    assert b.loss_after() < v["loss"]
    before = b.w11
    b.apply_update()
    assert b.stage == 0 and b.w11 == pytest.approx(before - b.learning_rate
                                                   * v["grads"].W1[0, 0], abs=1e-6)
    b.backward()
    assert b.stage == 0


def test_nudge_2_5_to_3_5_and_1_5():
    b = Backprop()
    assert b.w11 == 2.5
    r = b.nudge_row("w11", 1.0)
    moved = {}
    for w in (3.5, 1.5):
        c = Backprop(w11=w)
        moved[w] = c.values()["loss"]
    assert (r["loss_plus"], r["loss_minus"]) == (pytest.approx(moved[3.5]),
                                                 pytest.approx(moved[1.5]))
    assert r["slope"] == pytest.approx((moved[3.5] - moved[1.5]) / 2)
    small = b.nudge_row("w11", 1e-4)
    assert small["rel_error"] < 1e-4 < r["rel_error"]      # a smaller nudge: a better slope
    assert len(b.nudge_table()) == len(PARAM_NAMES)


def test_house_prices_train_below_both_baselines():
    h = HousePrices()
    h.train(300)
    assert h.epoch == 300 and len(h.rmse) == 301
    assert h.rmse[-1] < h.linear_rmse < h.baseline_rmse
    pred, hidden = h.predictions(h.X[:5])
    assert pred.shape == (5,) and hidden.shape == (5, 3)
    h.hidden = 5
    assert h.epoch == 0 and h.predictions(h.X[:2])[1].shape == (2, 5)


# ------------------------------------------------------------------------ viewers
def test_every_section_has_a_title_and_two_line_text(lab):
    assert [s[0] for s in SECTIONS] == ["perceptron", "gallery", "delta", "logistic",
                                        "backprop", "house"]
    for key, title, text, _ in SECTIONS:
        assert title and len(text) > 60 and hasattr(lab, key)


def test_perceptron_toggle_updates_readout_and_plot(lab):
    view = lab.perceptron
    view.toggles[0].value = True
    lab.tick()                                   # views redraw on the page's frame
    assert "1.3" in view.readout.object and view.toggles[0].label == "x1 = 1"
    assert view.current.data["s"] == [pytest.approx(1.3)]
    view.toggles[0].value = False
    lab.tick()
    assert "0.6" in view.readout.object and "output" in view.readout.object


def test_gallery_switch_updates_curves(lab):
    view = lab.gallery
    view.model.activation = "relu"
    lab.tick()
    assert max(view.curves.data["f"]) == pytest.approx(6.0)
    assert "relu" in view.info.object


def test_delta_and_backprop_buttons(lab):
    press(lab.delta.step_btn)
    lab.tick()
    assert "✓" in lab.delta.table.object
    press(lab.delta.reset_btn)
    bp = lab.backprop
    press(bp.next_btn)
    lab.tick()
    assert "Forward, hidden neuron 1" in bp.explain.object
    assert bp.back_btn.disabled is False and bp.apply_btn.disabled is True
    bp.model.w11 = 3.0                   # an edit starts the walk-through again
    lab.tick()
    assert bp.model.stage == 0 and "w11 = 3" in " ".join(bp.labels.data["text"])
    bp.model.w11 = 2.5


def test_tick_trains_only_what_is_playing(lab):
    house, logistic = lab.house.model, lab.logistic.model
    e_house, e_log = house.epoch, logistic.epoch
    lab.tick()
    assert (house.epoch, logistic.epoch) == (e_house, e_log)
    lab.house.play.value = True
    lab.tick()
    lab.house.play.value = False
    assert house.epoch == e_house + 10 and logistic.epoch == e_log
    assert f"{house.rmse[-1]:.1f}" in lab.house.readout.object


def test_link_opens_the_tab_and_the_address_follows():
    app = PlaygroundApp(query="?tab=neurons")
    app.stop()
    assert app.active_tab == "neurons" and "tab=neurons" in app.lessons.link_text
    assert "computing on CPU" in app._layout.objects[0].object      # the device readout
    app.tabs.active = 0
    assert "tab=" not in app.lessons.link_text
    bad = PlaygroundApp(query="?tab=<script>")
    bad.stop()
    assert bad.active_tab == "playground"
    assert "tab=<script> is not a tab here" in bad.controls.message


def test_backprop_labels_never_overlap_at_any_step():
    """Every label of the walk-through (weights, gradients, values, biases, the target) and
    every node, as boxes on the figure (11 px text: about 6.1 px a character), apart from
    each other and inside the figure, at every step from 0 to the last."""
    import itertools

    from playground.ui.backprop_view import BackpropView
    view = BackpropView()
    f = view.fig
    (x0, x1), (y0, y1) = (f.x_range.start, f.x_range.end), (f.y_range.start, f.y_range.end)
    W, H = f.width, f.height

    def px(x, y):
        return (x - x0) / (x1 - x0) * W, (y - y0) / (y1 - y0) * H
    for stage in range(len(STAGES)):
        view.model.stage = stage
        view.update()
        boxes = []
        d = view.labels.data
        for x, y, text in zip(d["x"], d["y"], d["text"]):
            sx, sy = px(x, y)
            w = len(text) * 6.1
            boxes.append((sx - w / 2, sy - 6.5, sx + w / 2, sy + 6.5, text))
        n = view.nodes.data
        for x, y, name in zip(n["x"], n["y"], n["name"]):
            sx, sy = px(x, y)
            boxes.append((sx - 22, sy - 22, sx + 22, sy + 22, f"node {name}"))
        overlaps = [(a[4], b[4]) for a, b in itertools.combinations(boxes, 2)
                    if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]]
        assert not overlaps, f"step {stage}: {overlaps}"
        outside = [b[4] for b in boxes if b[0] < 0 or b[2] > W or b[1] < 0 or b[3] > H]
        assert not outside, f"step {stage}: {outside}"


def test_a_lab_tab_shows_its_introduction_at_once_and_its_lab_at_the_next_frame():
    """Under a server the first click on a lab's tab answers with the lab's introduction;
    the lab is built from the next frame on (off the event loop) and put in place at the
    frame after it is ready. Without a server (a notebook) it is built at once."""
    import time
    from bokeh.document import Document

    from playground.ui import app as app_module
    from playground.ui.neuron_lab import INTRO
    page = PlaygroundApp()
    page.stop()
    page._doc = Document()                  # as under a server (no session: never closed)
    page.tabs.active = 1                    # Neuron lab
    assert "neurons" not in page.labs
    (placeholder,) = page._lab_boxes["neurons"].objects
    assert INTRO in placeholder.objects[0].object
    assert "Setting up" in placeholder.objects[1].object
    page.tick()
    deadline = time.monotonic() + 60
    while "neurons" not in page.labs:       # the frames go on while it is built
        assert time.monotonic() < deadline, "the lab was never put in place"
        time.sleep(0.02)
        page.tick()
    assert isinstance(page.labs["neurons"], app_module.NeuronLab)
    (shown,) = page._lab_boxes["neurons"].objects
    assert shown is not placeholder and isinstance(shown.objects[1], pn.FlexBox)  # its cards
    page.tabs.active = 0
    page.tabs.active = 1                    # built once
    assert page._lab_boxes["neurons"].objects == [shown]
    page._doc = None
    page.tabs.active = 2                    # no server: at once
    assert "descent" in page.labs


def test_the_house_slider_compiles_nothing_new(caplog):
    """Moving the house lab's hidden-neuron slider through every value (each once reset
    and trained) compiles no program after the first: the network is one shape."""
    import logging

    import jax
    h = HousePrices()
    h.train(10)
    h.predictions(h.X[:5])
    caplog.clear()
    with caplog.at_level(logging.WARNING), jax.log_compiles(True):
        for k in range(1, 9):
            h.hidden = k
            h.train(10)
            _, hidden = h.predictions(h.X[:5])
            assert hidden.shape == (5, k)
    assert [r.getMessage()[:100] for r in caplog.records
            if r.getMessage().startswith("Compiling")] == []
