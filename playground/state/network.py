"""The network diagram's model: node pictures, weights, hand edits, geometry (no Panel).

Layers are numbered as in ``mlp.to_exact``: layer ``l`` owns its incoming weights
``W[l]`` (in, out) and its biases ``b[l]``; layer 0 is the first hidden layer and
layer ``len(run.hidden)`` is the output layer: one unit, or one per class (K classes,
unit k is class k). The input features are layer
``INPUT`` (-1); their index ``j`` counts the *used* features in FEATURES order.
"""
from __future__ import annotations

import math

import numpy as np

from ..engine import features, mlp, neurons, train
from ..engine.train import colour_codes
from .run import GRID_RES, Run

INPUT = -1
THUMB_RES = neurons.THUMB_RES
MAX_EDIT = train.DIVERGENCE_WEIGHT   # a hand-set value beyond this would count as a blow-up
CURVE_POINTS = 12                    # points per drawn edge


# ------------------------------------------------------------------ pictures
def neuron_thumbnails(run: Run, codes: bool = False) -> list[np.ndarray]:
    """One (n_nodes, THUMB_RES, THUMB_RES) float32 array in [-1, 1] per column of the
    diagram: used inputs, each hidden layer, the output. Row 0 of a picture is the bottom.

    codes=True: uint8 0..255 instead (0 is -1, 255 is +1) — one colour step of a 256-colour
    palette each, and a quarter of the bytes to send to the browser every frame."""
    g = run.last_thumbnails()           # made by the training call itself, when it could
    if g is None:
        g = neurons.node_grids(run.state.params, run.arch, run.arch_arrays,
                               neurons.device_features(THUMB_RES), tier=run.tier)
    g = np.clip(g, -1.0, 1.0).reshape(-1, THUMB_RES, THUMB_RES)
    if codes:
        g = colour_codes(g)
    cuts = np.cumsum([len(run.arch.features), *run.arch.hidden])
    return np.split(g, cuts)


def neuron_heatmap(run: Run, layer: int, j: int) -> np.ndarray:
    """(GRID_RES, GRID_RES) float32: node (layer, j)'s output over the plot grid, row 0 at
    the bottom. Inputs are scaled to [-1, 1]; a single output is the run's decision grid;
    output unit j of K classes shows 2·p − 1, p the probability of class j."""
    n_hidden = len(run.hidden)
    sizes = _column_sizes(run)
    _check_index("layer", layer, INPUT, n_hidden)
    _check_index("neuron", j, 0, sizes[layer + 1] - 1)
    if layer == n_hidden and not run.multiclass:
        return run.decision_grid()
    g = neurons.node_grids(run.state.params, run.arch, run.arch_arrays,
                           neurons.device_features(GRID_RES), tier=run.tier)
    row = sum(sizes[:layer + 1]) + j
    return g[row].reshape(GRID_RES, GRID_RES)


# ------------------------------------------------------------------ weights
def layer_weights(run: Run) -> dict:
    """Exact-shape numpy parameters: {"W": [(in, out) ...], "b": [(out,) ...]}, output last."""
    return mlp.to_exact(run.host_params(), run.arch)


def set_weight(run: Run, layer: int, i: int, j: int, value) -> None:
    """Set the weight from node i of the previous column to neuron j of ``layer``."""
    sizes = _column_sizes(run)
    _check_index("layer", layer, 0, len(run.hidden))
    _check_index("from-node", i, 0, sizes[layer] - 1)
    _check_index("neuron", j, 0, sizes[layer + 1] - 1)
    value = _check_value("weight", value)
    p = run.state.params
    row = run.arch.features[i] if layer == 0 else i
    if layer == len(run.hidden):
        p = {**p, "W_out": p["W_out"].at[row, j].set(value)}
    else:
        p = {**p, "W_hidden": p["W_hidden"].at[layer, row, j].set(value)}
    _replace_params(run, p)


def set_bias(run: Run, layer: int, j: int, value) -> None:
    """Set the bias of neuron j of ``layer`` (the output is layer len(run.hidden))."""
    sizes = _column_sizes(run)
    _check_index("layer", layer, 0, len(run.hidden))
    _check_index("neuron", j, 0, sizes[layer + 1] - 1)
    value = _check_value("bias", value)
    p = run.state.params
    if layer == len(run.hidden):
        p = {**p, "b_out": p["b_out"].at[j].set(value)}
    else:
        p = {**p, "b_hidden": p["b_hidden"].at[layer, j].set(value)}
    _replace_params(run, p)


def _replace_params(run: Run, params):
    """New weights in place (padded layout, masks kept: only live entries are written)."""
    run.set_params(params)


def _column_sizes(run: Run) -> list[int]:
    return [len(run.arch.features), *run.arch.hidden, run.arch.units]


def _check_index(what, v, lo, hi):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
        raise ValueError(f"{what}: expected a whole number from {lo} to {hi}, got {v!r}")


def _check_value(what, v) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) \
            or not math.isfinite(float(v)) or abs(float(v)) > MAX_EDIT:
        raise ValueError(f"a {what} must be a finite number from {-MAX_EDIT:g} to "
                         f"{MAX_EDIT:g}")
    return float(v)


# ------------------------------------------------------------------ geometry
def diagram_layout(arch, width: float, height: float, top: float = 32, bottom: float = 8,
                   left: float = 56, right: float = 12) -> dict:
    """Where everything sits in a width × height drawing (y up), TensorFlow Playground style.

    Returns numpy arrays: node_x, node_y, node_layer, node_index (inputs, hidden, output
    in node_grids order), size (side of a picture), col_x, col_layer (one per column),
    bias_x, bias_y, bias_size (one per non-input node, same order as the nodes after the
    inputs), edge_layer, edge_i, edge_j (weights in W[l] row-major order, layer by layer),
    edge_xs, edge_ys (n_edges, CURVE_POINTS) cubic curves between the pictures' sides.
    """
    sizes = [len(arch.features), *arch.hidden, arch.units]
    n_cols = len(sizes)
    pitch_x = (width - left - right - 40) / (n_cols - 1)
    pitch_y = min(56.0, (height - top - bottom) / max(sizes))
    s = float(min(40.0, 0.78 * pitch_y, 0.5 * pitch_x))
    col_x = left + s / 2 + pitch_x * np.arange(n_cols)
    cy = (bottom + height - top) / 2
    xs, ys, layers, idx = [], [], [], []
    for c, n in enumerate(sizes):
        xs.append(np.full(n, col_x[c]))
        ys.append(cy + (n / 2 - np.arange(n) - 0.5) * pitch_y)
        layers.append(np.full(n, c - 1))
        idx.append(np.arange(n))
    node_x, node_y = np.concatenate(xs), np.concatenate(ys)
    bs = max(5.0, 0.25 * s)       # bias square: outside the picture, by its bottom-left
    nf = sizes[0]
    t = np.linspace(0, 1, CURVE_POINTS)[None, :]
    e_l, e_i, e_j, e_xs, e_ys = [], [], [], [], []
    for l in range(n_cols - 1):
        i, j = np.meshgrid(np.arange(sizes[l]), np.arange(sizes[l + 1]), indexing="ij")
        i, j = i.ravel(), j.ravel()
        x0, x1 = col_x[l] + s / 2, col_x[l + 1] - s / 2
        y0, y1 = ys[l][i][:, None], ys[l + 1][j][:, None]
        xm = (x0 + x1) / 2        # cubic Bézier with horizontal tangents at both ends
        bx = (1 - t) ** 3 * x0 + 3 * (1 - t) ** 2 * t * xm + 3 * (1 - t) * t ** 2 * xm + t ** 3 * x1
        by = ((1 - t) ** 3 + 3 * (1 - t) ** 2 * t) * y0 + (3 * (1 - t) * t ** 2 + t ** 3) * y1
        e_l.append(np.full(len(i), l))
        e_i.append(i)
        e_j.append(j)
        e_xs.append(np.broadcast_to(bx, (len(i), CURVE_POINTS)))
        e_ys.append(by)
    return dict(node_x=node_x, node_y=node_y, node_layer=np.concatenate(layers),
                node_index=np.concatenate(idx), size=s, col_x=col_x, pitch_x=pitch_x,
                col_layer=np.arange(n_cols) - 1, sizes=sizes,
                bias_x=node_x[nf:] - s / 2 - bs / 2 - 1, bias_y=node_y[nf:] - s / 2 + bs / 2,
                bias_size=bs,
                edge_layer=np.concatenate(e_l), edge_i=np.concatenate(e_i),
                edge_j=np.concatenate(e_j), edge_xs=np.concatenate(e_xs),
                edge_ys=np.concatenate(e_ys))


def element_at(layout: dict, x: float, y: float, tolerance: float = 5.0):
    """What a click at (x, y) hits: ("bias", layer, j), ("node", layer, j),
    ("weight", layer, i, j) or None. Biases win over pictures, pictures over edges."""
    nf = layout["sizes"][0]
    h = layout["bias_size"] / 2 + 1
    hit = np.flatnonzero((abs(layout["bias_x"] - x) <= h) & (abs(layout["bias_y"] - y) <= h))
    if hit.size:
        k = nf + hit[0]
        return ("bias", int(layout["node_layer"][k]), int(layout["node_index"][k]))
    h = layout["size"] / 2
    hit = np.flatnonzero((abs(layout["node_x"] - x) <= h) & (abs(layout["node_y"] - y) <= h))
    if hit.size:
        return ("node", int(layout["node_layer"][hit[0]]), int(layout["node_index"][hit[0]]))
    ax, ay = layout["edge_xs"][:, :-1], layout["edge_ys"][:, :-1]
    dx, dy = layout["edge_xs"][:, 1:] - ax, layout["edge_ys"][:, 1:] - ay
    with np.errstate(all="ignore"):       # far-away or non-finite clicks: no hit, no warning
        u = np.clip(((x - ax) * dx + (y - ay) * dy) / np.maximum(dx * dx + dy * dy, 1e-9), 0, 1)
        dist = np.hypot(ax + u * dx - x, ay + u * dy - y).min(axis=1)
    dist = np.where(np.isfinite(dist), dist, np.inf)
    k = int(np.argmin(dist)) if dist.size else -1
    if k < 0 or dist[k] > tolerance:
        return None
    return ("weight", int(layout["edge_layer"][k]), int(layout["edge_i"][k]),
            int(layout["edge_j"][k]))


def node_name(arch, layer: int, j: int) -> str:
    """"X₁", "neuron 2 of layer 1", "the output", "the output of class 2" (neurons 1-based
    for people, classes as their labels 0..K−1)."""
    if layer == INPUT:
        return features.FEATURE_LABELS[features.FEATURES[arch.features[j]]]
    if layer == len(arch.hidden):
        return "the output" if arch.units == 1 else f"the output of class {j}"
    return f"neuron {j + 1} of layer {layer + 1}"


def warmup() -> None:
    """Compile the general neuron programs (thumbnails and plot grid) and the exact ones of
    the default set-up, so that no session compiles them in its request path."""
    run = Run()
    run.tier = "auto"
    neuron_thumbnails(run)
    neuron_heatmap(run, 0, 0)
    neurons.PROGRAMS.wait()
    neuron_thumbnails(run)
    neuron_heatmap(run, 0, 0)
