"""The single neuron and the chain rule, with numbers a student can check by hand.

Pure functions (numpy in, numpy out; JAX only where autodiff is the point):

    perceptron([0, 1, 1], [0.7, 0.4, 0.2], 0.8)   # -> (0.6, 0): 0.6 does not exceed 0.8
    delta_rule_step(w, x, t, eta)                  # one step of Δw = η·x·(o − t)·o·(1 − o)
    tiny_net_backprop(params, x, t)                # every chain-rule factor of a 2-2-1 net
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


def perceptron(inputs, weights, threshold):
    """Weighted sum Σ wᵢxᵢ and the output: 1 when the sum exceeds the threshold, else 0."""
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
    """The same step from jax.grad of ½(o − t)² (float64 numpy in and out)."""
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
    f, _ = _ACT[activation]
    h = f(np.asarray(x, float) @ net.W1 + net.b1)
    return 0.5 * (float(f(h @ net.W2 + net.b2)) - t) ** 2


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
    """d/dz of activation ``name`` at every z by jax.grad (float64)."""
    with float64():
        g = jax.vmap(jax.grad(lambda v: _JAX_ACT[name](v)))(jnp.asarray(z, jnp.float64))
        return np.asarray(g)


def saturation(name: str, z, below: float = 0.01) -> np.ndarray:
    """Where the slope is (nearly) zero: learning through this neuron stalls there."""
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
             - 90 * np.maximum(crowding - 1.0, 0.0) ** 2
             + rng.normal(0, 10, n))
    return np.stack([age, area, bedrooms, location], 1).astype(np.float32), \
        price.astype(np.float32)


def train_house_net(X, y, hidden: int = 3, epochs: int = 300, lr: float = 0.03, seed: int = 0):
    """A 4→hidden→1 tanh network on standardised inputs and prices, full-batch Adam.

    Returns {"rmse": [per-epoch RMSE in price units], "baseline_rmse": RMSE of always
    predicting the mean price, "hidden": (n, hidden) activations, "predict": fn(X) -> prices}."""
    import optax
    mu, sd = X.mean(0), X.std(0) + 1e-9
    ym, ys = float(y.mean()), float(y.std()) + 1e-9
    Xs, yt = jnp.asarray((X - mu) / sd), jnp.asarray((y - ym) / ys)
    k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
    p = {"W1": jax.random.uniform(k1, (4, hidden), minval=-0.5, maxval=0.5),
         "b1": jnp.full(hidden, 0.1), "W2": jax.random.uniform(k2, (hidden,), minval=-0.5,
                                                              maxval=0.5), "b2": jnp.asarray(0.1)}

    def forward(p, x):
        h = jnp.tanh(x @ p["W1"] + p["b1"])
        return h @ p["W2"] + p["b2"], h

    def loss(p):
        return jnp.mean((forward(p, Xs)[0] - yt) ** 2)

    opt = optax.adam(lr)

    @jax.jit
    def run(p):
        def step(carry, _):
            p, s = carry
            value, g = jax.value_and_grad(loss)(p)
            u, s = opt.update(g, s, p)
            return (optax.apply_updates(p, u), s), jnp.sqrt(value) * ys
        (p, _), rmse = jax.lax.scan(step, (p, opt.init(p)), None, length=epochs)
        return p, rmse

    p, rmse = run(p)
    predict = lambda Xn: np.asarray(forward(p, jnp.asarray((Xn - mu) / sd))[0]) * ys + ym
    return {"rmse": np.asarray(rmse), "baseline_rmse": float(np.std(y)),
            "hidden": np.asarray(forward(p, Xs)[1]), "predict": predict}
