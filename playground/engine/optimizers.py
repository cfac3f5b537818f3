"""The optimizers: plain SGD, momentum, Adam and RMSProp, as optax transforms.

Each optimizer but plain SGD is the optax transform that turns a gradient into its step
direction; the learning rate (and its schedule) is applied after, by ``apply_step``. The
state of *every* optimizer is kept (``OptStates``), so that switching optimizer in the
middle of a run keeps one pytree shape and compiles nothing new: the general program
picks the direction with ``direction_switch`` (a ``lax.switch`` on the optimizer's index).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import optax

MOMENTUM = 0.9
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")

DIRECTIONS = {
    "momentum": optax.trace(decay=MOMENTUM),
    "adam": optax.scale_by_adam(),
    "rmsprop": optax.scale_by_rms(decay=0.9, eps=1e-8),
}


class OptStates(NamedTuple):
    """The state of every optimizer, so switching optimizer keeps one pytree shape; each
    has the shapes of the parameters (``mlp``'s padded layout) plus optax's counters."""
    momentum: optax.TraceState
    adam: optax.ScaleByAdamState
    rmsprop: optax.ScaleByRmsState


class TrainState(NamedTuple):
    """What training carries from step to step: the parameters and every optimizer's
    state."""
    params: dict
    opt: OptStates


def opt_init(params) -> OptStates:
    """Every optimizer's initial state for ``params`` (any pytree of arrays)."""
    return OptStates(*(DIRECTIONS[k].init(params) for k in OptStates._fields))


def direction(name: str, grads, opt: OptStates, params):
    """The step direction of optimizer ``name`` (params move by -lr · direction) and the
    new optimizer states; grads, params: pytrees of the same shapes."""
    if name == "sgd":
        return grads, opt
    d, s = DIRECTIONS[name].update(grads, getattr(opt, name), params)
    return d, opt._replace(**{name: s})


def direction_switch(index, grads, opt: OptStates, params):
    """``direction`` for a traced optimizer index (into OPTIMIZERS)."""
    branches = [lambda g, o, p, n=n: direction(n, g, o, p) for n in OPTIMIZERS]
    return jax.lax.switch(index, branches, grads, opt, params)


def apply_step(params, step_direction, lr, mask=None):
    """params - lr · direction, leaf by leaf; mask (params' shapes, 0/1) keeps the padded
    entries of the general program's layout at exactly zero."""
    if mask is None:
        return jax.tree.map(lambda p, d: p - lr * d, params, step_direction)
    return jax.tree.map(lambda p, d, m: p - lr * d * m, params, step_direction, mask)
