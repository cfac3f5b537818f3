"""The learning rate: schedules over epochs, and the learning-rate finder.

Schedules are pure functions of the epoch (``schedule_lr``), vectorised over an array of
epochs for a preview plot; the training run evaluates the same function for the epochs
of each training call and hands the programs a per-epoch table (``hyper.Hyper.lr_table``),
so following a schedule never compiles anything new.

The learning-rate finder (as fast.ai's ``lr_find``) trains a copy of the network for
LR_FIND_STEPS minibatches while the learning rate grows exponentially from LR_FIND_START
to LR_FIND_END, and records the loss of every minibatch; several seeds (minibatch
orders) run at once with ``vmap``, in one compiled program for every set-up.

The sweep is long because these networks are small and their minibatches are too: the
default 2-4-2 network needs a few hundred minibatches of 10 at a good rate before its loss
leaves its starting plateau. fast.ai's 100 minibatches over 7 decades of rate (14 a decade)
gave a flat curve of minibatch noise on most data sets, whose lowest point fell anywhere
(often at the very start: "suggested 1e-6"), and the moving average, which spans about 50
minibatches, smeared 3.5 decades together. LR_FIND_STEPS = 1000 over the learning-rate
menu's 6 decades gives about 170 minibatches a decade (40 epochs of 250 points), so the
loss falls visibly on every built-in data set and the average spans a third of a decade.
"""
from __future__ import annotations

import inspect
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import mlp
from .batching import Data
from .general import general_order, general_step
from .hyper import Hyper
from .optimizers import TrainState, opt_init
from .programs import TRACES


# ======================================================================== schedules
SCHEDULES = ("constant", "step", "cosine", "sgdr", "one_cycle")
SCHEDULE_TITLES = {          # what menus show; the values stay the names above
    "constant": "Constant",
    "step": "Step decay",
    "cosine": "Cosine",
    "sgdr": "SGDR (warm restarts)",
    "one_cycle": "One-cycle",
}


def schedule_lr(name, epoch, base_lr, period=100, cycle_mult=2, step_factor=0.5,
                pct_start=0.3, div_factor=25.0, floor=0.1):
    """The learning rate of each epoch (0-based, any array shape) under schedule ``name``
    (float64, the shape of ``epoch``). base_lr: the rate the schedule starts from or
    peaks at; period: the schedule's length in epochs; floor: the share of base_lr that
    cosine and one-cycle settle at after their period and keep, so that training goes on
    however long the run is (a rate of 0 would freeze the network where it is).

    constant:  base_lr.
    step:      base_lr · step_factor^⌊epoch / period⌋ (multiplied every period epochs).
    cosine:    base_lr · (floor + (1 − floor)·½(1 + cos(π·epoch/period))): along half a
               cosine from base_lr down to floor·base_lr at `period`, that value after
               (optax's cosine_decay_schedule with alpha=floor).
    sgdr:      cosine annealing restarted from base_lr at the end of each cycle; the first
               cycle lasts `period` epochs (fast.ai's cycle_len), each next one
               cycle_mult times longer (Loshchilov & Hutter, 2017).
    one_cycle: from base_lr/div_factor up to base_lr over the first pct_start of `period`
               epochs, then down to floor·base_lr at `period` (half-cosine steps, Smith's
               one-cycle policy as optax's cosine_onecycle_schedule with
               final_div_factor=1/(div_factor·floor)), that value after.
    """
    e = np.asarray(epoch, np.float64)
    if name == "constant":
        return np.full(e.shape, float(base_lr))
    if name == "step":
        return base_lr * step_factor ** np.floor(e / period)
    if name == "cosine":
        t = np.clip(e / period, 0.0, 1.0)
        return base_lr * (floor + (1.0 - floor) * 0.5 * (1.0 + np.cos(np.pi * t)))
    if name == "sgdr":
        if cycle_mult == 1:
            start, length = np.floor(e / period) * period, np.full(e.shape, float(period))
        else:
            # cycle i starts at period·(m^i − 1)/(m − 1); the log gives i up to rounding
            i = np.floor(np.log1p(np.maximum(e, 0.0) * (cycle_mult - 1) / period)
                         / np.log(cycle_mult))
            begin = lambda i: period * (cycle_mult ** i - 1.0) / (cycle_mult - 1.0)
            i = np.where(begin(i + 1) <= e, i + 1, np.where(begin(i) > e, i - 1, i))
            start, length = begin(i), period * cycle_mult ** i
        return base_lr * 0.5 * (1.0 + np.cos(np.pi * (e - start) / length))
    if name == "one_cycle":
        peak, low, end = base_lr, base_lr / div_factor, base_lr * floor
        up = int(pct_start * period)
        half_cos = lambda a, b, t: a + (b - a) * 0.5 * (1.0 - np.cos(np.pi * np.clip(t, 0, 1)))
        rise = half_cos(low, peak, e / max(up, 1))
        fall = half_cos(peak, end, (e - up) / max(period - up, 1))
        return np.where(e < up, rise, fall)
    raise ValueError(f"schedule: unknown schedule {name!r}")


# The floor's value is written in schedule_lr's signature: one place, which the exported
# script's set-up is written from (export.script; tests/export checks that the script's
# own schedule gives the same rates).
SCHEDULE_FLOOR = inspect.signature(schedule_lr).parameters["floor"].default


# ================================================================ the LR finder
LR_FIND_STEPS = 1000     # see the module's docstring
LR_FIND_START, LR_FIND_END = 1e-5, 10.0    # the learning-rate menu's range
LR_FIND_SEEDS = 5
SMOOTHING = 0.98        # the exponential moving average's decay (fast.ai's beta)
STOP_FACTOR = 4.0       # stop when the smoothed loss exceeds 4× its best
SKIP_START, SKIP_END = 10, 5   # points left out when looking for the steepest descent
FINDER_STREAM = 0x1F1D  # fold_in tag of the finder's minibatch orders


def finder_learning_rates(steps: int = LR_FIND_STEPS, start: float = LR_FIND_START,
                          end: float = LR_FIND_END) -> np.ndarray:
    """(steps,) float32 learning rates growing exponentially from start to end."""
    return (start * (end / start) ** (np.arange(steps) / (steps - 1))).astype(np.float32)


def _lr_find(params, arch: mlp.ArchArrays, hyper: Hyper, data: Data, key, lrs):
    """Train a copy of params at lrs[i] for minibatch i (the general program's steps, a
    fresh optimizer state); stop for good once the smoothed loss exceeds STOP_FACTOR × its
    best or is not finite. Returns (losses, smoothed) (steps,): the minibatch loss before
    each step (NaN once stopped) and its bias-corrected exponential moving average."""
    TRACES["lr_finder"] += 1
    per_epoch = (data.n_train + hyper.batch_size - 1) // hyper.batch_size
    state = TrainState(params, opt_init(params))

    def step(carry, xs):
        state, avg, best, stopped = carry
        i, lr = xs
        epoch = i // per_epoch
        order = general_order(key, epoch, data)
        new, loss = general_step(state, arch, hyper, data, key, order, epoch,
                                       i % per_epoch, lr, with_loss=True)
        avg = SMOOTHING * avg + (1.0 - SMOOTHING) * loss
        smooth = avg / (1.0 - SMOOTHING ** (i + 1).astype(jnp.float32))
        blown = ~jnp.isfinite(smooth) | (smooth > STOP_FACTOR * best)
        state = jax.tree.map(lambda a, b: jnp.where(stopped, a, b), state, new)
        out = (jnp.where(stopped, jnp.nan, loss), jnp.where(stopped, jnp.nan, smooth))
        best = jnp.where(stopped, best, jnp.minimum(best, smooth))
        return (state, avg, best, stopped | blown), out

    steps = jnp.arange(lrs.shape[0], dtype=jnp.int32)
    carry = (state, jnp.float32(0.0), jnp.float32(jnp.inf), jnp.bool_(False))
    _, (losses, smoothed) = jax.lax.scan(step, carry, (steps, lrs))
    return losses, smoothed


lr_find_one = jax.jit(_lr_find)
lr_find_seeds = jax.jit(jax.vmap(_lr_find, in_axes=(None, None, None, None, 0, None)))


class LRFinderResult(NamedTuple):
    """The finder's curves and its suggestions (learning rates in float)."""
    lrs: np.ndarray          # (steps,) the learning rate of each minibatch
    losses: np.ndarray       # (seeds, steps) the minibatch losses, NaN after the stop
    smoothed: np.ndarray     # (seeds, steps) their bias-corrected moving averages
    recorded: np.ndarray     # (seeds,) how many steps each seed ran before it stopped
    mean: np.ndarray         # (steps,) the smoothed curves' mean over the seeds
    low: np.ndarray          # (steps,) their minimum (the band), NaN where any stopped
    high: np.ndarray         # (steps,) their maximum
    lr_at_minimum: float     # where the mean curve is lowest
    lr_min_div10: float      # one order of magnitude below that
    lr_steepest: float       # where the mean curve falls fastest (per decade of lr)
    suggestion: float        # the rate suggested (== lr_min_div10, the course's rule)
    suggested_by: str        # "minimum/10"
    falls: bool              # does the curve fall by FALL_SHARE at all? (else: a guess)


FALL_SHARE = 0.05   # a curve whose minimum is not 5 % below its start hardly falls
START_SHARE = 0.1   # the curve's start: the median of its first tenth (one point is noisy)
STEEP_SPAN = 0.2    # decades of learning rate over which the steepest slope is measured

def finder_keys(key, seeds: int = LR_FIND_SEEDS):
    """(seeds, 2) keys of the finder's minibatch orders: seed s draws from fold_in(key, s)."""
    base = jax.random.fold_in(key, FINDER_STREAM)
    return jnp.stack([jax.random.fold_in(base, s) for s in range(seeds)])


def lr_finder(params, arch_arrays: mlp.ArchArrays, hyper: Hyper, data: Data,
              key, seeds: int = LR_FIND_SEEDS) -> LRFinderResult:
    """Run the LR finder from ``params`` for ``seeds`` minibatch orders at once (one
    compiled call) and summarise it (see ``summarize``). params: the padded layout of
    ``mlp``; the result's curves are (seeds, steps), see ``LRFinderResult``."""
    lrs = finder_learning_rates()
    losses, smoothed = lr_find_seeds(params, arch_arrays, hyper, data,
                                     finder_keys(key, seeds), lrs)
    return summarize(lrs, np.asarray(losses), np.asarray(smoothed))


def summarize(lrs, losses, smoothed) -> LRFinderResult:
    """The band over seeds and the suggestions, from the finder's curves (seeds, steps).

    The suggestions come from the mean of the smoothed curves over the steps every seed
    recorded, leaving out the first SKIP_START points (the average of a few noisy
    minibatches) and the last SKIP_END (the blow-up), as fast.ai does: the learning rate
    of its minimum / 10 (the course's rule: about an order of magnitude below the minimum,
    where the loss still falls steeply — this is the ``suggestion``), and the rate where
    it falls most steeply per decade of learning rate, measured across STEEP_SPAN decades
    (fast.ai's other suggestion). Both are clipped to [LR_FIND_START, LR_FIND_END].
    ``falls`` is False when the minimum is not even FALL_SHARE below the curve's start
    (the median of its first START_SHARE, as one point of it is noisy): a network that
    learns nothing within the finder's minibatches at any rate (or has nothing left to
    learn), where any suggestion is a guess."""
    lrs = np.asarray(lrs, np.float64)
    smoothed = np.atleast_2d(np.asarray(smoothed, np.float64))
    losses = np.atleast_2d(np.asarray(losses, np.float64))
    recorded = np.sum(np.isfinite(smoothed), axis=1)
    common = max(1, int(np.min(recorded)))
    mean = np.mean(smoothed, axis=0)
    low, high = np.min(smoothed, axis=0), np.max(smoothed, axis=0)
    lo, hi = SKIP_START, common - SKIP_END
    if hi - lo < 3:                      # stopped very early: use what there is
        lo, hi = 0, common
    curve, rates = mean[lo:hi], lrs[lo:hi]
    i_min = int(np.nanargmin(curve)) if np.any(np.isfinite(curve)) else 0
    lr_min = float(rates[i_min])
    per_decade = (len(lrs) - 1) / max(np.log10(lrs[-1] / lrs[0]), 1e-12)
    k = max(1, int(round(per_decade * STEEP_SPAN / 2)))     # the slope's half-width
    if len(curve) > 2 * k:
        slope = (curve[2 * k:] - curve[:-2 * k]) / np.log10(rates[2 * k:] / rates[:-2 * k])
        lr_steep = float(rates[k + int(np.nanargmin(slope))]) if np.any(np.isfinite(slope)) \
            else lr_min / 10.0
    else:
        lr_steep = lr_min / 10.0
    start = np.nanmedian(curve[:max(1, int(len(curve) * START_SHARE))]) \
        if np.any(np.isfinite(curve)) else np.nan
    falls = bool(np.isfinite(start) and curve[i_min] < (1.0 - FALL_SHARE) * start)
    clip = lambda v: float(min(max(v, LR_FIND_START), LR_FIND_END))
    return LRFinderResult(lrs.astype(np.float32), losses.astype(np.float32),
                          smoothed.astype(np.float32), recorded, mean, low, high,
                          lr_min, clip(lr_min / 10.0), clip(lr_steep),
                          clip(lr_min / 10.0), "minimum/10", falls)


def nearest_choice(value: float, choices) -> float:
    """The choice closest to value on a log scale (e.g. the learning-rate menu)."""
    return min(choices, key=lambda c: abs(math.log(c) - math.log(value)))
