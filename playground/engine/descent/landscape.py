"""The real network: the playground's network's loss on a plane through its weights.

The plane through the current weights is spanned by two directions: the first two
principal components of the weight trajectory, or two random filter-normalised
directions (Li et al., 2018, "Visualizing the Loss Landscape of Neural Nets"); the
trajectory is projected onto that plane. Weights travel flattened, (N_PARAMS,) float32 in
the fixed order of ``flatten_params``.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from .. import mlp
from ..batching import Data
from ..metrics import masked_mean
from ..programs import TRACES


LANDSCAPE_RES = 41            # the landscape grid is LANDSCAPE_RES × LANDSCAPE_RES
LANDSCAPE_MARGIN = 1.25       # the grid reaches this far beyond the trajectory
RANDOM_SPAN = 1.0             # extent of the grid along filter-normalised directions

_TEMPLATE = {"W_hidden": np.zeros((mlp.MAX_LAYERS, mlp.WIDTH, mlp.WIDTH), np.float32),
             "b_hidden": np.zeros((mlp.MAX_LAYERS, mlp.WIDTH), np.float32),
             "W_out": np.zeros((mlp.WIDTH, mlp.K_MAX), np.float32),
             "b_out": np.zeros(mlp.K_MAX, np.float32)}
N_PARAMS = sum(a.size for a in jax.tree.leaves(_TEMPLATE))


@functools.cache
def _unravel():
    """ravel_pytree's inverse for the padded params (made on first use: it runs JAX, and
    importing this module must not)."""
    return ravel_pytree(_TEMPLATE)[1]


def flatten_params(params) -> np.ndarray:
    """Padded params -> (N_PARAMS,) float32 (a fixed order of every entry; in numpy: no
    program runs, so recording a snapshot after each training call costs microseconds)."""
    return np.concatenate([np.asarray(leaf, np.float32).ravel()
                           for leaf in jax.tree.leaves(params)])


def unflatten_params(flat):
    """(N_PARAMS,) -> a padded params tree (the inverse of flatten_params)."""
    return _unravel()(jnp.asarray(flat, jnp.float32))


@jax.jit
def filter_normalized_direction(key, params, param_mask) -> dict:
    """A random direction in weight space, filter-normalised as Li et al. (2018).

    Each entry is drawn N(0, 1) (zero outside the architecture, ``param_mask``); then
    every filter — a neuron's vector of incoming weights: a column W_hidden[l][:, j], or
    a column W_out[:, k] for output unit k — is rescaled to the norm of the same filter
    of ``params``. The biases' directions are zero (Li et al.'s choice for biases), so
    a step along the direction changes each neuron's weights in proportion to their size
    and the plot does not depend on how a layer happens to be scaled."""
    kh, ko = jax.random.split(key)
    d = {"W_hidden": jax.random.normal(kh, params["W_hidden"].shape),
         "W_out": mlp.output_draw(ko, jax.random.normal),
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
    return h @ params["W_out"] + params["b_out"]          # (n, K_MAX): every output unit


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
        return masked_mean(mlp.logits_loss(arch.output, z, data.y_train, arch.unit_mask),
                           live)

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
