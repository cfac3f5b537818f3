import math

import numpy as np
import pytest

from playground.engine import datasets as ds

N = 600
NAMES = list(ds.DATASETS)


def make(name, seed=0, n=N, noise=20.0):
    return ds.make_dataset(name, seed, n, noise)


def test_registry():
    assert NAMES == ["circle", "xor", "gauss", "spiral", "moons", "blobs3", "blobs4", "blobs5",
                     "spiral3", "pinwheel", "plane", "multigauss", "sine"]
    assert ds.CLASSIFICATION == ds.TWO_CLASS + ds.MULTICLASS
    assert [ds.n_classes(k) for k in ds.MULTICLASS] == [3, 4, 5, 3, 5]
    assert all(ds.n_classes(k) == 2 for k in ds.TWO_CLASS)
    assert not any(ds.n_classes(k) for k in ds.REGRESSION)
    assert {ds.problem_of(k) for k in ds.CLASSIFICATION} == {"classification"}
    assert {ds.problem_of(k) for k in ds.REGRESSION} == {"regression"}
    assert all(ds.DEFAULT_DATASET[p] == ds.PROBLEM_DATASETS[p][0] for p in ds.PROBLEMS)
    assert set(ds.CLASSIFICATION) | set(ds.REGRESSION) == set(NAMES)
    assert not set(ds.CLASSIFICATION) & set(ds.REGRESSION)
    assert ds.ONE_D == ("sine",)
    assert all(ds.is_classification(k) for k in ds.CLASSIFICATION)
    assert not any(ds.is_classification(k) for k in ds.REGRESSION)


@pytest.mark.parametrize("noise", [0.0, 50.0])
@pytest.mark.parametrize("name", NAMES)
def test_shapes_ranges_labels(name, noise):
    X, y = make(name, noise=noise)
    assert isinstance(X, np.ndarray) and isinstance(y, np.ndarray)
    assert X.shape == (N, 2) and y.shape == (N,)
    assert X.dtype == np.float32 and y.dtype == np.float32
    assert np.all(np.isfinite(X)) and np.all(np.isfinite(y))
    assert np.all(np.abs(X) <= 6.0)
    if name in ds.TWO_CLASS:
        assert set(np.unique(y)) == {-1.0, 1.0}
        assert 0.4 <= np.mean(y > 0) <= 0.6
    elif ds.is_classification(name):                 # class indices 0..K-1, balanced
        k = ds.n_classes(name)
        assert set(np.unique(y)) == set(range(k))
        assert np.all(np.abs(np.bincount(y.astype(int)) - N / k) <= 1)
    elif name != "sine" or noise == 0:
        assert np.all(np.abs(y) <= 1.0)


@pytest.mark.parametrize("name", NAMES)
def test_reproducible_and_noise_matters(name):
    X, y = make(name, seed=3)
    X2, y2 = make(name, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, y3 = make(name, seed=4)
    assert not (np.array_equal(X, X3) and np.array_equal(y, y3))
    Xa, ya = make(name, seed=3, noise=0.0)
    Xb, yb = make(name, seed=3, noise=50.0)
    assert not (np.array_equal(Xa, Xb) and np.array_equal(ya, yb))
    # the raw function takes a key and gives the same as make_dataset
    import jax
    Xr, yr = ds.DATASETS[name](jax.random.PRNGKey(3), N, 20.0)
    np.testing.assert_array_equal(X, Xr)
    np.testing.assert_array_equal(y, yr)


def test_small_n():
    for name in NAMES:
        X, y = make(name, n=1)
        assert X.shape == (1, 2) and y.shape == (1,)


def test_sine_clean():
    X, y = make("sine", noise=0.0)
    np.testing.assert_allclose(y, np.sin(X[:, 0]), atol=1e-6)
    assert np.all(X[:, 1] == 0)
    Xn, yn = make("sine", noise=30.0)
    assert np.all(Xn[:, 1] == 0)
    assert np.std(yn - np.sin(Xn[:, 0])) == pytest.approx(0.3, rel=0.2)


def test_circle_clean_separated():
    X, y = make("circle", noise=0.0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.all(r[y > 0] <= 2.5 + 1e-5)
    assert np.all(r[y < 0] >= 3.5 - 1e-5)
    assert np.all(r <= 5.0 + 1e-5)


def test_circle_noise_overlaps():
    X, y = make("circle", noise=50.0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r[y > 0].max() > r[y < 0].min()


def test_xor_clean():
    X, y = make("xor", noise=0.0)
    np.testing.assert_array_equal(np.sign(X[:, 0] * X[:, 1]), y)
    assert np.all(np.abs(X) >= 0.3 - 1e-6) and np.all(np.abs(X) <= 5.0 + 1e-6)


def test_gauss_centres_and_spread():
    X, y = make("gauss", noise=0.0)
    np.testing.assert_allclose(X[y > 0].mean(0), [2, 2], atol=0.15)
    np.testing.assert_allclose(X[y < 0].mean(0), [-2, -2], atol=0.15)
    s0 = X[y > 0].std()
    s50 = make("gauss", noise=50.0)[0][y > 0].std()
    assert s0 == pytest.approx(0.7, rel=0.15)
    assert s50 > 1.5


def test_spiral_and_moons_extent():
    X, _ = make("spiral", noise=0.0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r.max() <= 5.0 + 1e-5 and r.max() > 4.5
    X, _ = make("moons", noise=0.0)
    assert np.all(np.abs(X[:, 0]) <= 5.0 + 1e-5) and np.abs(X[:, 0]).max() > 4.5


def test_plane_clean():
    X, y = make("plane", noise=0.0)
    np.testing.assert_allclose(y, (X[:, 0] + X[:, 1]) / 12, atol=1e-6)
    _, yn = make("plane", noise=50.0)
    assert np.all(np.abs(yn) <= 1.0)


def test_multigauss_has_both_signs():
    X, y = make("multigauss", noise=0.0)
    assert y.max() > 0.8 and y.min() < -0.8
    assert np.all(np.abs(y) <= 1.0)


@pytest.mark.parametrize("name", ["nope", "", "Circle"])
def test_make_dataset_bad_name(name):
    with pytest.raises(ValueError, match=r"^dataset: ") as e:
        ds.make_dataset(name, 0, 10, 0)
    assert "spiral" in str(e.value) and "multigauss" in str(e.value)


@pytest.mark.parametrize("n", [0, -1, 5001, 2.5, "10", None, True])
def test_make_dataset_bad_n(n):
    with pytest.raises(ValueError, match=r"^n: "):
        ds.make_dataset("circle", 0, n, 0)


@pytest.mark.parametrize("noise", [-0.1, 50.1, math.nan, math.inf, "x", None])
def test_make_dataset_bad_noise(noise):
    with pytest.raises(ValueError, match=r"^noise: "):
        ds.make_dataset("circle", 0, 10, noise)


def test_make_dataset_accepts_edges():
    X, _ = ds.make_dataset("xor", 0, 5000, 50)
    assert X.shape == (5000, 2)
    X, _ = ds.make_dataset("xor", 0, np.int64(3), 0)
    assert X.shape == (3, 2)


@pytest.mark.parametrize("n,ratio,k", [(100, 0.5, 50), (10, 0.7, 7), (2, 0.1, 1), (2, 0.9, 1),
                                       (3, 0.9, 2), (1000, 0.25, 250)])
def test_split_partition(n, ratio, k):
    tr, te = ds.train_test_split(0, n, ratio)
    assert tr.dtype == np.int32 and te.dtype == np.int32
    assert len(tr) == k and len(te) == n - k
    np.testing.assert_array_equal(np.sort(np.concatenate([tr, te])), np.arange(n))


def test_split_reproducible():
    a = ds.train_test_split(5, 200, 0.5)
    b = ds.train_test_split(5, 200, 0.5)
    c = ds.train_test_split(6, 200, 0.5)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(np.sort(a[0]), np.arange(100))  # shuffled


@pytest.mark.parametrize("ratio", [0.0, 0.05, 0.95, 1.0, math.nan, "0.5", None])
def test_split_bad_ratio(ratio):
    with pytest.raises(ValueError, match=r"^train_ratio: "):
        ds.train_test_split(0, 100, ratio)


@pytest.mark.parametrize("name", list(ds.DATASETS))
def test_split_is_independent_of_the_points(name):
    """The split draws its own random stream: the training half must spread over the
    whole data set (once it took only the upper half of the circle)."""
    for seed in range(3):
        X, y = ds.make_dataset(name, seed, 500, 0.0)
        tr, _ = ds.train_test_split(seed, 500, 0.5)
        for col in (0, 1):
            if np.all(X[:, col] == 0):
                continue
            share = np.mean(X[tr, col] > np.median(X[:, col]))
            assert 0.4 < share < 0.6, (name, seed, col, share)


@pytest.mark.parametrize("name", NAMES)
def test_fewer_points_are_the_first_of_more(name):
    """A set of n points is the first n of a larger one (one program serves every n)."""
    for seed, noise in ((0, 0.0), (3, 27.5)):
        X, y = ds.make_dataset(name, seed, ds.MAX_POINTS, noise)
        for n in (1, 2, 37, 500, 1999):
            Xn, yn = ds.make_dataset(name, seed, n, noise)
            np.testing.assert_array_equal(Xn, X[:n])
            np.testing.assert_array_equal(yn, y[:n])


@pytest.mark.parametrize("n", [1, 2, 3, 10, 499, 500, 1625, 1626, 3001, ds.MAX_POINTS])
def test_the_permutation_is_jaxs(n):
    """The split's permutation is ``jax.random.permutation`` bit for bit, also past 1625
    items, where JAX sorts twice."""
    import jax
    for seed in (0, 7):
        key = jax.random.fold_in(jax.random.PRNGKey(seed), ds.SPLIT_STREAM)
        expected = np.asarray(jax.random.permutation(key, n))
        got = ds.permutation(key, n)
        assert got.dtype == np.int32
        np.testing.assert_array_equal(got, expected)


def test_a_new_number_of_points_compiles_nothing(caplog):
    """Once each data set has run, another number of points (a link's, a challenge's, an
    uploaded file's rows) runs without compiling anything (each cost 0.1–1.5 s of the
    server's event loop when the sets ran operation by operation)."""
    import logging

    import jax
    ds.warmup()
    for n in (20, 500):                 # the PRNG keys' own small programs, for these seeds
        ds.train_test_split(4, n, 0.5)
        ds.make_dataset("xor", 4, n, 10.0)
    caplog.clear()
    with caplog.at_level(logging.WARNING), jax.log_compiles(True):
        for name in NAMES:
            ds.make_dataset(name, 4, 123, 17.0)
            ds.make_dataset(name, 4, 4321, 3.0)
        for n in (7, 123, 2222):
            ds.train_test_split(4, n, 0.3)
    compiled = [r.getMessage() for r in caplog.records if "Compiling" in r.getMessage()]
    assert compiled == []
