"""Training programs (playground.engine.train): optimizers, regularisation, minibatches,
the agreement of the two tiers, and that widget changes never recompile the general tier."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from playground import Run
from playground.engine import datasets, features, mlp, programs, train

TIERS = ("general", "exact")
to_exact = jax.jit(mlp.to_exact, static_argnums=1)


# ------------------------------------------------------------ numpy reference
NP_ACT = {
    "tanh": (np.tanh, lambda pre, a: 1.0 - a ** 2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda pre, a: (pre > 0).astype(np.float64)),
    "linear": (lambda z: z, lambda pre, a: np.ones_like(pre)),
}


def np_forward(Ws, bs, acts, X):
    h = X
    for W, b, a in zip(Ws[:-1], bs[:-1], acts):
        h = NP_ACT[a][0](h @ W + b)
    return (h @ Ws[-1] + bs[-1])[:, 0]


def np_loss(kind, z, y):
    if kind == 0:
        return np.mean(0.5 * (z - y) ** 2)
    if kind == 1:
        return np.mean(0.5 * (np.tanh(z) - y) ** 2)
    return np.mean(np.logaddexp(0.0, z) - 0.5 * (y + 1) * z)


def np_grads(Ws, bs, acts, kind, X, y, l1=0.0, l2=0.0):
    """Hand-written backprop of mean example loss + l1·Σ|W| + ½·l2·ΣW² (float64)."""
    n = len(X)
    hs, pres = [X], []
    for W, b, a in zip(Ws[:-1], bs[:-1], acts):
        pre = hs[-1] @ W + b
        pres.append(pre)
        hs.append(NP_ACT[a][0](pre))
    z = (hs[-1] @ Ws[-1] + bs[-1])[:, 0]
    if kind == 0:
        dz = (z - y) / n
    elif kind == 1:
        t = np.tanh(z)
        dz = (t - y) * (1 - t ** 2) / n
    else:
        dz = (1.0 / (1.0 + np.exp(-z)) - 0.5 * (y + 1)) / n
    d = dz[:, None]
    gW, gb = [None] * len(Ws), [None] * len(bs)
    for l in range(len(Ws) - 1, -1, -1):
        gW[l] = hs[l].T @ d + l1 * np.sign(Ws[l]) + l2 * Ws[l]
        gb[l] = d.sum(0)
        if l > 0:
            d = (d @ Ws[l].T) * NP_ACT[acts[l - 1]][1](pres[l - 1], hs[l])
    return gW, gb


class NpOptimizer:
    """Textbook optimizer arithmetic on lists of float64 arrays."""

    def __init__(self, name, lr, shapes):
        self.name, self.lr, self.k = name, lr, 0
        self.s1 = [np.zeros(s) for s in shapes]
        self.s2 = [np.zeros(s) for s in shapes]

    def step(self, params, grads):
        self.k += 1
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            if self.name == "sgd":
                d = g
            elif self.name == "momentum":
                self.s1[i] = g + 0.9 * self.s1[i]
                d = self.s1[i]
            elif self.name == "adam":
                self.s1[i] = 0.9 * self.s1[i] + 0.1 * g
                self.s2[i] = 0.999 * self.s2[i] + 0.001 * g * g
                mhat = self.s1[i] / (1 - 0.9 ** self.k)
                vhat = self.s2[i] / (1 - 0.999 ** self.k)
                d = mhat / (np.sqrt(vhat) + 1e-8)
            elif self.name == "rmsprop":
                self.s2[i] = 0.9 * self.s2[i] + 0.1 * g * g
                d = g / np.sqrt(self.s2[i] + 1e-8)
            else:
                raise AssertionError(self.name)
            out.append(p - self.lr * d)
        return out


def exact64(params, arch):
    ex = to_exact(params, arch)
    return [np.asarray(w, np.float64) for w in ex["W"]], [np.asarray(b, np.float64) for b in ex["b"]]


def assert_exact_close(params, arch, Ws, bs, rtol=1e-5, atol=1e-5):
    gW, gb = exact64(params, arch)
    for got, ref in zip(gW + gb, Ws + bs):
        np.testing.assert_allclose(got, ref, rtol=rtol, atol=atol)


# ---------------------------------------------------------------- set-ups
def feats_labels(n, seed, kind):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-3, 3, (n, 2)).astype(np.float32)
    F = np.asarray(features.all_features(X), np.float32)
    if kind == 0:
        y = np.tanh(X[:, 0] - 0.5 * X[:, 1]).astype(np.float32)
    else:
        y = np.where(X[:, 0] ** 2 + X[:, 1] ** 2 < 4.0, 1.0, -1.0).astype(np.float32)
    return F, y


def make_setup(arch, n_train, n_test=5, seed=0):
    F, y = feats_labels(n_train + n_test, seed, arch.output)
    data = train.make_data(F[:n_train], y[:n_train], F[n_train:], y[n_train:])
    return data, F[:n_train].astype(np.float64)[:, list(arch.features)], y[:n_train].astype(np.float64)


ARCH = mlp.Arch((0, 1, 4), (3, 2), ("tanh", "tanh"), 1)
KEY = jax.random.PRNGKey(5)


def start(arch, seed=1):
    aa = arch.arrays()
    return train.init_state(jax.random.PRNGKey(seed), aa), aa


# ------------------------------------------------------------- optimizers
@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("opt", train.OPTIMIZERS)
def test_optimizer_steps_match_textbook(opt, tier):
    """n_train == batch_size: every epoch is one full-batch step of the optimizer."""
    lr = 0.1
    data, X, y = make_setup(ARCH, 8)
    state0, aa = start(ARCH)
    hyper = train.make_hyper(lr, "none", 0.0, 8, opt)
    s1, m1, used = train.train_epochs(state0, ARCH, aa, hyper, data, KEY, 0, 1, tier=tier)
    assert used == tier
    s2, m2, _ = train.train_epochs(s1, ARCH, aa, hyper, data, KEY, 1, 1, tier=tier)
    s2b, m2b, _ = train.train_epochs(state0, ARCH, aa, hyper, data, KEY, 0, 2, tier=tier)

    Ws, bs = exact64(state0.params, ARCH)
    nw = len(Ws)
    ref = NpOptimizer(opt, lr, [a.shape for a in Ws + bs])
    p = Ws + bs
    for s in (s1, s2):
        gW, gb = np_grads(p[:nw], p[nw:], ARCH.activations, 1, X, y)
        p = ref.step(p, gW + gb)
        assert_exact_close(s.params, ARCH, p[:nw], p[nw:])
    # two epochs in one call == two calls of one epoch
    for k in s2.params:
        np.testing.assert_allclose(np.asarray(s2b.params[k]), np.asarray(s2.params[k]),
                                   rtol=1e-6, atol=1e-7)
    # reported metrics: data loss of the new weights on train and test sets
    assert float(m2.train_loss) == pytest.approx(
        np_loss(1, np_forward(p[:nw], p[nw:], ARCH.activations, X), y), rel=1e-5, abs=1e-7)
    # the optimizer actually moved the weights
    assert not np.allclose(np.asarray(s1.params["W_out"]), np.asarray(state0.params["W_out"]))


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("reg", ["l1", "l2"])
def test_regularisation_one_step(reg, tier):
    lr, rate = 0.1, 0.3
    data, X, y = make_setup(ARCH, 8)
    state0, aa = start(ARCH)
    hyper = train.make_hyper(lr, reg, rate, 8, "sgd")
    s1, _, _ = train.train_epochs(state0, ARCH, aa, hyper, data, KEY, 0, 1, tier=tier)
    Ws, bs = exact64(state0.params, ARCH)
    l1, l2 = (rate, 0.0) if reg == "l1" else (0.0, rate)
    gW, gb = np_grads(Ws, bs, ARCH.activations, 1, X, y, l1=l1, l2=l2)
    assert_exact_close(s1.params, ARCH, [w - lr * g for w, g in zip(Ws, gW)],
                       [b - lr * g for b, g in zip(bs, gb)])
    # biases are not penalised: one step with and without the penalty moves them alike
    s_plain, _, _ = train.train_epochs(state0, ARCH, aa, train.make_hyper(lr, "none", 0.0, 8, "sgd"),
                                       data, KEY, 0, 1, tier=tier)
    for k in ("b_hidden", "b_out"):
        np.testing.assert_allclose(np.asarray(s1.params[k]), np.asarray(s_plain.params[k]),
                                   rtol=0, atol=1e-7)
    assert not np.allclose(np.asarray(s1.params["W_hidden"]), np.asarray(s_plain.params["W_hidden"]))


def test_reg_rate_ignored_without_regularisation():
    h = train.make_hyper(0.03, "none", 3.0, 10, "adam")
    assert float(h.l1) == 0.0 and float(h.l2) == 0.0
    h = train.make_hyper(0.03, "l1", 3.0, 10, "adam")
    assert float(h.l1) == 3.0 and float(h.l2) == 0.0
    h = train.make_hyper(0.03, "l2", 0.5, 10, "rmsprop")
    assert float(h.l1) == 0.0 and float(h.l2) == 0.5 and int(h.optimizer) == 3


@pytest.mark.parametrize("opt,tier", [("sgd", "general"), ("adam", "general"),
                                      ("rmsprop", "general"), ("momentum", "general"),
                                      ("adam", "exact")])
def test_padding_stays_zero_with_l1(opt, tier):
    """jnp.abs has gradient 1 at 0: only the masks keep padded weights at exactly 0."""
    arch = ARCH           # same exact program as test_optimizer_steps_match_textbook
    data, _, _ = make_setup(arch, 8)
    state0, aa = start(arch)
    hyper = train.make_hyper(0.1, "l1", 0.1, 8, opt)
    s, m, _ = train.train_epochs(state0, arch, aa, hyper, data, KEY, 0, 3, tier=tier)
    for k in ("W_hidden", "b_hidden", "W_out"):
        p = np.asarray(s.params[k])
        mask = np.asarray(aa.param_mask[k])
        assert np.all(p[mask == 0] == 0.0), k
        assert np.any(p[mask == 1] != np.asarray(state0.params[k])[mask == 1])
    # the optimizer states are zero there too
    for tree in (s.opt.momentum.trace, s.opt.adam.mu, s.opt.adam.nu, s.opt.rmsprop.nu):
        for k in ("W_hidden", "b_hidden", "W_out"):
            assert np.all(np.asarray(tree[k])[np.asarray(aa.param_mask[k]) == 0] == 0.0)
    assert all(np.isfinite(np.asarray(v)).all() for v in m if v is not None)


# --------------------------------------------------------------- minibatches
@pytest.mark.parametrize("tier", ["general"])  # exact: see test_optimizer_steps_match_textbook[sgd-exact]
def test_full_batch_epoch_is_one_gradient_step(tier):
    arch = mlp.Arch((0, 1), (4,), ("relu",), 0)
    n = 40
    data, X, y = make_setup(arch, n, n_test=10, seed=3)
    state0, aa = start(arch, seed=2)
    lr = 0.05
    s, _, _ = train.train_epochs(state0, arch, aa, train.make_hyper(lr, "none", 0, n, "sgd"),
                                 data, KEY, 0, 1, tier=tier)
    Ws, bs = exact64(state0.params, arch)
    gW, gb = np_grads(Ws, bs, arch.activations, 0, X, y)
    assert_exact_close(s.params, arch, [w - lr * g for w, g in zip(Ws, gW)],
                       [b - lr * g for b, g in zip(bs, gb)])


@pytest.mark.parametrize("tier", TIERS)
def test_minibatches_follow_epoch_order(tier):
    """Batches are consecutive slices of epoch_order; the last one is partial; each
    batch's loss is the mean over its own examples."""
    arch = mlp.Arch((0, 1, 2), (3,), ("tanh",), 2)
    n, bs_, lr = 11, 4, 0.2
    data, X, y = make_setup(arch, n, seed=4)
    state0, aa = start(arch, seed=3)
    s, _, _ = train.train_epochs(state0, arch, aa, train.make_hyper(lr, "none", 0, bs_, "sgd"),
                                 data, KEY, 0, 2, tier=tier)
    Ws, bs = exact64(state0.params, arch)
    for e in range(2):
        order = np.asarray(train.epoch_order(KEY, e, n))[:n]
        for start_ in range(0, n, bs_):
            idx = order[start_:start_ + bs_]
            gW, gb = np_grads(Ws, bs, arch.activations, 2, X[idx], y[idx])
            Ws = [w - lr * g for w, g in zip(Ws, gW)]
            bs = [b - lr * g for b, g in zip(bs, gb)]
    assert_exact_close(s.params, arch, Ws, bs)


def test_ascending_order_is_a_stable_argsort():
    rng = np.random.default_rng(0)
    for u in (rng.random(512, dtype=np.float32),
              rng.integers(0, 5, 300).astype(np.float32),       # many equal keys
              np.r_[rng.random(250), np.full(262, 2.0)].astype(np.float32),
              np.array([0.0, 0.0, 1.0, 0.0], np.float32), np.zeros(1, np.float32)):
        np.testing.assert_array_equal(np.asarray(train.ascending_order(jnp.asarray(u))),
                                      np.argsort(u, kind="stable"))


@pytest.mark.parametrize("n", [1, 10, 37, 250, 512])
def test_static_epoch_order_is_the_same_order(n):
    for e in (0, 1, 99):
        np.testing.assert_array_equal(np.asarray(train.epoch_order_static(KEY, e, n)),
                                      np.asarray(train.epoch_order(KEY, e, n))[:n])


def test_epoch_order():
    key = jax.random.PRNGKey(0)
    for n in (1, 37, train.N_MAX):
        o = np.asarray(train.epoch_order(key, 0, n))
        assert o.shape == (train.N_MAX,) and o.dtype == np.int32
        np.testing.assert_array_equal(np.sort(o[:n]), np.arange(n))
        np.testing.assert_array_equal(np.sort(o), np.arange(train.N_MAX))
    a0 = np.asarray(train.epoch_order(key, 0, 37))[:37]
    a1 = np.asarray(train.epoch_order(key, 1, 37))[:37]
    assert not np.array_equal(a0, a1)
    np.testing.assert_array_equal(a0, np.asarray(train.epoch_order(key, 0, 37))[:37])
    np.testing.assert_array_equal(
        a0, np.asarray(train.epoch_order(jax.random.PRNGKey(0), np.int32(0), np.int32(37)))[:37])
    assert not np.array_equal(a0, np.asarray(train.epoch_order(jax.random.PRNGKey(1), 0, 37))[:37])
    assert not np.array_equal(a0, np.arange(37))


def test_make_data_pads_and_limits():
    F, y = feats_labels(9, 0, 1)
    d = train.make_data(F[:6], y[:6], F[6:], y[6:])
    assert d.x_train.shape == (train.N_MAX, mlp.N_FEATURES) and d.y_test.shape == (train.N_MAX,)
    assert int(d.n_train) == 6 and int(d.n_test) == 3
    assert np.all(d.x_train[6:] == 0) and np.all(d.y_train[6:] == 0)
    n = train.N_MAX + 1                       # one more point: the next bucket
    big = train.make_data(np.zeros((n, mlp.N_FEATURES), np.float32), np.zeros(n), F, y)
    assert big.x_train.shape[0] == big.x_test.shape[0] == train.BUCKETS[1]
    with pytest.raises(ValueError, match="at most"):
        n = train.BUCKETS[-1] + 1
        train.make_data(np.zeros((n, mlp.N_FEATURES), np.float32), np.zeros(n), F, y)


def test_zero_epochs_only_evaluates():
    data, X, y = make_setup(ARCH, 8)
    state0, aa = start(ARCH)
    hyper = train.make_hyper(0.1, "none", 0.0, 8, "sgd")
    s, m, _ = train.train_epochs(state0, ARCH, aa, hyper, data, KEY, 0, 0, tier="general")
    for k in s.params:
        np.testing.assert_array_equal(np.asarray(s.params[k]), np.asarray(state0.params[k]))
    Ws, bs = exact64(state0.params, ARCH)
    assert float(m.train_loss) == pytest.approx(
        np_loss(1, np_forward(Ws, bs, ARCH.activations, X), y), rel=1e-5)
    z = np_forward(Ws, bs, ARCH.activations, X)
    assert float(m.train_accuracy) == pytest.approx(np.mean((np.tanh(z) >= 0) == (y > 0)), abs=1e-6)
    assert float(m.max_weight) == pytest.approx(
        max(float(jnp.max(jnp.abs(v))) for v in jax.tree.leaves(state0.params)))


# ------------------------------------------------------------- tier agreement
AGREE = [
    # arch, n_train, n_test, batch, optimizer, lr, regularization, reg_rate
    (mlp.Arch((2, 3, 4), (), (), 2), 30, 20, 1, "sgd", 0.03, "l2", 0.003),
    (mlp.Arch((0, 1, 2, 3), (5,), ("relu",), 1), 45, 17, 7, "momentum", 0.03, "l2", 0.01),
    (mlp.Arch((0, 1), (3, 3), ("leaky_relu", "sine"), 0), 53, 20, 10, "adam", 0.01, "l1", 0.003),
    (mlp.Arch((0, 1, 4), (6, 3, 2), ("sigmoid", "elu", "gelu"), 0), 50, 31, 64, "rmsprop",
     0.003, "none", 0.0),
]


@pytest.mark.parametrize("setup", AGREE, ids=lambda s: f"{s[4]}-b{s[3]}-n{s[1]}")
def test_tiers_agree(setup):
    arch, n_train, n_test, bsz, opt, lr, reg, rate = setup
    data, _, _ = make_setup(arch, n_train, n_test, seed=7)
    state0, aa = start(arch, seed=9)
    hyper = train.make_hyper(lr, reg, rate, bsz, opt)
    out = {}
    for tier in TIERS:
        s, m, used = train.train_epochs(state0, arch, aa, hyper, data, KEY, 3, 5, tier=tier)
        assert used == tier
        out[tier] = (s, m)
    (sg, mg), (se, me) = out["general"], out["exact"]
    for k in sg.params:
        np.testing.assert_allclose(np.asarray(sg.params[k]), np.asarray(se.params[k]),
                                   rtol=1e-5, atol=1e-5, err_msg=k)
    for a, b in zip(jax.tree.leaves(sg.opt), jax.tree.leaves(se.opt)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)
    for name, a, b in zip(train.Metrics._fields, mg, me):
        if name == "thumbs":              # only the exact program draws the pictures
            assert a is None
            from playground.engine import neurons
            want = neurons.node_grids(se.params, arch, aa, neurons.thumb_features(),
                                      tier="general")
            np.testing.assert_allclose(np.asarray(b), want, rtol=1e-5, atol=1e-5)
            continue
        if name == "summary":             # the exact program also looks at its pictures
            np.testing.assert_allclose(np.asarray(a)[:5], np.asarray(b)[:5], rtol=1e-5,
                                       atol=1e-5)
            assert float(a[5]) == pytest.approx(float(np.abs(np.asarray(mg.grid)).max()))
            assert float(b[5]) == pytest.approx(max(float(np.abs(np.asarray(me.grid)).max()),
                                                    float(np.abs(np.asarray(me.thumbs)).max())))
            continue
        if name == "grid_codes":          # the grids agree to 1e-5: a code may round apart
            diff = np.asarray(a).astype(int) - np.asarray(b).astype(int)
            assert np.abs(diff).max() <= 1 and np.mean(diff != 0) < 0.01, name
            continue
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5,
                                   err_msg=name)
    # and the weights actually changed
    assert not np.allclose(np.asarray(sg.params["W_out"]), np.asarray(state0.params["W_out"]))


def test_auto_tier_uses_general_until_exact_is_ready():
    arch = ARCH
    data, _, _ = make_setup(arch, 8)
    state0, aa = start(arch)
    hyper = train.make_hyper(0.03, "none", 0.0, 8, "momentum")
    _, m1, used = train.train_epochs(state0, arch, aa, hyper, data, KEY, 0, 1, tier="auto")
    assert used in ("general", "exact")
    train.PROGRAMS.wait()
    _, m2, used = train.train_epochs(state0, arch, aa, hyper, data, KEY, 0, 1, tier="auto")
    assert used == "exact"
    assert float(m1.train_loss) == pytest.approx(float(m2.train_loss), rel=1e-5)


def test_program_cache_passes_a_kinds_cpu_options_and_falls_back_without_them(monkeypatch):
    """A kind registered with cpu_options is compiled with them on the CPU; options this
    XLA rejects leave the program compiled with the defaults (never an error)."""
    cache = programs.ProgramCache()
    def double(k, x):
        return x * k
    seen = []
    real_compile = jax.stages.Lowered.compile

    def spy(self, compiler_options=None):
        seen.append(compiler_options)
        return real_compile(self, compiler_options=compiler_options)
    monkeypatch.setattr(jax.stages.Lowered, "compile", spy)
    good = {"xla_cpu_experimental_ynn_fusion_type": "LIBRARY_FUSION_TYPE_DOT"}
    cache.register("good", double, cpu_options=good)
    cache.register("bad", double, cpu_options={"xla_cpu_experimental_ynn_fusion_type": "NO"})
    cache.register("plain", double)
    x = np.arange(3, dtype=np.float32)
    for kind in ("good", "bad", "plain"):
        prog = cache.get(kind, 2, (x,), block=True)
        np.testing.assert_array_equal(prog(x), 2 * x)
    on_cpu = jax.default_backend() == "cpu"
    assert seen == ([good, {"xla_cpu_experimental_ynn_fusion_type": "NO"}, None, None]
                    if on_cpu else [None, None, None])


# ------------------------------------------------------------ no recompiles
GENERAL = ("train_general", "grid_general", "init_general")


def general_traces():
    """Trace counts of every general-tier program (any TRACES key ending in _general)."""
    keys = set(GENERAL) | {k for k in train.TRACES if k.endswith("_general")}
    return {k: train.TRACES[k] for k in sorted(keys)}


@pytest.fixture(scope="module")
def warmed():
    """Warm every general program the way the page does (cheaper than playground.warmup(),
    which also compiles the exact programs of the default set-up)."""
    run = Run()
    run.tier = "general"
    run.train(1)
    run.decision_grid()
    run.predict(np.zeros((3, 2), np.float32))      # the grid program serves predict()
    return True


def test_widget_changes_never_recompile_the_general_program(warmed):
    before = general_traces()
    assert all(before[k] >= 1 for k in GENERAL), before
    run = Run()
    run.tier = "general"
    run.train(2)
    run.decision_grid()
    done = []

    def change(**kw):
        run.param.update(**kw)
        epoch = run.epoch
        run.train(2)
        assert run.status == "trained" and run.epoch == epoch + 2, (kw, run.status, run.message)
        assert run.last_tier == "general"
        g = run.decision_grid()
        assert g.shape == (100, 100)
        done.append(kw)
        now = general_traces()
        assert now == before, f"recompiled after {kw}: {before} -> {now}"

    for h in ([], [4], [8, 8, 8], [16] * 8, [1], [4, 2]):
        change(hidden=h)
    for h in ([4, 7], [16, 2]):
        change(hidden=h)
    for act in mlp.ACTIVATIONS:
        change(activation=act)
    change(activation="tanh")
    for f in (["x1"], ["x1_sq", "x2_sq"], list(features.FEATURES), ["sin_x2", "x1x2"], ["x1", "x2"]):
        change(features=f)
    for loss in ("cross_entropy", "mse"):
        change(loss=loss)
    for opt in train.OPTIMIZERS:
        change(optimizer=opt)
    for lr in (0.1, 0.001, 0.03):
        change(learning_rate=lr)
    for schedule in ("step", "cosine", "sgdr", "one_cycle", "constant"):
        change(schedule=schedule, schedule_epochs=3)
    change(schedule="sgdr", cycle_mult=3, schedule_epochs=2)
    change(schedule="step", step_factor=0.2)
    change(schedule="constant", schedule_epochs=100, cycle_mult=2, step_factor=0.5)
    for b in (1, 7, 64, 10):
        change(batch_size=b)
    for reg, rate in (("l1", 0.01), ("l2", 0.003), ("l2", 0.3), ("none", 0.0)):
        change(regularization=reg, reg_rate=rate)
    for noise in (25, 50, 0):
        change(noise=noise)
    for r in (0.1, 0.9, 0.5):
        change(train_ratio=r)
    change(n_samples=20)
    change(n_samples=500)
    change(seed=3)
    for ds in datasets.DATASETS:
        change(dataset=ds)
    change(dataset="sine", hidden=[8, 8], optimizer="adam")
    change(dataset="circle", loss="cross_entropy", features=["x1", "x2"])
    run.reset()
    run.train(3)
    assert run.last_tier == "general"
    assert general_traces() == before
    assert len(done) > 40

    # the counter does count: a new shape compiles a new exact program
    exact_before = train.TRACES["train_exact"]
    run.tier = "exact"
    run.hidden = [7, 3, 5]
    run.train(1)
    assert run.last_tier == "exact"
    assert train.TRACES["train_exact"] > exact_before
    assert general_traces() == before


# ------------------------------------------------------------------- dropout
def test_dropout_keep_draws_the_right_share_and_scale():
    rates = np.array([0.5, 0.2] + [0.0] * (mlp.MAX_LAYERS - 2), np.float32)
    keep = np.asarray(mlp.dropout_keep(jax.random.PRNGKey(3), rates, 4000))
    assert keep.shape == (mlp.MAX_LAYERS, 4000, mlp.WIDTH)
    assert np.mean(keep[0] == 0) == pytest.approx(0.5, abs=0.01)
    assert np.mean(keep[1] == 0) == pytest.approx(0.2, abs=0.01)
    assert np.all(keep[2:] == 1.0)
    np.testing.assert_allclose(keep[0][keep[0] > 0], 2.0)        # inverted dropout: 1/(1-p)
    np.testing.assert_allclose(keep[1][keep[1] > 0], 1.25, rtol=1e-6)
    assert np.mean(keep[0]) == pytest.approx(1.0, abs=0.03)       # expectation unchanged


@pytest.mark.parametrize("bsz", [7, 10])
def test_dropout_tiers_agree_and_zero_rate_is_no_dropout(bsz):
    arch = mlp.Arch((0, 1, 4), (6, 5), ("tanh", "relu"), 1)
    data, _, _ = make_setup(arch, 60, 20, seed=4)
    state0, aa = start(arch, seed=5)
    with_drop = train.make_hyper(0.05, "none", 0.0, bsz, "momentum", [0.4, 0.2])
    out = {t: train.train_epochs(state0, arch, aa, with_drop, data, KEY, 2, 4, tier=t)
           for t in TIERS}
    for k in state0.params:
        np.testing.assert_allclose(np.asarray(out["general"][0].params[k]),
                                   np.asarray(out["exact"][0].params[k]), rtol=1e-5, atol=1e-5)
    plain = train.make_hyper(0.05, "none", 0.0, bsz, "momentum")
    zero = train.make_hyper(0.05, "none", 0.0, bsz, "momentum", [0.0, 0.0])
    a = train.train_epochs(state0, arch, aa, plain, data, KEY, 2, 4, tier="general")[0]
    b = train.train_epochs(state0, arch, aa, zero, data, KEY, 2, 4, tier="general")[0]
    for k in state0.params:
        np.testing.assert_array_equal(np.asarray(a.params[k]), np.asarray(b.params[k]))
        assert not np.allclose(np.asarray(a.params[k]), np.asarray(out["exact"][0].params[k]))


def test_dropout_changes_do_not_recompile_the_general_program():
    run = Run(hidden=[8, 8])
    run.tier = "general"
    run.train(1)
    before = dict(train.TRACES)
    for rates in ([0.5], [0.1, 0.3], [], [0.9, 0.9]):
        run.dropout = rates
        run.train(2)
    assert {k: v for k, v in train.TRACES.items() if k.endswith("general")} == \
        {k: v for k, v in before.items() if k.endswith("general")}
    assert run.status == "trained"
    shown = run.dropped_neurons()
    assert [len(s) for s in shown] == [8, 8] and any(s.any() for s in shown)
