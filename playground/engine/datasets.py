"""Toy data sets in the style of TensorFlow Playground.

Every data set is one function ``name(key, n, noise) -> (X, y)``:

* ``key``: a ``jax.random`` PRNG key; all randomness comes from it, so the same
  key gives bit-identical output.
* ``n``: number of points; ``noise``: percent, 0..50 (0 = clean). The first n points
  are the same whatever n: a set of 200 points is the first 200 of a set of 500.
* ``X``: ``(n, 2) float32`` with every value in [-6, 6] (clipped after noise);
  ``y``: ``(n,) float32``.

Two-class sets have labels exactly +1 / -1. Multi-class sets (``MULTICLASS``: K = 3..5
classes, ``n_classes``) have labels that are class indices 0, 1, ..., K-1, stored as
float32 like every label (exact in float32; ``int(y)`` is the class). The 2-D regression
sets have targets in [-1, 1] (``sine`` too at noise 0; its noise is not clipped). The
1-D set ``sine`` puts its input in column 0 and zeros in column 1.
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

R = 5.0          # half-extent of the classification shapes
LIMIT = 6.0      # every X value is clipped to [-LIMIT, LIMIT]
MAX_POINTS = 5000
SPLIT_STREAM = 0x5B117   # fold_in tag of the train/test split's random stream


# ------------------------------------------------------------------- helpers
# Each data set is a core ``_name(key, n, *consts)``; ``consts`` are the numbers its noise
# gives it (``_CORES``). The core runs as one compiled program of MAX_POINTS points (or n,
# if more), of which the first n are kept (``_generate``).
def _jitter(key, X, amount):
    """Add uniform jitter of +-amount to every coordinate of X."""
    return X + jax.random.uniform(key, X.shape, minval=-1.0, maxval=1.0) * amount


def _jitter_amount(scale):
    """The jitter of a set whose noise moves each coordinate by up to scale*noise/100."""
    return lambda noise: (scale * noise / 100.0,)


def _labels(n):
    """Alternating +1, -1, +1, ... (balanced to within one point)."""
    return jnp.where(jnp.arange(n) % 2 == 0, 1.0, -1.0)


def _polar(r, t):
    return jnp.stack([r * jnp.cos(t), r * jnp.sin(t)], axis=1)


def _target_noise(key, y, sd, clip=True):
    """Add Gaussian noise with std sd (noise/100) to regression targets (then clip to
    [-1, 1])."""
    y = y + jax.random.normal(key, y.shape) * sd
    return jnp.clip(y, -1.0, 1.0) if clip else y


def _target_sd(noise):
    return (noise / 100.0,)


def _generate(name, key, n, noise):
    """Data set ``name`` from ``key``: n points and labels, float32 numpy arrays."""
    _, consts = _CORES[name]
    X, y = _compiled(name, max(int(n), MAX_POINTS), key,
                     tuple(np.float32(c) for c in consts(noise)))
    # sliced in numpy: a slice of JAX's array would be an operation compiled for each n
    return (np.array(np.asarray(X)[:n], dtype=np.float32),
            np.array(np.asarray(y)[:n], dtype=np.float32))


# A data set's points are the first n of MAX_POINTS: JAX draws random numbers counter by
# counter (its default, "partitionable" threefry), so the first n of MAX_POINTS draws are
# the n draws, whatever n (``tests/engine/test_datasets.py`` checks it). One program per
# data set, whatever n: run operation by operation, each new n compiled each of a data
# set's dozen operations again, 0.1–1.5 s on the server's event loop (a link's or a
# class challenge's number of points).
@functools.partial(jax.jit, static_argnums=(0, 1))
def _compiled(name, size, key, consts):
    core, _ = _CORES[name]
    X, y = core(key, size, *consts)
    return jnp.clip(X, -LIMIT, LIMIT), y


# ------------------------------------------------------------ classification
def _circle(key, n, jitter):
    kr, kt, kj = jax.random.split(key, 3)
    y = _labels(n)
    u = jax.random.uniform(kr, (n,))
    r = jnp.where(y > 0, u * 0.5 * R, (0.7 + 0.3 * u) * R)
    X = _polar(r, jax.random.uniform(kt, (n,), maxval=2 * math.pi))
    return _jitter(kj, X, jitter), y


def _xor(key, n, jitter):
    km, ks, kj = jax.random.split(key, 3)
    mag = jax.random.uniform(km, (n, 2), minval=0.3, maxval=R)
    X = mag * jnp.where(jax.random.bernoulli(ks, 0.5, (n, 2)), 1.0, -1.0)
    y = jnp.sign(X[:, 0] * X[:, 1])
    return _jitter(kj, X, jitter), y


def _gauss(key, n, std):
    y = _labels(n)
    X = y[:, None] * 2.0 + jax.random.normal(key, (n, 2)) * std
    return X, y


def _spiral(key, n, jitter):
    ks, kj = jax.random.split(key)
    y = _labels(n)
    s = jax.random.uniform(ks, (n,))
    t = 1.75 * 2 * math.pi * s + jnp.where(y > 0, 0.0, math.pi)
    return _jitter(kj, _polar(R * s, t), jitter), y


MOONS_SCALE = 10.0 / 3.0


def _moons(key, n, jitter):
    kt, kj = jax.random.split(key)
    y = _labels(n)
    t = jax.random.uniform(kt, (n,), maxval=math.pi)
    upper = jnp.stack([jnp.cos(t), jnp.sin(t)], axis=1)
    lower = jnp.stack([1.0 - jnp.cos(t), 0.5 - jnp.sin(t)], axis=1)
    X = (jnp.where(y[:, None] > 0, upper, lower) - jnp.array([0.5, 0.25])) * MOONS_SCALE
    return _jitter(kj, X, jitter), y


def circle(key, n, noise):
    """Disc (label +1, radius <= 0.5R) inside a ring (label -1, radius 0.7R..R), R = 5.

    X (n, 2) float32, y (n,) float32 in {+1, -1}, classes alternate (balanced).
    Noise jitters each coordinate uniformly by up to +-R*noise/100 (+-2.5 at 50);
    the label stays the one of the clean point, so noise makes the classes overlap.
    """
    return _generate("circle", key, n, noise)


def xor(key, n, noise):
    """Points uniform in [-5, 5]^2 kept 0.3 away from the axes; label sign(x1*x2).

    X (n, 2) float32, y (n,) float32 in {+1, -1}. Noise jitters each coordinate
    uniformly by up to +-5*noise/100 after labelling (classes overlap near the axes).
    """
    return _generate("xor", key, n, noise)


def gauss(key, n, noise):
    """Two Gaussian blobs: centre (2, 2) label +1, centre (-2, -2) label -1.

    X (n, 2) float32, y (n,) float32 in {+1, -1}, classes alternate (balanced).
    Noise widens the blobs: std = 0.7 + 1.3*noise/50 (0.7 clean, 2.0 at 50).
    """
    return _generate("gauss", key, n, noise)


def spiral(key, n, noise):
    """Two interleaved spirals (radius 0..5, 1.75 turns), one per class.

    X (n, 2) float32, y (n,) float32 in {+1, -1}, classes alternate (balanced);
    the -1 spiral is the +1 one rotated by half a turn. Noise jitters each
    coordinate uniformly by up to +-noise/100 (+-0.5 at 50, as TF Playground).
    """
    return _generate("spiral", key, n, noise)


def moons(key, n, noise):
    """Two interleaving half-moons (as scikit-learn's make_moons), upper one +1.

    The unit moons span [-1, 2] x [-0.5, 1]; they are centred and scaled by 10/3
    to span [-5, 5] x [-2.5, 2.5] (shape kept, not stretched).
    X (n, 2) float32, y (n,) float32 in {+1, -1}, classes alternate (balanced).
    Noise jitters each coordinate uniformly by up to +-(10/3)*noise/100
    (+-0.5 moon units at 50).
    """
    return _generate("moons", key, n, noise)


# -------------------------------------------------------------- multi-class
BLOB_RADIUS = 3.5        # the blobs' centres sit on a circle of this radius


def _class_labels(n, k):
    """0, 1, ..., k-1, 0, 1, ... (balanced to within one point): (n,) int32."""
    return jnp.arange(n) % k


def _blobs(k):
    """The core of k Gaussian blobs, centres evenly spaced on a circle of radius
    BLOB_RADIUS (class 0 at angle 90°, then anticlockwise); label = blob index 0..k-1,
    balanced. Noise widens the blobs: std = 0.6 + 1.2*noise/50 (0.6 clean, 1.8 at 50)."""
    def core(key, n, std):
        y = _class_labels(n, k)
        angle = math.pi / 2 + 2 * math.pi * y / k
        X = _polar(jnp.full(n, BLOB_RADIUS), angle) + jax.random.normal(key, (n, 2)) * std
        return X, y
    return core


def _spiral3(key, n, jitter):
    ks, kj = jax.random.split(key)
    y = _class_labels(n, 3)
    s = jax.random.uniform(ks, (n,))
    t = 1.25 * 2 * math.pi * s + 2 * math.pi * y / 3
    return _jitter(kj, _polar(R * s, t), jitter), y


PINWHEEL_ARMS = 5


def _pinwheel(key, n, across):
    y = _class_labels(n, PINWHEEL_ARMS)
    radial = 0.25
    f = jax.random.normal(key, (n, 2)) * jnp.array([radial, across]) + jnp.array([1.0, 0.0])
    angle = 2 * math.pi * y / PINWHEEL_ARMS + 0.25 * jnp.exp(f[:, 0])
    c, s = jnp.cos(angle), jnp.sin(angle)
    X = 3.2 * jnp.stack([f[:, 0] * c - f[:, 1] * s, f[:, 0] * s + f[:, 1] * c], axis=1)
    return X, y


def blobs3(key, n, noise):
    """Three Gaussian blobs (classes 0, 1, 2); see ``_blobs``. X (n, 2) float32,
    y (n,) float32 class indices."""
    return _generate("blobs3", key, n, noise)


def blobs4(key, n, noise):
    """Four Gaussian blobs (classes 0..3); see ``_blobs``. X (n, 2), y (n,), float32."""
    return _generate("blobs4", key, n, noise)


def blobs5(key, n, noise):
    """Five Gaussian blobs (classes 0..4); see ``_blobs``. X (n, 2), y (n,), float32."""
    return _generate("blobs5", key, n, noise)


def spiral3(key, n, noise):
    """Three interleaved spiral arms (radius 0..5, 1.25 turns), one per class 0, 1, 2.

    X (n, 2) float32, y (n,) float32 class indices, balanced; arm k is arm 0 rotated by
    k/3 of a turn. Noise jitters each coordinate uniformly by up to +-noise/100 (as the
    two-class spiral)."""
    return _generate("spiral3", key, n, noise)


def pinwheel(key, n, noise):
    """A pinwheel of PINWHEEL_ARMS = 5 curved arms, one per class 0..4 (Johnson et
    al., 2016): each point is drawn from a Gaussian stretched along its arm's direction,
    then turned by an angle that grows with its distance from the centre, so the arms bend.

    X (n, 2) float32 (radius about 1.2..5.5), y (n,) float32 class indices, balanced.
    Noise widens the arms: the spread across an arm grows from 0.06 (clean) to 0.26 (at
    50) in units of the arm's length scale (3.2)."""
    return _generate("pinwheel", key, n, noise)


# ---------------------------------------------------------------- regression
def _uniform_plane(key, n):
    return jax.random.uniform(key, (n, 2), minval=-LIMIT, maxval=LIMIT)


def _plane(key, n, sd):
    kx, ky = jax.random.split(key)
    X = _uniform_plane(kx, n)
    return X, _target_noise(ky, (X[:, 0] + X[:, 1]) / 12.0, sd)


_BUMPS = np.array([[-4.0, 2.5, 1.0], [0.0, 2.5, -1.0], [4.0, 2.5, 1.0],
                    [-4.0, -2.5, -1.0], [0.0, -2.5, 1.0], [4.0, -2.5, -1.0]])
_BUMP_STD = 1.2


def _multigauss(key, n, sd):
    kx, ky = jax.random.split(key)
    X = _uniform_plane(kx, n)
    d2 = jnp.sum((X[:, None, :] - _BUMPS[None, :, :2]) ** 2, axis=-1)
    y = jnp.exp(-d2 / (2 * _BUMP_STD ** 2)) @ _BUMPS[:, 2]
    return X, _target_noise(ky, jnp.clip(y, -1.0, 1.0), sd)


def _sine(key, n, sd):
    kx, ky = jax.random.split(key)
    x = jax.random.uniform(kx, (n,), minval=-LIMIT, maxval=LIMIT)
    X = jnp.stack([x, jnp.zeros_like(x)], axis=1)
    return X, _target_noise(ky, jnp.sin(x), sd, clip=False)


def plane(key, n, noise):
    """X uniform in [-6, 6]^2, target y = (x1 + x2)/12 in [-1, 1].

    X (n, 2) float32, y (n,) float32. Noise adds Gaussian noise with std
    noise/100 to y, then y is clipped to [-1, 1].
    """
    return _generate("plane", key, n, noise)


def multigauss(key, n, noise):
    """X uniform in [-6, 6]^2; y = sum of 6 Gaussian bumps (std 1.2, heights +-1).

    Bumps sit on a 3x2 grid (x in {-4, 0, 4}, y in {2.5, -2.5}) with alternating
    signs; they barely overlap, so y (clipped) lies in [-1, 1].
    X (n, 2) float32, y (n,) float32. Noise adds Gaussian noise with std
    noise/100 to y, then y is clipped to [-1, 1].
    """
    return _generate("multigauss", key, n, noise)


def sine(key, n, noise):
    """1-D regression: x uniform on [-6, 6], y = sin(x).

    X (n, 2) float32 = column_stack([x, 0]) (the input is 1-D; column 1 is all 0),
    y (n,) float32. Noise adds Gaussian noise with std noise/100 to y, NOT clipped
    (clipping would pile points up on the crests), so with noise y may leave
    [-1, 1] slightly; noise 0 gives exactly sin(x).
    """
    return _generate("sine", key, n, noise)


# each data set's core and the numbers its noise gives it (worked out in Python)
_CORES = {
    "circle": (_circle, _jitter_amount(R)),
    "xor": (_xor, _jitter_amount(R)),
    "gauss": (_gauss, lambda noise: (0.7 + 1.3 * noise / 50.0,)),
    "spiral": (_spiral, _jitter_amount(1.0)),
    "moons": (_moons, _jitter_amount(MOONS_SCALE)),
    "blobs3": (_blobs(3), lambda noise: (0.6 + 1.2 * noise / 50.0,)),
    "blobs4": (_blobs(4), lambda noise: (0.6 + 1.2 * noise / 50.0,)),
    "blobs5": (_blobs(5), lambda noise: (0.6 + 1.2 * noise / 50.0,)),
    "spiral3": (_spiral3, _jitter_amount(1.0)),
    "pinwheel": (_pinwheel, lambda noise: (0.06 + 0.2 * noise / 50.0,)),
    "plane": (_plane, _target_sd),
    "multigauss": (_multigauss, _target_sd),
    "sine": (_sine, _target_sd),
}


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


@jax.jit
def _sort_keys(key):
    """MAX_POINTS random 32-bit words from ``key``: the first n are those
    ``jax.random.permutation`` sorts n items by."""
    return jax.random.bits(key, (MAX_POINTS,), jnp.uint32)


def permutation(key, n: int) -> np.ndarray:
    """``jax.random.permutation(key, n)``, bit for bit, for n up to MAX_POINTS, without a
    program compiled for each n (0.25–0.4 s each: a file of a new length uploaded): each of
    its rounds sorts the items, stably, by the first n words of ``_sort_keys``."""
    x = np.arange(n, dtype=np.int32)
    # as jax.random.permutation: enough rounds that ties among the sort keys are unlikely
    rounds = int(np.ceil(3 * np.log(max(1, n)) / np.log(np.iinfo(np.uint32).max)))
    for _ in range(rounds):
        key, subkey = jax.random.split(key)
        words = np.asarray(_sort_keys(subkey))[:n]
        x = x[np.argsort(words, kind="stable")]
    return x


def warmup() -> None:
    """Compile every data set's program and the split's (the server's warm-up does it
    off the event loop, before a student's first click on a data set)."""
    for name in DATASETS:
        make_dataset(name, 0, 1, 0.0)
    train_test_split(0, 2, 0.5)


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
    perm = permutation(key, n)
    k = min(max(round(float(train_ratio) * n), 1), n - 1)
    return perm[:k], perm[k:]
