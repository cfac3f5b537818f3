"""The optimizer race: full-batch paths of SGD, momentum, Nesterov, RMSProp and Adam
(optax) over a two-weight surface (``surfaces``), from the same start."""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..programs import TRACES
from .surfaces import surface_index, surface_loss


PATH_OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam")
PATH_STEPS = 400           # every path is computed this far; callers show a prefix
PATH_LIMIT = 1e4           # a path beyond this distance has diverged (it stops there)
RMSPROP_DECAY = 0.9


def path_optimizer(name: str, learning_rate, beta) -> optax.GradientTransformation:
    """The optax optimizer of a path. beta: the momentum coefficient of momentum and
    Nesterov, and Adam's b1 (its momentum); RMSProp's decay is RMSPROP_DECAY."""
    if name == "sgd":
        return optax.sgd(learning_rate)
    if name in ("momentum", "nesterov"):
        return optax.sgd(learning_rate, momentum=beta, nesterov=name == "nesterov")
    if name == "rmsprop":
        return optax.rmsprop(learning_rate, decay=RMSPROP_DECAY)
    if name == "adam":
        return optax.adam(learning_rate, b1=beta)
    raise ValueError(f"optimizer: one of {', '.join(PATH_OPTIMIZERS)}, got {name!r}")


def _paths(index, start, learning_rate, beta):
    TRACES["optimizer_paths"] += 1
    loss = lambda t: surface_loss(index, t)

    def one(name):
        opt = path_optimizer(name, learning_rate, beta)

        def step(carry, _):
            theta, state, alive = carry
            updates, new_state = opt.update(jax.grad(loss)(theta), state, theta)
            new = optax.apply_updates(theta, updates)
            ok = alive & jnp.all(jnp.isfinite(new)) & (jnp.max(jnp.abs(new)) < PATH_LIMIT)
            theta = jnp.where(ok, new, theta)
            state = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new_state, state)
            return (theta, state, ok), (theta, ok)

        (_, _, _), (thetas, ok) = jax.lax.scan(step, (start, opt.init(start), True), None,
                                               PATH_STEPS)
        return jnp.concatenate([start[None], thetas]), ok

    paths, oks = zip(*(one(n) for n in PATH_OPTIMIZERS))
    paths = jnp.stack(paths)
    return paths, jax.vmap(jax.vmap(loss))(paths), jnp.stack(oks)


_paths_jit = jax.jit(_paths)


class Race(NamedTuple):
    """Optimizer paths over a two-weight surface, in PATH_OPTIMIZERS order."""
    paths: np.ndarray      # (5, PATH_STEPS + 1, 2) θ after 0, 1, ... steps
    losses: np.ndarray     # (5, PATH_STEPS + 1) the loss along each path
    diverged_at: np.ndarray  # (5,) int: the step at which a path left the plane, or -1


def optimizer_paths(name: str, start, learning_rate: float, beta: float = 0.9) -> Race:
    """Full-batch paths of every optimizer of PATH_OPTIMIZERS from ``start`` over surface
    ``name``, PATH_STEPS steps each (one compiled program for every surface and setting).
    start: (2,) the two weights θ where every path begins.
    A path that becomes non-finite or leaves |θ| < PATH_LIMIT stops where it was."""
    f = np.float32
    paths, losses, ok = _paths_jit(np.int32(surface_index(name)), np.asarray(start, f),
                                   f(learning_rate), f(beta))
    ok = np.asarray(ok)
    diverged = np.where(ok.all(1), -1, np.argmin(ok, axis=1) + 1)
    return Race(np.asarray(paths), np.asarray(losses), diverged)
