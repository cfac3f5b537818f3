"""The single neuron and the chain rule, with numbers a student can check by hand.

Pure functions (numpy in, numpy out; JAX only where autodiff is the point):

    perceptron([0, 1, 1], [0.7, 0.4, 0.2], 0.8)   # -> (0.6, 0): 0.6 does not exceed 0.8
    delta_rule_step(w, x, t, eta)                  # one step of Δw = η·x·(o − t)·o·(1 − o)
    tiny_net_backprop(params, x, t)                # every chain-rule factor of a 2-2-1 net
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax


def perceptron(inputs, weights, threshold):
    """Weighted sum Σ wᵢxᵢ and the output: 1 when the sum exceeds the threshold, else 0.
    inputs, weights: (n,); returns (float sum, int output)."""
    s = float(np.dot(np.asarray(inputs, float), np.asarray(weights, float)))
    return s, int(s > threshold)


def truth_table(weights, threshold, n_inputs: int = 3):
    """All 2ⁿ binary inputs (in counting order) with their weighted sums and outputs."""
    rows = []
    for k in range(2 ** n_inputs):
        x = [(k >> (n_inputs - 1 - i)) & 1 for i in range(n_inputs)]
        rows.append((tuple(x), *perceptron(x, weights, threshold)))
    return rows


def sigmoid(z):
    """The logistic function, elementwise (numpy, any shape)."""
    return 1.0 / (1.0 + np.exp(-z))


def delta_rule_step(w, x, t, eta):
    """One delta-rule step for a sigmoid neuron with squared error ½(o − t)².

    Returns (o, dw, w_new) with o = σ(w·x), Δw = η·x·(o − t)·o·(1 − o), w_new = w − Δw."""
    w, x = np.asarray(w, float), np.asarray(x, float)
    o = sigmoid(w @ x)
    dw = eta * x * (o - t) * o * (1 - o)
    return o, dw, w - dw


def float64():
    """A context in which JAX computes in float64 (thread-local; newer and older JAX)."""
    if hasattr(jax, "enable_x64"):
        return jax.enable_x64(True)
    from jax.experimental import enable_x64
    return enable_x64()


def autodiff_step(w, x, t, eta):
    """The same step from jax.grad of ½(o − t)² (float64 numpy in and out). w, x: (n,);
    t, eta: floats; returns the new w (n,)."""
    def loss(w):
        return 0.5 * (jax.nn.sigmoid(jnp.dot(w, x)) - t) ** 2
    with float64():
        g = np.asarray(jax.grad(loss)(jnp.asarray(w, jnp.float64)))
    return np.asarray(w, float) - eta * g


class TinyNet(NamedTuple):
    """2 inputs -> 2 hidden -> 1 output. W1: (2, 2) [input, hidden], b1: (2,), W2: (2,), b2."""
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: float


_ACT = {"sigmoid": (sigmoid, lambda a: a * (1 - a)),
        "tanh": (np.tanh, lambda a: 1 - a * a)}


def tiny_net_backprop(net: TinyNet, x, t, activation: str = "sigmoid") -> dict:
    """Forward and backward pass of the tiny net on one example, every factor kept.

    Loss ½(o − t)². Returns the hidden sums z1 and activations h, the output sum z2 and
    o, the loss, the factors dL/do, do/dz2, dL/dz2 (delta2), dL/dh, dh/dz1, dL/dz1
    (delta1), and the gradients of every weight and bias (same shapes as net)."""
    f, df = _ACT[activation]
    x = np.asarray(x, float)
    z1 = x @ net.W1 + net.b1
    h = f(z1)
    z2 = float(h @ net.W2 + net.b2)
    o = float(f(z2))
    dL_do = o - t
    do_dz2 = float(df(o))
    delta2 = dL_do * do_dz2
    dL_dh = delta2 * net.W2
    dh_dz1 = df(h)
    delta1 = dL_dh * dh_dz1
    grads = TinyNet(np.outer(x, delta1), delta1, delta2 * h, delta2)
    return {"z1": z1, "h": h, "z2": z2, "o": o, "loss": 0.5 * (o - t) ** 2,
            "dL_do": dL_do, "do_dz2": do_dz2, "delta2": delta2, "dL_dh": dL_dh,
            "dh_dz1": dh_dz1, "delta1": delta1, "grads": grads}


def tiny_net_loss(net: TinyNet, x, t, activation: str = "sigmoid") -> float:
    """½(o − t)² of the tiny net's output o for one example x (2,) and target t."""
    f, _ = _ACT[activation]
    h = f(np.asarray(x, float) @ net.W1 + net.b1)
    return 0.5 * (float(f(h @ net.W2 + net.b2)) - t) ** 2


def tiny_net_autodiff(net: TinyNet, x, t, activation: str = "sigmoid") -> TinyNet:
    """The gradients of ½(o − t)² by jax.grad (float64), to set beside the hand backprop.
    x: (2,) one example, t: its float target; the gradients have the shapes of ``net``."""
    f = jax.nn.sigmoid if activation == "sigmoid" else jnp.tanh

    def loss(p):
        h = f(jnp.asarray(x, jnp.float64) @ p["W1"] + p["b1"])
        return 0.5 * (f(h @ p["W2"] + p["b2"]) - t) ** 2
    with float64():
        p = {k: jnp.asarray(v, jnp.float64) for k, v in net._asdict().items()}
        g = jax.grad(loss)(p)
        return TinyNet(*(np.asarray(g[k]) for k in TinyNet._fields))


def tiny_net_update(net: TinyNet, grads: TinyNet, lr: float) -> TinyNet:
    """One gradient-descent step: every parameter p ← p − lr · dL/dp (TinyNet shapes)."""
    return TinyNet(*(np.asarray(p, float) - lr * np.asarray(g, float)
                     for p, g in zip(net, grads)))


def nudge(net: TinyNet, x, t, which: str, index, h: float, activation: str = "sigmoid"):
    """Finite differences: the loss with one parameter moved by −h and +h, and the slope
    estimate (L(+h) − L(−h)) / 2h. which: "W1", "b1", "W2" or "b2"; index: tuple or int."""
    def moved(delta):
        arrays = {k: np.array(v, float) for k, v in net._asdict().items()}
        if which == "b2":
            arrays["b2"] = float(arrays["b2"]) + delta
        else:
            arrays[which][index] += delta
        return tiny_net_loss(TinyNet(**arrays), x, t, activation)
    lo, hi = moved(-h), moved(+h)
    return lo, hi, (hi - lo) / (2 * h)


# -------------------------------------------------------------- activation gallery
def _erf(z):
    from math import erf
    return np.vectorize(erf)(z)


# name: (formula for people, output range, f(z), f'(z) by the formula), numpy float64
GALLERY = {
    "step": ("1 if z > 0 else 0", "{0, 1}", lambda z: (z > 0).astype(float),
             lambda z: np.zeros_like(z)),
    "sigmoid": ("1 / (1 + e^(−z))", "(0, 1)", sigmoid,
                lambda z: sigmoid(z) * (1 - sigmoid(z))),
    "tanh": ("(e^z − e^(−z)) / (e^z + e^(−z))", "(−1, 1)", np.tanh,
             lambda z: 1 - np.tanh(z) ** 2),
    "relu": ("max(0, z)", "[0, ∞)", lambda z: np.maximum(z, 0), lambda z: (z > 0) * 1.0),
    "leaky_relu": ("z if z > 0 else 0.01·z", "(−∞, ∞)", lambda z: np.where(z > 0, z, 0.01 * z),
                   lambda z: np.where(z > 0, 1.0, 0.01)),
    "elu": ("z if z > 0 else e^z − 1", "(−1, ∞)", lambda z: np.where(z > 0, z, np.expm1(z)),
            lambda z: np.where(z > 0, 1.0, np.exp(z))),
    "gelu": ("z·Φ(z)", "[−0.17, ∞)", lambda z: z * 0.5 * (1 + _erf(z / np.sqrt(2))),
             lambda z: 0.5 * (1 + _erf(z / np.sqrt(2))) + z * np.exp(-z * z / 2) / np.sqrt(2 * np.pi)),
    "sine": ("sin(z)", "[−1, 1]", np.sin, np.cos),
}

_JAX_ACT = {"step": lambda z: (z > 0).astype(z.dtype), "sigmoid": jax.nn.sigmoid,
            "tanh": jnp.tanh, "relu": jax.nn.relu,
            "leaky_relu": lambda z: jax.nn.leaky_relu(z, 0.01), "elu": jax.nn.elu,
            "gelu": lambda z: jax.nn.gelu(z, approximate=False), "sine": jnp.sin}


def autodiff_derivative(name: str, z) -> np.ndarray:
    """d/dz of activation ``name`` at every z by jax.grad (float64). z: (n,) -> (n,)."""
    with float64():
        g = jax.vmap(jax.grad(lambda v: _JAX_ACT[name](v)))(jnp.asarray(z, jnp.float64))
        return np.asarray(g)


def saturation(name: str, z, below: float = 0.01) -> np.ndarray:
    """Where the slope is (nearly) zero: learning through this neuron stalls there.
    z: any shape -> bool, the same shape."""
    return np.abs(GALLERY[name][3](np.asarray(z, float))) < below


# ------------------------------------------------------------------- house prices
HOUSE_FEATURES = ("age", "floor_area", "bedrooms", "location")


def house_prices(seed: int = 0, n: int = 400):
    """A synthetic housing market: X (n, 4) raw [age years, floor area m², bedrooms,
    location score 0..10], price y (n,) in thousands. Price rises with area and location,
    falls with age; bedrooms raise it — unless the flat is small: many bedrooms squeezed
    into a small area lower the price (an interaction a linear model cannot represent)."""
    rng = np.random.default_rng(seed)
    age = rng.uniform(0, 80, n)
    area = rng.uniform(30, 200, n)
    bedrooms = rng.integers(1, 6, n).astype(float)
    location = rng.uniform(0, 10, n)
    crowding = bedrooms / (area / 40.0)               # > 1: more bedrooms than the area holds
    price = (50 + 2.2 * area + 25 * location - 1.2 * age + 20 * bedrooms
             - 60 * np.maximum(crowding - 1.0, 0.0)
             + rng.normal(0, 10, n))
    price = np.maximum(price, 20.0)                   # nothing sells for less
    return np.stack([age, area, bedrooms, location], 1).astype(np.float32), \
        price.astype(np.float32)


class HouseScaler(NamedTuple):
    """Standardisation of the house inputs and prices (the network sees z-scores)."""
    mu: np.ndarray
    sd: np.ndarray
    y_mean: float
    y_sd: float

    @classmethod
    def fit(cls, X, y):
        return cls(X.mean(0), X.std(0) + 1e-9, float(y.mean()), float(y.std()) + 1e-9)

    def inputs(self, X):
        return jnp.asarray((np.asarray(X, np.float32) - self.mu) / self.sd, jnp.float32)

    def targets(self, y):
        return jnp.asarray((np.asarray(y, np.float32) - self.y_mean) / self.y_sd, jnp.float32)


HOUSE_OPTIMIZER = optax.inject_hyperparams(optax.adam)(learning_rate=0.03)


HOUSE_HIDDEN_MAX = 8     # the hidden layer's most neurons: every network has this many


def house_init(seed: int = 0, hidden: int = 3):
    """Weights of a 4→hidden→1 tanh network, U(−0.5, 0.5) with biases 0.1, and Adam's state
    (the learning rate lives in the state, so changing it never recompiles).

    The hidden layer always has HOUSE_HIDDEN_MAX neurons; those past ``hidden`` have every
    weight and bias 0. Such a neuron outputs tanh(0) = 0 and so gets no gradient: it stays
    0 and changes nothing. One shape for every ``hidden``: each new number of neurons was
    new programs to compile (1.2–1.4 s on the event loop as the lab's slider moved). The
    first ``hidden`` neurons' weights are those drawn for ``hidden`` alone (JAX draws random
    numbers counter by counter: the first 4·hidden of 4·HOUSE_HIDDEN_MAX are the same)."""
    if not 1 <= hidden <= HOUSE_HIDDEN_MAX:
        raise ValueError(f"hidden: 1 to {HOUSE_HIDDEN_MAX} neurons, got {hidden!r}")
    k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
    m = HOUSE_HIDDEN_MAX
    draws1 = np.asarray(jax.random.uniform(k1, (4 * m,), minval=-0.5, maxval=0.5))
    draws2 = np.asarray(jax.random.uniform(k2, (m,), minval=-0.5, maxval=0.5))
    W1 = np.zeros((4, m), np.float32)
    W1[:, :hidden] = draws1[:4 * hidden].reshape(4, hidden)
    live = (np.arange(m) < hidden).astype(np.float32)
    p = {"W1": jnp.asarray(W1), "b1": jnp.asarray(0.1 * live, jnp.float32),
         "W2": jnp.asarray(draws2 * live, jnp.float32),
         "b2": jnp.asarray(0.1, jnp.float32)}
    state = HOUSE_OPTIMIZER.init(p)
    state.hyperparams["learning_rate"] = jnp.asarray(0.03, jnp.float32)   # not weakly typed
    return p, state


def house_forward(p, Xs):
    """Xs: (n, 4) standardised -> (prediction (n,) standardised, hidden (n, HOUSE_HIDDEN_MAX):
    the neurons past the network's own number give 0)."""
    h = jnp.tanh(Xs @ p["W1"] + p["b1"])
    return h @ p["W2"] + p["b2"], h


@partial(jax.jit, static_argnames="steps")
def house_train(p, opt_state, Xs, yt, lr, steps: int):
    """``steps`` full-batch Adam steps on ½·MSE… returns (p, opt_state, rmse per step in
    standardised units; multiply by the price scale)."""
    opt_state.hyperparams["learning_rate"] = jnp.asarray(lr, jnp.float32)

    def loss(p):
        return jnp.mean((house_forward(p, Xs)[0] - yt) ** 2)

    def step(carry, _):
        p, s = carry
        value, g = jax.value_and_grad(loss)(p)
        u, s = HOUSE_OPTIMIZER.update(g, s, p)
        return (optax.apply_updates(p, u), s), jnp.sqrt(value)
    (p, opt_state), rmse = jax.lax.scan(step, (p, opt_state), None, length=steps)
    return p, opt_state, rmse


def train_house_net(X, y, hidden: int = 3, epochs: int = 300, lr: float = 0.03, seed: int = 0):
    """A 4→hidden→1 tanh network on standardised inputs and prices, full-batch Adam.

    Returns {"rmse": [per-epoch RMSE in price units], "baseline_rmse": RMSE of always
    predicting the mean price, "hidden": (n, hidden) activations, "predict": fn(X) -> prices}."""
    scale = HouseScaler.fit(X, y)
    Xs = scale.inputs(X)
    p, s = house_init(seed, hidden)
    p, s, rmse = house_train(p, s, Xs, scale.targets(y), lr, epochs)
    predict = lambda Xn: np.asarray(house_forward(p, scale.inputs(Xn))[0]) * scale.y_sd \
        + scale.y_mean
    return {"rmse": np.asarray(rmse) * scale.y_sd, "baseline_rmse": float(np.std(y)),
            "hidden": np.asarray(house_forward(p, Xs)[1])[:, :hidden], "predict": predict}


# ------------------------------------------------------------ logistic regression
def logistic_data(seed: int = 0, n: int = 60):
    """Two overlapping 2-D clouds: X (n, 2) in [−5, 5]², labels t (n,) in {0, 1}."""
    rng = np.random.default_rng(seed)
    t = (np.arange(n) % 2).astype(float)
    centres = np.where(t[:, None] == 1, [1.6, 1.2], [-1.4, -1.0])
    return np.clip(centres + rng.normal(0, 1.2, (n, 2)), -4.9, 4.9), t


def logistic_loss(w, b, X, t) -> float:
    """Mean cross-entropy −[t·log o + (1 − t)·log(1 − o)] of one sigmoid neuron.
    w: (2,), b: float, X: (n, 2), t: (n,) 0/1 labels."""
    o = np.clip(sigmoid(X @ np.asarray(w, float) + b), 1e-12, 1 - 1e-12)
    return float(-np.mean(t * np.log(o) + (1 - t) * np.log(1 - o)))


def logistic_step(w, b, X, t, lr):
    """One full-batch gradient step of the cross-entropy. With a sigmoid output the chain
    rule collapses: dL/dz = o − t, so dL/dw = mean((o − t)·x), dL/db = mean(o − t).
    Returns (w_new, b_new, grad_w, grad_b)."""
    w = np.asarray(w, float)
    err = sigmoid(X @ w + b) - t
    gw, gb = X.T @ err / len(t), float(err.mean())
    return w - lr * gw, b - lr * gb, gw, gb


def logistic_surface(w, b, res: int = 60, extent: float = 5.0):
    """The neuron's probability σ(w·x + b) on a res×res grid over [−extent, extent]²
    (rows: x2 from low to high): (res, res) float. w: (2,), b: float."""
    g = np.linspace(-extent, extent, res)
    x1, x2 = np.meshgrid(g, g)
    return sigmoid(w[0] * x1 + w[1] * x2 + b)
