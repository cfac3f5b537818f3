"""The digits models (playground.engine.digits) and their run (playground.DigitsRun):
the bundled data, shapes, augmentation, a short training run, validation, and that
changing the learning rate, dropout, optimizer or augmentation never recompiles."""
import threading

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from playground import DigitsRun
from playground.engine import digits, programs

# Compiling dominates the time of these tests: they share two small set-ups (one set of
# programs each) and jit what they call directly.
SMALL_CNN = dict(model="cnn", filters1=8, filters2=16, batch_size=16, hidden=32)
SMALL_MLP = dict(SMALL_CNN, model="mlp")
augment = jax.jit(digits.augment)
conv_same = jax.jit(digits.conv_same)


@pytest.fixture(scope="module")
def cnn_run():
    """A small CNN trained for 3 epochs (shared by the tests that only read it)."""
    run = DigitsRun(**SMALL_CNN, seed=1)
    run.train(3)
    return run


@pytest.fixture(scope="module")
def mlp_run():
    run = DigitsRun(**SMALL_MLP, seed=2)
    run.train(3)
    return run


def test_bundled_digits_match_scikit_learn():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    ref = sklearn_datasets.load_digits()
    images, labels = digits.load_digits()
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    np.testing.assert_array_equal(images, ref.images)
    np.testing.assert_array_equal(labels, ref.target)


def test_split_is_stratified_and_seeded():
    _, labels = digits.load_digits()
    tr, te = digits.split_indices(0, labels)
    assert len(np.intersect1d(tr, te)) == 0 and len(tr) + len(te) == len(labels)
    assert abs(len(te) - 0.25 * len(labels)) <= 5
    for c in range(10):
        assert abs(np.sum(labels[te] == c) - 0.25 * np.sum(labels == c)) <= 0.5
    np.testing.assert_array_equal(te, digits.split_indices(0, labels)[1])
    assert not np.array_equal(te, digits.split_indices(1, labels)[1])


@pytest.mark.parametrize("which", ["cnn_run", "mlp_run"])
def test_shapes(which, request):
    params = request.getfixturevalue(which).state.params
    images = digits.load_digits()[0][:5]
    proba = digits.predict_proba(params, images)
    assert proba.shape == (5, 10) and np.allclose(proba.sum(1), 1, atol=1e-5)
    assert digits.predict_proba(params, np.zeros((600, 8, 8))).shape == (600, 10)
    filters = digits.first_layer_filters(params)
    if which == "cnn_run":
        assert filters.shape == (8, 3, 3)
        maps1, maps2 = digits.feature_maps(params, images[0])
        assert maps1.shape == (8, 8, 8) and maps2.shape == (16, 4, 4)
        assert maps1.min() >= 0 and maps2.min() >= 0          # after ReLU
    else:
        assert filters.shape == (32, 8, 8)
        with pytest.raises(ValueError, match="feature_maps: only the cnn"):
            digits.feature_maps(params, images[0])


def test_parameter_shapes():
    spec = digits.Spec("cnn", filters1=4, filters2=8, kernel_size=5)
    params = jax.eval_shape(lambda k: digits.init_params(k, spec), jax.random.PRNGKey(0))
    assert params["conv1"]["W"].shape == (5, 5, 1, 4)
    assert params["conv2"]["W"].shape == (5, 5, 4, 8)
    assert params["dense"]["W"].shape == (2 * 2 * 8, 10)
    mlp = jax.eval_shape(lambda k: digits.init_params(k, digits.Spec("mlp", hidden=16)),
                         jax.random.PRNGKey(0))
    assert mlp["hidden"]["W"].shape == (64, 16) and mlp["dense"]["W"].shape == (16, 10)


def test_conv_same_matches_lax():
    key1, key2 = jax.random.split(jax.random.PRNGKey(0))
    for k in (3, 5):
        h = jax.random.normal(key1, (2, 8, 8, 3))
        W = jax.random.normal(key2, (k, k, 3, 4))
        ref = jax.lax.conv_general_dilated(h, W, (1, 1), "SAME",
                                           dimension_numbers=("NHWC", "HWIO", "NHWC"))
        np.testing.assert_allclose(conv_same(h, W), ref, rtol=1e-4, atol=1e-4)


def test_augmentation():
    images = jnp.asarray(digits.load_digits()[0][:6])
    key = jax.random.PRNGKey(3)
    same = augment(key, images, jnp.float32(0), jnp.float32(0))
    np.testing.assert_allclose(same, images, atol=1e-5)       # no augmentation: unchanged
    moved = augment(key, images, jnp.float32(1), jnp.float32(0.2))
    assert moved.shape == images.shape and not np.allclose(moved, images)
    assert float(moved.min()) >= 0 and float(moved.max()) <= 16
    # a whole-pixel shift moves the picture by one pixel
    one = jnp.zeros((1, 8, 8)).at[0, 3, 3].set(16.0)
    shifted = augment(key, one, jnp.float32(0), jnp.float32(0))
    assert float(shifted[0, 3, 3]) == 16.0


def test_confusion_cells():
    c = digits.confusion([0, 1, 1, 2, 2], [0, 1, 2, 2, 0])
    assert c["counts"][1, 2] == 1 and c["counts"].sum() == 5 and np.trace(c["counts"]) == 3
    assert list(c["indices"][1][2]) == [2] and list(c["indices"][2][0]) == [4]
    assert list(c["errors"]) == [2, 4]


def test_short_training_learns(cnn_run):
    history = cnn_run.history
    assert history["epoch"] == [0, 1, 2, 3]
    assert history["test_accuracy"][0] < 0.3                    # chance is 0.1
    assert cnn_run.metrics()["test_accuracy"] > 0.8
    assert history["test_loss"][-1] < history["test_loss"][0]
    assert cnn_run.status == "trained" and cnn_run.epoch == 3


def test_mlp_learns(mlp_run):
    assert mlp_run.metrics()["test_accuracy"] > 0.8
    assert mlp_run.filters().shape == (32, 8, 8)


def test_predict_and_inspect(cnn_run):
    split = cnn_run.split
    labels = cnn_run.predict(split.x_test)
    assert labels.shape == (len(split.y_test),)
    assert np.mean(labels == split.y_test) == pytest.approx(cnn_run.metrics()["test_accuracy"],
                                                            abs=1e-6)
    assert cnn_run.predict(split.x_test[0]).shape == (1,)                # one (8, 8) image
    assert cnn_run.predict(split.x_test[:3].reshape(3, 64)).shape == (3,)
    assert cnn_run.predict_proba(np.full((2, 8, 8), 16.0)).shape == (2, 10)
    conf = cnn_run.confusion()
    assert conf["counts"].sum() == len(split.y_test)
    assert np.trace(conf["counts"]) == np.sum(labels == split.y_test)
    assert cnn_run.filters().shape == (8, 3, 3)
    assert [m.shape for m in cnn_run.feature_maps(split.x_test[0])] == [(8, 8, 8), (16, 4, 4)]
    preview = cnn_run.augmented_preview(n=12, copies=3)
    assert preview["augmented"].shape == (12, 3, 8, 8)
    assert list(preview["labels"]) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]


@pytest.mark.parametrize("images", [np.zeros((2, 7, 7)), np.full((1, 8, 8), 255.0),
                                    np.full((8, 8), np.nan), np.zeros((2, 3, 8, 8))])
def test_predict_refuses_bad_images(cnn_run, images):
    with pytest.raises(ValueError, match="images:"):
        cnn_run.predict(images)


@pytest.mark.parametrize("kw, message", [
    (dict(model="rnn"), "model.*cnn"),
    (dict(optimizer="lbfgs"), "optimizer.*adam"),
    (dict(filters1=7), "filters1.*16"),
    (dict(kernel_size=4), "kernel_size.*3, 5"),
    (dict(batch_size=100), "batch_size.*128"),
    (dict(hidden=1000), "hidden"),
    (dict(dropout=0.95), "dropout"),
    (dict(dropout=float("nan")), "dropout: expected a finite number"),
    (dict(learning_rate=0), "learning_rate"),
    (dict(learning_rate=True), "learning_rate: expected a finite number"),
    (dict(augment_rotate=90), "augment_rotate"),
    (dict(epoch=5), "unknown or read-only parameter"),
    (dict(layers=2), "unknown or read-only parameter.*allowed"),
])
def test_bad_settings_are_refused(kw, message):
    with pytest.raises(ValueError, match=message):
        DigitsRun(**kw)


def test_bad_calls_are_refused(cnn_run):
    for epochs in (-1, 1.5, True):
        with pytest.raises(ValueError, match="epochs:"):
            cnn_run.train(epochs)
    with pytest.raises(ValueError, match="n: a whole number"):
        cnn_run.augmented_preview(n=0)
    with pytest.raises(ValueError):
        cnn_run.optimizer = "nadam"


def test_settings_changes_do_not_recompile():
    run = DigitsRun(**SMALL_CNN)
    run.train(1)
    run.augmented_preview(n=4, copies=2)
    before = dict(digits.TRACES)
    for change in (dict(learning_rate=0.01), dict(dropout=0.5), dict(optimizer="sgd"),
                   dict(optimizer="rmsprop"), dict(augment_shift=0.0, augment_rotate=0.0),
                   dict(augment_shift=2.0), dict(optimizer="momentum", learning_rate=0.1)):
        run.param.update(**change)
        run.train(1)
        run.augmented_preview(n=4, copies=2)
    assert dict(digits.TRACES) == before
    assert run.epoch == 8
    run.seed = 5                       # same shapes, other data: still no new program
    run.train(1)
    assert dict(digits.TRACES) == before


def test_shape_changes_start_afresh_and_hyper_changes_carry_on():
    run = DigitsRun(**SMALL_CNN)
    run.train(1)
    weights = run.filters()
    run.learning_rate = 0.01
    assert run.epoch == 1 and np.array_equal(run.filters(), weights)
    run.hidden = 64                    # the MLP's setting: the CNN is untouched
    assert run.epoch == 1
    run.param.update(model="mlp", hidden=32)
    assert run.epoch == 0 and run.status == "ready" and run.filters().shape == (32, 8, 8)
    assert run.history["epoch"] == [0]


def test_same_seed_same_run():
    a, b = DigitsRun(**SMALL_CNN, seed=3), DigitsRun(**SMALL_CNN, seed=3)
    assert a.train(2) == b.train(2)


def test_divergence_keeps_the_last_good_weights():
    run = DigitsRun(**SMALL_MLP)
    run.state = run.state._replace(params=jax.tree.map(lambda p: p * 1e30, run.state.params))
    run.train(2)
    assert run.status == "diverged" and run.epoch == 0 and "learning rate" in run.message
    run.learning_rate = 0.01
    assert run.status == "ready"


def test_training_in_a_thread_while_settings_change():
    run = DigitsRun(**SMALL_CNN)
    worker = threading.Thread(target=run.train, args=(4,))
    worker.start()
    run.learning_rate = 0.001          # does not wait for the epoch in flight
    run.optimizer = "sgd"              # an epoch in flight is dropped, not committed
    worker.join()
    assert not run.busy and run.status == "trained"
    assert 1 <= run.epoch <= 4 and run.history["epoch"] == list(range(run.epoch + 1))


def test_back_to_a_prepared_shape_waits_for_no_earlier_preparation():
    """A student flicking through shapes: a new one queues its preparation behind the
    compile thread's other work; going back to a shape that is ready must not leave the run
    waiting for that superseded preparation (the page's frame waited for it, seconds, with
    every other page)."""
    run = DigitsRun(**SMALL_CNN)
    run.wait_ready()
    gate = threading.Event()
    programs.PROGRAMS.submit(gate.wait)          # the compile thread busy with other work
    try:
        run.param.update(filters1=4, filters2=8, kernel_size=5)   # not prepared: queued
        assert run.preparing
        run.param.update(**SMALL_CNN, kernel_size=3)               # back: ready at once
        assert not run.preparing and run.status == "ready"
        run.wait_ready(timeout=0.5)              # nothing to wait for
        assert run.filters().shape[0] == 8
    finally:
        gate.set()
    run.wait_ready()
