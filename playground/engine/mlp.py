"""The multilayer perceptron as a pytree of arrays plus pure functions.

One *padded* parameter layout serves every architecture the page can build, so
that changing layers, neurons, features or activations never changes an array
shape (and so never recompiles a program):

    params = {
        "W_hidden": (MAX_LAYERS, WIDTH, WIDTH) float32   # layer l maps WIDTH -> WIDTH
        "b_hidden": (MAX_LAYERS, WIDTH) float32
        "W_out":    (WIDTH,) float32                     # last active layer -> output
        "b_out":    () float32
    }

Row k of ``W_hidden[0]`` belongs to input feature k (see ``features.FEATURES``).
Entries outside the active architecture are exactly zero, and the masks in an
``Arch`` keep them zero during training. ``Arch`` holds the architecture as
*arrays* (for the general program) plus the same facts as static tuples (for
the exact-shape program, see ``train``).

One forward pass, several forms. Each computes the same network (hidden layers
``act(h @ W + b)``, then the output unit) and is tested against another:

* ``forward_general``: the padded layout, masks and a ``lax.scan`` over MAX_LAYERS (the
  general program: any architecture, one compilation);
* ``forward_exact``: the exact shapes of one ``Arch``, unrolled (the exact program);
* ``node_rows_exact``: ``forward_exact`` keeping every node's output (the diagram's
  pictures); ``neurons.node_grids`` serves them from the padded layout too;
* ``parallel.forward_packed``: several copies of one ``Arch`` side by side (the LR
  finder and the "train several" lab);
* ``descent.landscape``'s ``_forward_active_layers``: ``forward_general`` that skips the
  unused layers under ``vmap`` over weights (the loss landscape);
* outside the engine: the standalone script's ``forward`` (``export.standalone``: numpy,
  jax and optax only, for a student to read) and ``tools.numpy_mlp.forward`` (the
  benchmark's plain numpy reference).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .features import FEATURES

MAX_LAYERS = 8
MAX_NEURONS = 16
N_FEATURES = len(FEATURES)
WIDTH = MAX_NEURONS  # padded width of every layer; the inputs fit (7 <= 16)

INIT_WEIGHT_RANGE = 0.5  # weights ~ U(-0.5, 0.5), as TensorFlow Playground
INIT_BIAS = 0.1

# ----------------------------------------------------------------- activations
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear", "leaky_relu", "elu", "gelu", "sine")
LEAKY_SLOPE = 0.01


def _gelu(z):
    return jax.nn.gelu(z, approximate=False)


ACTIVATION_FNS = {
    "relu": jax.nn.relu,
    "tanh": jnp.tanh,
    "sigmoid": jax.nn.sigmoid,
    "linear": lambda z: z,
    "leaky_relu": lambda z: jax.nn.leaky_relu(z, LEAKY_SLOPE),
    "elu": jax.nn.elu,
    "gelu": _gelu,
    "sine": jnp.sin,
}
_ACT_BRANCHES = tuple(ACTIVATION_FNS[a] for a in ACTIVATIONS)


def activate(index, z):
    """Apply activation number ``index`` (traced int) to ``z`` via ``lax.switch``."""
    return jax.lax.switch(index, _ACT_BRANCHES, z)


# --------------------------------------------------------------------- outputs
# The output unit and its loss. Predictions are reported on the label scale:
# [-1, 1] for classification (sign = class), raw values for regression.
OUTPUTS = ("linear_mse", "tanh_mse", "sigmoid_bce")
LOSSES = ("mse", "cross_entropy")    # the loss menu; with the kind of problem: an output


def output_kind(loss: str, classification: bool) -> int:
    """Index into OUTPUTS for a loss name and a kind of problem."""
    if loss == "cross_entropy":
        return 2
    return 1 if classification else 0


def _display_linear(z):
    return z


def _display_sigmoid(z):
    return 2.0 * jax.nn.sigmoid(z) - 1.0


_DISPLAY = (_display_linear, jnp.tanh, _display_sigmoid)


def _loss_linear_mse(z, t):
    return 0.5 * (z - t) ** 2


def _loss_tanh_mse(z, t):
    return 0.5 * (jnp.tanh(z) - t) ** 2


def _loss_sigmoid_bce(z, t):
    # binary cross entropy of sigmoid(z) against p = (t + 1) / 2, from logits
    p = 0.5 * (t + 1.0)
    return jax.nn.softplus(z) - p * z


_LOSSES = (_loss_linear_mse, _loss_tanh_mse, _loss_sigmoid_bce)


def baseline_loss(kind: int, y) -> float:
    """Loss of a network that outputs 0 on the label scale for every example
    (knows nothing): the yardstick against which a run is said to have diverged."""
    y = jnp.asarray(y, jnp.float32)
    return float(jnp.mean(example_loss(kind, jnp.zeros_like(y), y)))


def display_output(kind, z):
    """Map the output unit's pre-activation z to the label scale. kind: OUTPUTS index."""
    if isinstance(kind, int):
        return _DISPLAY[kind](z)
    return jax.lax.switch(kind, _DISPLAY, z)


def example_loss(kind, z, t):
    """Per-example loss of pre-activation z against label t (same shapes)."""
    if isinstance(kind, int):
        return _LOSSES[kind](z, t)
    return jax.lax.switch(kind, _LOSSES, z, t)


# ------------------------------------------------------------------------ arch
class ArchArrays(NamedTuple):
    """The architecture as arrays, so one compiled program serves them all."""
    feature_mask: jnp.ndarray   # (WIDTH,) 1.0 where input feature k is used
    neuron_mask: jnp.ndarray    # (MAX_LAYERS, WIDTH) 1.0 for live neurons
    layer_active: jnp.ndarray   # (MAX_LAYERS,) bool
    activation: jnp.ndarray     # (MAX_LAYERS,) int32 index into ACTIVATIONS
    output: jnp.ndarray         # () int32 index into OUTPUTS
    param_mask: dict            # same tree as params, 1.0 on trainable entries


@dataclass(frozen=True)
class Arch:
    """A network architecture: which features feed which hidden layers.

    features: tuple of feature column indices (sorted), hidden: neurons per
    hidden layer (0..MAX_LAYERS layers of 1..MAX_NEURONS), activations: one
    name per hidden layer, output: index into OUTPUTS.
    """
    features: tuple
    hidden: tuple
    activations: tuple
    output: int

    def __post_init__(self):
        if len(self.activations) != len(self.hidden):
            raise ValueError("activations: one activation per hidden layer is needed")
        if len(self.hidden) > MAX_LAYERS or any(not 1 <= h <= MAX_NEURONS for h in self.hidden):
            raise ValueError(f"hidden: at most {MAX_LAYERS} layers of 1..{MAX_NEURONS} neurons")
        if not self.features or any(not 0 <= f < N_FEATURES for f in self.features):
            raise ValueError("features: at least one valid feature index is needed")

    def arrays(self) -> ArchArrays:
        """The masks and indices the general program takes (numpy, float32/int32)."""
        fmask = np.zeros(WIDTH, np.float32)
        fmask[list(self.features)] = 1.0
        nmask = np.zeros((MAX_LAYERS, WIDTH), np.float32)
        act = np.zeros(MAX_LAYERS, np.int32)
        for l, (h, a) in enumerate(zip(self.hidden, self.activations)):
            nmask[l, :h] = 1.0
            act[l] = ACTIVATIONS.index(a)
        active = np.arange(MAX_LAYERS) < len(self.hidden)
        rows = np.concatenate([fmask[None], nmask[:-1]])  # inputs of layer l
        w_mask = rows[:, :, None] * nmask[:, None, :]
        last = nmask[len(self.hidden) - 1] if self.hidden else fmask
        pmask = {"W_hidden": w_mask, "b_hidden": nmask.copy(),
                 "W_out": last.copy(), "b_out": np.float32(1.0)}
        return ArchArrays(fmask, nmask, active, act, np.int32(self.output), pmask)

    @property
    def static_key(self):
        return (self.features, self.hidden, self.activations, self.output)


# ------------------------------------------------------------------ parameters
def init_params(key, arch_arrays: ArchArrays) -> dict:
    """Padded parameters: weights U(-0.5, 0.5), biases 0.1, zero outside the arch.

    The value of an active entry depends only on the key and its position, so
    the same seed gives the same network whatever the tier that trains it.
    """
    kh, ko = jax.random.split(key)
    r = INIT_WEIGHT_RANGE
    p = {
        "W_hidden": jax.random.uniform(kh, (MAX_LAYERS, WIDTH, WIDTH), jnp.float32, -r, r),
        "b_hidden": jnp.full((MAX_LAYERS, WIDTH), INIT_BIAS, jnp.float32),
        "W_out": jax.random.uniform(ko, (WIDTH,), jnp.float32, -r, r),
        "b_out": jnp.asarray(INIT_BIAS, jnp.float32),
    }
    return mask_tree(p, arch_arrays.param_mask)


def mask_tree(tree, mask):
    """``tree * mask`` leaf by leaf (same shapes): zero outside the architecture."""
    return jax.tree.map(lambda a, m: a * m, tree, mask)


def pad_features(feats):
    """(n, N_FEATURES) -> (n, WIDTH) with zero columns appended."""
    return jnp.pad(feats, ((0, 0), (0, WIDTH - feats.shape[1])))


# --------------------------------------------------------- general (masked) net
def forward_general(params, arch: ArchArrays, feats, keep=None):
    """Pre-activation of the output unit for every row. feats: (n, N_FEATURES) -> (n,).

    keep: optional dropout multipliers (MAX_LAYERS, n, WIDTH) (0 for a dropped neuron,
    1/(1-rate) for a kept one), applied to each hidden layer's output (training only)."""
    h = pad_features(feats) * arch.feature_mask
    if keep is None:
        keep = jnp.ones((MAX_LAYERS, 1, 1), feats.dtype)

    def layer(h, xs):
        W, b, m, active, act, k = xs
        a = activate(act, h @ W + b) * m * k
        return jnp.where(active, a, h), None

    h, _ = jax.lax.scan(layer, h, (params["W_hidden"], params["b_hidden"], arch.neuron_mask,
                                   arch.layer_active, arch.activation, keep))
    return h @ params["W_out"] + params["b_out"]


def dropout_keep(key, rates, rows: int):
    """Inverted-dropout multipliers (MAX_LAYERS, rows, WIDTH): 0 where a neuron is dropped
    (probability rates[l] in layer l), 1/(1 − rate) where it is kept. The same draw serves
    both tiers (the exact one slices it), so they agree."""
    u = jax.random.uniform(key, (MAX_LAYERS, rows, WIDTH))
    rates = jnp.asarray(rates)[:, None, None]
    return jnp.where(u >= rates, 1.0 / (1.0 - rates), 0.0)


# ------------------------------------------------------------ exact-shape net
def to_exact(params, arch: Arch):
    """Slice padded params to the exact shapes of ``arch`` (static), a list of layers.

    Returns {"W": [(in, out) ...], "b": [(out,) ...]} with the output layer last.
    """
    fidx = np.asarray(arch.features)
    Ws, bs = [], []
    prev = None
    for l, h in enumerate(arch.hidden):
        W = params["W_hidden"][l]
        Ws.append(W[fidx, :h] if prev is None else W[:prev, :h])
        bs.append(params["b_hidden"][l, :h])
        prev = h
    Ws.append((params["W_out"][fidx] if prev is None else params["W_out"][:prev])[:, None])
    bs.append(params["b_out"][None])
    return {"W": Ws, "b": bs}


def from_exact(exact, arch: Arch, like):
    """Write exact-shape params back into the padded layout of ``like``."""
    fidx = np.asarray(arch.features)
    Wh, bh = like["W_hidden"], like["b_hidden"]
    prev = None
    for l, h in enumerate(arch.hidden):
        rows = fidx if prev is None else np.arange(prev)
        Wh = Wh.at[l, rows[:, None], np.arange(h)[None, :]].set(exact["W"][l])
        bh = bh.at[l, :h].set(exact["b"][l])
        prev = h
    rows = fidx if prev is None else np.arange(prev)
    W_out = like["W_out"].at[rows].set(exact["W"][-1][:, 0])
    return {"W_hidden": Wh, "b_hidden": bh, "W_out": W_out, "b_out": exact["b"][-1][0]}


SMALL_DENSE = 2560   # products of a layer (rows × inputs × outputs) up to which dense() multiplies


def dense(h, W):
    """``h @ W`` for exact shapes. A small layer (rows × inputs × outputs up to SMALL_DENSE,
    e.g. a minibatch of 10 through a layer of 8 → 8) is computed as a broadcast product
    summed over the inputs: XLA's CPU backend fuses that with the activation around it and
    with the backward pass, where a matrix product is a call of its own, and each such call
    costs more than a tiny layer's arithmetic (docs/performance.md, "Code choices"). Bigger
    layers keep the matrix product, which wins there."""
    if h.shape[0] * W.shape[0] * W.shape[1] <= SMALL_DENSE:
        return jnp.sum(h[:, None, :] * W.T[None, :, :], axis=2)
    return h @ W


def forward_exact(exact, arch: Arch, feats, keep=None):
    """Same as forward_general for exact-shape params. feats: (n, N_FEATURES) -> (n,).
    keep: optional dropout multipliers as from dropout_keep, at least (layers, n, width)."""
    h = feats[:, np.asarray(arch.features)]
    n = feats.shape[0]
    for l, (W, b, a) in enumerate(zip(exact["W"][:-1], exact["b"][:-1], arch.activations)):
        h = ACTIVATION_FNS[a](dense(h, W) + b)
        if keep is not None:
            h = h * keep[l, :n, :h.shape[1]]
    return (dense(h, exact["W"][-1]) + exact["b"][-1])[:, 0]


def node_rows_exact(exact, arch: Arch, feats, feature_scale):
    """Every node's output for every row of feats: (n_nodes, n) — the used inputs divided by
    feature_scale (into [-1, 1]), each hidden neuron's activation, the output on the label
    scale. The pictures of the network diagram."""
    fidx = np.asarray(arch.features)
    h = feats[:, fidx]
    rows = [(h / feature_scale[fidx]).T]
    for W, b, a in zip(exact["W"][:-1], exact["b"][:-1], arch.activations):
        h = ACTIVATION_FNS[a](h @ W + b)
        rows.append(h.T)
    z = (h @ exact["W"][-1] + exact["b"][-1])[:, 0]
    rows.append(display_output(arch.output, z)[None])
    return jnp.concatenate(rows, 0)
