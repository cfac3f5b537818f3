"""Handwritten digits (8×8 grey, 10 classes): a small CNN and an MLP in pure JAX + optax.

The data are scikit-learn's digits, bundled in ``assets/digits.npz`` (pixels 0..16).
Models take images ``(n, 8, 8)`` in 0..16 and divide by 16 themselves. Parameters are
nested dicts; which model a pytree is follows from its keys:

    CNN  {"conv1": {"W": (k, k, 1, f1), "b": (f1,)},        8×8 'SAME' conv, ReLU, 2×2 max pool
          "conv2": {"W": (k, k, f1, f2), "b": (f2,)},       4×4 'SAME' conv, ReLU, 2×2 max pool
          "dense": {"W": (2·2·f2, 10), "b": (10,)}}          dropout, then softmax readout
    MLP  {"hidden": {"W": (64, h), "b": (h,)},               ReLU, dropout
          "dense":  {"W": (h, 10), "b": (10,)}}              softmax readout

One jitted program trains one epoch (``train_epoch``: ``lax.scan`` over shuffled
minibatches, augmentation and dropout inside) and scores the test set. Learning rate,
dropout rate, optimizer (an index into ``lax.switch``, every optimizer's state kept) and
augmentation strengths are *arrays*, so changing them never recompiles. Filter counts,
kernel size, hidden size and batch size are shapes: each combination compiles once per
process and is shared by every session (the bounded cache of ``engine.programs``; ``prepare``
compiles them all, e.g. on the cache's background thread). ``TRACES`` counts the traces.

Augmentation: every training image of every step is rotated by a random angle in
[−rotate, +rotate] about its centre and shifted by up to ±shift pixels in each direction
(bilinear resampling, zeros enter at the border). Flips are *not* offered: a mirrored
2, 3, 4, 7 or 9 is no longer that digit (and a flipped 6 reads as a 9), so flipping would
teach wrong labels.
"""
from __future__ import annotations

import collections
import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import lanes, programs
from .optimizers import OPTIMIZERS, TrainState, direction_switch, opt_init
from .assets import load_digits  # noqa: F401  (digits.load_digits: the data set)

PIXEL_MAX = 16.0            # digits pixels run 0..16
SIDE = 8                    # images are SIDE × SIDE
N_CLASSES = 10
TEST_FRACTION = 0.25        # held out, per class (stratified)
MODELS = ("cnn", "mlp")
BATCH_SIZES = (16, 32, 64, 128)
PREDICT_BUCKETS = (16, 512)  # predict pads to these sizes (larger sets: chunks of the last)
AUGMENT_STREAM, DROPOUT_STREAM, ORDER_STREAM = 0xA6, 0xD7, 0x0D   # fold_in tags

TRACES: collections.Counter = collections.Counter()


# --------------------------------------------------------------------- data
def split_indices(seed: int, labels, test_fraction: float = TEST_FRACTION):
    """Stratified seeded split: (train_idx, test_idx) int32, sorted. Each class gives
    round(test_fraction · its count) images to the test set."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    test = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        test.append(rng.permutation(members)[:round(test_fraction * len(members))])
    test = np.sort(np.concatenate(test)).astype(np.int32)
    train_idx = np.setdiff1d(np.arange(len(labels)), test).astype(np.int32)
    return train_idx, test


class Split(NamedTuple):
    """x_*: (n, 8, 8) float32 in 0..16; y_*: (n,) int32; *_index: rows of load_digits()."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    train_index: np.ndarray
    test_index: np.ndarray


def make_split(seed: int) -> Split:
    """The digits split into train and test sets for ``seed`` (see ``Split`` for shapes)."""
    images, labels = load_digits()
    train_rows, test_rows = split_indices(seed, labels)
    return Split(images[train_rows], labels[train_rows], images[test_rows], labels[test_rows],
                 train_rows, test_rows)


# ------------------------------------------------------------ hyperparameters
class Hyper(NamedTuple):
    """Dynamic hyperparameters (0-d arrays). optimizer: index into OPTIMIZERS;
    shift: pixels; rotate: radians."""
    learning_rate: jnp.ndarray
    dropout: jnp.ndarray
    optimizer: jnp.ndarray
    shift: jnp.ndarray
    rotate: jnp.ndarray


def make_hyper(learning_rate: float, dropout: float, optimizer: str,
               augment_shift: float = 0.0, augment_rotate: float = 0.0) -> Hyper:
    """augment_shift: pixels; augment_rotate: degrees."""
    f = np.float32
    return Hyper(f(learning_rate), f(dropout), np.int32(OPTIMIZERS.index(optimizer)),
                 f(augment_shift), f(math.radians(augment_rotate)))


class Spec(NamedTuple):
    """The shapes of a model (what compiles): filters per conv layer and kernel size for
    the CNN, hidden neurons for the MLP."""
    model: str = "cnn"
    filters1: int = 32
    filters2: int = 64
    kernel_size: int = 3
    hidden: int = 128


# ------------------------------------------------------------------- models
def _dense_init(key, n_in, n_out):
    w = jax.random.normal(key, (n_in, n_out)) * math.sqrt(2.0 / n_in)   # He normal
    return {"W": w, "b": jnp.zeros(n_out)}


def _conv_init(key, k, c_in, c_out):
    w = jax.random.normal(key, (k, k, c_in, c_out)) * math.sqrt(2.0 / (k * k * c_in))
    return {"W": w, "b": jnp.zeros(c_out)}


def init_params(key, spec: Spec) -> dict:
    """Fresh He-normal weights, zero biases (float32 pytree, layout in the module notes)."""
    if spec.model not in MODELS:
        raise ValueError(f"model: one of {MODELS}, got {spec.model!r}")
    k1, k2, k3 = jax.random.split(key, 3)
    if spec.model == "mlp":
        return {"hidden": _dense_init(k1, SIDE * SIDE, spec.hidden),
                "dense": _dense_init(k2, spec.hidden, N_CLASSES)}
    pooled = (SIDE // 4) ** 2
    return {"conv1": _conv_init(k1, spec.kernel_size, 1, spec.filters1),
            "conv2": _conv_init(k2, spec.kernel_size, spec.filters1, spec.filters2),
            "dense": _dense_init(k3, pooled * spec.filters2, N_CLASSES)}


def is_cnn(params) -> bool:
    """Whether ``params`` are a CNN's (they have a first convolution) or an MLP's."""
    return "conv1" in params


def conv_same(h, W):
    """'SAME' convolution (cross-correlation), stride 1, odd kernel:
    h (n, H, W, c_in), W (k, k, c_in, c_out) -> (n, H, W, c_out).

    Written as one matrix product over the k·k shifted copies of the zero-padded input
    (im2col): on a CPU this trains several times faster than ``lax.conv_general_dilated``
    at these sizes (docs/performance.md, "Code choices")."""
    k = W.shape[0]
    p = k // 2
    rows, cols = h.shape[1], h.shape[2]
    padded = jnp.pad(h, ((0, 0), (p, p), (p, p), (0, 0)))
    shifted = [padded[:, a:a + rows, b:b + cols, :] for a in range(k) for b in range(k)]
    return jnp.concatenate(shifted, -1) @ W.reshape(k * k * W.shape[2], W.shape[3])


def _conv_relu(layer, h):
    """(n, H, W, c_in) -> (n, H, W, c_out): 'SAME' convolution, bias, ReLU."""
    return jax.nn.relu(conv_same(h, layer["W"]) + layer["b"])


def _max_pool(h):
    """(n, H, W, c) -> (n, H/2, W/2, c): 2×2 blocks, stride 2."""
    return jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def _dropout(key, h, rate):
    """Inverted dropout: zero each unit with probability rate, scale the rest by 1/(1−rate)."""
    if key is None:
        return h
    keep = jax.random.uniform(key, h.shape) >= rate
    return jnp.where(keep, h / jnp.maximum(1.0 - rate, 1e-6), 0.0)


def cnn_maps(params, images):
    """Feature maps after each conv + ReLU: ((n, 8, 8, f1), (n, 4, 4, f2)); images 0..16."""
    maps1 = _conv_relu(params["conv1"], images[..., None] / PIXEL_MAX)
    maps2 = _conv_relu(params["conv2"], _max_pool(maps1))
    return maps1, maps2


def logits(params, images, dropout_key=None, dropout_rate=0.0):
    """Class scores (n, 10) for images (n, 8, 8) in 0..16; dropout only with a key."""
    if is_cnn(params):
        h = _max_pool(cnn_maps(params, images)[1]).reshape(images.shape[0], -1)
    else:
        x = images.reshape(images.shape[0], -1) / PIXEL_MAX
        h = jax.nn.relu(x @ params["hidden"]["W"] + params["hidden"]["b"])
    h = _dropout(dropout_key, h, dropout_rate)
    return h @ params["dense"]["W"] + params["dense"]["b"]


def _loss_and_correct(z, labels):
    """Mean softmax cross-entropy and the number of right answers of scores z (n, 10)."""
    loss = jnp.mean(-jnp.take_along_axis(jax.nn.log_softmax(z), labels[:, None], 1))
    return loss, jnp.sum(jnp.argmax(z, 1) == labels)


# ------------------------------------------------------------- augmentation
def augment(key, images, shift, rotate):
    """Each image (n, 8, 8) rotated by U(−rotate, rotate) radians about its centre and
    shifted by U(−shift, shift) pixels along each axis; bilinear, zeros outside. With
    shift = rotate = 0 the images come back unchanged (sampling at the pixel centres)."""
    n = images.shape[0]
    ka, ks = jax.random.split(key)
    angle = jax.random.uniform(ka, (n,), minval=-1.0, maxval=1.0) * rotate
    offset = jax.random.uniform(ks, (n, 2), minval=-1.0, maxval=1.0) * shift
    centre = (SIDE - 1) / 2.0
    r, c = jnp.meshgrid(jnp.arange(SIDE) - centre, jnp.arange(SIDE) - centre, indexing="ij")

    def one(img, a, t):
        cos, sin = jnp.cos(a), jnp.sin(a)
        src_r = cos * r - sin * c + centre - t[0]
        src_c = sin * r + cos * c + centre - t[1]
        return jax.scipy.ndimage.map_coordinates(img, [src_r, src_c], order=1,
                                                 mode="constant", cval=0.0)
    return jax.vmap(one)(images, angle, offset)


def _augment_preview(key, images, shift, rotate, copies: int):
    """(n, copies, 8, 8): copies of images (n, 8, 8) under random augmentation
    (shift in pixels, rotate in radians, as ``augment``)."""
    TRACES["augment_preview"] += 1
    keys = jax.random.split(key, copies)
    return jnp.stack([augment(k, images, shift, rotate) for k in keys], axis=1)


augment_preview = jax.jit(_augment_preview, static_argnames="copies")


# ------------------------------------------------------------------ training


class EpochMetrics(NamedTuple):
    """train_*: means over the epoch's minibatches (as the optimizer saw them: with dropout
    and augmentation); test_*: the whole test set after the epoch; test_pred: (n_test,)."""
    train_loss: jnp.ndarray
    train_accuracy: jnp.ndarray
    test_loss: jnp.ndarray
    test_accuracy: jnp.ndarray
    test_pred: jnp.ndarray


def _init_state(key, spec: Spec) -> TrainState:
    TRACES["init"] += 1
    params = init_params(key, spec)
    return TrainState(params, opt_init(params))


def init_state(key, spec: Spec, block: bool = True) -> TrainState | None:
    """Fresh weights and optimizer state for ``spec`` (see ``program``)."""
    prog = program("init", spec, (key,), block)
    return None if prog is None else prog(key)


def _evaluate(params, images, labels):
    """(mean loss, accuracy, predicted labels (n,)) of clean images (n, 8, 8)."""
    z = logits(params, images)
    loss, right = _loss_and_correct(z, labels)
    return loss, right / labels.shape[0], jnp.argmax(z, 1).astype(jnp.int32)


def _train_epoch(state: TrainState, hyper: Hyper, x_train, y_train, x_test, y_test, key,
                 epoch, batch_size: int):
    """One shuffled pass over the training set (the last partial batch is left out, a
    different one each epoch), then the test set's loss, accuracy and predictions.

    x_*: (n, 8, 8) float32 in 0..16; y_*: (n,) int32; key: the run's shuffle key;
    epoch: () int32, the number of this epoch (it picks the order and the random draws)."""
    TRACES["train_epoch"] += 1
    steps = x_train.shape[0] // batch_size
    ek = jax.random.fold_in(key, epoch)
    order = jax.random.permutation(jax.random.fold_in(ek, ORDER_STREAM), x_train.shape[0])
    order = order[:steps * batch_size].reshape(steps, batch_size)

    def loss_fn(params, xb, yb, dk):
        z = logits(params, xb, dk, hyper.dropout)
        return _loss_and_correct(z, yb)

    def step(state, batch):
        idx, i = batch
        sk = jax.random.fold_in(ek, i)
        xb = augment(jax.random.fold_in(sk, AUGMENT_STREAM), x_train[idx], hyper.shift,
                     hyper.rotate)
        (loss, right), g = jax.value_and_grad(loss_fn, has_aux=True)(
            state.params, xb, y_train[idx], jax.random.fold_in(sk, DROPOUT_STREAM))
        d, opt = direction_switch(hyper.optimizer, g, state.opt, state.params)
        params = jax.tree.map(lambda p, u: p - hyper.learning_rate * u, state.params, d)
        return TrainState(params, opt), (loss, right)

    state, (losses, rights) = jax.lax.scan(step, state, (order, jnp.arange(steps)))
    test_loss, test_acc, test_pred = _evaluate(state.params, x_test, y_test)
    metrics = EpochMetrics(jnp.mean(losses), jnp.sum(rights) / (steps * batch_size),
                           test_loss, test_acc, test_pred)
    return state, metrics


def _train_program(params, batch_size: int) -> tuple:
    """(kind, key) of the training program for these shapes and batch size: on a server's
    CPU, the heavy lane's device (engine/lanes.py) has its own."""
    key = (shapes_of(params), int(batch_size))
    return ("train_lane", key) if lanes.LANE.device() is not None else ("train", key)


def train_epoch(state: TrainState, hyper: Hyper, x_train, y_train, x_test, y_test, key,
                epoch, batch_size: int, block: bool = True):
    """One epoch (``_train_epoch``) -> (state, EpochMetrics); None while its program
    compiles in the background, with block=False.

    Where XLA shows the CPU as two devices (a server), the epoch computes on the heavy
    lane's device: an epoch is 0.1–2 s of compute, and the playground pages' light epochs
    on the first device would queue behind it. Its inputs are copied there and the new
    state back (a copy of well under a megabyte); the metrics stay there until read."""
    args = (state, hyper, x_train, y_train, x_test, y_test, key, epoch)
    kind, pk = _train_program(state.params, batch_size)
    on_lane = kind == "train_lane"
    if on_lane:
        args = lanes.on_heavy_device(args)
    prog = program(kind, pk, args, block)
    if prog is None:
        return None
    state, metrics = prog(*args)
    if on_lane:
        state = jax.device_put(state, jax.devices()[0])
    return state, metrics


def _evaluate_split(params, x_train, y_train, x_test, y_test) -> EpochMetrics:
    """Loss and accuracy of clean train and test images (x_*: (n, 8, 8) in 0..16), and
    the test predictions: the metrics of an untrained or hand-set network."""
    TRACES["evaluate_split"] += 1
    train_loss, train_acc, _ = _evaluate(params, x_train, y_train)
    return EpochMetrics(train_loss, train_acc, *_evaluate(params, x_test, y_test))


def evaluate_split(params, x_train, y_train, x_test, y_test) -> EpochMetrics:
    """``_evaluate_split`` through the shared cache (compiles here if needed). x_train,
    x_test: (n, 8, 8) float32 in 0..16; y_train, y_test: (n,) int32 (see ``Split``)."""
    args = (params, x_train, y_train, x_test, y_test)
    return program("evaluate", shapes_of(params), args, True)(*args)


# --------------------------------------------------------------- inspection
def _probabilities(params, images):
    TRACES["predict"] += 1
    return jax.nn.softmax(logits(params, images))




def predict_proba(params, images) -> np.ndarray:
    """Class probabilities (n, 10) float32 of images (n, 8, 8) in 0..16.

    Padded to fixed sizes (PREDICT_BUCKETS) so any n reuses two compiled programs."""
    images = np.asarray(images, np.float32).reshape(-1, SIDE, SIDE)
    small, large = PREDICT_BUCKETS
    size = small if len(images) <= small else large
    out = []
    for start in range(0, len(images), size):
        chunk = images[start:start + size]
        padded = np.zeros((size, SIDE, SIDE), np.float32)
        padded[:len(chunk)] = chunk
        prog = program("proba", (shapes_of(params), size), (params, padded), True)
        out.append(np.asarray(prog(params, padded))[:len(chunk)])
    return np.concatenate(out) if out else np.zeros((0, N_CLASSES), np.float32)


def first_layer_filters(params) -> np.ndarray:
    """The first layer's weights as pictures: CNN (f1, k, k) kernels; MLP (hidden, 8, 8),
    the weights from every pixel into each hidden neuron."""
    if is_cnn(params):
        return np.moveaxis(np.asarray(params["conv1"]["W"])[:, :, 0, :], -1, 0)
    return np.asarray(params["hidden"]["W"]).T.reshape(-1, SIDE, SIDE)


def _maps_traced(params, image):
    TRACES["feature_maps"] += 1
    m1, m2 = cnn_maps(params, image[None])
    return jnp.moveaxis(m1[0], -1, 0), jnp.moveaxis(m2[0], -1, 0)




def feature_maps(params, image) -> tuple[np.ndarray, np.ndarray]:
    """The CNN's feature maps of one image (8, 8) in 0..16, after each conv + ReLU:
    (f1, 8, 8) and (f2, 4, 4) float32. ValueError for the MLP (it has none)."""
    if not is_cnn(params):
        raise ValueError("feature_maps: only the cnn model has feature maps")
    image = np.asarray(image, np.float32).reshape(SIDE, SIDE)
    m1, m2 = program("maps", shapes_of(params), (params, image), True)(params, image)
    return np.asarray(m1), np.asarray(m2)


# ---------------------------------------------------------------- programs
# Every program depends on the model's shapes: each set of shapes compiles once per
# process, in the process's bounded cache (engine.programs), shared by every session.
programs.PROGRAMS.register("digits_init", lambda spec, key: _init_state(key, spec))
programs.PROGRAMS.register("digits_train",
                           lambda k, *args: _train_epoch(*args, batch_size=k[1]))
programs.PROGRAMS.register("digits_train_lane",      # the same, for the heavy lane's device
                           lambda k, *args: _train_epoch(*args, batch_size=k[1]))
programs.PROGRAMS.register("digits_evaluate", lambda k, *args: _evaluate_split(*args))
programs.PROGRAMS.register("digits_proba", lambda k, params, images: _probabilities(params, images))
programs.PROGRAMS.register("digits_maps", lambda k, params, image: _maps_traced(params, image))


def shapes_of(params) -> tuple:
    """A hashable summary of a model's shapes: ((path, shape), ...)."""
    return tuple((jax.tree_util.keystr(path), tuple(leaf.shape))
                 for path, leaf in jax.tree_util.tree_leaves_with_path(params))


@functools.lru_cache(maxsize=512)      # more than every spec the selectors allow
def spec_shapes(spec: Spec) -> tuple:
    """``shapes_of`` the parameters of ``spec``, without computing them."""
    return shapes_of(jax.eval_shape(lambda k: init_params(k, spec), jax.random.PRNGKey(0)))


def program(kind: str, key, args, block: bool):
    """The compiled ``digits_<kind>`` program for key (None while it compiles in the
    background, with block=False)."""
    return programs.PROGRAMS.get("digits_" + kind, key, args, block=block)


def prepare(spec: Spec, batch_size: int, arrays) -> TrainState:
    """Compile every program a run of ``spec`` uses (in this thread, where not cached)
    and return fresh state from key 0. arrays: (x_train, y_train, x_test, y_test)."""
    key = jax.random.PRNGKey(0)
    state = init_state(key, spec)
    train_epoch(state, make_hyper(0.01, 0.0, "adam", 0.0, 0.0), *arrays, key, np.int32(0),
                batch_size=batch_size)
    evaluate_split(state.params, *arrays)
    predict_proba(state.params, np.zeros((1, SIDE, SIDE), np.float32))
    if spec.model == "cnn":
        feature_maps(state.params, np.zeros((SIDE, SIDE), np.float32))
    return state


def prepared(spec: Spec, batch_size: int) -> bool:
    """Whether every program of ``spec`` is compiled (``prepare`` would not compile)."""
    cache = programs.PROGRAMS
    if not cache.ready("digits_init", spec):
        return False
    shapes = spec_shapes(spec)
    train_kind = "digits_train_lane" if lanes.LANE.device() is not None else "digits_train"
    kinds = [(train_kind, (shapes, int(batch_size))), ("digits_evaluate", shapes),
             ("digits_proba", (shapes, PREDICT_BUCKETS[0]))]
    if spec.model == "cnn":
        kinds.append(("digits_maps", shapes))
    return all(cache.ready(kind, k) for kind, k in kinds)


def confusion(labels, predicted) -> dict:
    """{"counts": (10, 10) int64, rows = true digit, columns = predicted digit;
    "indices": 10×10 nested lists of int arrays, the positions (in labels) of the images in
    each cell — off the diagonal, the mistakes; "errors": (k,) positions of every mistake}."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    counts = np.zeros((N_CLASSES, N_CLASSES), np.int64)
    np.add.at(counts, (labels, predicted), 1)
    indices = [[np.flatnonzero((labels == t) & (predicted == p)) for p in range(N_CLASSES)]
               for t in range(N_CLASSES)]
    return {"counts": counts, "indices": indices, "errors": np.flatnonzero(labels != predicted)}
