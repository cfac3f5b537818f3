"""Gradient descent made visible: one weight, two weights, and the real network.

* **One weight** — the course's worked example: five (weight, price) observations of a
  commodity, the model y = W·x (no bias: the price of nothing is nothing), the loss
  L(W) = mean((W·x − y)²). Each step of gradient descent, W ← W − lr·L′(W), with its
  arithmetic (``one_weight_step``); the least-squares answer and the largest stable rate.
* **Two weights** — a few small loss surfaces (linear regression (w, b), logistic
  regression (w₁, w₂), an ill-conditioned valley, a saddle): the loss on a grid for a
  contour plot and the paths of SGD, momentum, Nesterov, RMSProp and Adam (optax) from
  the same start, full batch.
* **The real network** — the playground's network's loss on the plane through its current
  weights spanned by two directions: the first two principal components of its weight
  trajectory, or two random filter-normalised directions (Li et al., 2018, "Visualizing
  the Loss Landscape of Neural Nets"), with the trajectory projected onto that plane.

Pure numpy/JAX; every jitted function lives at module level and takes its settings as
arrays, so one compiled program serves every session and every setting.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from . import mlp
from .batching import Data
from .metrics import masked_mean
from .programs import TRACES



# ====================================================================== one weight
# The worked example: weight of a commodity (kg) and its price; roughly price = 2·weight.
PRICE_X = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
PRICE_Y = np.array([2.2, 3.9, 6.3, 7.8, 10.2])


def one_weight_loss(w, x=PRICE_X, y=PRICE_Y):
    """L(W) = mean((W·x − y)²) for every W in w (any shape) -> the same shape, float64."""
    w = np.asarray(w, np.float64)
    return np.mean((w[..., None] * x - y) ** 2, axis=-1)


def one_weight_gradient(w, x=PRICE_X, y=PRICE_Y):
    """L′(W) = 2·mean(x·(W·x − y)) for every W in w."""
    w = np.asarray(w, np.float64)
    return 2.0 * np.mean(x * (w[..., None] * x - y), axis=-1)


def least_squares_weight(x=PRICE_X, y=PRICE_Y) -> float:
    """W* = Σxy / Σx², where L′(W*) = 0: the bottom of the error curve."""
    return float(np.sum(x * y) / np.sum(x * x))


def one_weight_curvature(x=PRICE_X) -> float:
    """L″ = 2·Σx²/n: the error curve is a parabola, the same curvature everywhere."""
    return float(2.0 * np.sum(np.square(x)) / len(x))


def max_stable_learning_rate(x=PRICE_X) -> float:
    """2 / L″ = n / Σx²: the largest learning rate with which gradient descent converges.

    L is a parabola, so L′(W) = L″·(W − W*) exactly, and one step maps the distance to
    the minimum as W_new − W* = (1 − lr·L″)·(W − W*). It shrinks when |1 − lr·L″| < 1,
    i.e. 0 < lr < 2/L″; below 1/L″ W creeps towards W* from one side, between 1/L″ and
    2/L″ it overshoots to the other side each step but still converges, and beyond 2/L″
    each overshoot is larger than the last: the steps diverge. (Price data: L″ = 22,
    2/L″ ≈ 0.091.)"""
    return 2.0 / one_weight_curvature(x)


class OneWeightStep(NamedTuple):
    """The arithmetic of one gradient step: new_w = w − learning_rate · gradient."""
    w: float
    loss: float
    gradient: float
    learning_rate: float
    change: float          # − learning_rate · gradient
    new_w: float
    new_loss: float


def one_weight_step(w: float, learning_rate: float, x=PRICE_X, y=PRICE_Y) -> OneWeightStep:
    """One step of gradient descent from w, with every number the step uses."""
    g = float(one_weight_gradient(w, x, y))
    change = -learning_rate * g
    new_w = float(w) + change
    return OneWeightStep(float(w), float(one_weight_loss(w, x, y)), g, float(learning_rate),
                         change, new_w, float(one_weight_loss(new_w, x, y)))


def one_weight_path(w0: float, learning_rate: float, steps: int, x=PRICE_X, y=PRICE_Y):
    """W after 0, 1, ..., steps steps of gradient descent: (steps + 1,) float64."""
    ws = [float(w0)]
    for _ in range(steps):
        ws.append(one_weight_step(ws[-1], learning_rate, x, y).new_w)
    return np.array(ws)


def tangent_segment(w: float, half_width: float, x=PRICE_X, y=PRICE_Y):
    """The tangent to the error curve at w, from w − half_width to w + half_width:
    (ws (2,), losses (2,)) — its slope is the gradient."""
    g = float(one_weight_gradient(w, x, y))
    loss = float(one_weight_loss(w, x, y))
    ws = np.array([w - half_width, w + half_width])
    return ws, loss + g * (ws - w)


# ===================================================================== two weights
class Surface(NamedTuple):
    """A loss over two weights θ = (θ₀, θ₁) for the contour plot and the optimizer race."""
    name: str
    title: str
    about: str
    labels: tuple          # names of the two weights (x axis, y axis)
    extent: tuple          # (θ₀ min, θ₀ max, θ₁ min, θ₁ max) of the plot
    start: tuple           # a start that shows the point of the surface
    learning_rate: float   # a learning rate that suits it
    minimum: tuple         # where the loss is lowest (or one of the minima)
    loss: Callable         # θ: (2,) -> () (jax)


# linear regression: a straight line through six points (x not centred: an oblique valley)
LINE_X = np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0], np.float32)
LINE_Y = np.array([1.9, 2.0, 3.2, 3.7, 4.4, 5.4], np.float32)
# logistic regression without bias: two features, labels 0/1, overlapping classes
LOGIT_X = np.array([[1.0, 0.4], [0.6, 1.2], [1.5, 0.8], [0.3, 0.3], [0.9, -0.4], [-0.6, 0.2],
                    [-1.2, -0.9], [-0.4, -1.1], [-1.0, 0.5], [0.2, -1.4]], np.float32)
LOGIT_Y = np.array([1, 1, 1, 0, 1, 0, 0, 0, 1, 0], np.float32)
VALLEY_CONDITION = 50.0            # ratio of the two curvatures of the valley
VALLEY_ANGLE = np.deg2rad(30.0)
VALLEY_CENTER = np.array([1.0, 0.5], np.float32)


def _line_loss(t):
    return jnp.mean((t[0] * LINE_X + t[1] - LINE_Y) ** 2)


def _logistic_loss(t):
    z = LOGIT_X @ t
    return jnp.mean(jax.nn.softplus(z) - LOGIT_Y * z)


def _valley_matrix():
    c, s = np.cos(VALLEY_ANGLE), np.sin(VALLEY_ANGLE)
    R = np.array([[c, s], [-s, c]])
    return (R.T @ np.diag([1.0, VALLEY_CONDITION]) @ R).astype(np.float32)


VALLEY_MATRIX = _valley_matrix()


def _valley_loss(t):
    d = t - VALLEY_CENTER
    return 0.5 * d @ (VALLEY_MATRIX @ d)


def _saddle_loss(t):
    return 0.5 * t[0] ** 2 + 0.25 * t[1] ** 4 - 0.5 * t[1] ** 2


def _line_minimum():
    A = np.stack([LINE_X, np.ones_like(LINE_X)], 1).astype(np.float64)
    return tuple(float(v) for v in np.linalg.lstsq(A, LINE_Y.astype(np.float64), rcond=None)[0])


SURFACES: dict[str, Surface] = {s.name: s for s in (
    Surface("linear", "Linear regression (w, b)",
            "Fit y = w·x + b to six points by the mean squared error. The inputs are not "
            "centred, so w and b trade off: the valley is long and oblique.",
            ("w", "b"), (-1.0, 4.0, -2.5, 3.5), (-0.5, 3.0), 0.1, _line_minimum(), _line_loss),
    Surface("logistic", "Logistic regression (w₁, w₂)",
            "One sigmoid neuron without bias, cross-entropy loss, ten points of two "
            "overlapping classes: a smooth bowl that flattens far from the minimum.",
            ("w₁", "w₂"), (-3.0, 6.0, -4.0, 5.0), (-2.5, 4.0), 1.0, (0.0, 0.0),
            _logistic_loss),
    Surface("valley", "Ill-conditioned valley",
            f"A quadratic whose curvature is {VALLEY_CONDITION:g}× larger across the valley "
            "than along it. A learning rate small enough not to bounce across it crawls "
            "along it; momentum builds up speed along the floor.",
            ("θ₁", "θ₂"), (-2.5, 3.5, -2.0, 3.0), (-2.0, 2.0), 0.02,
            tuple(float(v) for v in VALLEY_CENTER), _valley_loss),
    Surface("saddle", "Saddle point",
            "½θ₁² + ¼θ₂⁴ − ½θ₂²: a saddle at the origin between two minima at θ₂ = ±1. "
            "Started almost on the ridge, plain gradient descent lingers near the saddle; "
            "adaptive methods escape sooner.",
            ("θ₁", "θ₂"), (-2.5, 2.5, -2.0, 2.0), (2.0, 0.001), 0.05, (0.0, 1.0), _saddle_loss),
)}
SURFACE_NAMES = tuple(SURFACES)


def _logistic_minimum(steps: int = 30):
    """The minimum of the logistic loss by Newton's method (numpy, float64)."""
    X, y = LOGIT_X.astype(np.float64), LOGIT_Y.astype(np.float64)
    w = np.zeros(2)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-X @ w))
        H = X.T @ (X * (p * (1 - p))[:, None])
        w = w - np.linalg.solve(H, X.T @ (p - y))
    return tuple(float(v) for v in w)


SURFACES["logistic"] = SURFACES["logistic"]._replace(minimum=_logistic_minimum())
_LOSSES = tuple(s.loss for s in SURFACES.values())


def surface_index(name: str) -> int:
    if name not in SURFACES:
        raise ValueError(f"surface: one of {', '.join(SURFACE_NAMES)}, got {name!r}")
    return SURFACE_NAMES.index(name)


def _surface_loss(index, theta):
    return jax.lax.switch(index, _LOSSES, theta)


def _surface_grid(index, t0, t1):
    TRACES["surface_grid"] += 1
    f = lambda a, b: _surface_loss(index, jnp.stack([a, b]))
    return jax.vmap(jax.vmap(f, (0, None)), (None, 0))(t0, t1)


_surface_grid_jit = jax.jit(_surface_grid)


def surface_grid(name: str, res: int = 81, extent=None):
    """The loss of surface ``name`` on a res × res grid over its extent (or ``extent``):
    (t0 (res,), t1 (res,), Z (res, res)) with Z[i, j] = L(t0[j], t1[i]) (row 0 at the
    bottom), float32."""
    x0, x1, y0, y1 = SURFACES[name].extent if extent is None else extent
    t0 = np.linspace(x0, x1, res, dtype=np.float32)
    t1 = np.linspace(y0, y1, res, dtype=np.float32)
    Z = _surface_grid_jit(np.int32(surface_index(name)), t0, t1)
    return t0, t1, np.asarray(Z)


# ------------------------------------------------------------------- the race
PATH_OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam")
PATH_STEPS = 400           # every path is computed this far; callers show a prefix
PATH_LIMIT = 1e4           # a path beyond this distance has diverged (it stops there)
RMSPROP_DECAY = 0.9


def path_optimizer(name: str, learning_rate, beta) -> optax.GradientTransformation:
    """The optax optimizer of a path. beta: the momentum coefficient of momentum and
    Nesterov, and Adam's b1 (its momentum); RMSProp's decay is RMSPROP_DECAY."""
    if name == "sgd":
        return optax.sgd(learning_rate)
    if name in ("momentum", "nesterov"):
        return optax.sgd(learning_rate, momentum=beta, nesterov=name == "nesterov")
    if name == "rmsprop":
        return optax.rmsprop(learning_rate, decay=RMSPROP_DECAY)
    if name == "adam":
        return optax.adam(learning_rate, b1=beta)
    raise ValueError(f"optimizer: one of {', '.join(PATH_OPTIMIZERS)}, got {name!r}")


def _paths(index, start, learning_rate, beta):
    TRACES["optimizer_paths"] += 1
    loss = lambda t: _surface_loss(index, t)

    def one(name):
        opt = path_optimizer(name, learning_rate, beta)

        def step(carry, _):
            theta, state, alive = carry
            updates, new_state = opt.update(jax.grad(loss)(theta), state, theta)
            new = optax.apply_updates(theta, updates)
            ok = alive & jnp.all(jnp.isfinite(new)) & (jnp.max(jnp.abs(new)) < PATH_LIMIT)
            theta = jnp.where(ok, new, theta)
            state = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new_state, state)
            return (theta, state, ok), (theta, ok)

        (_, _, _), (thetas, ok) = jax.lax.scan(step, (start, opt.init(start), True), None,
                                               PATH_STEPS)
        return jnp.concatenate([start[None], thetas]), ok

    paths, oks = zip(*(one(n) for n in PATH_OPTIMIZERS))
    paths = jnp.stack(paths)
    return paths, jax.vmap(jax.vmap(loss))(paths), jnp.stack(oks)


_paths_jit = jax.jit(_paths)


class Race(NamedTuple):
    """Optimizer paths over a two-weight surface, in PATH_OPTIMIZERS order."""
    paths: np.ndarray      # (5, PATH_STEPS + 1, 2) θ after 0, 1, ... steps
    losses: np.ndarray     # (5, PATH_STEPS + 1) the loss along each path
    diverged_at: np.ndarray  # (5,) int: the step at which a path left the plane, or -1


def optimizer_paths(name: str, start, learning_rate: float, beta: float = 0.9) -> Race:
    """Full-batch paths of every optimizer of PATH_OPTIMIZERS from ``start`` over surface
    ``name``, PATH_STEPS steps each (one compiled program for every surface and setting).
    A path that becomes non-finite or leaves |θ| < PATH_LIMIT stops where it was."""
    f = np.float32
    paths, losses, ok = _paths_jit(np.int32(surface_index(name)), np.asarray(start, f),
                                   f(learning_rate), f(beta))
    ok = np.asarray(ok)
    diverged = np.where(ok.all(1), -1, np.argmin(ok, axis=1) + 1)
    return Race(np.asarray(paths), np.asarray(losses), diverged)


# ================================================================ the real network
LANDSCAPE_RES = 41            # the landscape grid is LANDSCAPE_RES × LANDSCAPE_RES
LANDSCAPE_MARGIN = 1.25       # the grid reaches this far beyond the trajectory
RANDOM_SPAN = 1.0             # extent of the grid along filter-normalised directions

_TEMPLATE = {"W_hidden": np.zeros((mlp.MAX_LAYERS, mlp.WIDTH, mlp.WIDTH), np.float32),
             "b_hidden": np.zeros((mlp.MAX_LAYERS, mlp.WIDTH), np.float32),
             "W_out": np.zeros(mlp.WIDTH, np.float32), "b_out": np.float32(0.0)}
N_PARAMS = sum(a.size for a in jax.tree.leaves(_TEMPLATE))
_UNRAVEL = ravel_pytree(_TEMPLATE)[1]


def flatten_params(params) -> np.ndarray:
    """Padded params -> (N_PARAMS,) float32 (a fixed order of every entry; in numpy: no
    program runs, so recording a snapshot after each training call costs microseconds)."""
    return np.concatenate([np.asarray(leaf, np.float32).ravel()
                           for leaf in jax.tree.leaves(params)])


def unflatten_params(flat):
    """(N_PARAMS,) -> a padded params tree (the inverse of flatten_params)."""
    return _UNRAVEL(jnp.asarray(flat, jnp.float32))


@jax.jit
def filter_normalized_direction(key, params, param_mask) -> dict:
    """A random direction in weight space, filter-normalised as Li et al. (2018).

    Each entry is drawn N(0, 1) (zero outside the architecture, ``param_mask``); then
    every filter — a neuron's vector of incoming weights: a column W_hidden[l][:, j], or
    the whole W_out for the output neuron — is rescaled to the norm of the same filter
    of ``params``. The biases' directions are zero (Li et al.'s choice for biases), so
    a step along the direction changes each neuron's weights in proportion to their size
    and the plot does not depend on how a layer happens to be scaled."""
    kh, ko = jax.random.split(key)
    d = {"W_hidden": jax.random.normal(kh, params["W_hidden"].shape),
         "W_out": jax.random.normal(ko, params["W_out"].shape),
         "b_hidden": jnp.zeros_like(params["b_hidden"]),
         "b_out": jnp.zeros_like(params["b_out"])}
    d = mlp.mask_tree(d, param_mask)

    def scale(dw, w, axis):
        nd = jnp.sqrt(jnp.sum(dw * dw, axis=axis, keepdims=True))
        nw = jnp.sqrt(jnp.sum(w * w, axis=axis, keepdims=True))
        return dw * jnp.where(nd > 0, nw / jnp.where(nd > 0, nd, 1.0), 0.0)

    d["W_hidden"] = scale(d["W_hidden"], params["W_hidden"], 1)
    d["W_out"] = scale(d["W_out"], params["W_out"], 0)
    return d


def _forward_active_layers(params, arch: mlp.ArchArrays, feats):
    """mlp.forward_general (without dropout) that skips the layers the architecture does
    not use: under vmap over weights their ``lax.cond`` stays a branch (the flags are not
    batched), so a 2-layer network costs 2 layers, not MAX_LAYERS."""
    h = mlp.pad_features(feats) * arch.feature_mask

    def layer(h, xs):
        W, b, m, active, act = xs
        return jax.lax.cond(active, lambda h: mlp.activate(act, h @ W + b) * m,
                            lambda h: h, h), None

    h, _ = jax.lax.scan(layer, h, (params["W_hidden"], params["b_hidden"], arch.neuron_mask,
                                   arch.layer_active, arch.activation))
    return h @ params["W_out"] + params["b_out"]


def _landscape(params, arch: mlp.ArchArrays, data: Data, d1, d2, alphas, betas):
    """Training-set loss (mean data loss, no penalty) at params + a·d1 + b·d2 for every
    a in alphas, b in betas: (len(betas), len(alphas)). One row of the grid at a time
    (vmap over alphas, lax.map over betas): big enough to batch, small enough to stay in
    cache (measured faster than one vmap over the whole grid)."""
    TRACES["landscape"] += 1
    live = (jnp.arange(data.x_train.shape[0]) < data.n_train).astype(jnp.float32)

    def loss_at(a, b):
        p = jax.tree.map(lambda w, u, v: w + a * u + b * v, params, d1, d2)
        z = _forward_active_layers(p, arch, data.x_train)
        return masked_mean(mlp.example_loss(arch.output, z, data.y_train), live)

    row = jax.vmap(loss_at, (0, None))
    return jax.lax.map(lambda b: row(alphas, b), betas)


landscape_grid = jax.jit(_landscape)


class Landscape(NamedTuple):
    """The loss on a plane through the current weights θ: loss[i, j] is the training loss
    at θ + alphas[j]·d1 + betas[i]·d2 (row 0 at the bottom)."""
    alphas: np.ndarray     # (LANDSCAPE_RES,) coordinates along d1 (0 in the middle)
    betas: np.ndarray      # (LANDSCAPE_RES,) coordinates along d2
    loss: np.ndarray       # (LANDSCAPE_RES, LANDSCAPE_RES)
    path: np.ndarray       # (T, 2) the trajectory's coordinates in the plane
    explained: float       # share of the trajectory's variance that lies in the plane
    directions: str        # "pca" or "random"
    d1: np.ndarray         # (N_PARAMS,) the directions, flattened
    d2: np.ndarray


def trajectory_pca(trajectory):
    """The first two principal components of a weight trajectory.

    trajectory: (T, N_PARAMS) one flattened snapshot per row. Returns (d1, d2, ratios):
    unit vectors (N_PARAMS,) float64 along the directions in which the (mean-centred)
    snapshots vary most, and the share of the variance each explains (2,). d1 points
    from the first snapshot towards the last; missing components (fewer than three
    distinct snapshots) are zero vectors."""
    X = np.asarray(trajectory, np.float64)
    C = X - X.mean(0)
    # through the T × T Gram matrix: T (<= a few hundred) is far smaller than N_PARAMS
    lam, U = np.linalg.eigh(C @ C.T)
    lam, U = lam[::-1], U[:, ::-1]
    total = float(np.sum(np.maximum(lam, 0.0)))
    d = np.zeros((2, X.shape[1]))
    ratios = np.zeros(2)
    for k in range(min(2, len(lam))):
        if lam[k] > 1e-12 * max(1.0, lam[0]) and lam[k] > 0:
            v = C.T @ U[:, k]
            d[k] = v / np.linalg.norm(v)
            ratios[k] = lam[k] / total
    if len(X) > 1 and (X[-1] - X[0]) @ d[0] < 0:
        d[0] = -d[0]
    return d[0], d[1], ratios


def plane_coordinates(points, center, d1, d2):
    """Least-squares coordinates (a, b) of points (T, N) in the plane center + a·d1 + b·d2
    (the directions need not be orthogonal): (T, 2). Zero directions give 0."""
    D = np.stack([d1, d2], 1).astype(np.float64)
    rel = np.asarray(points, np.float64) - np.asarray(center, np.float64)
    return np.linalg.lstsq(D, rel.T, rcond=None)[0].T


def explained_variance(points, d1, d2) -> float:
    """Share of the variance of points (T, N) about their mean that lies in the span of
    d1 and d2: 1.0 for a trajectory inside such a plane, 0.0 for a single point."""
    C = np.asarray(points, np.float64)
    C = C - C.mean(0)
    total = float(np.sum(C * C))
    if total == 0.0:
        return 0.0
    Q, r = np.linalg.qr(np.stack([d1, d2], 1).astype(np.float64))
    Q = Q[:, np.abs(np.diag(r)) > 1e-12]
    return float(np.sum((C @ Q) ** 2) / total)


def landscape_axis(extent: float) -> np.ndarray:
    """(LANDSCAPE_RES,) float32 offsets from -extent to +extent along one landscape axis."""
    half = LANDSCAPE_RES // 2
    return (extent * (np.arange(LANDSCAPE_RES) - half) / half).astype(np.float32)


def loss_landscape(params, arch_arrays: mlp.ArchArrays, data: Data, trajectory,
                   directions: str = "pca", key=None, span=None) -> Landscape:
    """The network's loss landscape around ``params`` (the centre of the grid).

    trajectory: (T, N_PARAMS) flattened snapshots of the weights so far (oldest first).
    directions: "pca" (the trajectory's first two principal components: the plane in
    which training moved most) or "random" (two filter-normalised random directions
    drawn from ``key``). span: half-width of the grid along (d1, d2); default: the
    trajectory's extent × LANDSCAPE_MARGIN for "pca", RANDOM_SPAN for "random".
    The grid is computed in one compiled call whatever the network."""
    trajectory = np.asarray(trajectory, np.float32).reshape(-1, N_PARAMS)
    center = flatten_params(params)
    mask = flatten_params(arch_arrays.param_mask) > 0
    if directions == "pca":
        d1, d2, _ = trajectory_pca(trajectory)
        d1, d2 = d1 * mask, d2 * mask
    elif directions == "random":
        key = jax.random.PRNGKey(0) if key is None else key
        k1, k2 = jax.random.split(key)
        d1, d2 = (flatten_params(filter_normalized_direction(k, params, arch_arrays.param_mask))
                  for k in (k1, k2))
    else:
        raise ValueError(f"directions: 'pca' or 'random', got {directions!r}")
    path = plane_coordinates(trajectory, center, d1, d2)
    if span is None:
        if directions == "random":
            span = (RANDOM_SPAN, RANDOM_SPAN)
        else:
            reach = np.max(np.abs(path), axis=0) if len(path) else np.zeros(2)
            reach = np.where(reach > 0, reach, max(float(np.max(reach)), 1e-3))
            span = tuple(LANDSCAPE_MARGIN * reach)
    span = np.broadcast_to(np.asarray(span, np.float64), (2,))
    alphas, betas = landscape_axis(span[0]), landscape_axis(span[1])
    u, v = unflatten_params(d1.astype(np.float32)), unflatten_params(d2.astype(np.float32))
    Z = landscape_grid(params, arch_arrays, data, u, v, alphas, betas)
    return Landscape(alphas, betas, np.asarray(Z), path.astype(np.float32),
                     explained_variance(trajectory, d1, d2), directions,
                     np.asarray(d1, np.float32), np.asarray(d2, np.float32))
