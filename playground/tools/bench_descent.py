"""Benchmark of the gradient-descent lab: ``python -m playground.tools.bench_descent [--quick]``.

Figures (milliseconds unless said otherwise), on the default network (circle, 2-4-2-1):
the real-net loss landscape on its LANDSCAPE_RES² grid (PCA and random directions), the
LR finder with 5 seeds, and 16 packed copies against one copy and against one ordinary
run (exact tier) for the same epochs. Every figure is the fastest of several interleaved
repetitions, after a first call that compiles (other processes on a shared machine make
medians noisy; the minimum is what the code costs).
"""
from __future__ import annotations

import argparse
import json
import time

import jax
import numpy as np

from ..server import jaxconfig
from .. import Run
from ..engine import descent, lr, parallel, train
from ..state.descent import run_landscape, run_lr_finder


def fastest(calls: dict, repeat: int) -> dict:
    """{name: fastest seconds} of zero-argument calls, interleaved, after a warm call."""
    for fn in calls.values():
        fn()
    best = {k: float("inf") for k in calls}
    for _ in range(repeat):
        for k, fn in calls.items():
            t0 = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def parallel_calls(setup: dict, epochs: int) -> dict:
    run = Run(**setup)
    arch, aa, hyper, data, key = run.arch, run.arch_arrays, run.hyper, run.data, run.shuffle_key
    firsts = [train.init_state(jax.random.PRNGKey(s), aa) for s in range(parallel.MAX_COPIES)]
    calls = {}
    for n in (1, parallel.MAX_COPIES):
        state = parallel.init_packed([s.params for s in firsts[:n]], arch, run.optimizer)
        table = np.full((n, train.LR_TABLE_LEN), run.learning_rate, np.float32)
        calls[f"packed_{n}"] = (lambda state=state, table=table: jax.block_until_ready(
            parallel.train_packed(state, arch, table, hyper, data, key, 0, epochs)))
    calls["run"] = lambda: jax.block_until_ready(
        train.train_epochs(firsts[0], arch, aa, hyper, data, key, 0, epochs, tier="exact"))
    return calls


def lab_calls() -> dict:
    """The lab's hot paths on the default network, as zero-argument calls: the landscape
    (PCA and random directions, and its grid alone) and the LR finder (5 seeds, 1 seed)."""
    run = Run()
    run.tier = "exact"
    for _ in range(10):
        run.train(5)                               # a trajectory of 11 snapshots
    key = jax.random.PRNGKey(0)
    return {
        "landscape_pca": lambda: run_landscape(run, "pca"),
        "landscape_random": lambda: run_landscape(run, "random"),
        "landscape_grid": lambda: jax.block_until_ready(descent.landscape_grid(
            run.state.params, run.arch_arrays, run.data, run.state.params,
            run.state.params, descent.landscape_axis(1.0), descent.landscape_axis(1.0))),
        "lr_finder_5_seeds": lambda: run_lr_finder(run),
        "lr_finder_1_seed": lambda: jax.block_until_ready(lr.lr_find_one(
            run.state.params, run.arch_arrays, run.hyper, run.data, key,
            lr.finder_learning_rates())),
    }


def bench_descent(quick: bool = False) -> dict:
    """The lab's figures as a dict (see the module docstring)."""
    repeat = 5 if quick else 15
    out = {}
    best = fastest(lab_calls(), max(3, repeat // 3))
    out.update({f"{k}_ms": v * 1e3 for k, v in best.items()})
    out["landscape_points"] = descent.LANDSCAPE_RES ** 2

    epochs = 50 if quick else 200
    setups = {"default": {}, "default_adam": dict(optimizer="adam")}
    if not quick:
        setups["6x8"] = dict(dataset="spiral", hidden=[8] * 6)
    for name, setup in setups.items():
        best = fastest(parallel_calls(setup, epochs), repeat)
        n = parallel.MAX_COPIES
        out[f"parallel_{name}_epoch_ms_{n}_copies"] = best[f"packed_{n}"] / epochs * 1e3
        out[f"parallel_{name}_epoch_ms_1_copy"] = best["packed_1"] / epochs * 1e3
        out[f"parallel_{name}_epoch_ms_run"] = best["run"] / epochs * 1e3
        out[f"parallel_{name}_ratio_16_vs_1_copy"] = best[f"packed_{n}"] / best["packed_1"]
        out[f"parallel_{name}_ratio_16_vs_run"] = best[f"packed_{n}"] / best["run"]
    return out


def main(argv=None):
    jaxconfig.configure()      # the device choice and the on-disk compilation cache
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions and epochs")
    ap.add_argument("--json", default="", help="also write the figures to this file")
    args = ap.parse_args(argv)
    figures = bench_descent(args.quick)
    for k, v in figures.items():
        print(f"{k:48s} {v:10.3f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)


if __name__ == "__main__":
    main()
