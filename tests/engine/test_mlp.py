"""The padded MLP (playground.engine.mlp) against an independent float64 numpy model."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from playground.engine import mlp
from playground.engine.features import all_features

# ---------------------------------------------------------------- numpy model
_erf = np.vectorize(math.erf, otypes=[np.float64])

NP_ACT = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "linear": lambda z: z,
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))),
    "gelu": lambda z: 0.5 * z * (1.0 + _erf(z / math.sqrt(2.0))),
    "sine": np.sin,
}


_init = jax.jit(mlp.init_params)
to_exact = jax.jit(mlp.to_exact, static_argnums=1)
from_exact = jax.jit(mlp.from_exact, static_argnums=1)
fwd_general = jax.jit(mlp.forward_general)          # one compilation serves every arch
fwd_exact = jax.jit(mlp.forward_exact, static_argnums=1)


def np_exact(params, arch):
    """Exact-shape params as float64 numpy lists."""
    ex = to_exact(params, arch)
    return ([np.asarray(w, np.float64) for w in ex["W"]],
            [np.asarray(b, np.float64) for b in ex["b"]])


def np_forward(Ws, bs, acts, X):
    """X: (n, n_in) already the selected features -> output pre-activation (n,)."""
    h = np.asarray(X, np.float64)
    for W, b, a in zip(Ws[:-1], bs[:-1], acts):
        h = NP_ACT[a](h @ W + b)
    return (h @ Ws[-1] + bs[-1])[:, 0]


def np_softplus(z):
    return np.logaddexp(0.0, z)


def np_loss(kind, z, t):
    """Mean per-example loss (float64)."""
    if kind == 0:
        return np.mean(0.5 * (z - t) ** 2)
    if kind == 1:
        return np.mean(0.5 * (np.tanh(z) - t) ** 2)
    p = 0.5 * (t + 1.0)
    return np.mean(np_softplus(z) - p * z)


def feats(n=37, seed=0, lim=3.0):
    X = np.random.default_rng(seed).uniform(-lim, lim, (n, 2)).astype(np.float32)
    return np.asarray(all_features(X), np.float32)


def make_params(arch, seed=0):
    aa = arch.arrays()
    return _init(jax.random.PRNGKey(seed), aa), aa


ARCHS = {
    "f01_h42_tanh": mlp.Arch((0, 1), (4, 2), ("tanh", "tanh"), 1),
    "f234_h3_relu": mlp.Arch((2, 3, 4), (3,), ("relu",), 0),
    "no_hidden": mlp.Arch((0, 1, 5), (), (), 2),
    "mixed_sig_elu_gelu": mlp.Arch((0, 1, 2, 3, 4, 5, 6), (5, 16, 2),
                                   ("sigmoid", "elu", "gelu"), 1),
    "mixed_leaky_sine_linear": mlp.Arch((1, 4, 6), (7, 1, 3),
                                        ("leaky_relu", "sine", "linear"), 0),
    "deep_max": mlp.Arch((0, 1), (16,) * 8, ("tanh",) * 8, 0),
}


# ---------------------------------------------------------------- forward
@pytest.mark.parametrize("name", list(ARCHS))
def test_forward_general_and_exact_match_numpy(name):
    arch = ARCHS[name]
    params, aa = make_params(arch, seed=3)
    F = feats()
    Ws, bs = np_exact(params, arch)
    ref = np_forward(Ws, bs, arch.activations, F[:, list(arch.features)].astype(np.float64))
    zg = np.asarray(fwd_general(params, aa, jnp.asarray(F)))
    ze = np.asarray(fwd_exact(to_exact(params, arch), arch, jnp.asarray(F)))
    assert zg.shape == ze.shape == (len(F),)
    np.testing.assert_allclose(zg, ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ze, ref, rtol=1e-5, atol=1e-5)


def test_forward_general_ignores_unused_features_and_padding():
    """Junk in padded parameter entries or unused features must not leak into the output."""
    arch = ARCHS["f01_h42_tanh"]
    params, aa = make_params(arch)
    F = feats()
    z0 = np.asarray(fwd_general(params, aa, jnp.asarray(F)))
    F2 = F.copy()
    F2[:, 2:] = 123.0     # unused features
    z1 = np.asarray(fwd_general(params, aa, jnp.asarray(F2)))
    np.testing.assert_array_equal(z0, z1)


def test_exact_shapes():
    arch = ARCHS["mixed_leaky_sine_linear"]
    params, _ = make_params(arch)
    ex = to_exact(params, arch)
    assert [w.shape for w in ex["W"]] == [(3, 7), (7, 1), (1, 3), (3, 1)]
    assert [b.shape for b in ex["b"]] == [(7,), (1,), (3,), (1,)]
    ex0 = to_exact(params, ARCHS["no_hidden"])
    assert [w.shape for w in ex0["W"]] == [(3, 1)] and [b.shape for b in ex0["b"]] == [(1,)]


def test_node_rows_exact_hidden_neurons():
    arch = ARCHS["mixed_sig_elu_gelu"]
    params, _ = make_params(arch, seed=5)
    F = feats()
    scale = np.ones(mlp.N_FEATURES, np.float32)
    rows = np.asarray(mlp.node_rows_exact(to_exact(params, arch), arch, jnp.asarray(F), scale))
    nf = len(arch.features)
    assert rows.shape == (nf + sum(arch.hidden) + 1, len(F))
    np.testing.assert_allclose(rows[:nf], F[:, list(arch.features)].T, rtol=1e-6)
    cuts = np.cumsum([nf, *arch.hidden])
    outs = [rows[a:b].T for a, b in zip(cuts[:-1], cuts[1:])]
    Ws, bs = np_exact(params, arch)
    h = F[:, list(arch.features)].astype(np.float64)
    assert len(outs) == 3
    for o, W, b, a in zip(outs, Ws, bs, arch.activations):
        h = NP_ACT[a](h @ W + b)
        np.testing.assert_allclose(np.asarray(o), h, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------ padding, init, round trip
@pytest.mark.parametrize("name", list(ARCHS))
def test_init_params_padding_and_ranges(name):
    arch = ARCHS[name]
    params, aa = make_params(arch, seed=11)
    assert params["W_hidden"].shape == (mlp.MAX_LAYERS, mlp.WIDTH, mlp.WIDTH)
    assert params["b_hidden"].shape == (mlp.MAX_LAYERS, mlp.WIDTH)
    assert params["W_out"].shape == (mlp.WIDTH, mlp.K_MAX)
    assert params["b_out"].shape == (mlp.K_MAX,)
    for k in ("W_hidden", "b_hidden", "W_out"):
        p = np.asarray(params[k])
        m = np.asarray(aa.param_mask[k])
        assert p.dtype == np.float32
        assert np.all(p[m == 0] == 0.0), k
        active = p[m == 1]
        if k.startswith("W"):
            assert np.all(np.abs(active) <= 0.5)
            assert active.size == 0 or np.any(active != 0.0)
        else:
            assert np.all(active == np.float32(0.1))
    assert float(params["b_out"][0]) == pytest.approx(0.1)
    assert not np.any(np.asarray(params["b_out"][1:]))       # one output unit in use
    # the mask counts exactly the parameters of the exact network
    ex = to_exact(params, arch)
    n_exact = sum(w.size for w in ex["W"]) + sum(b.size for b in ex["b"])
    n_mask = sum(int(np.sum(np.asarray(m))) for m in jax.tree.leaves(aa.param_mask))
    assert n_exact == n_mask


def test_init_same_key_same_active_values_across_archs():
    """The value of an active entry depends only on the key and its position."""
    a = mlp.Arch((0, 1), (4, 2), ("tanh", "tanh"), 1)
    b = mlp.Arch((0, 1, 2), (6, 3, 5), ("relu",) * 3, 0)
    pa, _ = make_params(a, seed=7)
    pb, _ = make_params(b, seed=7)
    np.testing.assert_array_equal(np.asarray(pa["W_hidden"][0, :2, :4]),
                                  np.asarray(pb["W_hidden"][0, :2, :4]))
    np.testing.assert_array_equal(np.asarray(pa["W_hidden"][1, :4, :2]),
                                  np.asarray(pb["W_hidden"][1, :4, :2]))


def test_arch_arrays_contents():
    arch = mlp.Arch((1, 3), (5, 2), ("relu", "sine"), 2)
    aa = arch.arrays()
    np.testing.assert_array_equal(aa.feature_mask, np.eye(mlp.WIDTH)[1] + np.eye(mlp.WIDTH)[3])
    assert list(aa.layer_active) == [True, True] + [False] * 6
    assert list(aa.activation[:2]) == [mlp.ACTIVATIONS.index("relu"), mlp.ACTIVATIONS.index("sine")]
    assert int(aa.output) == 2
    assert aa.neuron_mask[0].sum() == 5 and aa.neuron_mask[1].sum() == 2 and aa.neuron_mask[2:].sum() == 0
    wm = aa.param_mask["W_hidden"]
    assert wm[0].sum() == 2 * 5 and wm[1].sum() == 5 * 2 and wm[2:].sum() == 0
    assert wm[0][1, :5].all() and wm[0][3, :5].all()
    assert aa.param_mask["W_out"].sum() == 2 and aa.param_mask["W_out"][:2, 0].all()
    assert list(aa.unit_mask) == [1, 0, 0, 0, 0] and list(aa.param_mask["b_out"]) == [1, 0, 0, 0, 0]


@pytest.mark.parametrize("bad", [
    dict(features=(0,), hidden=(4, 0), activations=("tanh", "tanh")),
    dict(features=(0,), hidden=(17,), activations=("tanh",)),
    dict(features=(0,), hidden=(2,) * 9, activations=("tanh",) * 9),
    dict(features=(), hidden=(), activations=()),
    dict(features=(7,), hidden=(), activations=()),
    dict(features=(0,), hidden=(3,), activations=()),
    dict(features=(0,), hidden=(), activations=(), units=3),       # one output, 3 units
])
def test_arch_validation(bad):
    with pytest.raises(ValueError):
        mlp.Arch(output=0, **bad)


@pytest.mark.parametrize("name", list(ARCHS))
def test_exact_round_trip(name):
    arch = ARCHS[name]
    params, aa = make_params(arch, seed=2)
    ex = to_exact(params, arch)
    zeros = jax.tree.map(jnp.zeros_like, params)
    back = from_exact(ex, arch, zeros)
    for k in params:
        np.testing.assert_array_equal(np.asarray(back[k]), np.asarray(params[k]), err_msg=k)
    # writing into a like-tree keeps the like-tree's padded entries
    junk = jax.tree.map(lambda a: jnp.full_like(a, 9.0), params)
    back2 = from_exact(ex, arch, junk)
    for k in ("W_hidden", "b_hidden", "W_out"):
        m = np.asarray(aa.param_mask[k])
        b2 = np.asarray(back2[k])
        np.testing.assert_array_equal(b2[m == 1], np.asarray(params[k])[m == 1])
        assert np.all(b2[m == 0] == 9.0)


def test_mask_and_pad_helpers():
    F = feats(5)
    P = np.asarray(mlp.pad_features(jnp.asarray(F)))
    assert P.shape == (5, mlp.WIDTH)
    np.testing.assert_array_equal(P[:, :7], F)
    assert np.all(P[:, 7:] == 0)


# ------------------------------------------------------------- activations
Z = np.linspace(-6, 6, 241).astype(np.float32)


def test_activation_names():
    assert mlp.ACTIVATIONS == ("relu", "tanh", "sigmoid", "linear", "leaky_relu", "elu",
                               "gelu", "sine")
    assert set(mlp.ACTIVATION_FNS) == set(mlp.ACTIVATIONS)


@pytest.mark.parametrize("name", mlp.ACTIVATIONS)
def test_activation_formula(name):
    got = np.asarray(mlp.ACTIVATION_FNS[name](jnp.asarray(Z)))
    np.testing.assert_allclose(got, NP_ACT[name](Z.astype(np.float64)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("index", range(len(mlp.ACTIVATIONS)))
def test_activate_switch_selects(index):
    got = np.asarray(mlp.activate(jnp.int32(index), jnp.asarray(Z)))
    ref = NP_ACT[mlp.ACTIVATIONS[index]](Z.astype(np.float64))
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    # also under jit with a traced index
    got_jit = np.asarray(jax.jit(mlp.activate)(np.int32(index), jnp.asarray(Z)))
    np.testing.assert_allclose(got_jit, ref, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------ outputs, losses
def test_output_kind():
    assert mlp.OUTPUTS == ("linear_mse", "tanh_mse", "sigmoid_bce", "softmax_ce")
    assert mlp.output_kind("mse", False) == 0
    assert mlp.output_kind("mse", True) == 1
    assert mlp.output_kind("cross_entropy", True) == 2
    assert mlp.output_kind("cross_entropy", True, 2) == 2
    assert mlp.output_kind("cross_entropy", True, 4) == mlp.SOFTMAX == 3
    with pytest.raises(ValueError, match="4 classes need cross_entropy"):
        mlp.output_kind("mse", True, 4)
    assert mlp.output_units(3, 4) == 4 and mlp.output_units(1, 4) == 1


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_example_loss_and_display(kind):
    z = np.linspace(-4, 4, 17).astype(np.float32)
    t = np.where(np.arange(17) % 2 == 0, 1.0, -1.0).astype(np.float32)
    if kind == 0:
        t = np.linspace(-1, 1, 17).astype(np.float32)
    got = np.asarray(mlp.example_loss(kind, jnp.asarray(z), jnp.asarray(t)))
    got_sw = np.asarray(mlp.example_loss(jnp.int32(kind), jnp.asarray(z), jnp.asarray(t)))
    ref = np.array([np_loss(kind, z[i:i + 1].astype(np.float64), t[i:i + 1]) for i in range(17)])
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_sw, ref, rtol=1e-5, atol=1e-6)
    disp = np.asarray(mlp.display_output(kind, jnp.asarray(z)))
    disp_sw = np.asarray(mlp.display_output(jnp.int32(kind), jnp.asarray(z)))
    zd = z.astype(np.float64)
    ref_d = [zd, np.tanh(zd), 2.0 / (1.0 + np.exp(-zd)) - 1.0][kind]
    np.testing.assert_allclose(disp, ref_d, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(disp_sw, ref_d, rtol=1e-5, atol=1e-6)


def test_cross_entropy_is_stable_for_large_logits():
    z = jnp.asarray([-200.0, 200.0], jnp.float32)
    t = jnp.asarray([1.0, -1.0], jnp.float32)
    got = np.asarray(mlp.example_loss(2, z, t))
    np.testing.assert_allclose(got, [200.0, 200.0], rtol=1e-6)
    assert np.all(np.isfinite(np.asarray(jax.grad(lambda z: mlp.example_loss(2, z, t).sum())(z))))


def test_baseline_loss():
    y = np.array([0.5, -1.0, 0.25, 0.0, 1.0], np.float32)
    expect = 0.5 * np.mean(y.astype(np.float64) ** 2)
    assert mlp.baseline_loss(0, y) == pytest.approx(expect, rel=1e-6)
    assert mlp.baseline_loss(1, y) == pytest.approx(expect, rel=1e-6)
    ylab = np.array([1, -1, 1, 1], np.float32)
    assert mlp.baseline_loss(1, ylab) == pytest.approx(0.5, rel=1e-6)
    assert mlp.baseline_loss(2, ylab) == pytest.approx(math.log(2.0), rel=1e-6)
    assert isinstance(mlp.baseline_loss(2, ylab), float)
    # softmax over K units of zeros: log K; no labels: no loss (NaN)
    assert mlp.baseline_loss(3, np.array([0, 2, 1], np.float32), 3) == pytest.approx(
        math.log(3.0), rel=1e-6)
    assert math.isnan(mlp.baseline_loss(0, np.zeros(0, np.float32)))
    # more labels than its one program takes: a program of their own, the same mean
    many = np.tile(y, mlp.BASELINE_ROWS // len(y) + 1)
    assert mlp.baseline_loss(0, many) == pytest.approx(expect, rel=1e-6)


def test_the_baseline_programs_are_warmed_for_every_output(caplog):
    """After ``mlp.warmup()`` no output kind's yardstick loss compiles at a first click
    (any number of labels, any K of a softmax)."""
    import logging
    mlp.warmup()
    caplog.clear()
    with caplog.at_level(logging.WARNING), jax.log_compiles(True):
        for kind in range(len(mlp.OUTPUTS)):
            for k in ((3, 4, 5) if kind == mlp.SOFTMAX else (2,)):
                labels = np.arange(37, dtype=np.float32) % k
                mlp.baseline_loss(kind, labels, mlp.output_units(kind, k))
    assert [r.getMessage() for r in caplog.records if "Compiling" in r.getMessage()] == []


# ------------------------------------------------------------- gradients
from tests.support import x64  # noqa: E402  (float64 for the references)


def np_fd_grads(Ws, bs, acts, kind, X, y, h=1e-6):
    """Central finite differences of the numpy mean loss w.r.t. every parameter."""
    def L():
        return np_loss(kind, np_forward(Ws, bs, acts, X), y)
    out_W, out_b = [], []
    for group, out in ((Ws, out_W), (bs, out_b)):
        for arr in group:
            g = np.zeros_like(arr)
            for idx in np.ndindex(arr.shape):
                old = arr[idx]
                arr[idx] = old + h
                lp = L()
                arr[idx] = old - h
                lm = L()
                arr[idx] = old
                g[idx] = (lp - lm) / (2 * h)
            out.append(g)
    return out_W, out_b


GRAD_CASES = [
    (mlp.Arch((0, 1), (4, 2), ("tanh", "tanh"), 0), 0),
    (mlp.Arch((0, 1, 4), (3, 3), ("sigmoid", "gelu"), 1), 1),
    (mlp.Arch((0, 2, 3), (5,), ("elu",), 2), 2),
    (mlp.Arch((1, 5, 6), (3, 2), ("sine", "leaky_relu"), 1), 1),
    (mlp.Arch((0, 1), (), (), 2), 2),
]


@pytest.mark.parametrize("arch,kind", GRAD_CASES)
def test_gradient_vs_finite_differences(arch, kind):
    params, _ = make_params(arch, seed=4)
    F = feats(23, seed=9, lim=2.0)
    X = F[:, list(arch.features)].astype(np.float64)
    rng = np.random.default_rng(1)
    if kind == 0:
        y = rng.uniform(-1, 1, len(F))
    else:
        y = np.where(rng.uniform(size=len(F)) > 0.5, 1.0, -1.0)
    Ws, bs = np_exact(params, arch)
    fd_W, fd_b = np_fd_grads([w.copy() for w in Ws], [b.copy() for b in bs],
                             arch.activations, kind, X, y)
    with x64():
        ex = {"W": [jnp.asarray(w, jnp.float64) for w in Ws],
              "b": [jnp.asarray(b, jnp.float64) for b in bs]}
        F64 = jnp.asarray(F, jnp.float64)
        y64 = jnp.asarray(y, jnp.float64)

        def loss(p):
            return jnp.mean(mlp.example_loss(kind, mlp.forward_exact(p, arch, F64), y64))

        val, g = jax.jit(jax.value_and_grad(loss))(ex)
        assert g["W"][0].dtype == jnp.float64
        # the jax loss in float64 equals the numpy loss
        assert float(val) == pytest.approx(np_loss(kind, np_forward(Ws, bs, arch.activations, X), y),
                                                rel=1e-12, abs=1e-14)
        gW = [np.asarray(a) for a in g["W"]]
        gb = [np.asarray(a) for a in g["b"]]
    assert not jax.config.jax_enable_x64
    for got, ref in zip(gW + gb, fd_W + fd_b):
        scale = max(np.max(np.abs(ref)), 1e-3)
        assert np.max(np.abs(got - ref)) / scale < 1e-4
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-7)


def test_hand_backprop_2_4_2_1_tanh():
    """A backprop written by hand: 2-4-2-1, tanh hidden and output, ½ squared error."""
    arch = mlp.Arch((0, 1), (4, 2), ("tanh", "tanh"), 1)
    params, _ = make_params(arch, seed=8)
    F = feats(16, seed=4, lim=2.0)
    X = F[:, :2].astype(np.float64)
    y = np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)
    (W1, W2, W3), (b1, b2, b3) = np_exact(params, arch)
    n = len(X)
    # forward
    a1 = np.tanh(X @ W1 + b1)
    a2 = np.tanh(a1 @ W2 + b2)
    out = np.tanh(a2 @ W3 + b3)          # (n, 1)
    # backward of L = mean(½ (out - y)²)
    d_out = (out - y[:, None]) / n
    d3 = d_out * (1 - out ** 2)          # (n, 1)
    gW3, gb3 = a2.T @ d3, d3.sum(0)
    d2 = (d3 @ W3.T) * (1 - a2 ** 2)
    gW2, gb2 = a1.T @ d2, d2.sum(0)
    d1 = (d2 @ W2.T) * (1 - a1 ** 2)
    gW1, gb1 = X.T @ d1, d1.sum(0)

    Fj, yj = jnp.asarray(F), jnp.asarray(y, jnp.float32)
    g = jax.jit(jax.grad(lambda p: jnp.mean(mlp.example_loss(1, mlp.forward_exact(p, arch, Fj), yj))))(
        to_exact(params, arch))
    for got, ref in zip(g["W"] + g["b"], [gW1, gW2, gW3, gb1, gb2, gb3]):
        np.testing.assert_allclose(np.asarray(got), ref, rtol=1e-4, atol=1e-6)


# ------------------------------------------------------------- small layers
@pytest.mark.parametrize("rows,n_in,n_out", [(10, 2, 4), (10, 16, 16), (1, 8, 8), (250, 2, 4),
                                             (11, 16, 16), (250, 8, 8), (64, 16, 16)])
def test_dense_is_the_matrix_product(rows, n_in, n_out):
    """Both ways dense() computes (a sum of products up to SMALL_DENSE, the matrix product
    past it) give h @ W and its gradients, in float64 numpy."""
    rng = np.random.default_rng(rows * 100 + n_in)
    h = rng.normal(size=(rows, n_in)).astype(np.float32)
    W = rng.normal(size=(n_in, n_out)).astype(np.float32)
    small = rows * n_in * n_out <= mlp.SMALL_DENSE
    assert small == ((rows, n_in, n_out) in [(10, 2, 4), (10, 16, 16), (1, 8, 8), (250, 2, 4)])
    out = jax.jit(mlp.dense)(h, W)
    np.testing.assert_allclose(out, h.astype(np.float64) @ W, rtol=1e-5, atol=1e-5)
    g = rng.normal(size=(rows, n_out))             # d(sum(g * (h @ W))) = g Wᵀ, hᵀ g
    gh, gW = jax.grad(lambda a, b: jnp.sum(g * mlp.dense(a, b)), argnums=(0, 1))(h, W)
    np.testing.assert_allclose(gh, g @ W.T.astype(np.float64), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gW, h.T.astype(np.float64) @ g, rtol=1e-4, atol=1e-4)


def test_small_layers_are_computed_without_a_matrix_product():
    """The point of dense(): a minibatch step of the default net compiles with no dot."""
    arch = mlp.Arch((0, 1), (4, 2), ("tanh", "tanh"), 1)
    rng = np.random.default_rng(0)
    exact = {"W": [jnp.asarray(rng.normal(size=s), jnp.float32) for s in [(2, 4), (4, 2), (2, 1)]],
             "b": [jnp.zeros(4), jnp.zeros(2), jnp.zeros(1)]}
    x = jnp.asarray(rng.normal(size=(10, mlp.N_FEATURES)), jnp.float32)
    step = jax.jit(jax.grad(lambda p: jnp.sum(mlp.forward_exact(p, arch, x) ** 2)))
    hlo = step.lower(exact).compile().as_text()
    assert " dot(" not in hlo and "dot_general" not in hlo.split("ENTRY")[1].split("\n}")[0]
    big = jnp.asarray(rng.normal(size=(400, mlp.N_FEATURES)), jnp.float32)   # 400·2·4 > limit
    wide = mlp.Arch((0, 1), (16, 16), ("tanh", "tanh"), 1)
    assert 400 * 16 * 16 > mlp.SMALL_DENSE
    p16 = {"W": [jnp.ones((2, 16)), jnp.ones((16, 16)), jnp.ones((16, 1))],
           "b": [jnp.zeros(16), jnp.zeros(16), jnp.zeros(1)]}
    assert " dot(" in jax.jit(lambda p: mlp.forward_exact(p, wide, big)).lower(p16).compile().as_text()
