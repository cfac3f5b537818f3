"""The neuron lab's engine: the course's perceptron numbers, the delta rule against autodiff,
hand backprop against jax.grad and central finite differences (float64)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from playground.engine import neuron_lab as nl

W, T = [0.7, 0.4, 0.2], 0.8


def test_perceptron_worked_examples():
    assert nl.perceptron([0, 1, 1], W, T) == (pytest.approx(0.6), 0)
    assert nl.perceptron([1, 0, 1], W, T) == (pytest.approx(0.9), 1)


def test_truth_table():
    table = nl.truth_table(W, T)
    assert [r[0] for r in table] == [(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1)]
    sums = [round(r[1], 10) for r in table]
    assert sums == [0.0, 0.2, 0.4, 0.6, 0.7, 0.9, 1.1, 1.3]
    assert [r[2] for r in table] == [0, 0, 0, 0, 0, 1, 1, 1]
    assert all(out == 0 for _, _, out in nl.truth_table(W, 5.0))   # a high threshold never fires


@pytest.mark.parametrize("t", [0.0, 1.0, 0.3])
def test_delta_rule_equals_autodiff(t):
    w, x, eta = np.array([0.5, -0.3, 0.8]), np.array([1.0, 2.0, -1.5]), 0.7
    o, dw, w_new = nl.delta_rule_step(w, x, t, eta)
    assert o == pytest.approx(1 / (1 + np.exp(-(w @ x))))
    np.testing.assert_allclose(dw, eta * x * (o - t) * o * (1 - o))
    np.testing.assert_allclose(w_new, nl.autodiff_step(w, x, t, eta), rtol=1e-12)


NET = nl.TinyNet(np.array([[0.15, 0.25], [0.20, 0.30]]), np.array([0.35, 0.35]),
                 np.array([0.40, 0.45]), 0.60)


def _jax_grads(net, x, t, activation):
    f = jax.nn.sigmoid if activation == "sigmoid" else jnp.tanh

    def loss(p):
        h = f(jnp.asarray(x) @ p["W1"] + p["b1"])
        return 0.5 * (f(h @ p["W2"] + p["b2"]) - t) ** 2
    with nl.float64():
        p = {k: jnp.asarray(v, jnp.float64) for k, v in net._asdict().items()}
        return {k: np.asarray(v) for k, v in jax.grad(loss)(p).items()}


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_hand_backprop_equals_jax_grad_and_finite_differences(activation):
    x, t = np.array([0.05, 0.10]), 0.01
    r = nl.tiny_net_backprop(NET, x, t, activation)
    assert r["loss"] == pytest.approx(nl.tiny_net_loss(NET, x, t, activation))
    want = _jax_grads(NET, x, t, activation)
    for k in ("W1", "b1", "W2", "b2"):
        got = np.asarray(getattr(r["grads"], k), float)
        np.testing.assert_allclose(got, want[k], rtol=1e-10, atol=1e-14, err_msg=k)
        for index in np.ndindex(np.shape(got)) if np.ndim(got) else [None]:
            lo, hi, slope = nl.nudge(NET, x, t, k, index, 1e-5, activation)
            exact = got[index] if index is not None else got
            assert abs(slope - exact) <= 1e-4 * max(abs(exact), 1e-8), (k, index)
    assert r["delta2"] == pytest.approx(r["dL_do"] * r["do_dz2"])
    np.testing.assert_allclose(r["delta1"], r["dL_dh"] * r["dh_dz1"])


def test_nudge_tells_the_direction():
    x, t = np.array([0.05, 0.10]), 0.01
    lo, hi, slope = nl.nudge(NET, x, t, "W2", 0, 1.0)
    base = nl.tiny_net_loss(NET, x, t)
    assert (hi > base) == (slope > 0) and (lo > base) == (slope < 0)


@pytest.mark.parametrize("name", list(nl.GALLERY))
def test_gallery_derivatives_match_jax_grad(name):
    z = np.linspace(-5, 5, 401)
    z = z[np.abs(z) > 1e-9]                      # the kink at 0 has no derivative
    _, _, f, df = nl.GALLERY[name]
    np.testing.assert_allclose(nl.autodiff_derivative(name, z), df(z), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(np.asarray(nl._JAX_ACT[name](jnp.asarray(z))), f(z),
                               rtol=1e-6, atol=1e-6)


def test_saturation_of_sigmoid_and_tanh_but_not_relu():
    z = np.array([-8.0, 0.5, 8.0])
    assert list(nl.saturation("sigmoid", z)) == [True, False, True]
    assert list(nl.saturation("tanh", z)) == [True, False, True]
    assert list(nl.saturation("relu", z)) == [True, False, False]


def test_house_prices_have_the_bedroom_interaction():
    X, y = nl.house_prices(seed=1, n=2000)
    assert X.shape == (2000, 4) and y.shape == (2000,)
    age, area, bedrooms, loc = X.T
    big = area > 150
    small = area < 60
    # in big flats more bedrooms add value; in small ones they take it away
    assert np.polyfit(bedrooms[big], y[big], 1)[0] > 0
    assert np.polyfit(bedrooms[small], y[small], 1)[0] < 0


def test_house_net_beats_the_mean_predictor_and_a_linear_fit():
    X, y = nl.house_prices(seed=2, n=600)
    out = nl.train_house_net(X, y, hidden=3, epochs=400, lr=0.03)
    assert out["rmse"][-1] < 0.35 * out["baseline_rmse"]
    assert out["rmse"][-1] < out["rmse"][0]
    A = np.c_[X, np.ones(len(X))]
    linear = np.sqrt(np.mean((A @ np.linalg.lstsq(A, y, rcond=None)[0] - y) ** 2))
    assert out["rmse"][-1] < linear                  # the hidden layer captures the interaction
    assert out["hidden"].shape == (600, 3)
    np.testing.assert_allclose(np.sqrt(np.mean((out["predict"](X) - y) ** 2)), out["rmse"][-1],
                               rtol=0.05)


def test_autodiff_helper_and_update_step_lower_the_loss():
    x, t = np.array([0.05, 0.10]), 0.01
    r = nl.tiny_net_backprop(NET, x, t)
    auto = nl.tiny_net_autodiff(NET, x, t)
    for k in nl.TinyNet._fields:
        np.testing.assert_allclose(getattr(auto, k), _jax_grads(NET, x, t, "sigmoid")[k],
                                   rtol=1e-12)
    new = nl.tiny_net_update(NET, r["grads"], 0.5)
    np.testing.assert_allclose(new.W1, NET.W1 - 0.5 * r["grads"].W1)
    assert nl.tiny_net_loss(new, x, t) < r["loss"]


def test_logistic_step_is_the_cross_entropy_gradient():
    X, t = nl.logistic_data(seed=3, n=40)
    w, b = np.array([0.3, -0.7]), 0.2

    def loss(p):
        o = jax.nn.sigmoid(jnp.asarray(X) @ p[:2] + p[2])
        return -jnp.mean(t * jnp.log(o) + (1 - t) * jnp.log(1 - o))
    with nl.float64():
        g = np.asarray(jax.grad(loss)(jnp.array([w[0], w[1], b], jnp.float64)))
    w2, b2, gw, gb = nl.logistic_step(w, b, X, t, 0.1)
    np.testing.assert_allclose(np.r_[gw, gb], g, rtol=1e-9)
    assert nl.logistic_loss(w, b, X, t) == pytest.approx(float(loss(jnp.array([*w, b]))))
    for _ in range(200):
        w, b, *_ = nl.logistic_step(w, b, X, t, 0.5)
    assert nl.logistic_loss(w, b, X, t) < 0.4
    surface = nl.logistic_surface(w, b, res=11)
    assert surface.shape == (11, 11) and surface[-1, -1] > 0.9 and surface[0, 0] < 0.1


def test_house_training_continues_without_recompiling():
    X, y = nl.house_prices(seed=0, n=200)
    scale = nl.HouseScaler.fit(X, y)
    p, s = nl.house_init(0, 3)
    before = nl.house_train._cache_size()
    p1, s1, r1 = nl.house_train(p, s, scale.inputs(X), scale.targets(y), 0.03, 10)
    p2, s2, r2 = nl.house_train(p1, s1, scale.inputs(X), scale.targets(y), 0.003, 10)
    assert nl.house_train._cache_size() <= before + 1      # a new rate is not a new program
    assert r2[-1] < r1[0]


@pytest.mark.parametrize("hidden", [1, 3, 8])
def test_the_house_network_is_padded_to_one_shape_and_trains_as_its_own_size(hidden):
    """Every hidden size is one shape (no program compiled as the lab's slider moves): the
    neurons past ``hidden`` are 0 and stay 0, and the live ones start and train as a
    network of exactly ``hidden`` neurons does."""
    import jax
    X, y = nl.house_prices(seed=0, n=200)
    scale = nl.HouseScaler.fit(X, y)
    Xs, yt = scale.inputs(X), scale.targets(y)
    p, s = nl.house_init(5, hidden)
    assert p["W1"].shape == (4, nl.HOUSE_HIDDEN_MAX) and p["W2"].shape == (nl.HOUSE_HIDDEN_MAX,)
    k1, k2 = jax.random.split(jax.random.PRNGKey(5))      # the weights drawn for this size
    np.testing.assert_array_equal(np.asarray(p["W1"])[:, :hidden],
                                  jax.random.uniform(k1, (4, hidden), minval=-0.5, maxval=0.5))
    np.testing.assert_array_equal(np.asarray(p["W2"])[:hidden],
                                  jax.random.uniform(k2, (hidden,), minval=-0.5, maxval=0.5))
    small = {"W1": p["W1"][:, :hidden], "b1": p["b1"][:hidden], "W2": p["W2"][:hidden],
             "b2": p["b2"]}
    s_small = nl.HOUSE_OPTIMIZER.init(small)
    s_small.hyperparams["learning_rate"] = s.hyperparams["learning_rate"]
    p1, _, r1 = nl.house_train(p, s, Xs, yt, 0.03, 60)
    q1, _, r2 = nl.house_train(small, s_small, Xs, yt, 0.03, 60)
    np.testing.assert_allclose(np.asarray(r1), np.asarray(r2), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(p1["W1"])[:, :hidden], q1["W1"], rtol=1e-4, atol=1e-5)
    for name in ("W1", "b1", "W2"):                         # the padding never moves
        assert not np.any(np.asarray(p1[name])[..., hidden:])


def test_the_house_network_refuses_a_size_it_cannot_have():
    for hidden in (0, nl.HOUSE_HIDDEN_MAX + 1):
        with pytest.raises(ValueError, match="hidden"):
            nl.house_init(0, hidden)
