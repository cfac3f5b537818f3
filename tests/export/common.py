"""What the export tests share: exact-tier runs, their weights, files, and an exported
script run in this process."""
from __future__ import annotations

import io
import json

import jax
import numpy as np
import pytest

from playground import Run
from playground.engine import mlp

XOR_ADAM = dict(dataset="xor", optimizer="adam", regularization="l2", reg_rate=0.003,
                batch_size=7, features=["x1", "x2", "x1x2"])

per_layer = pytest.mark.skipif("activations" not in Run.param,
                               reason="this Run has one activation for every layer")


def exact_run(**kw):
    run = Run(**kw)
    run.tier = "exact"
    return run


def exact_params(run):
    return jax.device_get(mlp.to_exact(run.state.params, run.arch))


def same_tree(a, b):
    la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
    return len(la) == len(lb) and all(np.array_equal(np.asarray(x), np.asarray(y))
                                      for x, y in zip(la, lb))


def settings_file(settings=None, **top):
    """A settings file's text: ``settings`` and any top-level keys over the defaults."""
    d = {"format": "neural-network-playground", "version": 1,
         "settings": {} if settings is None else settings, "epoch": 3}
    d.update(top)
    return json.dumps(d)


def npz_file(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def in_process(code, epochs):
    """Run the exported script's functions in this process (no subprocess start-up)."""
    ns = {"__name__": "exported"}
    exec(compile(code, "exported.py", "exec"), ns)
    x_train = np.asarray(ns["input_features"](ns["X_TRAIN"]))
    x_test = np.asarray(ns["input_features"](ns["X_TEST"]))
    params = ns["train"](ns["initial_params"](), x_train, ns["Y_TRAIN"], epochs)
    (trl, tra), (tel, tea) = (ns["evaluate"](params, x_train, ns["Y_TRAIN"]),
                              ns["evaluate"](params, x_test, ns["Y_TEST"]))
    return {"train_loss": float(trl), "test_loss": float(tel),
            "train_accuracy": float(tra), "test_accuracy": float(tea)}
