"""The hyperparameters a program takes as arrays, so that changing them never recompiles:
learning rate (one per epoch of a call), regularisation, batch size, optimizer, dropout.
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from . import mlp
from .optimizers import OPTIMIZERS

REGULARIZATIONS = ("none", "l1", "l2")
LR_TABLE_LEN = 64  # epochs of one compiled call that can each have their own learning rate


class Hyper(NamedTuple):
    """Dynamic hyperparameters (arrays). optimizer: index into OPTIMIZERS.

    lr_table: (LR_TABLE_LEN,) the learning rate of each epoch of one training call: epoch
    e of the call (0-based) steps with lr_table[min(e, LR_TABLE_LEN - 1)]. ``make_hyper``
    fills it with learning_rate; ``train.train_epochs(lrs=...)`` follows a schedule with
    it."""
    learning_rate: jnp.ndarray  # () float32
    l1: jnp.ndarray             # () float32: L1 penalty rate (0: none)
    l2: jnp.ndarray             # () float32: L2 penalty rate (0: none)
    batch_size: jnp.ndarray     # () int32
    optimizer: jnp.ndarray      # () int32
    dropout: jnp.ndarray        # (MAX_LAYERS,) dropout rate of each hidden layer (0: none)
    lr_table: jnp.ndarray       # (LR_TABLE_LEN,) float32


def make_hyper(learning_rate, regularization, reg_rate, batch_size, optimizer,
               dropout=()) -> Hyper:
    """regularization: one of REGULARIZATIONS; optimizer: one of OPTIMIZERS; dropout: a rate
    per hidden layer (missing layers: 0)."""
    l1 = reg_rate if regularization == "l1" else 0.0
    l2 = reg_rate if regularization == "l2" else 0.0
    f = np.float32
    rates = np.zeros(mlp.MAX_LAYERS, np.float32)
    rates[:len(dropout)] = dropout
    return Hyper(f(learning_rate), f(l1), f(l2), np.int32(batch_size),
                 np.int32(OPTIMIZERS.index(optimizer)), rates,
                 np.full(LR_TABLE_LEN, learning_rate, np.float32))


def epoch_lr(hyper: Hyper, e):
    """The learning rate of epoch e (0-based, traced) of a training call: () float32."""
    return hyper.lr_table[jnp.minimum(e, LR_TABLE_LEN - 1)]


def penalty(weights, l1, l2):
    """L1 and ½·L2 penalties summed over ``weights`` (a sequence of weight arrays of any
    shapes; biases are not penalised): () float32."""
    return sum(l1 * jnp.sum(jnp.abs(w)) + 0.5 * l2 * jnp.sum(w * w) for w in weights)
