"""Two weights: a few small loss surfaces for a contour plot.

Linear regression (w, b), logistic regression (w₁, w₂), an ill-conditioned valley and a
saddle: each a loss θ (2,) → () with its extent, a telling start, a suitable learning
rate and its minimum; ``surface_grid`` evaluates one on a grid (one compiled program for
every surface).
"""
from __future__ import annotations

import functools
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..programs import TRACES


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
    """The index of surface ``name`` in SURFACE_NAMES (ValueError for another name)."""
    if name not in SURFACES:
        raise ValueError(f"surface: one of {', '.join(SURFACE_NAMES)}, got {name!r}")
    return SURFACE_NAMES.index(name)


def surface_loss(index, theta):
    """The loss of surface number ``index`` (traced, into SURFACE_NAMES) at θ (2,): ()."""
    return jax.lax.switch(index, _LOSSES, theta)


def _surface_grid(index, t0, t1):
    TRACES["surface_grid"] += 1
    f = lambda a, b: surface_loss(index, jnp.stack([a, b]))
    return jax.vmap(jax.vmap(f, (0, None)), (None, 0))(t0, t1)


_surface_grid_jit = jax.jit(_surface_grid)


def surface_grid(name: str, res: int = 81, extent=None):
    """The loss of surface ``name`` on a res × res grid over its extent (or ``extent``):
    (t0 (res,), t1 (res,), Z (res, res)) with Z[i, j] = L(t0[j], t1[i]) (row 0 at the
    bottom), float32, read-only. Computed once per surface, res and extent (a page's
    frame that redraws the race never waits for the device, busy with other pages'
    training, to compute the same grid again)."""
    return _grid_of(name, int(res), None if extent is None else tuple(map(float, extent)))


@functools.lru_cache(maxsize=64)       # a few surfaces, one or two resolutions each
def _grid_of(name: str, res: int, extent):
    x0, x1, y0, y1 = SURFACES[name].extent if extent is None else extent
    t0 = np.linspace(x0, x1, res, dtype=np.float32)
    t1 = np.linspace(y0, y1, res, dtype=np.float32)
    Z = np.array(_surface_grid_jit(np.int32(surface_index(name)), t0, t1))
    for a in (t0, t1, Z):
        a.setflags(write=False)
    return t0, t1, Z
