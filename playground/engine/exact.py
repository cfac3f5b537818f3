"""The exact-shape training program: specialised to one set-up, several times faster.

It is compiled for one ``ExactKey`` (layer sizes, activations, optimizer, batch size, data
sizes) through the program cache (``programs.PROGRAMS``, kinds "train" and "grid"): in
its background thread the first time a set-up is seen, shared by all sessions of the
process, and takes over from the general program when ready. It works on the unpadded
weights (``mlp.to_exact``) and hands the padded layout back, with the same minibatches,
dropout draws and initial weights as the general program.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import mlp
from .batching import BATCH_MAX, Data, dropout_key, epoch_order_static
from .features import FEATURE_SCALE, THUMB_RES, grid_features
from .hyper import Hyper, epoch_lr, penalty
from .metrics import SUMMARY, masked_mean, measure
from .mlp import Arch
from .optimizers import DIRECTIONS, TrainState, apply_step
from .programs import PROGRAMS, TRACES


class ExactKey(NamedTuple):
    """Everything an exact program is compiled for."""
    arch: Arch
    batch_size: int
    optimizer: str
    n_train: int
    n_test: int
    regularized: bool     # False: the penalty is left out of the program altogether
    dropout: bool = False  # False: no dropout draws in the program


def exact_key(arch: Arch, hyper: Hyper, data: Data, optimizer: str) -> ExactKey:
    """The exact program a training call with these settings needs."""
    return ExactKey(arch, int(hyper.batch_size), optimizer, int(data.n_train), int(data.n_test),
                    bool(hyper.l1 or hyper.l2), bool(np.any(np.asarray(hyper.dropout) > 0)))


def _map_params_like(fn, tree, *rest):
    """Apply fn to every params-like dict inside an optimizer state (counts untouched)."""
    is_dict = lambda x: isinstance(x, dict)
    return jax.tree.map(lambda x, *r: fn(x, *r) if is_dict(x) else x, tree, *rest,
                        is_leaf=is_dict)


def train_exact(k: ExactKey, state: TrainState, hyper: Hyper, data: Data, key, epoch0,
                n_epochs):
    """n_epochs epochs of the set-up ``k`` from epoch number epoch0, on the padded
    ``state``: (TrainState, Metrics with the diagram's pictures in ``thumbs``)."""
    TRACES["train_exact"] += 1
    arch, bs, n = k.arch, k.batch_size, k.n_train
    kind = arch.output
    steps = math.ceil(n / bs)
    params = mlp.to_exact(state.params, arch)
    opt_part = _map_params_like(lambda t: mlp.to_exact(t, arch), getattr(state.opt, k.optimizer)) \
        if k.optimizer != "sgd" else None
    x_all, y_all = data.x_train[:n], data.y_train[:n]
    mask = (jnp.arange(steps * bs) < n).astype(jnp.float32).reshape(steps, bs)
    full_batches = n % bs == 0

    def loss_fn(p, xb, yb, m, keep):
        losses = mlp.logits_loss(kind, mlp.logits_exact(p, arch, xb, keep), yb)
        loss = jnp.mean(losses) if full_batches else masked_mean(losses, m)
        return loss + penalty(p["W"], hyper.l1, hyper.l2) if k.regularized else loss

    def direction(g, o, p):
        if k.optimizer == "sgd":
            return g, o
        return DIRECTIONS[k.optimizer].update(g, o, p)

    def step(carry, batch):
        p, o, ep, lr = carry
        xb, yb, m, i = batch
        keep = (mlp.dropout_keep(dropout_key(key, ep, i), hyper.dropout, BATCH_MAX)
                if k.dropout else None)
        g = jax.grad(loss_fn)(p, xb, yb, m, keep)
        d, o = direction(g, o, p)
        return (apply_step(p, d, lr), o, ep, lr), None

    def epoch(e, carry):
        order = epoch_order_static(key, epoch0 + e, n, data.x_train.shape[0])
        order = jnp.pad(order, (0, steps * bs - n)).reshape(steps, bs)
        batches = (x_all[order], y_all[order], mask, jnp.arange(steps))
        (p, o, _, _), _ = jax.lax.scan(step, (*carry, epoch0 + e, epoch_lr(hyper, e)),
                                       batches)
        return p, o

    params, opt_part = jax.lax.fori_loop(0, n_epochs, epoch, (params, opt_part))
    padded = mlp.from_exact(params, arch, state.params)
    opt = state.opt
    if k.optimizer != "sgd":
        old = getattr(state.opt, k.optimizer)
        new = _map_params_like(lambda t, like: mlp.from_exact(t, arch, like), opt_part, old)
        opt = opt._replace(**{k.optimizer: new})
    pz = lambda x: mlp.logits_exact(params, arch, x)
    thumbs = mlp.node_rows_exact(params, arch, jnp.asarray(grid_features(THUMB_RES)),
                                 FEATURE_SCALE)
    metrics = measure(pz, kind, data, params, k.n_train, k.n_test)
    largest = jnp.maximum(metrics.max_output, jnp.max(jnp.abs(thumbs)))   # NaN stays NaN
    summary = metrics.summary.at[SUMMARY.index("max_output")].set(largest)
    return TrainState(padded, opt), metrics._replace(thumbs=thumbs, summary=summary)


def grid_exact(arch: Arch, params, feats):
    """The output on the label scale for every row of feats (n, N_FEATURES): (n,)."""
    TRACES["grid_exact"] += 1
    exact = mlp.to_exact(params, arch)
    return mlp.logits_display(arch.output, mlp.logits_exact(exact, arch, feats))


def probabilities_exact(arch: Arch, params, feats):
    """Class probabilities of a softmax output for every row of feats: (n, arch.units)."""
    TRACES["probabilities_exact"] += 1
    return mlp.class_probabilities(mlp.logits_exact(mlp.to_exact(params, arch), arch, feats))


PROGRAMS.register("train", train_exact)
PROGRAMS.register("train_lane", train_exact)     # the same, for the heavy lane's device
PROGRAMS.register("grid", grid_exact)
PROGRAMS.register("probabilities", probabilities_exact)
