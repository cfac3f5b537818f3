"""Benchmark: ``python -m playground.bench [--json PATH] [--quick]``.

Prints the playground's figures and writes them as JSON (default ``bench.json``):
training throughput, one frame (K=1 epoch + the heatmap the page draws), the first
frame after an architecture change, and the same figures for a plain numpy
implementation of the same training run, measured in the same process; then the
gradient-descent lab's and the digits tab's figures. On a GPU it also times the batched
work on the GPU and on the CPU (``bench_devices``) and reports where the GPU gains.
``--browser`` adds the page's figures in headless Chromium (``bench_browser``, keys
``browser_*``).
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time

import jax
import numpy as np

from ..server import jaxconfig, share_the_interpreter
from .. import Run
from ..engine import train
from . import numpy_mlp
from .machine import machine_ms, report
from ..engine.features import all_features
from ..engine.features import grid_points
from ..state import network
from ..ui.app import PlaygroundApp

SETUPS = {
    "default": dict(dataset="circle", hidden=[4, 2], activation="tanh", batch_size=10),
    "6x8": dict(dataset="spiral", hidden=[8] * 6, activation="tanh", batch_size=10),
}


def _timeit(fn, repeat, min_s=0.0):
    """Median seconds of fn() over `repeat` calls (after one warm call)."""
    fn()
    times = []
    t_end = time.perf_counter() + min_s
    while len(times) < repeat or time.perf_counter() < t_end:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_jax(name, setup, quick):
    run = Run(**setup)
    run.tier = "exact"
    n_train = len(run.y_train)
    epochs = 50 if quick else 200
    s = _timeit(lambda: run.train(epochs), 3 if quick else 5)
    out = {f"samples_per_s_{name}": n_train * epochs / s, f"epoch_ms_{name}": s / epochs * 1e3}

    def frame():                          # K=1 epoch + the heatmap + every neuron picture
        run.train(1)
        run.decision_grid()
        network.neuron_thumbnails(run, codes=True)
    out[f"frame_ms_{name}"] = _timeit(frame, 50 if quick else 200) * 1e3

    app = PlaygroundApp(Run(**setup))     # the page's own tick: all of the above + Bokeh sources
    app.run.tier = "exact"
    app.controls.playing = True
    out[f"app_tick_ms_{name}"] = _timeit(app.tick, 50 if quick else 200) * 1e3
    return out


def bench_numpy(name, setup, quick):
    run = Run(**setup)                    # the same data
    X = np.asarray(all_features(run.X_train), np.float32)[:, :2]
    y = run.y_train
    rng = np.random.default_rng(0)
    layers = numpy_mlp.init(rng, [2, *setup["hidden"], 1])
    epochs = 5 if quick else 20
    s = _timeit(lambda: [numpy_mlp.train_epoch(layers, X, y, 0.03, 10, rng)
                         for _ in range(epochs)], 3)
    G, G_thumbs = grid_points(), grid_points(network.THUMB_RES)

    def frame():                          # the same work as the JAX frame
        numpy_mlp.train_epoch(layers, X, y, 0.03, 10, rng)
        numpy_mlp.forward(layers, G)
        numpy_mlp.forward(layers, G_thumbs)   # every neuron's activations
    f = _timeit(frame, 20 if quick else 50) * 1e3
    return {f"numpy_samples_per_s_{name}": len(y) * epochs / s,
            f"numpy_frame_ms_{name}": f,
            # numpy compiles nothing: its first frame after a change is an ordinary frame
            f"numpy_first_frame_after_change_ms_{name}": f}


def bench_first_frame(quick):
    """Architecture change -> next frame, for shapes no program was compiled for."""
    run = Run()
    run.tier = "auto"
    run.train(1)
    train.PROGRAMS.wait()
    times = []
    changes = [[5, 3], [7], [6, 6, 6], [3, 3, 3, 3], [9, 2], [11, 5, 2]][: 3 if quick else 6]
    for hidden in changes:
        t0 = time.perf_counter()
        run.hidden = hidden               # resets the run: new weights, new shapes
        run.train(1)
        jax.block_until_ready(run.decision_grid())
        times.append((time.perf_counter() - t0) * 1e3)
        train.PROGRAMS.wait()             # let the background compile finish between changes
    return {"first_frame_after_change_ms": statistics.median(times),
            "first_frame_after_change_ms_max": max(times),
            "first_frame_after_change_ms_each": [round(t, 1) for t in times],
            "first_frame_tiers": "general program while the exact one compiles"}


def configure_process() -> None:
    """The process as a server has it for training (``server.install()``'s part that the
    engine's figures depend on): JAX's device and compilation cache, and the interpreter's
    short switch interval, without which a frame waits for the compile thread's tracing
    (docs/performance.md, "The house redesign")."""
    jaxconfig.configure()
    share_the_interpreter()


def main(argv=None):
    configure_process()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default="bench.json", help="where to write the figures")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    ap.add_argument("--browser", action="store_true",
                    help="also serve the app and measure the page in headless Chromium")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    from .. import warmup
    warmup()
    res = {"device": str(jax.devices()[0]), "platform": jax.default_backend(),
           "machine": platform.machine(), "python": platform.python_version(),
           "jax": jax.__version__, "machine_ms_before": machine_ms()}
    for name, setup in SETUPS.items():
        res.update(bench_jax(name, setup, args.quick))
        res.update(bench_numpy(name, setup, args.quick))
    res.update(bench_first_frame(args.quick))
    from .bench_descent import bench_descent          # the gradient-descent lab's hot paths
    res.update({f"descent_{k}": v for k, v in bench_descent(args.quick).items()})
    from .bench_digits import bench_digits            # the digits CNN, MLP and scikit-learn
    res.update({f"digits_{k}": v for k, v in bench_digits(args.quick).items()})
    from .bench_devices import NO_GPU, bench_devices
    if jax.default_backend() != "cpu":                # the batched work, GPU against CPU
        res["devices"] = bench_devices(quick=True)
    else:                                             # the figures above are the CPU's
        res["gpu"] = NO_GPU
    if args.browser:                                  # the page: cold start, updates/s, clicks
        from .bench_browser import measure
        page = measure(seconds=2.0 if args.quick else 5.0, clicks_n=6 if args.quick else 20)
        res.update({f"browser_{k}": v for k, v in page.items()})
    res["machine_ms_after"] = machine_ms()     # a shared machine's slow spell shows here
    res["bench_seconds"] = time.perf_counter() - t0
    return report(res, args.json)


if __name__ == "__main__":
    main()
