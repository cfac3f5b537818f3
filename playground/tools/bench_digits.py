"""How fast the digits models learn: ``python -m playground.tools.bench_digits [--quick]``.

Trains the default CNN and the default MLP (``DigitsRun`` defaults, seed 0, 25 % held out)
epoch by epoch for up to BUDGET_S seconds of training (the compile is timed apart), and
scikit-learn's ``MLPClassifier`` on the same split when scikit-learn is installed.
Benchmarks are not tests: the figures depend on the machine and its load.
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np

BUDGET_S = 15.0
QUICK_BUDGET_S = 3.0
CHECKPOINTS_S = (3.0, 10.0, 15.0)
TARGETS = {"cnn": 0.99, "mlp": 0.97}


def _bench_model(model: str, budget_s: float) -> dict:
    from playground import DigitsRun
    run = DigitsRun(model=model, seed=0)
    t0 = time.perf_counter()
    run.train(1)                       # compiles this set-up's program (once per process)
    compile_s = time.perf_counter() - t0
    run.reset()
    elapsed, curve = 0.0, []           # (seconds of training, test accuracy) after each epoch
    while elapsed < budget_s:
        t0 = time.perf_counter()
        acc = run.train(1)["test_accuracy"]
        elapsed += time.perf_counter() - t0
        curve.append((elapsed, acc))
    target = TARGETS[model]
    reached = next(((t, e + 1) for e, (t, a) in enumerate(curve) if a >= target), None)
    out = {"first_epoch_with_compile_s": round(compile_s, 2), "epochs": len(curve),
           "train_s": round(elapsed, 2), "epoch_ms": round(1000 * elapsed / len(curve), 1),
           "final_test_accuracy": round(curve[-1][1], 4),
           "best_test_accuracy": round(max(a for _, a in curve), 4),
           f"time_to_{target:.0%}_s": None if reached is None else round(reached[0], 2),
           f"epochs_to_{target:.0%}": None if reached is None else reached[1]}
    for mark in CHECKPOINTS_S:
        if mark <= budget_s:
            done = [a for t, a in curve if t <= mark]
            out[f"test_accuracy_at_{mark:g}s"] = round(done[-1], 4) if done else None
    return out


def _bench_sklearn() -> dict | None:
    try:
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        return None
    from playground.engine import digits
    split = digits.make_split(0)
    flat = lambda x: np.asarray(x, np.float64).reshape(len(x), -1) / digits.PIXEL_MAX
    clf = MLPClassifier(hidden_layer_sizes=(100,), max_iter=500, random_state=0)
    t0 = time.perf_counter()
    clf.fit(flat(split.x_train), split.y_train)
    fit_s = time.perf_counter() - t0
    return {"hidden": 100, "iterations": int(clf.n_iter_), "fit_s": round(fit_s, 2),
            "test_accuracy": round(float(clf.score(flat(split.x_test), split.y_test)), 4)}


def bench_digits(quick: bool = False) -> dict:
    """Figures of the default CNN, the default MLP and scikit-learn's MLPClassifier
    (None without scikit-learn). quick: a 3 s budget per model instead of 15 s."""
    budget = QUICK_BUDGET_S if quick else BUDGET_S
    return {"budget_s": budget, "cnn": _bench_model("cnn", budget),
            "mlp": _bench_model("mlp", budget), "sklearn_mlp": _bench_sklearn()}


if __name__ == "__main__":
    print(json.dumps(bench_digits(quick="--quick" in sys.argv[1:]), indent=2))
