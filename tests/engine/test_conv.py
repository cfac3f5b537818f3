"""Convolution and pooling by hand (playground.engine.conv): against JAX's own convolution
and pooling, the course's worked numbers, the output-size formula and the error messages."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from playground.engine import assets, conv

RNG = np.random.default_rng(0)


def lax_conv(image, kernel, stride, padding):
    pad = "SAME" if padding == "same" else [(padding, padding)] * 2
    out = jax.lax.conv_general_dilated(jnp.asarray(image, jnp.float32)[None, None],
                                       jnp.asarray(kernel, jnp.float32)[None, None],
                                       (stride, stride), pad)
    return np.asarray(out[0, 0])


CASES = list(itertools.product((5, 8), (1, 2, 3, 5), (1, 2, 3), (0, 1, "same")))


@pytest.mark.parametrize("n, k, stride, padding", CASES)
def test_conv2d_matches_lax(n, k, stride, padding):
    image = RNG.normal(size=(n, n + 1))
    kernel = RNG.normal(size=(k, k))
    ours = conv.conv2d(image, kernel, stride, padding)
    np.testing.assert_allclose(ours, lax_conv(image, kernel, stride, padding),
                               rtol=1e-4, atol=1e-4)
    assert ours.shape == conv.feature_map_shape(image.shape, kernel.shape, stride, padding)
    assert ours.shape == (conv.output_size(n, k, stride, padding),
                          conv.output_size(n + 1, k, stride, padding))


@pytest.mark.parametrize("n, k, stride, padding", CASES[::5])
def test_conv_cell_sum_is_the_output_cell(n, k, stride, padding):
    image, kernel = RNG.normal(size=(n, n)), RNG.normal(size=(k, k))
    out = conv.conv2d(image, kernel, stride, padding)
    steps = conv.conv_steps(image.shape, kernel.shape, stride, padding)
    assert steps == [(r, c) for r in range(out.shape[0]) for c in range(out.shape[1])]
    for r, c in steps:
        cell = conv.conv_cell(image, kernel, r, c, stride, padding)
        assert cell["sum"] == pytest.approx(out[r, c], abs=1e-12)
        np.testing.assert_array_equal(cell["products"], cell["window"] * kernel)
        # the cells on the image hold the image's values, the others are padding zeros
        rr, cc = cell["top_left"]
        for (a, b), inside in np.ndenumerate(cell["in_image"]):
            expected = image[rr + a, cc + b] if inside else 0.0
            assert cell["window"][a, b] == expected


def test_classic_5x5_example():
    out = conv.conv2d(conv.INPUTS["classic_5x5"], conv.KERNELS["x_pattern"])
    np.testing.assert_array_equal(out, [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    cell = conv.conv_cell(conv.CLASSIC_5X5, conv.KERNELS["x_pattern"], 1, 0)
    assert cell["top_left"] == (1, 0) and cell["sum"] == 2


def test_curve_detector_is_a_template():
    detector = conv.KERNELS["curve_detector"]
    assert detector.shape == (7, 7) and detector.sum() == 6 * 30
    assert conv.conv2d(conv.CURVE_FIELD, detector)[0, 0] == 6600
    assert conv.conv2d(conv.NO_CURVE_FIELD, detector)[0, 0] == 0
    assert conv.NO_CURVE_FIELD.any()


def test_presets():
    assert set(conv.KERNELS) == set(conv.KERNEL_DESCRIPTIONS)
    assert {"identity", "box_blur", "gaussian_blur", "sharpen", "outline", "sobel_x",
            "sobel_y", "emboss", "x_pattern", "curve_detector"} <= set(conv.KERNELS)
    assert set(conv.INPUTS) == set(conv.INPUT_DESCRIPTIONS)
    photo = assets.load_photo()
    assert photo.shape == (64, 64) and 0 <= photo.min() and photo.max() <= 255
    np.testing.assert_array_equal(conv.conv2d(photo, conv.KERNELS["identity"], padding=1), photo)
    assert conv.KERNELS["box_blur"].sum() == pytest.approx(1.0)
    assert conv.KERNELS["gaussian_blur"].sum() == pytest.approx(1.0)
    assert conv.conv2d(np.full((5, 5), 7.0), conv.KERNELS["outline"]).max() == 0
    with pytest.raises(ValueError):       # presets are read-only
        conv.KERNELS["sharpen"][0, 0] = 1
    digit, label = conv.digit_image(0)
    assert digit.shape == (8, 8) and label == 0 and digit.max() <= 16


@pytest.mark.parametrize("n, k, stride, padding, text", [
    (5, 3, 1, 0, "⌊(5 + 2·0 − 3) / 1⌋ + 1 = 3"),
    (7, 3, 2, 1, "⌊(7 + 2·1 − 3) / 2⌋ + 1 = 4"),
    (32, 5, 1, 2, "⌊(32 + 2·2 − 5) / 1⌋ + 1 = 32"),
    (6, 3, 2, "same", "⌊(6 + 0 + 1 − 3) / 2⌋ + 1 = 3"),
    (5, 3, 1, "same", "⌊(5 + 2·1 − 3) / 1⌋ + 1 = 5"),
    (8, 4, 4, "valid", "⌊(8 + 2·0 − 4) / 4⌋ + 1 = 2"),
])
def test_output_size_formula(n, k, stride, padding, text):
    assert conv.output_size_formula(n, k, stride, padding) == text
    assert conv.output_size(n, k, stride, padding) == int(text.rsplit("= ", 1)[1])


@pytest.mark.parametrize("n", range(1, 12))
@pytest.mark.parametrize("stride", (1, 2, 3))
def test_same_padding_gives_ceil(n, stride):
    for k in (1, 3, 5):
        assert conv.output_size(n, k, stride, "same") == -(-n // stride)


@pytest.mark.parametrize("size, stride", [(2, 2), (3, 1), (3, 2), (2, 1), (1, 1)])
def test_pools_match_reduce_window(size, stride):
    x = RNG.normal(size=(7, 6))
    for ours, op, init in ((conv.max_pool, jax.lax.max, -jnp.inf),
                           (conv.avg_pool, jax.lax.add, 0.0)):
        ref = jax.lax.reduce_window(jnp.asarray(x, jnp.float32), init, op, (size, size),
                                    (stride, stride), "VALID")
        if ours is conv.avg_pool:
            ref = ref / size ** 2
        np.testing.assert_allclose(ours(x, size, stride), np.asarray(ref), rtol=1e-5, atol=1e-6)
    out = conv.max_pool(x, size, stride)
    for r, c in conv.pool_steps(x.shape, size, stride):
        cell = conv.pool_cell(x, r, c, size, stride)
        assert cell["value"] == out[r, c] == cell["window"][cell["argmax"]]
    avg = conv.pool_cell(x, 0, 0, size, stride, kind="avg")
    assert avg["value"] == pytest.approx(conv.avg_pool(x, size, stride)[0, 0])


def test_relu_and_a_pipeline():
    x = np.array([[-1.0, 2.0], [0.0, -3.5]])
    np.testing.assert_array_equal(conv.relu(x), [[0, 2], [0, 0]])
    edges = conv.max_pool(conv.relu(conv.conv2d(assets.load_photo(), conv.KERNELS["sobel_x"],
                                                padding="same")))
    assert edges.shape == (32, 32) and edges.min() >= 0


@pytest.mark.parametrize("call, message", [
    (lambda: conv.conv2d(np.ones(5), np.ones((3, 3))), "image: expected a 2-D grid"),
    (lambda: conv.conv2d(np.ones((5, 5)), np.ones((3, 3, 1))), "kernel: expected a 2-D grid"),
    (lambda: conv.conv2d(np.ones((2, 5)), np.ones((3, 3))), "kernel: 3 rows do not fit"),
    (lambda: conv.conv2d(np.ones((5, 5)), np.ones((3, 3)), stride=0), "stride: expected a whole"),
    (lambda: conv.conv2d(np.ones((5, 5)), np.ones((3, 3)), stride=1.5), "stride:"),
    (lambda: conv.conv2d(np.ones((5, 5)), np.ones((3, 3)), padding=-1), "padding:"),
    (lambda: conv.conv2d(np.ones((5, 5)), np.ones((3, 3)), padding="full"), "padding:"),
    (lambda: conv.conv2d([[1, np.nan]], [[1]]), "image: every value must be a finite"),
    (lambda: conv.conv2d([[1, 2]], [[np.inf]]), "kernel: every value must be a finite"),
    (lambda: conv.conv2d(np.zeros((0, 3)), [[1]]), "image: expected at least one row"),
    (lambda: conv.conv2d([["a"]], [[1]]), "image: expected a 2-D grid of numbers"),
    (lambda: conv.conv_cell(np.ones((5, 5)), np.ones((3, 3)), 3, 0), "row: the output has 3"),
    (lambda: conv.max_pool(np.ones((1, 4))), "size: a 2×2 pool does not fit"),
    (lambda: conv.pool_cell(np.ones((4, 4)), 0, 0, kind="min"), "kind:"),
    (lambda: conv.output_size(2, 5), "kernel: 5 rows do not fit"),
    (lambda: conv.digit_image(5000), "index:"),
])
def test_errors_say_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()
