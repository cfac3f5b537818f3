"""standalone.py, the script's code as a module: it imports and trains its example (a
playground run, to the playground's numbers), and its functions by name are the engine's."""
import json
import runpy

import jax.numpy as jnp
import numpy as np
import pytest

from playground.engine import features, lr, mlp
from playground.export import script, standalone

from .common import exact_run

# the playground run whose set-up standalone.py holds as its example
EXAMPLE = dict(dataset="circle", n_samples=40, hidden=[3], features=["x1", "x2"],
               optimizer="adam", learning_rate=0.1)


def test_the_module_runs_its_example_as_a_script(capsys, monkeypatch):
    monkeypatch.setattr("sys.argv", ["standalone.py", "4"])
    runpy.run_path(standalone.__file__, run_name="__main__")      # python standalone.py 4
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[-1])
    assert result["epochs"] == 4 and len(lines) == 5          # a line an epoch, then JSON
    assert set(result) == {"epochs", "train_loss", "test_loss", "train_accuracy",
                           "test_accuracy"}
    assert all(np.isfinite(v) for v in result.values())


def test_its_example_is_the_playground_run_it_says_and_ends_with_its_numbers(capsys,
                                                                            monkeypatch):
    run = exact_run(**EXAMPLE)
    m = run.train(standalone.EPOCHS)
    ns = {"np": np}
    exec(script.setup_block(run), ns)                        # what an export would write
    names = [k for k in ns if k.isupper()]
    assert len(names) > 20 and standalone.EPOCHS == 100
    for name in names:
        mine, written = getattr(standalone, name), ns[name]
        if name in ("W_INIT", "B_INIT"):
            assert len(mine) == len(written), name
            assert all(np.array_equal(a, b) and a.dtype == b.dtype
                       for a, b in zip(mine, written)), name
        elif isinstance(written, np.ndarray):
            assert np.array_equal(mine, written) and mine.dtype == written.dtype, name
        else:
            assert mine == written and type(mine) is type(written), name

    monkeypatch.setattr("sys.argv", ["standalone.py"])      # its own EPOCHS
    standalone.main()
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["epochs"] == m["epoch"] == 100
    for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        assert result[key] == pytest.approx(m[key], abs=1e-6), key
    assert result["test_accuracy"] >= 0.9                     # it learns the circle


def test_its_functions_by_name_are_the_engines():
    z = jnp.linspace(-4, 4, 101, dtype=jnp.float32)
    y = jnp.where(jnp.arange(101) % 2 == 0, 1.0, -1.0)
    assert set(standalone.ACTIVATION_FUNCTIONS) == set(mlp.ACTIVATIONS)
    for name, fn in standalone.ACTIVATION_FUNCTIONS.items():
        np.testing.assert_array_equal(fn(z), mlp.ACTIVATION_FNS[name](z), name)
    assert set(standalone.OUTPUT_LOSSES) == set(standalone.OUTPUT_PREDICTIONS) == \
        set(mlp.OUTPUTS)
    for k, kind in enumerate(mlp.OUTPUTS[:mlp.SOFTMAX]):        # one output unit
        np.testing.assert_allclose(standalone.OUTPUT_LOSSES[kind](z, y),
                                   mlp.example_loss(k, z, y), rtol=1e-6)
        np.testing.assert_allclose(standalone.OUTPUT_PREDICTIONS[kind](z),
                                   mlp.display_output(k, z), rtol=1e-6)
    zk = jnp.stack([z, -z, 0.5 * z, z ** 2 / 4], axis=1)         # four classes
    yk = (jnp.arange(101) % 4).astype(jnp.float32)
    np.testing.assert_allclose(standalone.OUTPUT_LOSSES["softmax_ce"](zk, yk),
                               mlp.logits_loss(mlp.SOFTMAX, zk, yk), rtol=1e-6)
    np.testing.assert_array_equal(standalone.OUTPUT_PREDICTIONS["softmax_ce"](zk),
                                  mlp.logits_display(mlp.SOFTMAX, zk))
    assert standalone.FEATURE_NAMES == features.FEATURES
    X = np.random.default_rng(0).uniform(-6, 6, (300, 2)).astype(np.float32)
    np.testing.assert_array_equal(standalone.input_features(X), features.numpy_features(X))
    np.testing.assert_allclose(standalone.input_features(X), features.all_features(X),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", lr.SCHEDULES)
def test_its_schedule_is_the_engines(name):
    epochs = np.arange(400)
    shape = {k: standalone.SCHEDULE_SETTINGS[k] for k in ("pct_start", "div_factor", "floor")}
    for period, cycle_mult, step_factor in ((10, 2, 0.5), (7, 1, 0.3), (100, 3, 0.9)):
        want = lr.schedule_lr(name, epochs, 0.3, period, cycle_mult, step_factor)
        got = standalone.schedule_lr(name, epochs, 0.3, period, cycle_mult, step_factor,
                                     **shape)
        np.testing.assert_array_equal(got, want)


def test_a_setup_that_does_not_fit_is_refused_with_a_clear_message(monkeypatch):
    monkeypatch.setattr(standalone, "HIDDEN", [4])
    with pytest.raises(ValueError, match=r"layer 0: W \(2, 3\)"):
        standalone.initial_params()
    monkeypatch.setattr(standalone, "HIDDEN", [3])
    monkeypatch.setattr(standalone, "LAYER_ACTIVATIONS", ["swish"])
    with pytest.raises(ValueError, match="activation 'swish': not one of relu, tanh"):
        standalone.check_setup()
