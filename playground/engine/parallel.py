"""Many copies of the playground's network trained at once, as one wide network.

On this CPU ``jax.vmap`` over 16 copies of a small network costs ~7× one copy (batched
tiny matrix products), and packing them block-diagonally (first layer concatenated, later
layers block-diagonal under a gradient mask) ~2× — most of its work multiplies the zero
blocks. Here the copies are one wide network without the zero blocks:

* all the weights are one matrix (parameters, copies): column k holds copy k's weights
  and biases, so the optimizer, the per-copy learning rates and the divergence check are
  each one fused loop over one array, whatever the optimizer;
* the forward pass views the matrix as layers with the copies on the last axis
  (``W[l]``: (in, out, copies)); the first layer of every copy reads the same inputs, so
  one product (``mlp.dense``) computes all of them; every later layer is an elementwise
  product and a sum over its inputs, which XLA fuses into one loop over exactly the useful
  multiplications (on the CPU, compiled with ``PACKED_CPU_OPTIONS``).

All copies see the same minibatches (the run's shuffles), and the summed loss gives each
copy's weights the gradient of its own loss: copy k computes exactly what a separate run
would (up to float rounding). No number of one copy ever enters another, so a copy that
diverges cannot disturb the rest. Per-copy learning rates scale each copy's *update*
(not its gradient), which is right for every optimizer, Adam included.

What 16 copies cost against one run: ``python -m playground.bench_descent``, figures in
docs/performance.md.

The program is specialised to the exact architecture (``PackKey``), like the exact tier
of ``train``, and compiled through ``programs.PROGRAMS`` (in the background, or at once).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import mlp
from .batching import Data, epoch_order_static
from .hyper import LR_TABLE_LEN, Hyper, penalty
from .metrics import DIVERGENCE_WEIGHT
from .optimizers import DIRECTIONS, OPTIMIZERS
from .programs import PROGRAMS, TRACES
from .features import THUMB_RES, grid_features
from .mlp import Arch

MAX_COPIES = 16
GRID_RES = THUMB_RES          # each copy's decision grid is GRID_RES × GRID_RES


class PackKey(NamedTuple):
    """What the packed program is specialised to (static)."""
    arch: Arch
    copies: int
    batch_size: int
    optimizer: str
    n_train: int
    n_test: int
    regularized: bool


class PackedState(NamedTuple):
    params: jnp.ndarray   # (parameters, copies), see ``pack``
    opt: object           # the optimizer's state of the packed params (None for sgd)
    alive: jnp.ndarray    # (copies,) bool: False once a copy has diverged


class ParallelMetrics(NamedTuple):
    """Per copy, after a training call."""
    train_loss: jnp.ndarray      # (copies,)
    test_loss: jnp.ndarray
    train_accuracy: jnp.ndarray
    test_accuracy: jnp.ndarray
    grid: jnp.ndarray            # (copies, GRID_RES²) outputs on the label scale (the
                                 # most likely class for a softmax over K classes)
    alive: jnp.ndarray           # (copies,) bool


# ------------------------------------------------------------------- packing
def pack(exacts: list):
    """Exact-shape params of each copy ({"W": [...], "b": [...]}, see mlp.to_exact) ->
    the packed matrix (parameters, copies): column k is copy k's leaves (in
    jax.tree.leaves order: W0, W1, ..., b0, b1, ...) flattened and joined."""
    return jnp.stack([jnp.concatenate([jnp.ravel(leaf) for leaf in jax.tree.leaves(e)])
                      for e in exacts], 1)


def _layout(arch: Arch):
    """The exact params' tree structure and leaf shapes for arch."""
    sizes = [len(arch.features)] + list(arch.hidden) + [arch.units]
    template = {"W": [np.zeros((a, b)) for a, b in zip(sizes[:-1], sizes[1:])],
                "b": [np.zeros(b) for b in sizes[1:]]}
    leaves, treedef = jax.tree.flatten(template)
    return treedef, [leaf.shape for leaf in leaves]


def layers(packed, arch: Arch) -> dict:
    """The packed matrix viewed as layers with the copies last: {"W": [(in, out, copies),
    ...], "b": [(out, copies), ...]}."""
    treedef, shapes = _layout(arch)
    ends = np.cumsum([int(np.prod(s)) for s in shapes])
    leaves = [packed[e - int(np.prod(s)):e].reshape(s + (packed.shape[1],))
              for s, e in zip(shapes, ends)]
    return jax.tree.unflatten(treedef, leaves)


def unpack(packed, arch: Arch, k: int) -> dict:
    """The exact-shape params of copy k of a packed network."""
    return jax.tree.map(lambda leaf: leaf[..., k], layers(packed, arch))


def forward_packed(params: dict, arch: Arch, feats):
    """Output pre-activation of every copy for every row: (n, N_FEATURES) -> (n, copies)
    (output unit 0; see logits_packed). params: the layers (see ``layers``)."""
    return logits_packed(params, arch, feats)[:, 0, :]


def logits_packed(params: dict, arch: Arch, feats):
    """Every output unit's pre-activation of every copy for every row: (n, N_FEATURES) ->
    (n, arch.units, copies). params: the layers (see ``layers``)."""
    h = feats[:, np.asarray(arch.features)]
    W0 = params["W"][0]
    n_in, out, copies = W0.shape
    z = mlp.dense(h, W0.reshape(n_in, out * copies)).reshape(-1, out, copies) + params["b"][0]
    for l, a in enumerate(arch.activations, start=1):
        h = mlp.ACTIVATION_FNS[a](z)                     # (n, in, copies)
        z = jnp.sum(h[:, :, None, :] * params["W"][l][None], axis=1) + params["b"][l]
    return z


def copy_losses(kind: int, z, y):
    """Per-example, per-copy loss: z (n, units, copies) from logits_packed, labels y (n,)
    -> (n, copies)."""
    if kind != mlp.SOFTMAX:
        return mlp.example_loss(kind, z[:, 0, :], y[:, None])
    n, units, copies = z.shape
    flat = jnp.moveaxis(z, 1, 2).reshape(n * copies, units)
    return mlp.softmax_cross_entropy(flat, jnp.repeat(y, copies)).reshape(n, copies)


def copy_display(kind: int, z):
    """Each copy's prediction on the label scale: z (n, units, copies) -> (n, copies) (the
    most likely class for a softmax)."""
    if kind != mlp.SOFTMAX:
        return mlp.display_output(kind, z[:, 0, :])
    return jnp.argmax(z, axis=1).astype(jnp.float32)


def init_packed(padded: list, arch: Arch, optimizer: str) -> PackedState:
    """The packed state of copies starting from padded params (one per copy): params
    (parameters, copies) float32 (see ``pack``), alive (copies,) bool."""
    params = pack([mlp.to_exact(p, arch) for p in padded])
    opt = None if optimizer == "sgd" else DIRECTIONS[optimizer].init(params)
    return PackedState(params, opt, jnp.ones(len(padded), bool))


# ------------------------------------------------------------------ training
def _train_packed(k: PackKey, state: PackedState, lr_table, hyper: Hyper,
                  data: Data, key, epoch0, n_epochs):
    """n_epochs of every copy; lr_table: (copies, LR_TABLE_LEN) the learning rate of each
    copy in each epoch of the call (as hyper.Hyper.lr_table). A copy whose weights turn
    non-finite or pass metrics.DIVERGENCE_WEIGHT during an epoch goes back to its weights
    from before that epoch and stops training (alive False), as a diverged Run does."""
    TRACES["train_packed"] += 1
    arch, bs, n, N = k.arch, k.batch_size, k.n_train, k.copies
    kind = arch.output
    steps = math.ceil(n / bs)
    x_all, y_all = data.x_train[:n], data.y_train[:n]
    live = (jnp.arange(steps * bs) < n).astype(jnp.float32).reshape(steps, bs)
    full_batches = n % bs == 0

    def loss_fn(p, xb, yb, m):          # p: the layers
        losses = copy_losses(kind, logits_packed(p, arch, xb), yb)
        per_copy = (jnp.mean(losses, 0) if full_batches else
                    jnp.sum(losses * m[:, None], 0) / jnp.maximum(jnp.sum(m), 1.0))
        loss = jnp.sum(per_copy)
        return loss + penalty(p["W"], hyper.l1, hyper.l2) if k.regularized else loss

    def step(carry, batch):
        p, o, rate = carry
        # the gradient of the layers (not of the matrix: that would pad every layer's
        # gradient to the matrix and add them), joined into one matrix like p
        g = jax.grad(loss_fn)(layers(p, arch), *batch)
        g = jnp.concatenate([leaf.reshape(-1, N) for leaf in jax.tree.leaves(g)])
        if k.optimizer == "sgd":
            d = g
        else:
            d, o = DIRECTIONS[k.optimizer].update(g, o, p)
        return (p - rate * d, o, rate), None                  # rate: (copies,)

    def epoch(e, carry: PackedState):
        p0, o0, alive = carry
        order = epoch_order_static(key, epoch0 + e, n, data.x_train.shape[0])
        order = jnp.pad(order, (0, steps * bs - n)).reshape(steps, bs)
        lr = jnp.where(alive, lr_table[:, jnp.minimum(e, LR_TABLE_LEN - 1)], 0.0)
        (p, o, _), _ = jax.lax.scan(step, (p0, o0, lr), (x_all[order], y_all[order], live))
        biggest = jnp.max(jnp.abs(p), axis=0)
        alive = alive & jnp.isfinite(biggest) & (biggest <= DIVERGENCE_WEIGHT)
        # a diverged copy goes back to where it was, optimizer state included
        back = lambda new, old: jnp.where(alive, new, old) if new.shape == p.shape else new
        return PackedState(back(p, p0), jax.tree.map(back, o, o0), alive)

    state = jax.lax.fori_loop(0, n_epochs, epoch, state)
    net = layers(state.params, arch)

    def scores(x, y, count):
        z = logits_packed(net, arch, x[:count])
        out = copy_display(kind, z)
        loss = jnp.mean(copy_losses(kind, z, y[:count]), 0)
        truth = y[:count, None]
        right = (out == truth) if kind == mlp.SOFTMAX else ((out >= 0) == (truth > 0))
        return loss, jnp.mean(right.astype(jnp.float32), 0)

    train_loss, train_accuracy = scores(data.x_train, data.y_train, k.n_train)
    test_loss, test_accuracy = scores(data.x_test, data.y_test, k.n_test)
    grid = copy_display(kind, logits_packed(net, arch, jnp.asarray(grid_features(GRID_RES))))
    return state, ParallelMetrics(train_loss, test_loss, train_accuracy, test_accuracy, grid.T,
                                  state.alive)


# XLA's CPU backend hands big reductions to a kernel library by default ("YNN" fusions).
# For the packed program's sums over inputs (16 copies side by side) that is slower than
# XLA's own loops (docs/performance.md, "Code choices"). Matrix products stay with the
# library, where it wins.
PACKED_CPU_OPTIONS = {"xla_cpu_experimental_ynn_fusion_type": "LIBRARY_FUSION_TYPE_DOT"}
PROGRAMS.register("packed", _train_packed, cpu_options=PACKED_CPU_OPTIONS)


def pack_key(arch: Arch, copies: int, hyper: Hyper, data: Data) -> PackKey:
    """The packed program ``copies`` copies of ``arch`` with these settings need
    (ValueError past MAX_COPIES)."""
    if not 1 <= copies <= MAX_COPIES:
        raise ValueError(f"copies: 1 to {MAX_COPIES}, got {copies}")
    return PackKey(arch, copies, int(hyper.batch_size), OPTIMIZERS[int(hyper.optimizer)],
                   int(data.n_train), int(data.n_test), bool(hyper.l1 or hyper.l2))


def train_packed(state: PackedState, arch: Arch, lr_table, hyper: Hyper,
                 data: Data, key, epoch0: int, n_epochs: int, block: bool = True):
    """Train every copy n_epochs epochs from epoch number epoch0, on the minibatches that
    train.train_epochs draws from ``key``. lr_table: (copies, LR_TABLE_LEN) float32, the
    rate of each copy in each epoch of the call (epochs past the table use its last
    column). Dropout is not applied. Returns (state, ParallelMetrics), or None when
    block=False and the program is still compiling (in the background)."""
    pk = pack_key(arch, int(state.alive.shape[0]), hyper, data)
    args = (state, np.asarray(lr_table, np.float32), hyper, data, key, np.int32(epoch0),
            np.int32(n_epochs))
    prog = PROGRAMS.get("packed", pk, args, block=block)
    return None if prog is None else prog(*args)
