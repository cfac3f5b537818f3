"""The data as a program sees it, and how it is cut into minibatches.

Train and test sets are padded to a bucket size (``BUCKETS``) so that one compiled
program per bucket serves every data set; the live rows are counted (``n_train``,
``n_test``). Each epoch draws its own row order from the run's shuffle key; both tiers
of training (``general``, ``exact``) draw the same orders and the same dropout masks, so
they agree to float32 rounding.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import mlp

BUCKETS = (512, 4608)   # padded sizes of the train and test sets: built-in data, uploads
N_MAX = BUCKETS[0]
BATCH_MAX = 64     # largest batch size; the general program masks within it
DROPOUT_STREAM = 0xD20   # fold_in tag of the dropout draws


class Data(NamedTuple):
    """Train and test sets as input features, padded to a bucket size (BUCKETS).

    x_train, x_test: (size, N_FEATURES) float32; y_*: (size,) float32;
    n_train, n_test: () int32 live rows.
    """
    x_train: jnp.ndarray
    y_train: jnp.ndarray
    n_train: jnp.ndarray
    x_test: jnp.ndarray
    y_test: jnp.ndarray
    n_test: jnp.ndarray


def bucket_size(n: int) -> int:
    """The padded size for a set of n points (ValueError past the largest bucket)."""
    for size in BUCKETS:
        if n <= size:
            return size
    raise ValueError(f"data: at most {BUCKETS[-1]} points per set, got {n}")


def make_data(x_train, y_train, x_test, y_test) -> Data:
    """Pad feature matrices (n, N_FEATURES) and labels (n,) to the smallest bucket that
    holds both sets (one compiled general program per bucket)."""
    size = bucket_size(max(len(y_train), len(y_test)))

    def pad(a):
        a = np.asarray(a, np.float32)
        out = np.zeros((size,) + a.shape[1:], np.float32)
        out[:len(a)] = a
        return out
    return Data(pad(x_train), pad(y_train), np.int32(len(y_train)),
                pad(x_test), pad(y_test), np.int32(len(y_test)))


def epoch_order(key, epoch, n_train, size: int = N_MAX):
    """Shuffled row order of one epoch: (size,) int32, the first n_train are the live rows.

    size: the padded size of the data (static). The same for both tiers: it only depends
    on the key, the epoch, n_train and size.
    """
    u = jax.random.uniform(jax.random.fold_in(key, epoch), (size,))
    u = jnp.where(jnp.arange(size) < n_train, u, 2.0)
    return ascending_order(u)


def ascending_order(u):
    """``jnp.argsort(u)`` (stable: equal keys keep their index order) as ``lax.top_k`` of
    -u, which gives the same order for keys without -0.0 (such as uniform draws). u: (n,);
    returns (n,) int32. On the CPU, XLA's top_k is much faster than its sort, which was a
    large part of an epoch of the default net (docs/performance.md, "Code choices")."""
    return jax.lax.top_k(-u, u.shape[-1])[1].astype(jnp.int32)


def epoch_order_static(key, epoch, n_train: int, size: int = N_MAX):
    """``epoch_order(...)[:n_train]`` for a static n_train (the exact programs): the same
    rows in the same order (the same keys, ordered stably), but only the n_train live keys
    are ordered. Returns (n_train,) int32."""
    u = jax.random.uniform(jax.random.fold_in(key, epoch), (size,))
    return ascending_order(u[:n_train])


def dropout_key(key, epoch, step):
    """The key of the dropout draw of one minibatch step (the same in both tiers)."""
    return jax.random.fold_in(jax.random.fold_in(jax.random.fold_in(key, DROPOUT_STREAM),
                                                 epoch), step)


@jax.jit
def last_dropout(key, epoch, step, rates):
    """(MAX_LAYERS, WIDTH) bool: which neurons the first example of a step kept."""
    return mlp.dropout_keep(dropout_key(key, epoch, step), rates, BATCH_MAX)[:, 0, :] > 0
