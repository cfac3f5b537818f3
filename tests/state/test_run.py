"""The headless API: ``from playground import Run``."""
import math

import numpy as np
import pytest

from playground import Run
from playground.engine import datasets

CLASS_KEYS = {"epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy"}


def exact_run(**kw):
    run = Run(**kw)
    run.tier = "exact"
    return run


def train_until(run, target, max_epochs, chunk=50):
    """Train in chunks until test accuracy >= target or max_epochs; returns metrics."""
    m = run.metrics()
    while run.epoch < max_epochs:
        m = run.train(chunk)
        if m["test_accuracy"] >= target:
            break
    return m


# ------------------------------------------------------------------ defaults
@pytest.fixture(scope="module")
def default_run():
    run = Run()
    run.tier = "general"
    return run


def test_defaults_are_tensorflow_playgrounds(default_run):
    r = default_run
    assert r.dataset == "circle"
    assert r.features == ["x1", "x2"]
    assert r.hidden == [4, 2]
    assert r.activation == "tanh"
    assert r.learning_rate == 0.03
    assert r.batch_size == 10
    assert r.train_ratio == 0.5
    assert r.noise == 0 and r.optimizer == "sgd" and r.loss == "mse"
    assert r.regularization == "none" and r.reg_rate == 0
    assert r.n_samples == 500 and r.seed == 0
    s = Run().settings()
    assert s["hidden"] == [4, 2] and s["dataset"] == "circle" and "epoch" not in s


def test_fresh_run_state():
    r = Run()
    assert r.epoch == 0 and r.status == "ready" and r.message == ""
    assert r.classification and not r.one_d
    assert len(r.X_train) == 250 and len(r.X_test) == 250
    assert r.history["epoch"] == [0]
    m = r.metrics()
    assert set(m) == CLASS_KEYS and m["epoch"] == 0


def test_metrics_keys_and_epoch_count():
    r = Run()
    r.tier = "general"
    m = r.train(3)
    assert set(m) == CLASS_KEYS
    assert m["epoch"] == 3 and r.epoch == 3 and r.status == "trained"
    r.train(2)
    assert r.epoch == 5
    r.train(0)
    assert r.epoch == 5
    assert r.history["epoch"] == [0, 3, 5]
    assert all(len(v) == 3 for v in r.history.values())
    for k in ("train_accuracy", "test_accuracy"):
        assert 0.0 <= m[k] <= 1.0
    reg = Run(dataset="plane")
    reg.tier = "general"
    mr = reg.train(2)
    assert set(mr) == {"epoch", "train_loss", "test_loss"} and not reg.classification
    assert all(math.isfinite(v) for v in mr.values())


def test_predict_shapes_and_range(default_run):
    r = default_run
    r.train(5)
    rng = np.random.default_rng(0)
    X = rng.uniform(-6, 6, (37, 2)).astype(np.float32)
    p = r.predict(X)
    assert p.shape == (37,) and np.all(np.abs(p) <= 1.0)
    assert r.predict(X[:1]).shape == (1,)
    assert r.predict(np.zeros((0, 2))).shape == (0,)
    # chunking: more points than one grid-sized chunk
    big = rng.uniform(-6, 6, (10_000 * 2 + 7, 2)).astype(np.float32)
    pb = r.predict(big)
    assert pb.shape == (len(big),) and np.all(np.isfinite(pb)) and np.all(np.abs(pb) <= 1.0)
    np.testing.assert_allclose(pb[:37], r.predict(big[:37]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pb[-5:], r.predict(big[-5:]), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError):
        r.predict(np.zeros((4, 3)))
    g = r.decision_grid()
    assert g.shape == (100, 100) and g.dtype == np.float32 and np.all(np.abs(g) <= 1.0)


def test_predict_general_and_exact_grid_agree():
    r = Run(dataset="xor")
    r.tier = "general"
    r.train(20)
    X = np.random.default_rng(1).uniform(-6, 6, (50, 2)).astype(np.float32)
    pg, gg = r.predict(X), r.decision_grid()
    r.tier = "exact"
    pe, ge = r.predict(X), r.decision_grid()
    np.testing.assert_allclose(pg, pe, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gg, ge, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------ learning
def test_xor_without_hidden_layer_stays_near_chance():
    r = exact_run(dataset="xor", hidden=[])
    m = r.train(200)
    assert r.epoch == 200
    assert m["test_accuracy"] < 0.7


def test_xor_with_hidden_layers_learns():
    r = exact_run(dataset="xor", hidden=[4, 2], activation="tanh", learning_rate=0.03)
    m = train_until(r, 0.95, 500)
    assert m["test_accuracy"] >= 0.95, m
    assert r.epoch <= 500


def test_circle_with_squared_features_is_linear():
    r = exact_run(dataset="circle", features=["x1_sq", "x2_sq"], hidden=[])
    m = train_until(r, 0.95, 300)
    assert m["test_accuracy"] >= 0.95, m


def test_logistic_regression_on_gauss():
    r = exact_run(dataset="gauss", hidden=[], loss="cross_entropy")
    m = train_until(r, 0.95, 200)
    assert m["test_accuracy"] >= 0.95, m
    # the network's output is 2·sigmoid(z) − 1
    assert np.all(np.abs(r.predict(r.X_test)) <= 1.0)


@pytest.fixture(scope="module")
def sine_run():
    r = exact_run(dataset="sine", hidden=[8, 8])
    r.train(1000)
    return r


def test_sine_is_fitted(sine_run):
    r = sine_run
    assert r.features == ["x1"] and r.one_d and not r.classification
    m = r.metrics()
    assert set(m) == {"epoch", "train_loss", "test_loss"}
    assert m["test_loss"] < 0.02, m
    x = np.linspace(-5, 5, 201, dtype=np.float32)
    p = r.predict(x[:, None])
    assert p.shape == (201,)
    assert np.max(np.abs(p - np.sin(x))) < 0.3
    np.testing.assert_allclose(r.predict(x), p, rtol=1e-6, atol=1e-6)       # (n,) input
    X2 = np.stack([x, np.full_like(x, 3.0)], 1)                              # x2 is ignored
    np.testing.assert_allclose(r.predict(X2), p, rtol=1e-6, atol=1e-6)
    cx, cy = r.curve()
    assert cx.shape == cy.shape == (100,)
    np.testing.assert_allclose(cy, r.predict(cx[:, None]), rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------- reproducibility
def test_same_seed_same_run_different_seed_differs():
    def go(seed):
        r = exact_run(dataset="xor", hidden=[4, 2], seed=seed)
        return r.train(50), r

    m1, r1 = go(3)
    m2, r2 = go(3)
    assert m1 == m2
    np.testing.assert_array_equal(r1.decision_grid(), r2.decision_grid())
    m3, _ = go(4)
    assert m3 != m1


# ---------------------------------------------------------------- divergence
def test_divergence_and_recovery():
    r = Run(learning_rate=10)
    r.tier = "exact"
    m = r.train(1)                          # the page's first frame: it blows up at once
    assert r.status == "diverged" and r.epoch == 0
    assert "lower the learning rate or reset" in r.message
    assert all(math.isfinite(v) for v in m.values())
    assert all(math.isfinite(v) for v in r.metrics().values())
    assert np.all(np.isfinite(r.decision_grid()))
    epoch = r.epoch
    r.train(5)                              # a diverged run does not train further
    assert r.epoch == epoch and r.status == "diverged"
    r.learning_rate = 0.03
    assert r.status != "diverged" and r.message == ""
    m = r.train(10)
    assert r.epoch == epoch + 10 and r.status == "trained"
    assert all(math.isfinite(v) for v in m.values())
    r.reset()
    assert r.epoch == 0 and r.status == "ready" and r.history["epoch"] == [0]


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize("kw,word", [
    (dict(dataset="nope"), "dataset"),
    (dict(hidden=[4, 0]), "hidden"),
    (dict(hidden=[17]), "hidden"),
    (dict(hidden=[2] * 9), "hidden"),
    (dict(learning_rate=-1), "learning_rate"),
    (dict(learning_rate=0), "learning_rate"),
    (dict(learning_rate=float("nan")), "learning_rate"),
    (dict(batch_size=0), "batch_size"),
    (dict(batch_size=65), "batch_size"),
    (dict(bogus=1), "bogus"),
    (dict(dataset="sine", features=["x2"]), "features"),
    (dict(dataset="plane", loss="cross_entropy"), "loss"),
    (dict(features=[]), "features"),
    (dict(features=["x3"]), "features"),
    (dict(activation="swish"), "activation"),
    (dict(optimizer="lbfgs"), "optimizer"),
    (dict(noise=float("nan")), "noise"),
    (dict(train_ratio=0.95), "train_ratio"),
])
def test_invalid_settings_raise(kw, word):
    with pytest.raises(ValueError, match=word):
        Run(**kw)


def test_invalid_assignments_raise(default_run):
    r = default_run
    before = r.settings()
    for name, value in [("learning_rate", 0), ("learning_rate", float("nan")),
                        ("learning_rate", -1), ("batch_size", 65), ("hidden", [4, 0]),
                        ("hidden", [1] * 9), ("dataset", "nope"), ("reg_rate", float("nan"))]:
        with pytest.raises(ValueError):
            setattr(r, name, value)
    assert r.settings() == before
    with pytest.raises(ValueError):
        r.train(-1)
    with pytest.raises(ValueError):
        r.train(1.5)


def test_sine_adapts_features():
    r = Run(dataset="sine")
    assert r.features == ["x1"]
    r.tier = "general"
    r.features = ["x1", "x2", "sin_x1"]
    assert r.features == ["x1", "sin_x1"] and "Adjusted" in r.message


def test_regression_dataset_adapts_cross_entropy_to_mse():
    r = Run(loss="cross_entropy")
    r.tier = "general"
    r.train(2)
    r.dataset = "plane"
    assert r.loss == "mse"
    assert r.message and "squared error" in r.message
    assert r.epoch == 0
    m = r.train(2)
    assert set(m) == {"epoch", "train_loss", "test_loss"} and r.epoch == 2


# -------------------------------------------------------- what resets, what not
def test_hyper_changes_keep_training_arch_changes_reset():
    r = Run()
    r.tier = "general"
    r.train(5)
    w = np.asarray(r.state.params["W_out"]).copy()
    r.learning_rate = 0.1
    assert r.epoch == 5 and r.status == "trained"
    np.testing.assert_array_equal(np.asarray(r.state.params["W_out"]), w)
    r.batch_size = 7
    r.optimizer = "adam"
    r.regularization = "l2"
    r.reg_rate = 0.001
    assert r.epoch == 5
    r.train(3)
    assert r.epoch == 8 and r.history["epoch"][-1] == 8
    r.hidden = [3]
    assert r.epoch == 0 and r.status == "ready" and r.history["epoch"] == [0]
    r.train(2)
    r.noise = 10
    assert r.epoch == 0
    r.train(1)
    r.activation = "relu"
    assert r.epoch == 0


def test_reset_restores_the_initial_network():
    r = Run(dataset="moons")
    r.tier = "general"
    m0 = r.metrics()
    g0 = r.decision_grid()
    r.train(10)
    r.reset()
    assert r.metrics() == m0
    np.testing.assert_array_equal(r.decision_grid(), g0)


# ------------------------------------------------------- train / test split
def _angles(X):
    return np.arctan2(X[:, 1], X[:, 0])


def test_train_and_test_sets_cover_the_same_region():
    """The held-out points must be drawn like the training points. With the same
    PRNGKey(seed) for the data and for the split, jax.random.permutation sorts the
    circle's points by the very random bits that drew their angles, so the training
    set is one half-plane and the test set the other."""
    r = Run()
    for X in (r.X_train, r.X_test):
        hist = np.histogram(_angles(X), bins=4, range=(-np.pi, np.pi))[0]
        assert hist.min() >= 0.15 * len(X), hist


def test_split_independent_of_data_randomness():
    X, y = datasets.make_dataset("circle", 0, 500, 0.0)
    tr, te = datasets.train_test_split(0, 500, 0.5)
    # mean angle of both halves should be alike (|difference| small for a random split)
    a = _angles(X)
    assert abs(np.mean(np.sin(a[tr])) - np.mean(np.sin(a[te]))) < 0.3


def test_default_circle_generalises():
    """TensorFlow Playground's default set-up learns the circle: test accuracy follows train."""
    r = exact_run()
    m = r.train(300)
    assert m["train_accuracy"] >= 0.95, m
    assert m["test_accuracy"] >= 0.9, m


def test_decision_grid_is_the_prediction_on_the_grid():
    """The heatmap comes out of the training call itself; it must equal predict()."""
    from playground.engine.features import GRID_RES, grid_points
    run = Run(dataset="xor", hidden=[3])
    for epochs in (0, 7):
        run.train(epochs)
        grid = run.decision_grid()
        assert grid.shape == (GRID_RES, GRID_RES)
        np.testing.assert_allclose(grid.ravel(), run.predict(grid_points()), atol=1e-5)
    run.learning_rate = 0.1           # hyperparameters do not move the weights
    np.testing.assert_allclose(run.decision_grid().ravel(), run.predict(grid_points()), atol=1e-5)


def test_confusion_matrix_counts_match_predict():
    run = Run(dataset="xor", hidden=[3], noise=30)
    run.train(20)
    for split, X, y in (("test", run.X_test, run.y_test), ("train", run.X_train, run.y_train)):
        c = run.confusion(split)
        pred = run.predict(X)
        assert c["counts"].sum() == len(y)
        assert c["counts"][0, 0] == np.sum((y > 0) & (pred >= 0))
        assert c["counts"][0, 1] == np.sum((y > 0) & (pred < 0))
        assert c["counts"][1, 0] == np.sum((y < 0) & (pred >= 0))
        assert c["counts"][1, 1] == np.sum((y < 0) & (pred < 0))
        acc = run.metrics()[f"{split}_accuracy"]
        assert (c["counts"][0, 0] + c["counts"][1, 1]) / len(y) == pytest.approx(acc, abs=1e-6)
        assert np.array_equal(c["X"][c["cell"] == 1], X[(y > 0) & (pred < 0)])
    with pytest.raises(ValueError, match="split"):
        run.confusion("validation")


# ------------------------------------------------------------- launch / settle
def test_launch_then_settle_is_train():
    a, b = Run(dataset="xor", hidden=[4, 2]), Run(dataset="xor", hidden=[4, 2])
    a.train(3)
    assert b.launch(3) and b.pending
    assert b.epoch == 0                      # nothing applied before settle
    assert b.settle() and not b.pending
    assert b.epoch == a.epoch == 3
    np.testing.assert_array_equal(a.decision_grid(), b.decision_grid())
    assert a.history["test_loss"] == b.history["test_loss"]


def test_a_launch_is_dropped_when_the_run_changes_meanwhile():
    r = Run(dataset="xor")
    r.train(2)
    r.launch(5)
    r.reset()                                # a reset while the frame was computing
    assert not r.settle() and r.epoch == 0
    r.train(2)
    r.launch(5)
    r.learning_rate = 0.01                   # new settings: the 5 epochs are not applied
    assert not r.settle() and r.epoch == 2
    r.launch(5)
    r.noise = 10                             # new data (which starts the run afresh)
    assert not r.settle() and r.epoch == 0


def test_train_settles_a_pending_launch_first():
    r = Run(dataset="circle")
    r.launch(2)
    r.train(1)
    assert r.epoch == 3 and not r.pending


def test_a_diverging_launch_is_not_applied():
    r = Run(dataset="circle", learning_rate=10)
    before = r.decision_grid()
    for _ in range(50):
        r.launch(5)
        r.settle()
        if r.status == "diverged":
            break
    assert r.status == "diverged"
    assert not r.launch(1) and not r.pending
    assert np.isfinite(r.decision_grid()).all() and before.shape == r.decision_grid().shape
