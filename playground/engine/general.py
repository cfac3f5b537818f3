"""The general training program: one compilation per process serves every set-up.

It takes the whole set-up as arrays (architecture masks, activation and output indices,
optimizer index, learning rate, batch size, regularisation, data sizes), on ``mlp``'s
padded layout, so no widget change recompiles it; it is compiled once at start-up
(``playground.server.warm``). Minibatches are ``BATCH_MAX`` rows, masked to the batch size and
to the live rows.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from . import mlp
from .batching import BATCH_MAX, Data, dropout_key, epoch_order
from .hyper import Hyper, epoch_lr, penalty
from .metrics import Metrics, masked_mean, measure
from .mlp import ArchArrays
from .optimizers import TrainState, apply_step, direction_switch, opt_init
from .programs import TRACES


def _weights(params):
    return (params["W_hidden"], params["W_out"])


def general_loss(params, arch: ArchArrays, hyper: Hyper, xb, yb, m, keep):
    """Mean loss of the live rows (m: (BATCH_MAX,) 1.0) of a minibatch xb (BATCH_MAX,
    N_FEATURES), yb (BATCH_MAX,) plus the weight penalty: () float32."""
    z = mlp.logits_general(params, arch, xb, keep)
    data_loss = masked_mean(mlp.logits_loss(arch.output, z, yb, arch.unit_mask), m)
    return data_loss + penalty(_weights(params), hyper.l1, hyper.l2)


def general_order(key, epoch, data: Data):
    """epoch_order of the general program, padded so that any batch slice fits:
    (size + BATCH_MAX,) int32."""
    return jnp.concatenate([epoch_order(key, epoch, data.n_train, data.x_train.shape[0]),
                            jnp.zeros(BATCH_MAX, jnp.int32)])


def general_step(state: TrainState, arch: ArchArrays, hyper: Hyper, data: Data, key, order,
                 epoch, i, lr, with_loss: bool = False):
    """Minibatch i of epoch ``epoch`` (rows ``order``, from general_order) in the general
    program: gradient, optimizer direction, step of size lr. Returns the new state, and
    with_loss=True also the minibatch's loss before the step (general_loss), a float32
    scalar. order: (size + BATCH_MAX,) int32; epoch, i: int32 scalars; lr: float32."""
    bs = hyper.batch_size
    start = i * bs
    idx = jax.lax.dynamic_slice(order, (start,), (BATCH_MAX,))
    j = jnp.arange(BATCH_MAX)
    m = ((j < bs) & (start + j < data.n_train)).astype(jnp.float32)
    keep = mlp.dropout_keep(dropout_key(key, epoch, i), hyper.dropout, BATCH_MAX)
    args = (state.params, arch, hyper, data.x_train[idx], data.y_train[idx], m, keep)
    if with_loss:
        loss, g = jax.value_and_grad(general_loss)(*args)
    else:
        loss, g = None, jax.grad(general_loss)(*args)
    g = mlp.mask_tree(g, arch.param_mask)
    d, opt = direction_switch(hyper.optimizer, g, state.opt, state.params)
    state = TrainState(apply_step(state.params, d, lr, arch.param_mask), opt)
    return (state, loss) if with_loss else state


def _train_general(state: TrainState, arch: ArchArrays, hyper: Hyper, data: Data,
                   key, epoch0, n_epochs):
    TRACES["train_general"] += 1
    steps = (data.n_train + hyper.batch_size - 1) // hyper.batch_size

    def epoch(e, state):
        order = general_order(key, epoch0 + e, data)
        lr = epoch_lr(hyper, e)
        step = lambda i, state: general_step(state, arch, hyper, data, key, order,
                                             epoch0 + e, i, lr)
        return jax.lax.fori_loop(0, steps, step, state)

    state = jax.lax.fori_loop(0, n_epochs, epoch, state)
    pz = lambda x: mlp.logits_general(state.params, arch, x)
    return state, measure(pz, arch.output, data, state.params, unit_mask=arch.unit_mask)


train_general = jax.jit(_train_general)     # (TrainState, Metrics)


def _evaluate_general(params, arch: ArchArrays, data: Data) -> Metrics:
    TRACES["evaluate_general"] += 1
    pz = lambda x: mlp.logits_general(params, arch, x)
    return measure(pz, arch.output, data, params, unit_mask=arch.unit_mask)


evaluate_general = jax.jit(_evaluate_general)


def _grid_general(params, arch: ArchArrays, feats):
    TRACES["grid_general"] += 1
    return mlp.logits_display(arch.output, mlp.logits_general(params, arch, feats),
                              arch.unit_mask)


grid_general = jax.jit(_grid_general)


def _probabilities_general(params, arch: ArchArrays, feats):
    TRACES["probabilities_general"] += 1
    return mlp.class_probabilities(mlp.logits_general(params, arch, feats), arch.unit_mask)


probabilities_general = jax.jit(_probabilities_general)
probabilities_general.__doc__ = """Class probabilities of a softmax output: feats (n,
N_FEATURES) -> (n, K_MAX), 0 for the units not in use (meaningful for softmax_ce only)."""


def _init_general(key, arch: ArchArrays):
    TRACES["init_general"] += 1
    params = mlp.init_params(key, arch)
    return TrainState(params, opt_init(params))


init_state = jax.jit(_init_general)
