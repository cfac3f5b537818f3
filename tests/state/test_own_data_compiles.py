"""Editing the learner's own data runs no compile: each click that adds or removes a
point, and each file uploaded, has a new number of points, and anything run operation by
operation in JAX on arrays of that length compiled each operation again, on the server's
event loop: 0.15–0.9 s a click before (the data's features, the run's yardstick loss)."""
import logging

import jax
import numpy as np
import pytest

from playground.state.run import Run


@pytest.mark.parametrize("dataset", ["circle", "blobs3", "plane", "sine"])
def test_edits_of_the_learners_data_compile_nothing(dataset, caplog):
    run = Run(dataset=dataset)
    label = 2.0 if dataset == "blobs3" else 1.0
    # the first edits: what a run of this kind compiles once (its programs, its new tier)
    run.add_point(1.0, 2.0, label)
    run.add_point(1.5, 2.0, -label if dataset != "blobs3" else 0.0)
    run.train(2)
    rng = np.random.default_rng(0)
    caplog.clear()
    with caplog.at_level(logging.WARNING), jax.log_compiles(True):
        for i in range(3):
            run.add_point(0.1 * i, -1.0, label)
        run.remove_point_near(0.0, -1.0)
        X = rng.uniform(-5, 5, (123, 2)).astype(np.float32)
        if run.multiclass:
            run.use_own_data(X, np.arange(123) % 3, classification=True, classes=3)
        elif run.classification:
            run.use_own_data(X, np.sign(X[:, 0] * X[:, 1]), classification=True)
        else:
            run.use_own_data(X, np.tanh(X[:, 0]), classification=False, one_d=run.one_d)
    compiled = [r.getMessage()[:120] for r in caplog.records
                if r.getMessage().startswith("Compiling")]
    assert compiled == []
    assert run.dataset == "own"
