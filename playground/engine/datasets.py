"""Toy data sets in the style of TensorFlow Playground.

Every data set is one function ``name(key, n, noise) -> (X, y)``:

* ``key``: a ``jax.random`` PRNG key; all randomness comes from it, so the same
  key gives bit-identical output.
* ``n``: number of points; ``noise``: percent, 0..50 (0 = clean).
* ``X``: ``(n, 2) float32`` with every value in [-6, 6] (clipped after noise);
  ``y``: ``(n,) float32``.

Two-class sets have labels exactly +1 / -1. Multi-class sets (``MULTICLASS``: K = 3..5
classes, ``n_classes``) have labels that are class indices 0, 1, ..., K-1, stored as
float32 like every label (exact in float32; ``int(y)`` is the class). The 2-D regression
sets have targets in [-1, 1] (``sine`` too at noise 0; its noise is not clipped). The
1-D set ``sine`` puts its input in column 0 and zeros in column 1.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

R = 5.0          # half-extent of the classification shapes
LIMIT = 6.0      # every X value is clipped to [-LIMIT, LIMIT]
MAX_POINTS = 5000
SPLIT_STREAM = 0x5B117   # fold_in tag of the train/test split's random stream


# ------------------------------------------------------------------- helpers
def _jitter(key, X, noise, scale):
    """Add uniform jitter of +-scale*noise/100 to every coordinate of X."""
    return X + jax.random.uniform(key, X.shape, minval=-1.0, maxval=1.0) * (scale * noise / 100.0)


def _labels(n):
    """Alternating +1, -1, +1, ... (balanced to within one point)."""
    return jnp.where(jnp.arange(n) % 2 == 0, 1.0, -1.0)


def _polar(r, t):
    return jnp.stack([r * jnp.cos(t), r * jnp.sin(t)], axis=1)


def _target_noise(key, y, noise, clip=True):
    """Add Gaussian noise with std noise/100 to regression targets (then clip to [-1, 1])."""
    y = y + jax.random.normal(key, y.shape) * (noise / 100.0)
    return jnp.clip(y, -1.0, 1.0) if clip else y


def _out(X, y):
    X = jnp.clip(X, -LIMIT, LIMIT)
    return np.asarray(X, dtype=np.float32), np.asarray(y, dtype=np.float32)


# ------------------------------------------------------------ classification
def circle(key, n, noise):
    """Disc (label +1, radius <= 0.5R) inside a ring (label -1, radius 0.7R..R), R = 5.

    X (n, 2) float32, y (n,) float32 in {+1, -1}, classes alternate (balanced).
    Noise jitters each coordinate uniformly by up to +-R*noise/100 (+-2.5 at 50);
    the label stays the one of the clean point, so noise makes the classes overlap.
    """
    kr, kt, kj = jax.random.split(key, 3)
    y = _labels(n)
    u = jax.random.uniform(kr, (n,))
    r = jnp.where(y > 0, u * 0.5 * R, (0.7 + 0.3 * u) * R)
    X = _polar(r, jax.random.uniform(kt, (n,), maxval=2 * math.pi))
    return _out(_jitter(kj, X, noise, R), y)


def xor(key, n, noise):
    """Points uniform in [-5, 5]^2 kept 0.3 away from the axes; label sign(x1*x2).

    X (n, 2) float32, y (n,) float32 in {+1, -1}. Noise jitters each coordinate
    uniformly by up to +-5*noise/100 after labelling (classes overlap near the axes).
    """
    km, ks, kj = jax.random.split(key, 3)
    mag = jax.random.uniform(km, (n, 2), minval=0.3, maxval=R)
    X = mag * jnp.where(jax.random.bernoulli(ks, 0.5, (n, 2)), 1.0, -1.0)
    y = jnp.sign(X[:, 0] * X[:, 1])
    return _out(_jitter(kj, X, noise, R), y)


def gauss(key, n, noise):
    """Two Gaussian blobs: centre (2, 2) label +1, centre (-2, -2) label -1.

    X (n, 2) float32, y (n,) float32 in {+1, -1}, classes alternate (balanced).
    Noise widens the blobs: std = 0.7 + 1.3*noise/50 (0.7 clean, 2.0 at 50).
    """
    y = _labels(n)
    std = 0.7 + 1.3 * noise / 50.0
    X = y[:, None] * 2.0 + jax.random.normal(key, (n, 2)) * std
    return _out(X, y)


def spiral(key, n, noise):
    """Two interleaved spirals (radius 0..5, 1.75 turns), one per class.

    X (n, 2) float32, y (n,) float32 in {+1, -1}, classes alternate (balanced);
    the -1 spiral is the +1 one rotated by half a turn. Noise jitters each
    coordinate uniformly by up to +-noise/100 (+-0.5 at 50, as TF Playground).
    """
    ks, kj = jax.random.split(key)
    y = _labels(n)
    s = jax.random.uniform(ks, (n,))
    t = 1.75 * 2 * math.pi * s + jnp.where(y > 0, 0.0, math.pi)
    return _out(_jitter(kj, _polar(R * s, t), noise, 1.0), y)


def moons(key, n, noise):
    """Two interleaving half-moons (as scikit-learn's make_moons), upper one +1.

    The unit moons span [-1, 2] x [-0.5, 1]; they are centred and scaled by 10/3
    to span [-5, 5] x [-2.5, 2.5] (shape kept, not stretched).
    X (n, 2) float32, y (n,) float32 in {+1, -1}, classes alternate (balanced).
    Noise jitters each coordinate uniformly by up to +-(10/3)*noise/100
    (+-0.5 moon units at 50).
    """
    kt, kj = jax.random.split(key)
    y = _labels(n)
    t = jax.random.uniform(kt, (n,), maxval=math.pi)
    upper = jnp.stack([jnp.cos(t), jnp.sin(t)], axis=1)
    lower = jnp.stack([1.0 - jnp.cos(t), 0.5 - jnp.sin(t)], axis=1)
    scale = 10.0 / 3.0
    X = (jnp.where(y[:, None] > 0, upper, lower) - jnp.array([0.5, 0.25])) * scale
    return _out(_jitter(kj, X, noise, scale), y)


# -------------------------------------------------------------- multi-class
BLOB_RADIUS = 3.5        # the blobs' centres sit on a circle of this radius


def _class_labels(n, k):
    """0, 1, ..., k-1, 0, 1, ... (balanced to within one point): (n,) int32."""
    return jnp.arange(n) % k


def _blobs(key, n, noise, k):
    """k Gaussian blobs, centres evenly spaced on a circle of radius BLOB_RADIUS (class 0
    at angle 90°, then anticlockwise); label = blob index 0..k-1, balanced.
    Noise widens the blobs: std = 0.6 + 1.2*noise/50 (0.6 clean, 1.8 at 50)."""
    y = _class_labels(n, k)
    angle = math.pi / 2 + 2 * math.pi * y / k
    std = 0.6 + 1.2 * noise / 50.0
    X = _polar(jnp.full(n, BLOB_RADIUS), angle) + jax.random.normal(key, (n, 2)) * std
    return _out(X, y)


def blobs3(key, n, noise):
    """Three Gaussian blobs (classes 0, 1, 2); see ``_blobs``. X (n, 2) float32, y (n,)
    float32 class indices."""
    return _blobs(key, n, noise, 3)


def blobs4(key, n, noise):
    """Four Gaussian blobs (classes 0..3); see ``_blobs``. X (n, 2), y (n,), float32."""
    return _blobs(key, n, noise, 4)


def blobs5(key, n, noise):
    """Five Gaussian blobs (classes 0..4); see ``_blobs``. X (n, 2), y (n,), float32."""
    return _blobs(key, n, noise, 5)


def spiral3(key, n, noise):
    """Three interleaved spiral arms (radius 0..5, 1.25 turns), one per class 0, 1, 2.

    X (n, 2) float32, y (n,) float32 class indices, balanced; arm k is arm 0 rotated by
    k/3 of a turn. Noise jitters each coordinate uniformly by up to +-noise/100 (as the
    two-class spiral)."""
    ks, kj = jax.random.split(key)
    y = _class_labels(n, 3)
    s = jax.random.uniform(ks, (n,))
    t = 1.25 * 2 * math.pi * s + 2 * math.pi * y / 3
    return _out(_jitter(kj, _polar(R * s, t), noise, 1.0), y)


PINWHEEL_ARMS = 5


def pinwheel(key, n, noise):
    """A pinwheel of PINWHEEL_ARMS = 5 curved arms, one per class 0..4 (Johnson et al.,
    2016): each point is drawn from a Gaussian stretched along its arm's direction, then
    turned by an angle that grows with its distance from the centre, so the arms bend.

    X (n, 2) float32 (radius about 1.2..5.5), y (n,) float32 class indices, balanced.
    Noise widens the arms: the spread across an arm grows from 0.06 (clean) to 0.26 (at
    50) in units of the arm's length scale (3.2)."""
    y = _class_labels(n, PINWHEEL_ARMS)
    radial, across = 0.25, 0.06 + 0.2 * noise / 50.0
    f = jax.random.normal(key, (n, 2)) * jnp.array([radial, across]) + jnp.array([1.0, 0.0])
    angle = 2 * math.pi * y / PINWHEEL_ARMS + 0.25 * jnp.exp(f[:, 0])
    c, s = jnp.cos(angle), jnp.sin(angle)
    X = 3.2 * jnp.stack([f[:, 0] * c - f[:, 1] * s, f[:, 0] * s + f[:, 1] * c], axis=1)
    return _out(X, y)


# ---------------------------------------------------------------- regression
def _uniform_plane(key, n):
    return jax.random.uniform(key, (n, 2), minval=-LIMIT, maxval=LIMIT)


def plane(key, n, noise):
    """X uniform in [-6, 6]^2, target y = (x1 + x2)/12 in [-1, 1].

    X (n, 2) float32, y (n,) float32. Noise adds Gaussian noise with std
    noise/100 to y, then y is clipped to [-1, 1].
    """
    kx, ky = jax.random.split(key)
    X = _uniform_plane(kx, n)
    return _out(X, _target_noise(ky, (X[:, 0] + X[:, 1]) / 12.0, noise))


_BUMPS = np.array([[-4.0, 2.5, 1.0], [0.0, 2.5, -1.0], [4.0, 2.5, 1.0],
                    [-4.0, -2.5, -1.0], [0.0, -2.5, 1.0], [4.0, -2.5, -1.0]])
_BUMP_STD = 1.2


def multigauss(key, n, noise):
    """X uniform in [-6, 6]^2; y = sum of 6 Gaussian bumps (std 1.2, heights +-1).

    Bumps sit on a 3x2 grid (x in {-4, 0, 4}, y in {2.5, -2.5}) with alternating
    signs; they barely overlap, so y (clipped) lies in [-1, 1].
    X (n, 2) float32, y (n,) float32. Noise adds Gaussian noise with std
    noise/100 to y, then y is clipped to [-1, 1].
    """
    kx, ky = jax.random.split(key)
    X = _uniform_plane(kx, n)
    d2 = jnp.sum((X[:, None, :] - _BUMPS[None, :, :2]) ** 2, axis=-1)
    y = jnp.exp(-d2 / (2 * _BUMP_STD ** 2)) @ _BUMPS[:, 2]
    return _out(X, _target_noise(ky, jnp.clip(y, -1.0, 1.0), noise))


def sine(key, n, noise):
    """1-D regression: x uniform on [-6, 6], y = sin(x).

    X (n, 2) float32 = column_stack([x, 0]) (the input is 1-D; column 1 is all 0),
    y (n,) float32. Noise adds Gaussian noise with std noise/100 to y, NOT clipped
    (clipping would pile points up on the crests), so with noise y may leave
    [-1, 1] slightly; noise 0 gives exactly sin(x).
    """
    kx, ky = jax.random.split(key)
    x = jax.random.uniform(kx, (n,), minval=-LIMIT, maxval=LIMIT)
    X = jnp.stack([x, jnp.zeros_like(x)], axis=1)
    return _out(X, _target_noise(ky, jnp.sin(x), noise, clip=False))


# ----------------------------------------------------------------- registry
DATASETS = {
    "circle": circle, "xor": xor, "gauss": gauss, "spiral": spiral, "moons": moons,
    "blobs3": blobs3, "blobs4": blobs4, "blobs5": blobs5, "spiral3": spiral3,
    "pinwheel": pinwheel,
    "plane": plane, "multigauss": multigauss, "sine": sine,
}
TWO_CLASS = ("circle", "xor", "gauss", "spiral", "moons")
MULTICLASS = ("blobs3", "blobs4", "blobs5", "spiral3", "pinwheel")
CLASSIFICATION = TWO_CLASS + MULTICLASS
REGRESSION = ("plane", "multigauss", "sine")
ONE_D = ("sine",)
MAX_CLASSES = 5
_CLASSES = {"blobs3": 3, "blobs4": 4, "blobs5": 5, "spiral3": 3, "pinwheel": PINWHEEL_ARMS}

# The problem types (TensorFlow Playground's menu): each one's data sets and the one a
# change of problem picks.
PROBLEMS = ("classification", "regression")
PROBLEM_DATASETS = {"classification": CLASSIFICATION, "regression": REGRESSION}
DEFAULT_DATASET = {"classification": "circle", "regression": "plane"}


def is_classification(name: str) -> bool:
    """True for the classification data sets (two classes, labels ±1, or K classes, labels
    0..K-1), False for regression and the curve."""
    return name in CLASSIFICATION


def n_classes(name: str) -> int:
    """How many classes data set ``name`` has: 2 for the two-class sets, K for the
    multi-class ones, 0 for regression."""
    if name in TWO_CLASS:
        return 2
    return _CLASSES.get(name, 0)


def problem_of(name: str) -> str:
    """"classification" or "regression": the problem a built-in data set belongs to."""
    return "classification" if is_classification(name) else "regression"


def make_dataset(name: str, seed: int, n: int, noise: float):
    """Validate the arguments and build data set ``name`` from ``PRNGKey(seed)``: X (n, 2)
    float32 points, y (n,) float32 labels (±1, class indices or regression targets)."""
    if name not in DATASETS:
        raise ValueError(f"dataset: unknown {name!r}; choose one of {', '.join(DATASETS)}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_POINTS:
        raise ValueError(f"n: number of points must be an integer in 1..{MAX_POINTS}, got {n!r}")
    try:
        noise = float(noise)
    except (TypeError, ValueError):
        raise ValueError(f"noise: must be a number in [0, 50], got {noise!r}") from None
    if not 0.0 <= noise <= 50.0:  # also rejects NaN
        raise ValueError(f"noise: must be in [0, 50] percent, got {noise!r}")
    return DATASETS[name](jax.random.PRNGKey(seed), int(n), noise)


def train_test_split(seed: int, n: int, train_ratio: float):
    """Seeded random split of range(n) -> (train_idx, test_idx), int32 arrays.

    The first round(train_ratio*n) indices of a random permutation (at least 1,
    at most n-1) are the training set; the rest are the test set.
    """
    if not (isinstance(train_ratio, (int, float, np.floating, np.integer))
            and 0.1 <= float(train_ratio) <= 0.9):
        raise ValueError(f"train_ratio: must be in [0.1, 0.9], got {train_ratio!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n: need an integer of at least 2 points to split, got {n!r}")
    n = int(n)
    # a stream of its own: drawing from the data's key itself would correlate the
    # split with the points (e.g. all training points of the circle in one half)
    key = jax.random.fold_in(jax.random.PRNGKey(seed), SPLIT_STREAM)
    perm = np.asarray(jax.random.permutation(key, n), dtype=np.int32)
    k = min(max(round(float(train_ratio) * n), 1), n - 1)
    return perm[:k], perm[k:]
