"""The weights as .npz: the round trip, another network refused, broken files refused,
and every set-up the page exports opens again."""
import io
import zipfile

import numpy as np
import pytest

from playground import Run, export

from .common import exact_params, exact_run, npz_file, same_tree


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
        export.load_weights_npz(npz_file(**tampered), other, with_settings=True)
    assert other.hidden == [5, 5, 5]
    export.load_weights_npz(data, other, with_settings=True)
    assert other.settings() == run.settings()
    assert same_tree(exact_params(other), exact_params(run))
    # transfer: the same network on other data is fine
    moons = Run(dataset="moons")
    export.load_weights_npz(data, moons)
    assert same_tree(exact_params(moons), exact_params(run))


def test_broken_weight_files_are_refused():
    good = dict(np.load(io.BytesIO(export.weights_npz(Run())), allow_pickle=False))
    broken = {
        "garbage": b"not a zip file",
        "empty": b"",
        "text": "W0",
        "no W0": npz_file(**{k: v for k, v in good.items() if k != "W0"}),
        "wrong shape": npz_file(**{**good, "W1": np.zeros((3, 2), np.float32)}),
        "nan": npz_file(**{**good, "b0": np.full(4, np.nan, np.float32)}),
        "extra layer": npz_file(**{**good, "W3": np.zeros((1, 1), np.float32)}),
        "bad feature": npz_file(**{**good, "features": np.array(["x1", "<script>"])}),
        "pickled": npz_file(**{**good, "hidden": np.array([object()], dtype=object)}),
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
