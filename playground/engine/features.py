"""Input feature maps, as in TensorFlow Playground.

Column k of ``all_features(X)`` is feature ``FEATURES[k]``; this order is an API
(row k of the first weight matrix belongs to feature k).
"""
from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np

FEATURES = ("x1", "x2", "x1_sq", "x2_sq", "x1x2", "sin_x1", "sin_x2")
FEATURE_LABELS = {
    "x1": "X₁", "x2": "X₂", "x1_sq": "X₁²", "x2_sq": "X₂²",
    "x1x2": "X₁X₂", "sin_x1": "sin(X₁)", "sin_x2": "sin(X₂)",
}
ONE_D_FEATURES = ("x1", "x1_sq", "sin_x1")


def _features(xp, X):
    x1, x2 = X[:, 0], X[:, 1]
    return xp.stack([x1, x2, x1 * x1, x2 * x2, x1 * x2, xp.sin(x1), xp.sin(x2)], axis=1)


def all_features(X):
    """(n, 2) inputs -> (n, 7) float32 features in FEATURES order (jit-traceable)."""
    return _features(jnp, jnp.asarray(X, dtype=jnp.float32))


def numpy_features(X) -> np.ndarray:
    """``all_features`` in numpy: a data set's features, made outside any compiled program
    (run operation by operation in JAX, each new number of points compiled each operation
    again: a click that added a point to the learner's data took 0.1–0.3 s for it)."""
    X = np.asarray(X, dtype=np.float32).reshape(-1, 2)
    return _features(np, X).astype(np.float32)


def feature_indices(names, one_d: bool = False) -> tuple[int, ...]:
    """Validate feature names; return their column indices, deduplicated, in FEATURES order."""
    names = tuple(names)
    if not names:
        raise ValueError("features: choose at least one input feature")
    unknown = [f for f in names if f not in FEATURES]
    if unknown:
        raise ValueError(f"features: unknown {', '.join(map(repr, unknown))}; "
                         f"allowed: {', '.join(FEATURES)}")
    if one_d:
        bad = [f for f in names if f not in ONE_D_FEATURES]
        if bad:
            raise ValueError(f"features: {', '.join(map(repr, bad))} not available; 1-D data only "
                             f"has x1 and its transforms ({', '.join(ONE_D_FEATURES)})")
    return tuple(sorted({FEATURES.index(f) for f in names}))


# ------------------------------------------------------------------ the plot grid
GRID_RES = 100          # the output heatmap is GRID_RES × GRID_RES
DOMAIN = (-6.0, 6.0)    # every data set lives in DOMAIN²


def grid_points(res: int = GRID_RES) -> np.ndarray:
    """(res*res, 2) float32 points covering DOMAIN², row-major from the bottom-left."""
    g = np.linspace(*DOMAIN, res, dtype=np.float32)
    xx, yy = np.meshgrid(g, g)
    return np.stack([xx.ravel(), yy.ravel()], 1)


THUMB_RES = 24          # the network diagram's pictures are THUMB_RES × THUMB_RES
_HI = float(max(abs(DOMAIN[0]), abs(DOMAIN[1])))
# largest |feature| over DOMAIN², in FEATURES order: scales input pictures into [-1, 1]
FEATURE_SCALE = np.array([_HI, _HI, _HI ** 2, _HI ** 2, _HI ** 2, 1.0, 1.0], np.float32)


@functools.lru_cache(maxsize=None)
def grid_features(res: int = GRID_RES) -> np.ndarray:
    """(res², 7) float32 features of grid_points(res) (computed once per res, in numpy)."""
    return numpy_features(grid_points(res))
