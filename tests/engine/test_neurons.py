"""Every node's picture (engine.neurons) and the diagram's model (state.network):
against a numpy forward pass, no recompiles, hand edits of weights and biases."""
from __future__ import annotations

import math

import jax
import numpy as np
import pytest
from scipy.special import erf

from playground import Run
from playground.engine import features, mlp, neurons, train
from playground.state import network
from playground.state.run import GRID_RES

R = neurons.THUMB_RES
NP_ACT = {
    "relu": lambda z: np.maximum(z, 0), "tanh": np.tanh,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "linear": lambda z: z,
    "leaky_relu": lambda z: np.where(z > 0, z, mlp.LEAKY_SLOPE * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    "gelu": lambda z: 0.5 * z * (1 + erf(z / math.sqrt(2))), "sine": np.sin}
NP_OUT = (lambda z: z, np.tanh, lambda z: 2 / (1 + np.exp(-z)) - 1)

ARCHS = [  # (features, hidden, activations, output kind)
    ((0, 1), (4, 2), ("tanh", "tanh"), 1),
    (tuple(range(7)), (3,), ("relu",), 0),
    ((2, 4, 6), (5, 3, 2), ("sigmoid", "gelu", "leaky_relu"), 2),
    ((1, 4), (), (), 1),
    ((0, 3, 5), (16, 1, 6), ("elu", "sine", "linear"), 0),
]


def make(arch_tuple, seed=1):
    """An Arch and random padded params (biases random too), zero outside the arch."""
    arch = mlp.Arch(*arch_tuple)
    aa = arch.arrays()
    k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
    p = mlp.init_params(k1, aa)
    noise = jax.random.uniform(k2, p["b_hidden"].shape, minval=-1, maxval=1)
    p = {**p, "b_hidden": p["b_hidden"] + noise * aa.param_mask["b_hidden"] * 2,
         "W_hidden": p["W_hidden"] * 3}
    return arch, aa, p


def numpy_nodes(params, arch, feats):
    """Reference: (n_nodes, G) rows = scaled inputs, every hidden neuron, the output."""
    ex = mlp.to_exact(jax.device_get(params), arch)
    fidx = list(arch.features)
    h = np.asarray(feats, np.float64)[:, fidx]
    rows = [h / np.array([6, 6, 36, 36, 36, 1, 1.0])[fidx]]
    for W, b, a in zip(ex["W"][:-1], ex["b"][:-1], arch.activations):
        h = NP_ACT[a](h @ np.asarray(W, np.float64) + np.asarray(b, np.float64))
        rows.append(h)
    z = (h @ np.asarray(ex["W"][-1], np.float64) + float(ex["b"][-1][0]))[:, 0]
    rows.append(NP_OUT[arch.output](z)[:, None])
    return np.concatenate(rows, 1).T


@pytest.mark.parametrize("arch_tuple", ARCHS)
@pytest.mark.parametrize("tier", ["general", "exact"])
def test_every_node_matches_a_numpy_forward(arch_tuple, tier):
    arch, aa, p = make(arch_tuple)
    feats = neurons.device_features(R)
    got = neurons.node_grids(p, arch, aa, feats, tier=tier)
    want = numpy_nodes(p, arch, neurons.thumb_features())
    assert got.shape == (len(arch.features) + sum(arch.hidden) + 1, R * R)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=2e-5, rtol=1e-4)


def test_general_program_layout_and_inactive_neurons_are_zero():
    arch, aa, p = make(ARCHS[2])
    inputs, hidden, out = jax.device_get(neurons.neuron_grids(p, aa, neurons.thumb_features()))
    assert inputs.shape == (7, R * R) and out.shape == (mlp.K_MAX, R * R)
    assert not np.any(out[1:])                     # one output unit: the others are 0
    assert hidden.shape == (mlp.MAX_LAYERS, mlp.WIDTH, R * R)
    live = np.asarray(aa.neuron_mask, bool)
    assert np.all(hidden[~live] == 0)
    assert np.all(np.abs(hidden[live]).max(axis=1) > 0)
    # the thumbnail grid is grid_points(THUMB_RES): x1 varies fastest, rising to the right
    np.testing.assert_allclose(inputs[0].reshape(R, R)[0], np.linspace(-1, 1, R), atol=1e-6)
    np.testing.assert_allclose(inputs[1].reshape(R, R)[:, 0], np.linspace(-1, 1, R), atol=1e-6)
    assert np.abs(inputs).max() <= 1 + 1e-6


def test_architecture_changes_never_recompile_the_general_program():
    feats = neurons.device_features(R)
    arch, aa, p = make(ARCHS[0])
    neurons.neuron_grids(p, aa, feats)
    before = train.TRACES["neurons_general"]
    for t in ARCHS + [((0,), (16,) * 8, ("tanh",) * 8, 2)]:
        arch, aa, p = make(t, seed=3)
        neurons.node_grids(p, arch, aa, feats, tier="general")
    assert train.TRACES["neurons_general"] == before


def test_exact_program_compiles_in_the_background_and_then_serves():
    arch, aa, p = make(((0, 6), (7, 3), ("tanh", "relu"), 1), seed=5)
    feats = neurons.device_features(R)
    key = (arch, R * R)
    first = neurons.node_grids(p, arch, aa, feats, tier="auto")     # general, exact queued
    neurons.PROGRAMS.wait()
    prog = neurons.PROGRAMS.get("neurons", key, (p, feats))
    assert prog is not None
    before = train.TRACES["neurons_exact"]
    np.testing.assert_allclose(neurons.node_grids(p, arch, aa, feats, tier="auto"), first,
                               atol=1e-5)
    assert train.TRACES["neurons_exact"] == before      # served, not traced again


# ------------------------------------------------------------------ state.network
@pytest.fixture
def run():
    r = Run(hidden=[3, 2], features=["x1", "x2", "x1x2"], seed=4)
    r.tier = "exact"
    r.train(3)
    return r


def test_thumbnails_one_per_node_in_display_range(run):
    pics = network.neuron_thumbnails(run)
    assert [p.shape for p in pics] == [(3, R, R), (3, R, R), (2, R, R), (1, R, R)]
    for p in pics:
        assert p.dtype == np.float32 and np.isfinite(p).all() and np.abs(p).max() <= 1
    codes = network.neuron_thumbnails(run, codes=True)
    for p, c in zip(pics, codes):
        assert c.dtype == np.uint8 and c.shape == p.shape
        np.testing.assert_allclose(c / 127.5 - 1, p, atol=0.5 / 127.5 + 1e-6)
    assert codes[0].min() == 0 and codes[0].max() == 255          # X₁ spans -1..1
    # the output picture is the network's prediction on the thumbnail grid
    np.testing.assert_allclose(pics[-1][0].ravel(), run.predict(features.grid_points(R)),
                               atol=1e-5)


def test_neuron_heatmap_is_that_neuron_over_the_plot_grid(run):
    want = numpy_nodes(run.state.params, run.arch, features.grid_features())
    np.testing.assert_allclose(network.neuron_heatmap(run, 1, 1).ravel(), want[3 + 3 + 1],
                               atol=2e-5)
    np.testing.assert_allclose(network.neuron_heatmap(run, network.INPUT, 2).ravel(), want[2],
                               atol=1e-6)
    out = network.neuron_heatmap(run, 2, 0)
    assert out.shape == (GRID_RES, GRID_RES)
    np.testing.assert_array_equal(out, run.decision_grid())
    for bad in [(3, 0), (0, 3), (-2, 0), (network.INPUT, 3), (1.0, 0), (True, 0)]:
        with pytest.raises(ValueError):
            network.neuron_heatmap(run, *bad)


def test_set_weight_edits_one_entry_and_refreshes_the_run(run):
    before = network.layer_weights(run)
    grid0, loss0, n0 = run.decision_grid().copy(), run.metrics()["train_loss"], run.epoch
    network.set_weight(run, 0, 2, 1, 1.75)          # X₁X₂ -> neuron 2 of layer 1
    after = network.layer_weights(run)
    assert after["W"][0][2, 1] == np.float32(1.75)
    assert np.asarray(run.state.params["W_hidden"])[0, 4, 1] == np.float32(1.75)
    changed = [(l, np.argwhere(a != b).tolist()) for l, (a, b) in
               enumerate(zip(before["W"], after["W"])) if np.any(a != b)]
    assert changed == [(0, [[2, 1]])]
    assert run.epoch == n0
    assert run.metrics()["train_loss"] != loss0
    assert not np.array_equal(run.decision_grid(), grid0)
    # padded entries outside the architecture stay exactly zero
    for k, m in run._arch_arrays.param_mask.items():
        assert np.all(np.asarray(run.state.params[k])[np.asarray(m) == 0] == 0)
    network.set_weight(run, 2, 1, 0, -0.5)          # neuron 2 of layer 2 -> output
    assert network.layer_weights(run)["W"][2][1, 0] == np.float32(-0.5)
    run.train(2)                                    # training carries on from the edit
    assert run.epoch == n0 + 2 and math.isfinite(run.metrics()["train_loss"])


def test_set_bias_hidden_and_output(run):
    network.set_bias(run, 1, 0, 0.25)
    network.set_bias(run, 2, 0, -2)
    b = network.layer_weights(run)["b"]
    assert b[1][0] == np.float32(0.25) and b[2][0] == np.float32(-2.0)
    assert np.asarray(run.state.params["b_out"]).shape == (mlp.K_MAX,)
    assert float(run.state.params["b_out"][0]) == np.float32(-2.0)


@pytest.mark.parametrize("args, msg", [
    ((0, 0, 0, float("nan")), "finite"), ((0, 0, 0, float("inf")), "finite"),
    ((0, 0, 0, "1"), "finite"), ((0, 0, 0, True), "finite"), ((0, 0, 0, None), "finite"),
    ((0, 0, 0, 1e6), "finite"), ((3, 0, 0, 1.0), "layer"), ((-1, 0, 0, 1.0), "layer"),
    ((0, 3, 0, 1.0), "from-node"), ((1, 0, 2, 1.0), "neuron"), ((2, 2, 0, 1.0), "from-node"),
])
def test_bad_edits_are_refused_with_a_clear_message(run, args, msg):
    params = jax.device_get(run.state.params)
    with pytest.raises(ValueError, match=msg):
        network.set_weight(run, *args)
    after = jax.device_get(run.state.params)
    assert all(np.array_equal(params[k], after[k]) for k in params)
    with pytest.raises(ValueError, match="neuron"):
        network.set_bias(run, 0, 3, 0.0)


def test_layout_and_hit_testing():
    arch = mlp.Arch((0,), (1,), ("tanh",), 1)       # X₁ -> one neuron -> output
    L = network.diagram_layout(arch, 520, 360)
    assert len(L["node_x"]) == 3 and L["edge_xs"].shape == (2, network.CURVE_POINTS)
    at = network.element_at
    assert at(L, L["node_x"][1], L["node_y"][1]) == ("node", 0, 0)
    assert at(L, L["node_x"][0], L["node_y"][0]) == ("node", network.INPUT, 0)
    assert at(L, L["bias_x"][1], L["bias_y"][1]) == ("bias", 1, 0)
    mid = network.CURVE_POINTS // 2
    assert at(L, L["edge_xs"][1, mid], L["edge_ys"][1, mid] + 2) == ("weight", 1, 0, 0)
    assert at(L, 5, 5) is None
    big = network.diagram_layout(mlp.Arch(tuple(range(7)), (16,) * 8, ("tanh",) * 8, 1),
                                 520, 360)
    assert big["node_x"].min() - big["size"] / 2 >= 0 and big["node_x"].max() <= 520
    assert big["node_y"].min() - big["size"] / 2 >= 0
    assert big["node_y"].max() + big["size"] / 2 <= 360 - 24


def test_colour_codes_span_the_palette():
    v = np.array([-5.0, -1.0, -0.5, 0.0, 0.5, 1.0, 7.0, np.float32(1 / 255)], np.float32)
    np.testing.assert_array_equal(network.colour_codes(v), [0, 0, 64, 128, 191, 255, 255, 128])
    assert network.colour_codes(np.zeros((3, 4))).shape == (3, 4)


@pytest.mark.parametrize("tier", ["general", "exact"])
@pytest.mark.parametrize("dataset", ["spiral", "multigauss"])
def test_the_training_call_makes_the_heatmap_codes(tier, dataset):
    """The compiled call's uint8 codes are the numpy formula's on its own grid (a
    regression set's outputs go beyond ±1: they saturate)."""
    r = Run(dataset=dataset, seed=3)
    r.tier = tier
    r.train(20)
    codes = r.decision_codes()
    assert codes.dtype == np.uint8 and codes.shape == (GRID_RES, GRID_RES)
    np.testing.assert_array_equal(codes, network.colour_codes(r.decision_grid()))
    assert codes.min() < 128 < codes.max()        # both colours are in the picture
