"""Training a network of the playground: the engine's public entry.

Two tiers run the same mathematics on the same padded state (``mlp``):

* the **general** program (``general``) takes the whole set-up as arrays, so one
  compilation per process serves every widget setting;
* the **exact-shape** program (``exact``) is specialised to one set-up and is several
  times faster. It is compiled in the background the first time a set-up is seen, cached
  for all sessions of the process (``programs``), and takes over when ready.

Both tiers draw the same minibatches and initial weights (``batching``), so they agree to
float32 rounding. The pieces live in their own modules: ``optimizers``, ``hyper`` (the
hyperparameters as arrays), ``batching``, ``metrics``, ``general``, ``exact``,
``programs`` (the cache, and ``TRACES``: how often each program was traced, which the
tests use to prove that widget changes never recompile the general program). This module
runs the tiers (``train_epochs``, ``predict_grid``) and gathers the names a caller needs.
"""
from __future__ import annotations

import numpy as np

from .batching import (BATCH_MAX, BUCKETS, N_MAX, Data, ascending_order, bucket_size,
                       epoch_order, epoch_order_static, last_dropout, make_data)
from .exact import exact_key
from .general import (evaluate_general, general_order, general_step, grid_general,
                      init_state, probabilities_general, train_general)
from .hyper import LR_TABLE_LEN, REGULARIZATIONS, Hyper, make_hyper, penalty
from .metrics import DIVERGENCE_WEIGHT, SUMMARY, Metrics, colour_codes, masked_mean
from .mlp import LOSSES, Arch, ArchArrays
from .optimizers import (DIRECTIONS, MOMENTUM, OPTIMIZERS, OptStates, TrainState,
                         direction_switch, opt_init)
from .programs import PROGRAMS, TRACES

__all__ = [
    "BATCH_MAX", "BUCKETS", "N_MAX", "Data", "ascending_order", "bucket_size", "epoch_order",
    "epoch_order_static", "last_dropout", "make_data", "exact_key", "evaluate_general",
    "general_order", "general_step", "grid_general", "init_state", "train_general",
    "LR_TABLE_LEN", "REGULARIZATIONS", "Hyper", "make_hyper", "penalty",
    "DIVERGENCE_WEIGHT", "SUMMARY", "Metrics", "colour_codes", "masked_mean", "LOSSES",
    "DIRECTIONS", "MOMENTUM", "OPTIMIZERS", "OptStates", "TrainState", "direction_switch",
    "opt_init", "PROGRAMS", "TRACES", "train_epochs", "predict_grid",
    "predict_probabilities", "probabilities_general"]


def train_epochs(state, arch: Arch, arch_arrays: ArchArrays, hyper: Hyper, data: Data, key,
                 epoch0: int, n_epochs: int, tier: str = "auto", lrs=None, lane: bool = False):
    """Run n_epochs of shuffled minibatch training from epoch number epoch0.

    tier: "auto" (exact program if compiled, else general, queueing the exact
    compile), "exact" (compile now if needed), "general". lrs: None (every epoch at
    hyper's lr_table, as make_hyper fills it: its learning rate) or (n_epochs,) the
    learning rate of each epoch (a schedule); then the epochs run in calls of at most
    LR_TABLE_LEN epochs, still without compiling anything new. lane: the inputs are on
    the heavy lane's device (``lanes``), whose exact-shape programs are its own.
    Returns (state, Metrics, tier_used).
    """
    if lrs is None:
        return _train_call(state, arch, arch_arrays, hyper, data, key, epoch0, n_epochs, tier,
                           lane)
    lrs = np.asarray(lrs, np.float32).ravel()
    if len(lrs) != n_epochs:
        raise ValueError(f"lrs: one learning rate per epoch ({n_epochs}), got {len(lrs)}")
    start, out = 0, None
    while out is None or start < n_epochs:
        k = min(LR_TABLE_LEN, n_epochs - start)
        table = np.full(LR_TABLE_LEN, lrs[start + k - 1] if k else hyper.learning_rate,
                        np.float32)
        table[:k] = lrs[start:start + k]
        out = _train_call(state, arch, arch_arrays, hyper._replace(lr_table=table), data,
                          key, epoch0 + start, k, tier, lane)
        state, start = out[0], start + k
    return out


def _train_call(state, arch, arch_arrays, hyper, data, key, epoch0, n_epochs, tier,
                lane=False):
    optimizer = OPTIMIZERS[int(hyper.optimizer)]
    args = (state, hyper, data, key, np.int32(epoch0), np.int32(n_epochs))
    if tier != "general":
        ek = exact_key(arch, hyper, data, optimizer)
        kind = "train_lane" if lane else "train"    # compiled for its inputs' device
        prog = PROGRAMS.get(kind, ek, args, block=(tier == "exact"))
        if prog is not None:
            return (*prog(*args), "exact")
    s, m = train_general(state, arch_arrays, hyper, data, key, np.int32(epoch0), np.int32(n_epochs))
    return s, m, "general"


def predict_grid(params, arch: Arch, arch_arrays: ArchArrays, feats, tier: str = "auto"):
    """The network's output on the label scale for every row of feats (n, N_FEATURES):
    (n,)."""
    if tier != "general":
        prog = PROGRAMS.get("grid", arch, (params, feats), block=(tier == "exact"))
        if prog is not None:
            return prog(params, feats)
    return grid_general(params, arch_arrays, feats)


def predict_probabilities(params, arch: Arch, arch_arrays: ArchArrays, feats,
                          tier: str = "auto"):
    """Class probabilities of a softmax output (arch.output == mlp.SOFTMAX) for every row of
    feats (n, N_FEATURES): (n, arch.units), rows summing to 1."""
    if tier != "general":
        prog = PROGRAMS.get("probabilities", arch, (params, feats), block=(tier == "exact"))
        if prog is not None:
            return prog(params, feats)
    return probabilities_general(params, arch_arrays, feats)[:, :arch.units]
