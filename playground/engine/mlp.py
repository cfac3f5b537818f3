"""The multilayer perceptron as a pytree of arrays plus pure functions.

One *padded* parameter layout serves every architecture the page can build, so
that changing layers, neurons, features or activations never changes an array
shape (and so never recompiles a program):

    params = {
        "W_hidden": (MAX_LAYERS, WIDTH, WIDTH) float32   # layer l maps WIDTH -> WIDTH
        "b_hidden": (MAX_LAYERS, WIDTH) float32
        "W_out":    (WIDTH, K_MAX) float32               # last active layer -> output units
        "b_out":    (K_MAX,) float32
    }

The output layer has K_MAX units. A single output (regression, two classes) is unit 0;
a softmax over K classes (3 <= K <= K_MAX) uses units 0..K-1. The unused units are
masked like unused neurons, so switching between two classes, regression and K classes
never changes a shape either.

Row k of ``W_hidden[0]`` belongs to input feature k (see ``features.FEATURES``).
Entries outside the active architecture are exactly zero, and the masks in an
``Arch`` keep them zero during training. ``Arch`` holds the architecture as
*arrays* (for the general program) plus the same facts as static tuples (for
the exact-shape program, see ``train``).

One forward pass, several forms. Each computes the same network (hidden layers
``act(h @ W + b)``, then the output unit) and is tested against another:

* ``forward_general``: the padded layout, masks and a ``lax.scan`` over MAX_LAYERS (the
  general program: any architecture, one compilation); ``logits_general`` gives every
  output unit;
* ``forward_exact``: the exact shapes of one ``Arch``, unrolled (the exact program);
  ``logits_exact`` gives every output unit;
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

import functools
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .features import FEATURES

MAX_LAYERS = 8
MAX_NEURONS = 16
K_MAX = 5            # most classes a softmax output serves (output units of the layout)
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
# The output unit(s) and the loss. Predictions are reported on the label scale:
# [-1, 1] for two classes (sign = class), raw values for regression, the class index
# 0..K-1 (as a float) for K classes (softmax_ce, labels are class indices).
OUTPUTS = ("linear_mse", "tanh_mse", "sigmoid_bce", "softmax_ce")
SOFTMAX = OUTPUTS.index("softmax_ce")
LOSSES = ("mse", "cross_entropy")    # the loss menu; with the kind of problem: an output
CONFIDENCE_LEVELS = 51               # colour codes per class of a K-class picture


def output_kind(loss: str, classification: bool, classes: int = 2) -> int:
    """Index into OUTPUTS for a loss name and a kind of problem (classes: how many classes
    a classification problem has). More than two classes need cross_entropy (a softmax):
    ValueError for mse."""
    if classification and classes > 2:
        if loss != "cross_entropy":
            raise ValueError(f"loss: {classes} classes need cross_entropy (a softmax output); "
                             f"squared error is for regression and two classes")
        return SOFTMAX
    if loss == "cross_entropy":
        return 2
    return 1 if classification else 0


def output_units(kind: int, classes: int = 2) -> int:
    """How many output units an output kind uses: K for a softmax over K classes, else 1."""
    return int(classes) if kind == SOFTMAX else 1


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


BASELINE_ROWS = 8192    # baseline_loss's one program takes this many labels (more: its own)


def baseline_loss(kind: int, y, units: int = 1) -> float:
    """Loss of a network whose output units all give 0 for every example (knows nothing:
    0 on the label scale, or equal odds for every class, log K): the yardstick against
    which a run is said to have diverged. y: (n,) labels (class indices for a softmax).
    The labels go in padded to BASELINE_ROWS: one program for any number of them (run
    operation by operation, each new number compiled each operation again, 0.1–0.3 s of
    every click that added a point to the learner's data)."""
    y = np.asarray(y, np.float32).ravel()
    if len(y) == 0:
        return float("nan")
    padded = np.zeros(max(BASELINE_ROWS, len(y)), np.float32)
    padded[:len(y)] = y
    losses = np.asarray(_zero_output_losses(kind, padded, units))
    return float(np.mean(losses[:len(y)], dtype=np.float64))


@functools.partial(jax.jit, static_argnums=(0, 2))
def _zero_output_losses(kind, y, units):
    return logits_loss(kind, jnp.zeros(y.shape + (units,)), y)


def warmup() -> None:
    """Compile ``baseline_loss``'s program for every output kind, and a softmax's for each
    number of classes (the server's warm-up: not on the event loop at a first click)."""
    y = np.zeros(1, np.float32)
    for kind in range(len(OUTPUTS)):
        for classes in (range(3, K_MAX + 1) if kind == SOFTMAX else (2,)):
            baseline_loss(kind, y, output_units(kind, classes))


# ------------------------------------------------------ several output units (logits)
def _live_logits(z, unit_mask):
    """z (n, units) with the units outside unit_mask (K_MAX,) pushed to -1e30 (never
    chosen, probability 0); unit_mask None: every unit is live."""
    if unit_mask is None:
        return z
    return jnp.where(unit_mask[:z.shape[-1]] > 0, z, -1e30)


def softmax_cross_entropy(z, t, unit_mask=None):
    """Per-example cross-entropy of softmax(z) against class index t: z (n, units), t (n,)
    float class indices 0..units-1 -> (n,). Computed from the logits (log-sum-exp), so it
    stays finite for any z."""
    z = _live_logits(z, unit_mask)
    idx = jnp.clip(t.astype(jnp.int32), 0, z.shape[-1] - 1)
    return jax.nn.logsumexp(z, axis=-1) - jnp.take_along_axis(z, idx[:, None], axis=-1)[:, 0]


def class_probabilities(z, unit_mask=None):
    """softmax over the live units: z (n, units) -> (n, units), rows sum to 1."""
    return jax.nn.softmax(_live_logits(z, unit_mask), axis=-1)


def predicted_class(z, unit_mask=None):
    """The most likely class of each row (the first of equals): (n, units) -> (n,) float32."""
    return jnp.argmax(_live_logits(z, unit_mask), axis=-1).astype(jnp.float32)


def _single(fn):
    return lambda z, t, m: fn(z[:, 0], t)


_LOGIT_LOSSES = tuple(_single(f) for f in _LOSSES) + (softmax_cross_entropy,)
_LOGIT_DISPLAY = tuple((lambda f: lambda z, m: f(z[:, 0]))(f) for f in _DISPLAY) + (
    predicted_class,)


def logits_loss(kind, z, t, unit_mask=None):
    """Per-example loss of the output units' pre-activations z (n, units) against labels
    t (n,): the single-output losses read unit 0, softmax_ce all live units. (n,)."""
    if isinstance(kind, int):
        return _LOGIT_LOSSES[kind](z, t, unit_mask)
    return jax.lax.switch(kind, _LOGIT_LOSSES, z, t, unit_mask)


def logits_display(kind, z, unit_mask=None):
    """The prediction on the label scale from z (n, units): unit 0 mapped as
    display_output for one output, the most likely class index for softmax_ce. (n,)."""
    if isinstance(kind, int):
        return _LOGIT_DISPLAY[kind](z, unit_mask)
    return jax.lax.switch(kind, _LOGIT_DISPLAY, z, unit_mask)


def output_pictures(kind, z, unit_mask=None):
    """What each output unit's picture shows, in [-1, 1] for the diagram: (K_MAX or units,
    n). One output: its value on the label scale (row 0; other rows 0). softmax_ce: 2·p−1,
    p the unit's class probability (+1: surely this class, −1: surely not)."""
    def single(f):
        return lambda z, m: jnp.zeros((z.shape[1], z.shape[0]), z.dtype).at[0].set(f(z[:, 0]))

    def softmax(z, m):
        return (2.0 * class_probabilities(z, m) - 1.0).T
    branches = tuple(single(f) for f in _DISPLAY) + (softmax,)
    if isinstance(kind, int):
        return branches[kind](z, unit_mask)
    return jax.lax.switch(kind, branches, z, unit_mask)


def class_codes(z, unit_mask=None):
    """K-class colour codes, uint8 (n,): CONFIDENCE_LEVELS codes per class, class k from
    k·CONFIDENCE_LEVELS; within a class, how sure the network is, from 0 (equal odds: 1/K)
    to CONFIDENCE_LEVELS − 1 (certain). The output heatmap of a K-class run."""
    p = class_probabilities(z, unit_mask)
    k = jnp.argmax(p, axis=-1)
    n_classes = (jnp.float32(z.shape[-1]) if unit_mask is None
                 else jnp.sum(unit_mask[:z.shape[-1]] > 0).astype(jnp.float32))
    floor = 1.0 / jnp.maximum(n_classes, 1.0)
    level = (jnp.max(p, axis=-1) - floor) / jnp.maximum(1.0 - floor, 1e-6)
    level = jnp.round(jnp.clip(level, 0.0, 1.0) * (CONFIDENCE_LEVELS - 1))
    return (k * CONFIDENCE_LEVELS + level.astype(k.dtype)).astype(jnp.uint8)


def display_output(kind, z):
    """Map the output unit's pre-activation z (any shape) to the label scale, the same
    shape. kind: OUTPUTS index (an int, or a traced int32 scalar)."""
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
    unit_mask: jnp.ndarray      # (K_MAX,) 1.0 for the output units in use


@dataclass(frozen=True)
class Arch:
    """A network architecture: which features feed which hidden layers.

    features: tuple of feature column indices (sorted), hidden: neurons per
    hidden layer (0..MAX_LAYERS layers of 1..MAX_NEURONS), activations: one
    name per hidden layer, output: index into OUTPUTS, units: output units (1, or K for a
    softmax over K classes).
    """
    features: tuple
    hidden: tuple
    activations: tuple
    output: int
    units: int = 1

    def __post_init__(self):
        if len(self.activations) != len(self.hidden):
            raise ValueError("activations: one activation per hidden layer is needed")
        if len(self.hidden) > MAX_LAYERS or any(not 1 <= h <= MAX_NEURONS for h in self.hidden):
            raise ValueError(f"hidden: at most {MAX_LAYERS} layers of 1..{MAX_NEURONS} neurons")
        if not self.features or any(not 0 <= f < N_FEATURES for f in self.features):
            raise ValueError("features: at least one valid feature index is needed")
        if not 0 <= self.output < len(OUTPUTS):
            raise ValueError(f"output: an index into {OUTPUTS}")
        if (self.units != 1 and self.output != SOFTMAX) or not 1 <= self.units <= K_MAX \
                or (self.output == SOFTMAX and self.units < 2):
            raise ValueError(f"units: 1 for a single output, 2..{K_MAX} for softmax_ce")

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
        umask = (np.arange(K_MAX) < self.units).astype(np.float32)
        pmask = {"W_hidden": w_mask, "b_hidden": nmask.copy(),
                 "W_out": last[:, None] * umask[None, :], "b_out": umask.copy()}
        return ArchArrays(fmask, nmask, active, act, np.int32(self.output), pmask, umask)

    @property
    def static_key(self):
        return (self.features, self.hidden, self.activations, self.output, self.units)


# ------------------------------------------------------------------ parameters
def init_params(key, arch_arrays: ArchArrays) -> dict:
    """Padded parameters: weights U(-0.5, 0.5), biases 0.1, zero outside the arch; the
    shapes of the module's docstring (W_hidden (MAX_LAYERS, WIDTH, WIDTH), b_hidden
    (MAX_LAYERS, WIDTH), W_out (WIDTH, K_MAX), b_out (K_MAX,)), float32.

    The value of an active entry depends only on the key and its position, so
    the same seed gives the same network whatever the tier that trains it.
    """
    kh, ko = jax.random.split(key)
    r = INIT_WEIGHT_RANGE
    p = {
        "W_hidden": jax.random.uniform(kh, (MAX_LAYERS, WIDTH, WIDTH), jnp.float32, -r, r),
        "b_hidden": jnp.full((MAX_LAYERS, WIDTH), INIT_BIAS, jnp.float32),
        "W_out": output_draw(ko, lambda k, shape: jax.random.uniform(k, shape, jnp.float32,
                                                                     -r, r)),
        "b_out": jnp.full(K_MAX, INIT_BIAS, jnp.float32),
    }
    return mask_tree(p, arch_arrays.param_mask)


def output_draw(key, draw):
    """(WIDTH, K_MAX) random output weights: unit 0 from ``draw(key, (WIDTH,))``, the other
    units from a key of their own, so a single output unit gets the same numbers whatever
    K_MAX is. draw: (key, shape) -> array."""
    rest = draw(jax.random.fold_in(key, 1), (WIDTH, K_MAX - 1))
    return jnp.concatenate([draw(key, (WIDTH,))[:, None], rest], axis=1)


def mask_tree(tree, mask):
    """``tree * mask`` leaf by leaf (same shapes): zero outside the architecture."""
    return jax.tree.map(lambda a, m: a * m, tree, mask)


def pad_features(feats):
    """(n, N_FEATURES) -> (n, WIDTH) with zero columns appended."""
    return jnp.pad(feats, ((0, 0), (0, WIDTH - feats.shape[1])))


# --------------------------------------------------------- general (masked) net
def forward_general(params, arch: ArchArrays, feats, keep=None):
    """Pre-activation of output unit 0 for every row. feats: (n, N_FEATURES) -> (n,).
    (The single output of regression and two classes; see logits_general.)"""
    return logits_general(params, arch, feats, keep)[:, 0]


def logits_general(params, arch: ArchArrays, feats, keep=None):
    """Pre-activation of every output unit for every row: feats (n, N_FEATURES) ->
    (n, K_MAX) (units outside arch.unit_mask are 0).

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
    u = arch.units
    Ws.append((params["W_out"][fidx] if prev is None else params["W_out"][:prev])[:, :u])
    bs.append(params["b_out"][:u])
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
    u = np.arange(arch.units)
    W_out = like["W_out"].at[rows[:, None], u[None, :]].set(exact["W"][-1])
    b_out = like["b_out"].at[u].set(exact["b"][-1])
    return {"W_hidden": Wh, "b_hidden": bh, "W_out": W_out, "b_out": b_out}


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
    """Same as forward_general for exact-shape params. feats: (n, N_FEATURES) -> (n,)."""
    return logits_exact(exact, arch, feats, keep)[:, 0]


def logits_exact(exact, arch: Arch, feats, keep=None):
    """Same as logits_general for exact-shape params: feats (n, N_FEATURES) ->
    (n, arch.units). keep: optional dropout multipliers as from dropout_keep, at least
    (layers, n, width)."""
    h = feats[:, np.asarray(arch.features)]
    n = feats.shape[0]
    for l, (W, b, a) in enumerate(zip(exact["W"][:-1], exact["b"][:-1], arch.activations)):
        h = ACTIVATION_FNS[a](dense(h, W) + b)
        if keep is not None:
            h = h * keep[l, :n, :h.shape[1]]
    return dense(h, exact["W"][-1]) + exact["b"][-1]


def node_rows_exact(exact, arch: Arch, feats, feature_scale):
    """Every node's output for every row of feats: (n_nodes, n) — the used inputs divided by
    feature_scale (into [-1, 1]), each hidden neuron's activation, the output on the label
    scale (one row per output unit: see output_pictures). The pictures of the network
    diagram."""
    fidx = np.asarray(arch.features)
    h = feats[:, fidx]
    rows = [(h / feature_scale[fidx]).T]
    for W, b, a in zip(exact["W"][:-1], exact["b"][:-1], arch.activations):
        h = ACTIVATION_FNS[a](h @ W + b)
        rows.append(h.T)
    z = h @ exact["W"][-1] + exact["b"][-1]
    if arch.output == SOFTMAX:
        rows.append(output_pictures(arch.output, z))
    else:
        rows.append(display_output(arch.output, z[:, 0])[None])
    return jnp.concatenate(rows, 0)
