import jax
import jax.numpy as jnp
import numpy as np
import pytest

from playground.engine import features as F


def reference(X):
    x1, x2 = X[:, 0].astype(np.float64), X[:, 1].astype(np.float64)
    return np.stack([x1, x2, x1 ** 2, x2 ** 2, x1 * x2, np.sin(x1), np.sin(x2)], axis=1)


def points(n=257, seed=0):
    return np.random.default_rng(seed).uniform(-6, 6, (n, 2)).astype(np.float32)


def test_constants():
    assert F.FEATURES == ("x1", "x2", "x1_sq", "x2_sq", "x1x2", "sin_x1", "sin_x2")
    assert list(F.FEATURE_LABELS) == list(F.FEATURES)
    assert F.FEATURE_LABELS["x1_sq"] == "X₁²" and F.FEATURE_LABELS["sin_x2"] == "sin(X₂)"
    assert F.ONE_D_FEATURES == ("x1", "x1_sq", "sin_x1")
    assert set(F.ONE_D_FEATURES) <= set(F.FEATURES)


def test_all_features_numpy_input():
    X = points()
    out = F.all_features(X)
    assert out.shape == (len(X), 7) and out.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(out), reference(X), rtol=1e-5, atol=1e-5)


def test_all_features_jax_input_and_jit():
    X = points(seed=1)
    out = jax.jit(F.all_features)(jnp.asarray(X))
    assert out.shape == (len(X), 7) and out.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(out), reference(X), rtol=1e-5, atol=1e-5)
    # float64 / int input still gives float32
    assert F.all_features(np.zeros((3, 2))).dtype == jnp.float32


def test_numpy_features_match_and_are_float32():
    """The features made in numpy (a data set's, the plot grid's) are JAX's, to float32
    rounding, for any number of points, none included."""
    for n in (0, 1, 17, 600):
        X = points(n=max(n, 1), seed=2)[:n]
        out = F.numpy_features(X)
        assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (len(X), 7)
        np.testing.assert_allclose(out, reference(X), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(out, np.asarray(F.all_features(X)), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(F.grid_features(8), F.numpy_features(F.grid_points(8)))


def test_columns_named():
    X = np.array([[2.0, 3.0]], np.float32)
    row = dict(zip(F.FEATURES, np.asarray(F.all_features(X))[0]))
    assert row["x1"] == 2 and row["x2"] == 3 and row["x1_sq"] == 4
    assert row["x2_sq"] == 9 and row["x1x2"] == 6
    assert row["sin_x1"] == pytest.approx(np.sin(2.0), abs=1e-6)


def test_feature_indices_order_and_dedup():
    assert F.feature_indices(["x1", "x2"]) == (0, 1)
    assert F.feature_indices(["sin_x2", "x1", "x1x2"]) == (0, 4, 6)
    assert F.feature_indices(("x2", "x2", "x1", "x2")) == (0, 1)
    assert F.feature_indices(F.FEATURES) == tuple(range(7))
    assert F.feature_indices(["sin_x1", "x1"], one_d=True) == (0, 5)
    assert F.feature_indices(F.ONE_D_FEATURES, one_d=True) == (0, 2, 5)
    assert isinstance(F.feature_indices(["x1"]), tuple)


def test_feature_indices_empty():
    with pytest.raises(ValueError, match="features: choose at least one input feature"):
        F.feature_indices([])


def test_feature_indices_unknown():
    with pytest.raises(ValueError, match="features") as e:
        F.feature_indices(["x1", "x3"])
    assert "x3" in str(e.value) and "sin_x2" in str(e.value)


@pytest.mark.parametrize("names", [["x2"], ["x1", "x2_sq"], ["x1x2"], ["sin_x2"]])
def test_feature_indices_one_d(names):
    with pytest.raises(ValueError, match="features") as e:
        F.feature_indices(names, one_d=True)
    assert "1-D" in str(e.value) and "x1" in str(e.value)
    F.feature_indices(names)  # fine for 2-D data
