"""Export/import: settings JSON (and hostile files), weights .npz, the standalone script."""
import io
import json
import os
import re
import subprocess
import sys
import zipfile

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from playground import Run, export
from playground.engine import mlp

XOR_ADAM = dict(dataset="xor", optimizer="adam", regularization="l2", reg_rate=0.003,
                batch_size=7, features=["x1", "x2", "x1x2"])


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


# ------------------------------------------------------------------ settings JSON
def test_settings_json_round_trip_trains_to_identical_metrics():
    run = exact_run(**XOR_ADAM, hidden=[3], learning_rate=0.1, seed=7, noise=10.0)
    run.train(12)
    text = export.settings_to_json(run)
    doc = json.loads(text)
    assert doc["format"] == "neural-network-playground" and doc["version"] == 1
    assert doc["epoch"] == 12 and "\n  " in text                 # pretty
    assert export.settings_from_json(text) == run.settings()
    assert export.settings_from_json(text.encode()) == run.settings()   # FileInput bytes
    assert export.epoch_from_json(text) == 12

    again = export.run_from_json(text)
    again.tier = "exact"
    assert again.settings() == run.settings() and again.epoch == 0
    fresh = exact_run(**run.settings())
    assert again.train(12) == fresh.train(12) == run.metrics()


def test_partial_settings_keep_the_defaults():
    text = json.dumps({"format": "neural-network-playground", "version": 1,
                       "settings": {"dataset": "xor", "hidden": []}})
    assert export.settings_from_json(text) == {"dataset": "xor", "hidden": []}
    run = export.run_from_json(text)
    assert run.dataset == "xor" and run.hidden == [] and run.learning_rate == 0.03


def test_apply_settings_gives_a_bound_run_the_files_setup():
    run = Run(features=["x1", "x2", "x1x2"], learning_rate=0.3)
    run.dataset = "sine"                         # the run remembers its 2-D features
    run.train(3)
    wanted = Run(dataset="circle", features=["x1"], hidden=[2]).settings()
    text = json.dumps({"format": "neural-network-playground", "version": 1,
                       "settings": wanted})
    export.apply_settings(run, export.settings_from_json(text))
    assert run.settings() == wanted and run.epoch == 0 and run.status == "ready"


def test_replay_reaches_the_exported_epoch():
    run = exact_run()
    run.train(5)
    again = export.run_from_json(export.settings_to_json(run), replay=True)
    assert again.epoch == 5
    assert again.metrics()["test_loss"] == pytest.approx(run.metrics()["test_loss"], abs=1e-5)


def _doc(settings=None, **top):
    doc = {"format": "neural-network-playground", "version": 1,
           "settings": {} if settings is None else settings, "epoch": 3}
    doc.update(top)
    return json.dumps(doc)


HOSTILE_JSON = [
    ("garbage", "this is not json", "file: not valid JSON"),
    ("empty", "", "file: not valid JSON"),
    ("list", "[1, 2, 3]", "file: expected a JSON object"),
    ("string", '"neural-network-playground"', "file: expected a JSON object"),
    ("no format", json.dumps({"version": 1, "settings": {}}), "format:"),
    ("wrong format", _doc(format="tensorflow-playground"), "format:"),
    ("format script", _doc(format="<script>alert(1)</script>"), "format:"),
    ("no version", json.dumps({"format": "neural-network-playground", "settings": {}}),
     "version:"),
    ("future version", _doc(version=2), "version:"),
    ("unknown top key", _doc(extra=1), "file: unknown key"),
    ("settings list", _doc(settings=[1]), "settings:"),
    ("negative epoch", _doc(epoch=-1), "epoch:"),
    ("unknown setting", _doc({"colour": "red"}), "settings: unknown setting"),
    ("script key", _doc({"<script>alert(1)</script>": 1}), "settings: unknown setting"),
    ("hidden zero", _doc({"hidden": [0]}), "hidden:"),
    ("hidden 17", _doc({"hidden": [17]}), "hidden:"),
    ("hidden float", _doc({"hidden": [4, 2.5]}), "hidden:"),
    ("hidden bool", _doc({"hidden": [True]}), "hidden:"),
    ("hidden too deep", _doc({"hidden": [1] * 9}), "hidden:"),
    ("hidden text", _doc({"hidden": "4,2"}), "hidden:"),
    ("learning rate text", _doc({"learning_rate": "abc"}), "learning_rate:"),
    ("learning rate zero", _doc({"learning_rate": 0}), "learning_rate:"),
    ("learning rate huge", _doc({"learning_rate": 1e300}), "learning_rate:"),
    ("noise overflow", _doc({"noise": 1}).replace('"noise": 1', '"noise": 1e999'), "noise:"),
    ("nan", _doc({"noise": 1}).replace('"noise": 1', '"noise": NaN'), "file: not valid JSON"),
    ("infinity", _doc({"noise": 1}).replace('"noise": 1', '"noise": -Infinity'),
     "file: not valid JSON"),
    ("seed huge", _doc({"seed": 10 ** 40}), "seed:"),
    ("seed 5000 digits", _doc({"seed": 1}).replace('"seed": 1', '"seed": ' + "9" * 5000),
     "seed:"),
    ("seed negative", _doc({"seed": -1}), "seed:"),
    ("batch float", _doc({"batch_size": 3.0}), "batch_size:"),
    ("batch bool", _doc({"batch_size": True}), "batch_size:"),
    ("batch too big", _doc({"batch_size": 65}), "batch_size:"),
    ("ratio", _doc({"train_ratio": 0.95}), "train_ratio:"),
    ("samples", _doc({"n_samples": 100000}), "n_samples:"),
    ("dataset script", _doc({"dataset": "<script>alert(1)</script>"}), "dataset:"),
    ("dataset null", _doc({"dataset": None}), "dataset:"),
    ("feature script", _doc({"features": ["x1", "<img src=x onerror=alert(1)>"]}),
     "features:"),
    ("features empty", _doc({"features": []}), "features:"),
    ("features text", _doc({"features": "x1"}), "features:"),
    ("activation", _doc({"activation": "softmax"}), "activation:"),
    ("stop epoch", _doc({"stop_epoch": -5}), "stop_epoch:"),
    ("cross entropy on regression", _doc({"dataset": "plane", "loss": "cross_entropy"}),
     "loss"),
    ("2-D feature on 1-D data", _doc({"dataset": "sine", "features": ["x2"]}), "features"),
    ("duplicate key", '{"format": "neural-network-playground", "format": "x"}', "twice"),
    ("deep nesting", "[" * 40_000 + "]" * 40_000, "file: not valid JSON"),
    ("too large", _doc({"dataset": "xor"}) + " " * 100_001, "file: too large"),
]


@pytest.mark.parametrize("text,field", [(t, f) for _, t, f in HOSTILE_JSON],
                         ids=[name for name, _, _ in HOSTILE_JSON])
def test_malformed_settings_are_refused_with_a_clear_message(text, field):
    with pytest.raises(ValueError) as info:
        export.settings_from_json(text)
    message = str(info.value)
    assert field in message
    assert "<" not in message and ">" not in message          # never echoes markup
    assert "Traceback" not in message and "\n" not in message and len(message) < 500
    exc = info.value                                          # no chained traceback either
    assert exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__)


def test_bytes_that_are_not_utf8_are_refused():
    with pytest.raises(ValueError, match="UTF-8"):
        export.settings_from_json(b"\xff\xfe{")
    with pytest.raises(ValueError, match="too large"):
        export.settings_from_json(b" " * 100_001)


# ------------------------------------------------------------------ weights .npz
def test_weights_npz_round_trip_gives_the_same_network():
    run = exact_run(hidden=[4, 3], features=["x2", "x1", "x1_sq"], activation="relu")
    run.train(10)
    data = export.weights_npz(run)

    z = np.load(io.BytesIO(data), allow_pickle=False)           # plain numpy can read it
    assert {"W0", "b0", "W1", "b1", "W2", "b2", "features", "hidden", "activation",
            "settings_json", "epoch"} <= set(z.files)
    assert z["W0"].shape == (3, 4) and z["W1"].shape == (4, 3) and z["W2"].shape == (3, 1)
    assert z["b2"].shape == (1,) and z["W0"].dtype == np.float32
    assert list(z["features"]) == ["x1", "x2", "x1_sq"]        # the order of W0's rows
    assert list(z["hidden"]) == [4, 3] and str(z["activation"]) == "relu"
    assert int(z["epoch"]) == 10
    assert export.settings_from_json(str(z["settings_json"])) == run.settings()
    exact = exact_params(run)
    assert all(np.array_equal(z[f"W{i}"], exact["W"][i]) for i in range(3))

    other = exact_run(**run.settings())                        # same network, epoch 0
    assert not same_tree(exact_params(other), exact)
    export.load_weights_npz(data, other)
    assert same_tree(exact_params(other), exact)
    assert same_tree(other.state.params, run.state.params)    # padding stays zero
    assert other.epoch == 10 and other.status == "trained"
    X = np.random.default_rng(0).uniform(-6, 6, (300, 2)).astype(np.float32)
    np.testing.assert_array_equal(other.predict(X), run.predict(X))
    assert other.metrics()["test_loss"] == pytest.approx(run.metrics()["test_loss"], abs=1e-6)
    # plain SGD has no optimizer state and the epoch is restored: training goes on alike
    assert other.train(3) == run.train(3)

    loaded = export.run_from_npz(data)
    assert loaded.settings() == run.settings() and same_tree(exact_params(loaded), exact)


def test_weights_of_another_network_are_refused_unless_the_settings_come_too():
    run = exact_run()
    run.train(2)
    data = export.weights_npz(run)
    for kw, field in [(dict(hidden=[3]), "hidden"), (dict(features=["x1", "x1x2"]), "features"),
                      (dict(activation="relu"), "activation"),
                      (dict(loss="cross_entropy"), "output")]:
        other = Run(**kw)
        before = exact_params(other)
        with pytest.raises(ValueError, match=f"^{field}:"):
            export.load_weights_npz(data, other)
        assert same_tree(exact_params(other), before)          # left untouched
    other = Run(dataset="spiral", hidden=[5, 5, 5], learning_rate=1.0)
    tampered = dict(np.load(io.BytesIO(data), allow_pickle=False))
    tampered["settings_json"] = np.array(export.settings_to_json(Run(hidden=[3])))
    with pytest.raises(ValueError, match="^hidden:"):       # checked before the run changes
        export.load_weights_npz(_npz(**tampered), other, with_settings=True)
    assert other.hidden == [5, 5, 5]
    export.load_weights_npz(data, other, with_settings=True)
    assert other.settings() == run.settings()
    assert same_tree(exact_params(other), exact_params(run))
    # transfer: the same network on other data is fine
    moons = Run(dataset="moons")
    export.load_weights_npz(data, moons)
    assert same_tree(exact_params(moons), exact_params(run))


def _npz(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def test_broken_weight_files_are_refused():
    good = dict(np.load(io.BytesIO(export.weights_npz(Run())), allow_pickle=False))
    broken = {
        "garbage": b"not a zip file",
        "empty": b"",
        "text": "W0",
        "no W0": _npz(**{k: v for k, v in good.items() if k != "W0"}),
        "wrong shape": _npz(**{**good, "W1": np.zeros((3, 2), np.float32)}),
        "nan": _npz(**{**good, "b0": np.full(4, np.nan, np.float32)}),
        "extra layer": _npz(**{**good, "W3": np.zeros((1, 1), np.float32)}),
        "bad feature": _npz(**{**good, "features": np.array(["x1", "<script>"])}),
        "pickled": _npz(**{**good, "hidden": np.array([object()], dtype=object)}),
        "too large": b"PK" + b"\0" * 2_000_000,
    }
    for name, data in broken.items():
        with pytest.raises(ValueError) as info:
            export.load_weights_npz(data, Run())
        message = str(info.value)
        assert "<" not in message and "Traceback" not in message, name

    bomb = io.BytesIO()                          # 100 MB of zeros in a small archive
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("W0.npy", b"\0" * 100_000_000)
    with pytest.raises(ValueError, match="too large"):
        export.read_weights_npz(bomb.getvalue())


# ------------------------------------------------------------------ the script
def test_code_tables_match_the_engine():
    z = jnp.linspace(-4, 4, 101, dtype=jnp.float32)
    y = jnp.where(jnp.arange(101) % 2 == 0, 1.0, -1.0)
    env = {"jax": jax, "jnp": jnp, "z": z, "y": y}
    for name, code in export.ACTIVATION_CODE.items():
        np.testing.assert_array_equal(eval(code, env), mlp.ACTIVATION_FNS[name](z), name)
    for kind, (loss_code, pred_code) in export.OUTPUT_CODE.items():
        k = mlp.OUTPUTS.index(kind)
        np.testing.assert_allclose(eval(loss_code, env), mlp.example_loss(k, z, y), rtol=1e-6)
        np.testing.assert_allclose(eval(pred_code, env), mlp.display_output(k, z), rtol=1e-6)
    assert set(export.ACTIVATION_CODE) == set(mlp.ACTIVATIONS)
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.standard_normal(2000).astype(np.float32) * 10.0 **
                             rng.integers(-40, 38, 2000),
                             np.array([0.0, -0.0, 1.0, -1.0, 1e-45, 3.4e38], np.float32)])
    for v in values.astype(np.float32):
        assert np.float32(float(export._num(v))).tobytes() == v.tobytes()


def _in_process(code, epochs):
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


def _run_script(path):
    """Start the script where `playground` cannot be imported at all."""
    guard = ("import runpy, sys; sys.modules['playground'] = None; "
             f"runpy.run_path({str(path)!r}, run_name='__main__')")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.Popen([sys.executable, "-c", guard], cwd=path.parent, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_exported_scripts_train_to_the_same_losses(tmp_path):
    setups = [(dict(), 30), (XOR_ADAM, 20)]
    runs, procs = [], []
    for i, (kw, epochs) in enumerate(setups):
        run = exact_run(**kw)
        run.train(epochs)
        code = export.python_script(run)
        imports = re.findall(r"^(?:import|from) (\w+)", code, re.MULTILINE)
        assert set(imports) == {"json", "sys", "jax", "numpy", "optax"}
        path = tmp_path / f"script{i}.py"
        path.write_text(code)
        runs.append(run)
        procs.append(_run_script(path))
    for run, proc in zip(runs, procs):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        result = json.loads(out.strip().splitlines()[-1])
        m = run.metrics()
        assert result["epochs"] == m["epoch"]
        for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
            assert result[key] == pytest.approx(m[key], abs=1e-5), key


@pytest.mark.parametrize("kw,epochs", [
    (dict(dataset="spiral", loss="cross_entropy", optimizer="rmsprop", regularization="l1",
          reg_rate=0.001, activation="relu", hidden=[8, 8],
          features=["x1", "x2", "sin_x1", "sin_x2"]), 12),
    (dict(dataset="sine", optimizer="momentum", activation="gelu", hidden=[6],
          features=["sin_x1", "x1"], noise=10.0, learning_rate=0.01), 10),
    (dict(dataset="moons", activation="leaky_relu", hidden=[], n_samples=77, seed=123,
          batch_size=64, train_ratio=0.3), 15),
    (dict(dataset="xor", optimizer="adam", schedule="sgdr", schedule_epochs=3, cycle_mult=2,
          learning_rate=0.1, batch_size=7), 14),
    (dict(dataset="circle", schedule="one_cycle", schedule_epochs=10, learning_rate=0.3), 12),
    (dict(dataset="gauss", schedule="step", schedule_epochs=4, step_factor=0.3,
          optimizer="momentum", n_samples=90), 10),
], ids=["spiral-bce-rmsprop-l1", "sine-momentum-gelu", "moons-linear-partial-batch",
        "xor-adam-sgdr", "circle-one-cycle", "gauss-step-decay"])
def test_exported_script_covers_losses_optimizers_and_partial_batches(kw, epochs):
    run = exact_run(**kw)
    m = run.train(epochs)
    code = export.python_script(run)
    if kw.get("schedule"):
        assert f'SCHEDULE = "{kw["schedule"]}"' in code and "def schedule_lr(" in code
    result = _in_process(code, epochs)
    for key in m:
        if key != "epoch":
            assert result[key] == pytest.approx(m[key], abs=1e-6), key


# ------------------------------------------------------- per-layer activations
per_layer = pytest.mark.skipif("activations" not in Run.param,
                               reason="this Run has one activation for every layer")


@per_layer
def test_per_layer_activations_travel_through_every_export():
    run = exact_run(dataset="circle", hidden=[5, 4], activations=["relu", "sine"],
                    optimizer="momentum")
    m = run.train(8)
    text = export.settings_to_json(run)
    assert export.settings_from_json(text)["activations"] == ["relu", "sine"]

    data = export.weights_npz(run)
    assert list(np.load(io.BytesIO(data))["activations"]) == ["relu", "sine"]
    other = exact_run(**run.settings())
    export.load_weights_npz(data, other)
    assert same_tree(exact_params(other), exact_params(run))
    with pytest.raises(ValueError, match="^activation:"):
        export.load_weights_npz(data, Run(hidden=[5, 4]))      # tanh, tanh

    code = export.python_script(run)
    assert 'LAYER_ACTIVATIONS = ["relu", "sine"]' in code
    result = _in_process(code, 8)
    for key in m:
        if key != "epoch":
            assert result[key] == pytest.approx(m[key], abs=1e-6), key


@per_layer
@pytest.mark.parametrize("value", [["softmax"], ["<script>alert(1)</script>"], "relu",
                                   [1], ["relu"] * 9])
def test_bad_per_layer_activations_are_refused(value):
    with pytest.raises(ValueError, match="^activations:") as info:
        export.settings_from_json(_doc({"activations": value}))
    assert "<" not in str(info.value)


# ------------------------------------------------ every set-up the page exports opens again
@pytest.mark.parametrize("kw", [
    dict(hidden=[4, 3], dropout=[0.5, 0.25]),
    dict(hidden=[2], dropout=[0.9], activation="relu"),
    dict(hidden=[3, 2, 2], activations=["relu", "gelu", "tanh"], dropout=[0.0, 0.1]),
    dict(dataset="sine", features=["x1", "sin_x1"], hidden=[5], dropout=[0.2]),
    dict(learning_rate=0.003, reg_rate=0.001, regularization="l1", noise=12.5,
         train_ratio=0.35, step_factor=0.3, schedule="step", schedule_epochs=7),
    dict(dataset="spiral", loss="cross_entropy", features=["x1", "x2", "sin_x1", "sin_x2"]),
])
def test_every_exported_setup_opens_again(kw):
    run = Run(**kw)
    run.train(2)
    settings = run.settings()
    assert export.settings_from_json(export.settings_to_json(run)) == settings
    again = export.run_from_npz(export.weights_npz(run))
    assert again.settings() == settings
    page = Run()                                  # the page's path: into the bound run
    export.apply_settings(page, export.settings_from_json(export.settings_to_json(run)))
    assert page.settings() == settings
    export.load_weights_npz(export.weights_npz(run), Run(), with_settings=True)


def test_a_setup_with_own_points_opens_again():
    run = Run()
    run.clear_points()
    for x in (-1.0, 0.0, 1.0, 2.0):
        run.add_point(x, x, 1.0 if x > 0 else -1.0)
    run.set_layer_dropout(0, 0.3)
    assert export.settings_from_json(export.settings_to_json(run)) == run.settings()


def test_many_unknown_settings_make_a_short_message():
    with pytest.raises(ValueError) as info:
        export.settings_from_json(_doc({f"k{i}": 1 for i in range(5000)}))
    assert "'k0', 'k1', 'k2' and 4,997 more" in str(info.value)
    assert len(str(info.value)) < 500
    with pytest.raises(ValueError, match="and 4,997 more") as info:
        export.settings_from_json(_doc(**{f"k{i}": 1 for i in range(5000)}))
    assert len(str(info.value)) < 500


@pytest.mark.parametrize("settings,message", [
    ({"activations": ["re:lu"]}, "activations: ['re:lu'] has re:lu, which is not an activation"),
    ({"dataset": "a:b"}, "dataset: 'a:b' is not a data set here; choose circle"),
    ({"dropout": [0.95]}, "dropout: [0.95] has a rate of 0.95; the dropout of each layer takes"),
])
def test_file_messages_stay_readable_with_a_colon(settings, message):
    with pytest.raises(ValueError) as info:
        export.settings_from_json(_doc(settings))
    assert str(info.value).startswith(message), str(info.value)


def test_script_with_no_test_points_trains_and_without_points_is_refused(capsys):
    run = Run()
    run.clear_points()
    with pytest.raises(ValueError, match="no training points"):
        export.python_script(run)
    run.add_point(1.0, 1.0, 1.0)
    run.add_point(-1.0, 1.0, -1.0)
    run.dataset = run.dataset                 # (still own data)
    run.use_own_data([[1.0, 1.0]], [1.0], True)   # one point: no test set
    run.train(3)
    ns = {"__name__": "exported"}
    exec(compile(export.python_script(run), "exported.py", "exec"), ns)
    ns["sys"].argv = ["exported.py", "3"]
    ns["main"]()
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "test_loss" not in result
    assert result["train_loss"] == pytest.approx(run.metrics()["train_loss"], abs=1e-6)
