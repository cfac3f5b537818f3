"""The facts behind the words a screen reader hears: regions of a decision grid, the run's
numbers, the network as tables."""
from __future__ import annotations

import math

import numpy as np
import pytest

from playground import Run
from playground.state import describe, network


def disc(inside: float, outside: float, n: int = 100, r: float = 0.5) -> np.ndarray:
    y, x = np.mgrid[-1:1:n * 1j, -1:1:n * 1j]
    return np.where(x * x + y * y < r * r, inside, outside)


# ------------------------------------------------------------------ the regions
def test_a_blue_disc_is_a_closed_blue_island():
    b = describe.boundary(disc(0.8, -0.6))
    assert (b.blue_regions, b.orange_regions) == (1, 1)
    assert (b.blue_enclosed, b.orange_enclosed) == (1, 0)
    assert b.blue_share == pytest.approx(math.pi * 0.25 / 4, abs=0.01)


def test_an_orange_disc_is_a_closed_orange_island():
    b = describe.boundary(disc(-0.8, 0.6))
    assert (b.blue_enclosed, b.orange_enclosed) == (0, 1)


def test_a_line_splits_the_plane_in_two_open_sides():
    g = np.where(np.arange(100)[None, :] + np.arange(100)[:, None] > 90, 1.0, -1.0)
    b = describe.boundary(g)
    assert (b.blue_regions, b.orange_regions, b.blue_enclosed, b.orange_enclosed) == (1, 1, 0, 0)


def test_xor_quarters_are_four_regions():
    q = np.sign(np.arange(100) - 49.5)
    b = describe.boundary(np.outer(q, q))
    # quarters that meet only at the centre's corner are separate areas
    assert (b.blue_regions, b.orange_regions) == (2, 2)
    assert (b.blue_enclosed, b.orange_enclosed) == (0, 0)
    assert b.blue_share == pytest.approx(0.5)


def test_one_colour_everywhere_and_bad_grids():
    assert describe.boundary(np.full((10, 10), -0.3)).blue_regions == 0
    assert describe.boundary(np.full((10, 10), 0.3)).orange_regions == 0
    g = disc(1.0, -1.0)
    g[3, 3] = np.nan
    assert describe.boundary(g) is None
    assert describe.boundary(np.zeros(5)) is None
    assert describe.boundary(np.zeros((0, 0))) is None


def test_class_areas_count_each_class():
    c = np.zeros((60, 60), int)
    c[:, 30:] = 1
    c[20:40, 5:15] = 2                       # an island inside class 0
    areas = describe.class_areas(c, 4)
    assert [a.regions for a in areas] == [1, 1, 1, 0]
    assert [a.enclosed for a in areas] == [0, 0, 1, 0]
    assert sum(a.share for a in areas) == pytest.approx(1.0)


def test_zero_crossings():
    assert describe.zero_crossings(np.sin(np.linspace(0.1, 3 * np.pi - 0.1, 200))) == 2
    assert describe.zero_crossings([0.0, 0.0]) == 0
    assert describe.zero_crossings([-1, 0, 1, 0, -1]) == 2


# ------------------------------------------------------------------ a real run
@pytest.fixture(scope="module")
def circle_run():
    run = Run(dataset="circle", hidden=[], features=["x1_sq", "x2_sq"], learning_rate=0.1)
    run.train(300)
    return run


def test_the_facts_are_the_runs_numbers(circle_run):
    f = describe.plot_facts(circle_run)
    m = circle_run.metrics()
    assert f.epoch == 300 == m["epoch"] and f.dataset == "circle" and f.classes == 2
    assert (f.train_loss, f.test_loss, f.test_accuracy) == (
        m["train_loss"], m["test_loss"], m["test_accuracy"])
    assert f.n_train + f.n_test == 500 and f.status == circle_run.status
    assert f.test_accuracy > 0.9
    # X₁² and X₂² without a hidden layer: a closed curve around the middle
    b = f.boundary
    assert (b.blue_regions, b.orange_regions) == (1, 1)
    assert b.blue_enclosed + b.orange_enclosed == 1
    assert b == describe.boundary(circle_run.decision_grid())


def test_regression_and_one_d_facts():
    plane = Run(dataset="plane")
    f = describe.plot_facts(plane)
    assert f.boundary is None and f.classes == 0 and math.isnan(f.test_accuracy)
    g = plane.decision_grid()
    assert f.output_range == (pytest.approx(float(g.min())), pytest.approx(float(g.max())))
    sine = Run(dataset="sine", hidden=[4], features=["x1"])
    f = describe.plot_facts(sine)
    assert f.one_d and f.boundary is None
    assert f.zero_crossings == describe.zero_crossings(sine.curve()[1])


def test_k_class_facts():
    run = Run(dataset="blobs3", hidden=[4])
    run.train(20)
    f = describe.plot_facts(run)
    assert f.classes == 3 and f.boundary is None and len(f.class_areas) == 3
    assert sum(a.share for a in f.class_areas) == pytest.approx(1.0)
    classes = run.decision_classes()[0]
    assert [a.share for a in f.class_areas] == [pytest.approx(float((classes == k).mean()))
                                                for k in range(3)]


def test_a_diverged_run_has_no_boundary():
    run = Run(dataset="circle", learning_rate=10.0)
    run.train(50)
    assert run.status == "diverged"
    f = describe.plot_facts(run)
    assert f.status == "diverged"
    if not np.isfinite(run.decision_grid()).all():
        assert f.boundary is None


# ------------------------------------------------------------------ the tables
def test_weight_tables_are_the_networks_weights():
    run = Run(hidden=[3, 2], features=["x1", "x2", "x1x2"])
    tables = describe.weight_tables(run)
    p = network.layer_weights(run)
    assert [t.weights.shape for t in tables] == [(3, 3), (3, 2), (2, 1)]
    for t, W, b in zip(tables, p["W"], p["b"]):
        np.testing.assert_allclose(t.weights, np.asarray(W).reshape(t.weights.shape))
        np.testing.assert_allclose(t.biases, np.asarray(b).ravel())
    assert tables[0].inputs == ["X₁", "X₂", "X₁X₂"]
    assert tables[1].inputs == ["neuron 1 of layer 1", "neuron 2 of layer 1",
                                "neuron 3 of layer 1"]
    assert tables[0].units == ["neuron 1", "neuron 2", "neuron 3"]
    assert tables[2].output and tables[2].units == ["the output"]
    assert [t.activation for t in tables] == ["tanh", "tanh", ""]


def test_weight_tables_follow_a_hand_edit():
    run = Run(hidden=[2])
    network.set_weight(run, 0, 1, 0, 1.25)
    assert describe.weight_tables(run)[0].weights[1, 0] == pytest.approx(1.25)


def test_no_hidden_layer_is_one_table():
    tables = describe.weight_tables(Run(hidden=[]))
    assert len(tables) == 1 and tables[0].output and tables[0].weights.shape == (2, 1)
