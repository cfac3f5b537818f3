"""Convolution and pooling by hand, with every number a student can check.

Plain numpy (float64 in, float64 out), so each result can be traced cell by cell:

    conv2d(CLASSIC_5X5, KERNELS["x_pattern"])          # -> [[4,3,4],[2,4,3],[2,3,4]]
    conv_cell(image, kernel, row=0, col=1)             # the window, products and sum of one cell
    max_pool(feature_map)                               # 2×2 blocks, stride 2

"Convolution" here is cross-correlation, as deep-learning libraries define it: the kernel
is *not* flipped, output[i, j] = Σ_{a,b} padded[i·s + a, j·s + b] · kernel[a, b].

Padding is a number p of zero rows/columns added on every side, or "same":
TensorFlow's rule, out = ⌈n / stride⌉ per axis, with the P = max((out − 1)·stride + k − n, 0)
zeros split P // 2 before (top/left) and the rest after (bottom/right). For an odd kernel
and stride 1 that is p = (k − 1) / 2 on every side and the output keeps the input's size;
for stride > 1 or an even kernel the split can be uneven (one more zero after).
"""
from __future__ import annotations

import math

import numpy as np

from .assets import load_digits

PADDINGS = ("same", "valid")    # besides a whole number ≥ 0 ("valid" means 0)


# ------------------------------------------------------------------ checks
def _as_grid(name: str, a) -> np.ndarray:
    """a as a (rows, cols) float64 array of finite numbers, or ValueError naming it."""
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a 2-D grid of numbers") from None
    if a.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D grid (rows, cols), got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name}: expected at least one row and one column, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: every value must be a finite number (no NaN or infinity)")
    return a


def _whole(name: str, v, minimum: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
        raise ValueError(f"{name}: expected a whole number ≥ {minimum}, got {v!r}")
    return int(v)


def _pads_1d(n: int, k: int, stride: int, padding) -> tuple[int, int]:
    """Zeros added (before, after) along one axis of length n for kernel length k."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0
        if padding != "same":
            raise ValueError(f"padding: a whole number ≥ 0 or one of {PADDINGS}, got {padding!r}")
        total = max((math.ceil(n / stride) - 1) * stride + k - n, 0)
        return total // 2, total - total // 2
    p = _whole("padding", padding, 0)
    return p, p


def paddings(image_shape, kernel_shape, stride: int = 1, padding=0):
    """((top, bottom), (left, right)) zeros added around an image of image_shape (rows, cols)."""
    stride = _whole("stride", stride, 1)
    return tuple(_pads_1d(n, k, stride, padding) for n, k in zip(image_shape, kernel_shape))


def feature_map_shape(image_shape, kernel_shape, stride: int = 1, padding=0) -> tuple[int, int]:
    """(rows, cols) of conv2d's output; ValueError when the kernel does not fit."""
    pads = paddings(image_shape, kernel_shape, stride, padding)
    shape = []
    for axis, n, k, (before, after) in zip(("rows", "columns"), image_shape, kernel_shape, pads):
        if k > n + before + after:
            raise ValueError(f"kernel: {k} {axis} do not fit in the padded image "
                             f"({n} + {before + after} padding = {n + before + after} {axis}); "
                             f"use a smaller kernel or more padding")
        shape.append((n + before + after - k) // stride + 1)
    return tuple(shape)


# ------------------------------------------------------------- output size
def output_size(n: int, k: int, stride: int = 1, padding=0) -> int:
    """Output length ⌊(n + 2p − k) / stride⌋ + 1 along one axis (padding as in conv2d)."""
    return feature_map_shape((n,), (k,), stride, padding)[0]


def output_size_formula(n: int, k: int, stride: int = 1, padding=0) -> str:
    """The output-size arithmetic for display, e.g. "⌊(5 + 2·0 − 3) / 1⌋ + 1 = 3".

    With "same" padding and an uneven split the two sides are written out:
    "⌊(6 + 0 + 1 − 3) / 2⌋ + 1 = 3"."""
    out = output_size(n, k, stride, padding)
    stride = int(stride)
    before, after = _pads_1d(n, k, stride, padding)
    pad = f"2·{before}" if before == after else f"{before} + {after}"
    return f"⌊({n} + {pad} − {k}) / {stride}⌋ + 1 = {out}"


# ------------------------------------------------------------- convolution
def pad_image(image, kernel_shape, stride: int = 1, padding=0) -> np.ndarray:
    """The image with its zero border: (rows + top + bottom, cols + left + right) float64."""
    image = _as_grid("image", image)
    (top, bottom), (left, right) = paddings(image.shape, kernel_shape, stride, padding)
    return np.pad(image, ((top, bottom), (left, right)))


def _windows(x: np.ndarray, size, stride: int) -> np.ndarray:
    """(out_rows, out_cols, kh, kw) view of every window of x, stepping by stride."""
    return np.lib.stride_tricks.sliding_window_view(x, size)[::stride, ::stride]


def conv2d(image, kernel, stride: int = 1, padding=0) -> np.ndarray:
    """Slide kernel (kh, kw) over image (rows, cols): each output cell is the sum of the
    element-wise products of the kernel and the window under it (cross-correlation).

    padding: zeros on every side (int ≥ 0), "valid" (0) or "same" (see the module notes).
    Returns (out_rows, out_cols) float64, out = ⌊(n + 2p − k) / stride⌋ + 1 per axis."""
    kernel = _as_grid("kernel", kernel)
    image = _as_grid("image", image)
    out_shape = feature_map_shape(image.shape, kernel.shape, stride, padding)
    padded = pad_image(image, kernel.shape, stride, padding)
    windows = _windows(padded, kernel.shape, int(stride))[:out_shape[0], :out_shape[1]]
    return np.einsum("ijab,ab->ij", windows, kernel)


def conv_steps(image_shape, kernel_shape, stride: int = 1, padding=0) -> list[tuple[int, int]]:
    """The order in which the kernel visits the output cells: row by row, left to right."""
    rows, cols = feature_map_shape(image_shape, kernel_shape, stride, padding)
    return [(r, c) for r in range(rows) for c in range(cols)]


def _check_cell(row, col, shape):
    for name, v, n in (("row", row, shape[0]), ("col", col, shape[1])):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < n:
            raise ValueError(f"{name}: the output has {n} {name}s, expected 0..{n - 1}, got {v!r}")


def conv_cell(image, kernel, row: int, col: int, stride: int = 1, padding=0) -> dict:
    """The arithmetic of one output cell, for a step-through view.

    Returns {"row", "col": the output cell; "top_left_padded": (r, c) of the window's
    top-left in the padded image; "top_left": the same in the original image (negative
    where the window starts in the padding); "window": (kh, kw) the values under the
    kernel (padding zeros included); "in_image": (kh, kw) bool, False on padding;
    "products": (kh, kw) window · kernel; "sum": their sum, the output value}."""
    kernel = _as_grid("kernel", kernel)
    image = _as_grid("image", image)
    _check_cell(row, col, feature_map_shape(image.shape, kernel.shape, stride, padding))
    (top, _), (left, _) = paddings(image.shape, kernel.shape, stride, padding)
    r0, c0 = int(row) * stride, int(col) * stride
    kh, kw = kernel.shape
    window = pad_image(image, kernel.shape, stride, padding)[r0:r0 + kh, c0:c0 + kw]
    rr = np.arange(r0, r0 + kh)[:, None] - top
    cc = np.arange(c0, c0 + kw)[None, :] - left
    in_image = (rr >= 0) & (rr < image.shape[0]) & (cc >= 0) & (cc < image.shape[1])
    products = window * kernel
    return {"row": int(row), "col": int(col), "top_left_padded": (r0, c0),
            "top_left": (r0 - top, c0 - left), "window": window, "in_image": in_image,
            "products": products, "sum": float(products.sum())}


# ------------------------------------------------------------------ pooling
def pool_shape(shape, size: int = 2, stride: int = 2) -> tuple[int, int]:
    """(rows, cols) after pooling: ⌊(n − size) / stride⌋ + 1 per axis (no padding)."""
    size = _whole("size", size, 1)
    stride = _whole("stride", stride, 1)
    if size > min(shape):
        raise ValueError(f"size: a {size}×{size} pool does not fit in a "
                         f"{shape[0]}×{shape[1]} input")
    return tuple((n - size) // stride + 1 for n in shape)


def _pool(x, size, stride, reduce) -> np.ndarray:
    x = _as_grid("x", x)
    rows, cols = pool_shape(x.shape, size, stride)
    return reduce(_windows(x, (size, size), stride)[:rows, :cols], axis=(2, 3))


def max_pool(x, size: int = 2, stride: int = 2) -> np.ndarray:
    """Largest value of each size×size block, stepping by stride: (rows, cols) float64."""
    return _pool(x, size, stride, np.max)


def avg_pool(x, size: int = 2, stride: int = 2) -> np.ndarray:
    """Mean of each size×size block, stepping by stride: (rows, cols) float64."""
    return _pool(x, size, stride, np.mean)


def pool_steps(shape, size: int = 2, stride: int = 2) -> list[tuple[int, int]]:
    """The order of the pooled cells: row by row, left to right."""
    rows, cols = pool_shape(shape, size, stride)
    return [(r, c) for r in range(rows) for c in range(cols)]


POOLS = {"max": np.max, "avg": np.mean}


def pool_cell(x, row: int, col: int, size: int = 2, stride: int = 2, kind: str = "max") -> dict:
    """One pooled cell: {"row", "col"; "top_left": (r, c) of the block in x; "window":
    (size, size) its values; "value": their max (kind "max") or mean ("avg"); "argmax":
    (r, c) inside the window of the largest value (the one max pooling keeps)}."""
    if kind not in POOLS:
        raise ValueError(f"kind: one of {tuple(POOLS)}, got {kind!r}")
    x = _as_grid("x", x)
    _check_cell(row, col, pool_shape(x.shape, size, stride))
    r0, c0 = int(row) * stride, int(col) * stride
    window = x[r0:r0 + size, c0:c0 + size]
    return {"row": int(row), "col": int(col), "top_left": (r0, c0), "window": window,
            "value": float(POOLS[kind](window)),
            "argmax": tuple(int(i) for i in np.unravel_index(np.argmax(window), window.shape))}


def relu(x) -> np.ndarray:
    """max(0, x) element-wise (float64)."""
    return np.maximum(np.asarray(x, np.float64), 0.0)


# ------------------------------------------------------------------ presets
def _frozen(rows, scale: float = 1.0) -> np.ndarray:
    a = np.asarray(rows, np.float64) * scale
    a.flags.writeable = False
    return a


_CURVE_DETECTOR = [[0, 0, 0, 0, 0, 30, 0],
                   [0, 0, 0, 0, 30, 0, 0],
                   *[[0, 0, 0, 30, 0, 0, 0]] * 4,
                   [0, 0, 0, 0, 0, 0, 0]]

# name: (weights, what it does — for a tooltip)
_KERNEL_PRESETS = {
    "identity": ([[0, 0, 0], [0, 1, 0], [0, 0, 0]], 1,
                 "Identity: copies each pixel unchanged (only the centre weight is 1)."),
    "box_blur": ([[1, 1, 1], [1, 1, 1], [1, 1, 1]], 1 / 9,
                 "Box blur: each pixel becomes the mean of its 3×3 neighbourhood."),
    "gaussian_blur": ([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1 / 16,
                      "Gaussian blur: a weighted mean that counts near pixels more; "
                      "a softer blur than the box."),
    "sharpen": ([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], 1,
                "Sharpen: the pixel minus its neighbours, added to itself; "
                "edges and details stand out."),
    "outline": ([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], 1,
                "Outline: 8× the pixel minus its 8 neighbours; 0 where the image is flat, "
                "large at edges in any direction."),
    "sobel_x": ([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], 1,
                "Sobel x: right column minus left column; responds to vertical edges "
                "(brightness changing from left to right)."),
    "sobel_y": ([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], 1,
                "Sobel y: bottom row minus top row; responds to horizontal edges "
                "(brightness changing from top to bottom)."),
    "emboss": ([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], 1,
               "Emboss: bottom-right minus top-left; the image looks raised, lit from one side."),
    "x_pattern": ([[1, 0, 1], [0, 1, 0], [1, 0, 1]], 1,
                  "The X: 1 on both diagonals; the sum counts the pixels on an X under it "
                  "(the classic 5×5 example)."),
    "curve_detector": (_CURVE_DETECTOR, 1,
                       "Curve detector (7×7): 30s along a curve; a template that gives a large "
                       "sum over a patch holding that curve and 0 over a patch without it."),
}
KERNELS = {name: _frozen(w, s) for name, (w, s, _) in _KERNEL_PRESETS.items()}
KERNEL_DESCRIPTIONS = {name: text for name, (_, _, text) in _KERNEL_PRESETS.items()}

CLASSIC_5X5 = _frozen([[1, 1, 1, 0, 0],
                       [0, 1, 1, 1, 0],
                       [0, 0, 1, 1, 1],
                       [0, 0, 1, 1, 0],
                       [0, 1, 1, 0, 0]])
CURVE_FIELD = _frozen([[0, 0, 0, 0, 0, 0, 30],
                       [0, 0, 0, 0, 50, 50, 50],
                       [0, 0, 0, 20, 50, 0, 0],
                       *[[0, 0, 0, 50, 50, 0, 0]] * 4])
# Another part of the same picture: strokes, but none where the detector has its 30s.
NO_CURVE_FIELD = _frozen([[0, 0, 0, 0, 0, 0, 0],
                          [0, 40, 0, 0, 0, 0, 0],
                          [40, 0, 40, 0, 0, 0, 0],
                          [40, 20, 0, 0, 0, 0, 0],
                          [0, 50, 0, 0, 0, 0, 0],
                          [0, 0, 50, 0, 0, 0, 0],
                          [25, 25, 0, 50, 0, 0, 0]])
INPUTS = {"classic_5x5": CLASSIC_5X5, "curve_field": CURVE_FIELD,
          "no_curve_field": NO_CURVE_FIELD}
INPUT_DESCRIPTIONS = {
    "classic_5x5": "A 5×5 binary image; with the X kernel it gives [[4,3,4],[2,4,3],[2,3,4]].",
    "curve_field": "A 7×7 patch holding a curve; the curve detector over it sums to 6600.",
    "no_curve_field": "A 7×7 patch with strokes elsewhere; the curve detector over it gives 0.",
}


def digit_image(index: int = 0) -> tuple[np.ndarray, int]:
    """One 8×8 handwritten digit of the bundled set: ((8, 8) float64 in 0..16, its label)."""
    images, labels = load_digits()
    index = _whole("index", index, 0)
    if index >= len(labels):
        raise ValueError(f"index: 0..{len(labels) - 1}, got {index}")
    return images[index].astype(np.float64), int(labels[index])
