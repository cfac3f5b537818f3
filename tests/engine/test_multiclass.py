"""K classes in the engine: the softmax output against independent numpy references and
finite differences, the padded output layer (binary numbers unchanged), the two tiers'
agreement, the packed copies, and no recompiles when the number of classes changes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from playground import Run
from playground.engine import datasets, features, mlp, neurons, parallel, train

SOFTMAX = mlp.SOFTMAX
KEY = jax.random.PRNGKey(5)


from tests.support import x64  # noqa: E402  (float64 for the references)


# ---------------------------------------------------------------- numpy model
def np_softmax_ce(z, t):
    """Mean of -log softmax(z)[t], z (n, K) float64, t (n,) class indices."""
    z = np.asarray(z, np.float64)
    m = z.max(axis=1, keepdims=True)
    logp = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(t)), np.asarray(t, int)]


def np_logits(Ws, bs, acts, X):
    h = np.asarray(X, np.float64)
    for W, b, a in zip(Ws[:-1], bs[:-1], acts):
        h = {"tanh": np.tanh, "relu": lambda v: np.maximum(v, 0)}[a](h @ W + b)
    return h @ Ws[-1] + bs[-1]


def labels(n, k, seed=0):
    return np.random.default_rng(seed).integers(0, k, n).astype(np.float32)


# ------------------------------------------------------------ the loss itself
def test_softmax_cross_entropy_matches_numpy_and_ignores_unused_units():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, (50, mlp.K_MAX)).astype(np.float32)
    t = labels(50, 3, seed=1)
    mask = (np.arange(mlp.K_MAX) < 3).astype(np.float32)
    got = np.asarray(mlp.softmax_cross_entropy(jnp.asarray(z), jnp.asarray(t), mask))
    np.testing.assert_allclose(got, np_softmax_ce(z[:, :3], t), rtol=1e-5, atol=1e-6)
    # the same through the switch the general program takes, and on the exact shape
    sw = np.asarray(mlp.logits_loss(jnp.int32(SOFTMAX), jnp.asarray(z), jnp.asarray(t), mask))
    np.testing.assert_allclose(sw, got, rtol=1e-6)
    exact = np.asarray(mlp.logits_loss(SOFTMAX, jnp.asarray(z[:, :3]), jnp.asarray(t)))
    np.testing.assert_allclose(exact, got, rtol=1e-6, atol=1e-7)
    # huge logits stay finite (log-sum-exp), and an unused unit never wins
    big = np.zeros((2, mlp.K_MAX), np.float32)
    big[:, 4] = 1e4
    big[0, 0] = 500.0
    out = np.asarray(mlp.softmax_cross_entropy(jnp.asarray(big), jnp.zeros(2), mask))
    assert np.all(np.isfinite(out)) and out[0] == pytest.approx(0.0, abs=1e-6)
    assert list(np.asarray(mlp.predicted_class(jnp.asarray(big), mask))) == [0.0, 0.0]
    p = np.asarray(mlp.class_probabilities(jnp.asarray(z), mask))
    np.testing.assert_allclose(p.sum(1), 1.0, rtol=1e-6)
    assert np.all(p[:, 3:] == 0)


def test_softmax_gradient_vs_finite_differences():
    arch = mlp.Arch((0, 1, 4), (5,), ("tanh",), SOFTMAX, 4)
    aa = arch.arrays()
    params = mlp.init_params(jax.random.PRNGKey(3), aa)
    F = np.asarray(features.all_features(
        np.random.default_rng(2).uniform(-2, 2, (29, 2)).astype(np.float32)))
    X = F[:, list(arch.features)].astype(np.float64)
    y = labels(29, 4, seed=3)
    ex = mlp.to_exact(params, arch)
    Ws = [np.asarray(w, np.float64) for w in ex["W"]]
    bs = [np.asarray(b, np.float64) for b in ex["b"]]
    assert Ws[-1].shape == (5, 4) and bs[-1].shape == (4,)

    def np_loss():
        return np.mean(np_softmax_ce(np_logits(Ws, bs, arch.activations, X), y))

    fd = []
    h = 1e-6
    for arr in Ws + bs:
        g = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + h
            lp = np_loss()
            arr[idx] = old - h
            lm = np_loss()
            arr[idx] = old
            g[idx] = (lp - lm) / (2 * h)
        fd.append(g)
    with x64():
        p64 = {"W": [jnp.asarray(w) for w in Ws], "b": [jnp.asarray(b) for b in bs]}
        F64, y64 = jnp.asarray(F, jnp.float64), jnp.asarray(y, jnp.float64)

        def loss(p):
            return jnp.mean(mlp.logits_loss(SOFTMAX, mlp.logits_exact(p, arch, F64), y64))

        val, g = jax.value_and_grad(loss)(p64)
        assert float(val) == pytest.approx(np_loss(), rel=1e-12)
        got = [np.asarray(a) for a in g["W"] + g["b"]]
    for a, b in zip(got, fd):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-8)


def test_accuracy_is_the_argmax_against_the_class():
    arch = mlp.Arch((0, 1), (6,), ("tanh",), SOFTMAX, 3)
    aa = arch.arrays()
    state = train.init_state(jax.random.PRNGKey(1), aa)
    X, y = datasets.make_dataset("blobs3", 0, 60, 30.0)
    F = np.asarray(features.all_features(X))
    data = train.make_data(F[:40], y[:40], F[40:], y[40:])
    m = train.evaluate_general(state.params, aa, data)
    ex = mlp.to_exact(state.params, arch)
    z = np_logits([np.asarray(w, np.float64) for w in ex["W"]],
                  [np.asarray(b, np.float64) for b in ex["b"]], arch.activations,
                  F[:, :2].astype(np.float64))
    pred = z.argmax(1)
    assert float(m.train_accuracy) == pytest.approx(np.mean(pred[:40] == y[:40]), abs=1e-6)
    assert float(m.test_accuracy) == pytest.approx(np.mean(pred[40:] == y[40:]), abs=1e-6)
    assert float(m.train_loss) == pytest.approx(np.mean(np_softmax_ce(z[:40], y[:40])),
                                                rel=1e-5)
    np.testing.assert_array_equal(np.asarray(m.pred_test)[:20], pred[40:])
    # the heatmap's codes: the class and how sure, from the probabilities
    G = features.grid_features()
    zg = np_logits([np.asarray(w, np.float64) for w in ex["W"]],
                   [np.asarray(b, np.float64) for b in ex["b"]], arch.activations,
                   G[:, :2].astype(np.float64))
    codes = np.asarray(m.grid_codes).astype(int)
    levels = mlp.CONFIDENCE_LEVELS
    sure = np.exp(zg - zg.max(1, keepdims=True))
    sure = (sure / sure.sum(1, keepdims=True)).max(1)
    agree = codes // levels == zg.argmax(1)
    assert np.mean(agree) > 0.999          # ties at a border may round either way
    want = np.round((sure - 1 / 3) / (2 / 3) * (levels - 1))
    assert np.abs(codes % levels - want)[agree].max() <= 1


# ------------------------------------------------------------ the padded layout
def test_a_single_output_keeps_its_first_weights_and_shapes():
    """The output layer grew to K_MAX units; a single output is unit 0 with the numbers a
    (WIDTH,) draw from the same key gives, so binary and regression runs are unchanged."""
    arch = mlp.Arch((0, 1), (4, 2), ("tanh", "tanh"), 1)
    aa = arch.arrays()
    key = jax.random.PRNGKey(7)
    p = mlp.init_params(key, aa)
    _, ko = jax.random.split(key)
    want = jax.random.uniform(ko, (mlp.WIDTH,), jnp.float32, -0.5, 0.5) * aa.param_mask[
        "W_out"][:, 0]
    np.testing.assert_array_equal(np.asarray(p["W_out"][:, 0]), np.asarray(want))
    assert not np.any(np.asarray(p["W_out"][:, 1:])) and float(p["b_out"][0]) == np.float32(0.1)
    assert not np.any(np.asarray(p["b_out"][1:]))
    ex = mlp.to_exact(p, arch)
    assert ex["W"][-1].shape == (2, 1) and ex["b"][-1].shape == (1,)
    back = mlp.from_exact(ex, arch, jax.tree.map(jnp.zeros_like, p))
    for k in p:
        np.testing.assert_array_equal(np.asarray(back[k]), np.asarray(p[k]), err_msg=k)


@pytest.mark.parametrize("k", [3, 5])
def test_general_and_exact_logits_match_numpy(k):
    arch = mlp.Arch((0, 1, 2), (6, 3), ("relu", "tanh"), SOFTMAX, k)
    aa = arch.arrays()
    p = mlp.init_params(jax.random.PRNGKey(k), aa)
    F = np.asarray(features.all_features(
        np.random.default_rng(k).uniform(-4, 4, (31, 2)).astype(np.float32)))
    ex = mlp.to_exact(p, arch)
    want = np_logits([np.asarray(w, np.float64) for w in ex["W"]],
                     [np.asarray(b, np.float64) for b in ex["b"]], arch.activations,
                     F[:, :3].astype(np.float64))
    general = np.asarray(jax.jit(mlp.logits_general)(p, aa, F))
    exact = np.asarray(mlp.logits_exact(ex, arch, jnp.asarray(F)))
    assert general.shape == (31, mlp.K_MAX) and exact.shape == (31, k)
    np.testing.assert_allclose(general[:, :k], want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(exact, want, rtol=1e-5, atol=1e-5)
    assert not np.any(general[:, k:])
    # the diagram's pictures: one per class, 2p - 1, from both tiers
    grids = neurons.node_grids(p, arch, aa, neurons.thumb_features(), tier="general")
    exact_grids = neurons.node_grids(p, arch, aa, neurons.thumb_features(), tier="exact")
    assert grids.shape[0] == 3 + 6 + 3 + k
    np.testing.assert_allclose(grids, exact_grids, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose((grids[-k:] + 1).sum(0) / 2, 1.0, rtol=1e-5)


def test_the_tiers_agree_on_k_classes():
    arch = mlp.Arch((0, 1, 4), (5, 4), ("tanh", "relu"), SOFTMAX, 4)
    aa = arch.arrays()
    X, y = datasets.make_dataset("blobs4", 3, 90, 20.0)
    F = np.asarray(features.all_features(X))
    data = train.make_data(F[:53], y[:53], F[53:], y[53:])
    state0 = train.init_state(jax.random.PRNGKey(9), aa)
    out = {}
    for opt in ("sgd", "adam"):
        hyper = train.make_hyper(0.03, "l2", 0.001, 7, opt)
        for tier in ("general", "exact"):
            s, m, used = train.train_epochs(state0, arch, aa, hyper, data, KEY, 2, 4,
                                            tier=tier)
            assert used == tier
            out[opt, tier] = (s, m)
        (sg, mg), (se, me) = out[opt, "general"], out[opt, "exact"]
        for k in sg.params:
            np.testing.assert_allclose(np.asarray(sg.params[k]), np.asarray(se.params[k]),
                                       rtol=1e-5, atol=1e-5, err_msg=k)
        np.testing.assert_allclose(np.asarray(mg.summary)[:5], np.asarray(me.summary)[:5],
                                   rtol=1e-5, atol=1e-5)
        for name in ("grid", "pred_train", "pred_test"):
            a, b = np.asarray(getattr(mg, name)), np.asarray(getattr(me, name))
            assert np.mean(a != b) < 0.002, name      # a class may flip exactly at a border
        assert not np.any(np.asarray(sg.params["W_out"][:, 4:]))   # unused units stay 0
        assert not np.allclose(np.asarray(sg.params["W_out"]), np.asarray(state0.params["W_out"]))


def test_packed_copies_train_k_classes_as_separate_runs_would():
    run = Run(dataset="blobs3", hidden=[4], learning_rate=0.1)
    run.tier = "exact"
    state = parallel.init_packed([run.state.params] * 2, run.arch, run.optimizer)
    table = np.full((2, train.LR_TABLE_LEN), 0.1, np.float32)
    _, m = parallel.train_packed(state, run.arch, table, run.hyper, run.data, run.shuffle_key,
                                 0, 5)
    want = run.train(5)
    np.testing.assert_allclose(np.asarray(m.train_loss), want["train_loss"], rtol=1e-4)
    np.testing.assert_allclose(np.asarray(m.test_accuracy), want["test_accuracy"], atol=0.01)
    grid = np.asarray(m.grid)
    assert grid.shape == (2, parallel.GRID_RES ** 2) and set(np.unique(grid)) <= {0, 1, 2}


# ------------------------------------------------------------------ no recompiles
def general_traces():
    return {k: v for k, v in train.TRACES.items() if k.endswith("_general")}


def test_switching_to_and_between_k_class_sets_recompiles_nothing():
    run = Run()
    run.tier = "general"
    run.train(1)
    run.decision_grid()
    neurons.node_grids(run.state.params, run.arch, run.arch_arrays,
                       neurons.device_features(features.THUMB_RES), tier="general")
    run.dataset = "blobs3"
    run.train(1)
    np.asarray(train.predict_probabilities(run.state.params, run.arch, run.arch_arrays,
                                           features.grid_features(), tier="general"))
    train.PROGRAMS.wait()                 # nothing compiling in the background meanwhile
    before = general_traces()
    exact_before = train.TRACES["train_exact"]
    for name in ("blobs4", "circle", "spiral3", "plane", "pinwheel", "sine", "blobs5",
                 "blobs3", "xor"):
        run.dataset = name
        run.train(2)
        assert run.status == "trained" and run.last_tier == "general", (name, run.message)
        assert run.arch.units == (datasets.n_classes(name) if datasets.n_classes(name) > 2
                                  else 1)
        neurons.node_grids(run.state.params, run.arch, run.arch_arrays,
                           neurons.device_features(features.THUMB_RES), tier="general")
        if run.multiclass:
            p = train.predict_probabilities(run.state.params, run.arch, run.arch_arrays,
                                            features.grid_features(), tier="general")
            assert np.asarray(p).shape == (features.GRID_RES ** 2, run.classes)
        assert general_traces() == before, f"recompiled after dataset={name}"
    assert train.TRACES["train_exact"] == exact_before
    # the counter does count: the exact program of a set-up not seen before is compiled
    run.tier = "exact"
    run.param.update(dataset="blobs4", hidden=[7, 3, 5], batch_size=13)
    run.train(1)
    assert train.TRACES["train_exact"] > exact_before
