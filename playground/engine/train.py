"""Losses, optax optimizers and the jitted multi-epoch training programs.

Two tiers run the same mathematics on the same padded state (``mlp``):

* the **general** program takes the whole set-up as arrays (architecture masks,
  activation and output indices, optimizer index, learning rate, batch size,
  regularisation, data sizes), so one compilation per process serves every
  widget setting; it is compiled once at start-up (``warmup``);
* the **exact-shape** program is specialised to one set-up (layer sizes,
  activations, optimizer, batch size, data sizes) and is several times faster.
  It is compiled in a background thread the first time a set-up is seen,
  cached for all sessions of the process, and takes over when ready.

Both tiers draw the same minibatches (``epoch_order``) and initial weights, so
they agree to float32 rounding. ``TRACES`` counts how often each program was
traced (== compiled); the tests use it to prove that widget changes never
recompile the general program.
"""
from __future__ import annotations

import collections
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from . import mlp
from .features import FEATURE_SCALE, THUMB_RES, grid_features
from .mlp import Arch, ArchArrays
from .programs import PROGRAMS

BUCKETS = (512, 4608)   # padded sizes of the train and test sets: built-in data, uploads
N_MAX = BUCKETS[0]
BATCH_MAX = 64     # largest batch size; the general program masks within it
MOMENTUM = 0.9
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")
REGULARIZATIONS = ("none", "l1", "l2")
LOSSES = ("mse", "cross_entropy")
DIVERGENCE_WEIGHT = 1e3  # a weight beyond this means the run has blown up
LR_TABLE_LEN = 64  # epochs of one compiled call that can each have their own learning rate

TRACES: collections.Counter = collections.Counter()


# ------------------------------------------------------------------ containers
class OptStates(NamedTuple):
    """The state of every optimizer, so switching optimizer keeps one pytree shape."""
    momentum: optax.TraceState
    adam: optax.ScaleByAdamState
    rmsprop: optax.ScaleByRmsState


class TrainState(NamedTuple):
    params: dict
    opt: OptStates


class Hyper(NamedTuple):
    """Dynamic hyperparameters (arrays). optimizer: index into OPTIMIZERS.

    lr_table: (LR_TABLE_LEN,) the learning rate of each epoch of one training call: epoch
    e of the call (0-based) steps with lr_table[min(e, LR_TABLE_LEN - 1)]. ``make_hyper``
    fills it with learning_rate; ``train_epochs(lrs=...)`` follows a schedule with it."""
    learning_rate: jnp.ndarray
    l1: jnp.ndarray
    l2: jnp.ndarray
    batch_size: jnp.ndarray
    optimizer: jnp.ndarray
    dropout: jnp.ndarray      # (MAX_LAYERS,) dropout rate of each hidden layer (0: none)
    lr_table: jnp.ndarray


class Data(NamedTuple):
    """Train and test sets as input features, padded to a bucket size (BUCKETS).

    x_train, x_test: (size, N_FEATURES) float32; y_*: (size,) float32;
    n_train, n_test: () int32 live rows.
    """
    x_train: jnp.ndarray
    y_train: jnp.ndarray
    n_train: jnp.ndarray
    x_test: jnp.ndarray
    y_test: jnp.ndarray
    n_test: jnp.ndarray


SUMMARY = ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "max_weight",
           "max_output")      # Metrics.summary, in this order


class Metrics(NamedTuple):
    """What a frame needs after training: losses, accuracies and the output heatmap.

    The six numbers travel as one array (``summary``): each array a call returns costs the
    server's frame a few microseconds to hand over and to read."""
    summary: jnp.ndarray      # (6,) float32, in the order of SUMMARY (the properties below)
    grid: jnp.ndarray         # (GRID_RES², ) outputs on the label scale over the plot grid
    pred_train: jnp.ndarray   # (size,) outputs on the label scale for each training point
    pred_test: jnp.ndarray    # (size,) the same for the test points
    grid_codes: jnp.ndarray   # (GRID_RES², ) uint8: grid as colour codes (-1 → 0, +1 → 255)
    thumbs: object = None     # exact tier: (n_nodes, THUMB_RES²) the network diagram's pictures

    train_loss = property(lambda self: self.summary[SUMMARY.index("train_loss")])
    test_loss = property(lambda self: self.summary[SUMMARY.index("test_loss")])
    train_accuracy = property(lambda self: self.summary[SUMMARY.index("train_accuracy")])
    test_accuracy = property(lambda self: self.summary[SUMMARY.index("test_accuracy")])
    # largest |parameter| (a blow-up), largest |output| on the pictures
    max_weight = property(lambda self: self.summary[SUMMARY.index("max_weight")])
    max_output = property(lambda self: self.summary[SUMMARY.index("max_output")])


def make_hyper(learning_rate, regularization, reg_rate, batch_size, optimizer,
               dropout=()) -> Hyper:
    """dropout: a rate per hidden layer (missing layers: 0)."""
    l1 = reg_rate if regularization == "l1" else 0.0
    l2 = reg_rate if regularization == "l2" else 0.0
    f = np.float32
    rates = np.zeros(mlp.MAX_LAYERS, np.float32)
    rates[:len(dropout)] = dropout
    return Hyper(f(learning_rate), f(l1), f(l2), np.int32(batch_size),
                 np.int32(OPTIMIZERS.index(optimizer)), rates,
                 np.full(LR_TABLE_LEN, learning_rate, np.float32))


def epoch_lr(hyper: Hyper, e):
    """The learning rate of epoch e (0-based, traced) of a training call."""
    return hyper.lr_table[jnp.minimum(e, LR_TABLE_LEN - 1)]


DROPOUT_STREAM = 0xD20   # fold_in tag of the dropout draws


def dropout_key(key, epoch, step):
    """The key of the dropout draw of one minibatch step (the same in both tiers)."""
    return jax.random.fold_in(jax.random.fold_in(jax.random.fold_in(key, DROPOUT_STREAM),
                                                 epoch), step)


@jax.jit
def last_dropout(key, epoch, step, rates):
    """(MAX_LAYERS, WIDTH) bool: which neurons the first example of a step kept."""
    return mlp.dropout_keep(dropout_key(key, epoch, step), rates, BATCH_MAX)[:, 0, :] > 0


def bucket_size(n: int) -> int:
    """The padded size for a set of n points (ValueError past the largest bucket)."""
    for size in BUCKETS:
        if n <= size:
            return size
    raise ValueError(f"data: at most {BUCKETS[-1]} points per set, got {n}")


def make_data(x_train, y_train, x_test, y_test) -> Data:
    """Pad feature matrices (n, N_FEATURES) and labels (n,) to the smallest bucket that
    holds both sets (one compiled general program per bucket)."""
    size = bucket_size(max(len(y_train), len(y_test)))

    def pad(a):
        a = np.asarray(a, np.float32)
        out = np.zeros((size,) + a.shape[1:], np.float32)
        out[:len(a)] = a
        return out
    return Data(pad(x_train), pad(y_train), np.int32(len(y_train)),
                pad(x_test), pad(y_test), np.int32(len(y_test)))


# ---------------------------------------------------------------- optimizers
# each optimizer but plain SGD as the optax transform that turns a gradient into its step
# direction (the learning rate and its schedule are applied after)
DIRECTIONS = {
    "momentum": optax.trace(decay=MOMENTUM),
    "adam": optax.scale_by_adam(),
    "rmsprop": optax.scale_by_rms(decay=0.9, eps=1e-8),
}


def opt_init(params) -> OptStates:
    return OptStates(*(DIRECTIONS[k].init(params) for k in OptStates._fields))


def _direction(name, grads, opt: OptStates, params):
    """Update direction of optimizer ``name``: params move by -lr * direction."""
    if name == "sgd":
        return grads, opt
    d, s = DIRECTIONS[name].update(grads, getattr(opt, name), params)
    return d, opt._replace(**{name: s})


def direction_switch(index, grads, opt, params):
    branches = [lambda g, o, p, n=n: _direction(n, g, o, p) for n in OPTIMIZERS]
    return jax.lax.switch(index, branches, grads, opt, params)


def penalty(params_weights, l1, l2):
    """L1 and ½·L2 penalties summed over the weights (not the biases)."""
    return sum(l1 * jnp.sum(jnp.abs(w)) + 0.5 * l2 * jnp.sum(w * w) for w in params_weights)


def _apply(params, direction, lr, mask=None):
    if mask is None:
        return jax.tree.map(lambda p, d: p - lr * d, params, direction)
    return jax.tree.map(lambda p, d, m: p - lr * d * m, params, direction, mask)


# ------------------------------------------------------------- minibatching
def epoch_order(key, epoch, n_train, size: int = N_MAX):
    """Shuffled row order of one epoch: (size,) int32, the first n_train are the live rows.

    size: the padded size of the data (static). The same for both tiers: it only depends
    on the key, the epoch, n_train and size.
    """
    u = jax.random.uniform(jax.random.fold_in(key, epoch), (size,))
    u = jnp.where(jnp.arange(size) < n_train, u, 2.0)
    return ascending_order(u)


def ascending_order(u):
    """``jnp.argsort(u)`` (stable: equal keys keep their index order) as ``lax.top_k`` of
    -u, which gives the same order for keys without -0.0 (such as uniform draws). On the
    CPU, XLA's top_k is much faster than its sort, which was a large part of an epoch of
    the default net (docs/performance.md, "Code choices")."""
    return jax.lax.top_k(-u, u.shape[-1])[1].astype(jnp.int32)


def epoch_order_static(key, epoch, n_train: int, size: int = N_MAX):
    """``epoch_order(...)[:n_train]`` for a static n_train (the exact programs): the same
    rows in the same order (the same keys, ordered stably), but only the n_train live keys
    are ordered."""
    u = jax.random.uniform(jax.random.fold_in(key, epoch), (size,))
    return ascending_order(u[:n_train])


def masked_mean(values, mask):
    return jnp.sum(values * mask) / jnp.maximum(jnp.sum(mask), 1.0)


def _metrics(predict_z, kind, data: Data, params, n_train=None, n_test=None) -> Metrics:
    """Data loss (no penalty), accuracy and every point's prediction, train and test sets.

    n_train/n_test: static sizes (exact tier) or None (read from data, general tier)."""
    def one(x, y, n):
        m = (jnp.arange(x.shape[0]) < n).astype(jnp.float32)
        z = predict_z(x)
        out = mlp.display_output(kind, z)
        loss = masked_mean(mlp.example_loss(kind, z, y), m)
        right = ((out >= 0) == (y > 0)).astype(jnp.float32)
        return loss, masked_mean(right, m), out
    train_loss, train_accuracy, pred_train = one(
        data.x_train, data.y_train, data.n_train if n_train is None else n_train)
    test_loss, test_accuracy, pred_test = one(
        data.x_test, data.y_test, data.n_test if n_test is None else n_test)
    max_weight = jnp.max(jnp.stack([jnp.max(jnp.abs(leaf)) for leaf in jax.tree.leaves(params)]))
    grid = mlp.display_output(kind, predict_z(jnp.asarray(grid_features())))
    values = dict(train_loss=train_loss, test_loss=test_loss, train_accuracy=train_accuracy,
                  test_accuracy=test_accuracy, max_weight=max_weight,
                  max_output=jnp.max(jnp.abs(grid)))
    summary = jnp.stack([values[k] for k in SUMMARY]).astype(jnp.float32)
    return Metrics(summary, grid, pred_train, pred_test, colour_codes(grid))


def colour_codes(values):
    """Values on the label scale as uint8 colour codes, the shape of ``values``: -1 (and
    below) is 0, +1 (and above) is 255; one step of a 256-colour palette each. A picture
    sent this way is a quarter of its float32 bytes (the output heatmap: 10 kB a frame
    instead of 40 kB, for every student of a class). numpy in, numpy out (a neuron's
    picture); inside a compiled call, the training call's own heatmap."""
    xp = np if isinstance(values, (np.ndarray, np.generic)) else jnp
    return xp.round((xp.clip(values, -1.0, 1.0) + 1.0) * 127.5).astype(xp.uint8)


# --------------------------------------------------------- general program
def _weights_general(p):
    return (p["W_hidden"], p["W_out"])


def general_loss(params, arch: ArchArrays, hyper: Hyper, xb, yb, m, keep):
    """Mean loss of the live rows (m: 1.0) of a minibatch plus the weight penalty."""
    z = mlp.forward_general(params, arch, xb, keep)
    data_loss = masked_mean(mlp.example_loss(arch.output, z, yb), m)
    return data_loss + penalty(_weights_general(params), hyper.l1, hyper.l2)


def general_order(key, epoch, data: Data):
    """epoch_order of the general program, padded so that any batch slice fits."""
    return jnp.concatenate([epoch_order(key, epoch, data.n_train, data.x_train.shape[0]),
                            jnp.zeros(BATCH_MAX, jnp.int32)])


def general_step(state: TrainState, arch: ArchArrays, hyper: Hyper, data: Data, key, order,
                 epoch, i, lr, with_loss: bool = False):
    """Minibatch i of epoch ``epoch`` (rows ``order``, from general_order) in the general
    program: gradient, optimizer direction, step of size lr. Returns the new state, and
    with_loss=True also the minibatch's loss before the step (general_loss)."""
    bs = hyper.batch_size
    start = i * bs
    idx = jax.lax.dynamic_slice(order, (start,), (BATCH_MAX,))
    j = jnp.arange(BATCH_MAX)
    m = ((j < bs) & (start + j < data.n_train)).astype(jnp.float32)
    keep = mlp.dropout_keep(dropout_key(key, epoch, i), hyper.dropout, BATCH_MAX)
    args = (state.params, arch, hyper, data.x_train[idx], data.y_train[idx], m, keep)
    if with_loss:
        loss, g = jax.value_and_grad(general_loss)(*args)
    else:
        loss, g = None, jax.grad(general_loss)(*args)
    g = mlp.mask_tree(g, arch.param_mask)
    d, opt = direction_switch(hyper.optimizer, g, state.opt, state.params)
    state = TrainState(_apply(state.params, d, lr, arch.param_mask), opt)
    return (state, loss) if with_loss else state


def _train_general(state: TrainState, arch: ArchArrays, hyper: Hyper, data: Data,
                   key, epoch0, n_epochs):
    TRACES["train_general"] += 1
    steps = (data.n_train + hyper.batch_size - 1) // hyper.batch_size

    def epoch(e, state):
        order = general_order(key, epoch0 + e, data)
        lr = epoch_lr(hyper, e)
        step = lambda i, state: general_step(state, arch, hyper, data, key, order,
                                             epoch0 + e, i, lr)
        return jax.lax.fori_loop(0, steps, step, state)

    state = jax.lax.fori_loop(0, n_epochs, epoch, state)
    pz = lambda x: mlp.forward_general(state.params, arch, x)
    return state, _metrics(pz, arch.output, data, state.params)


train_general = jax.jit(_train_general)


def _evaluate_general(params, arch: ArchArrays, data: Data) -> Metrics:
    TRACES["evaluate_general"] += 1
    pz = lambda x: mlp.forward_general(params, arch, x)
    return _metrics(pz, arch.output, data, params)


evaluate_general = jax.jit(_evaluate_general)


def _grid_general(params, arch: ArchArrays, feats):
    TRACES["grid_general"] += 1
    return mlp.display_output(arch.output, mlp.forward_general(params, arch, feats))


grid_general = jax.jit(_grid_general)


def _init_general(key, arch: ArchArrays):
    TRACES["init_general"] += 1
    params = mlp.init_params(key, arch)
    return TrainState(params, opt_init(params))


init_state = jax.jit(_init_general)


# ----------------------------------------------------- exact-shape program
def _map_params_like(fn, tree, *rest):
    """Apply fn to every params-like dict inside an optimizer state (counts untouched)."""
    is_dict = lambda x: isinstance(x, dict)
    return jax.tree.map(lambda x, *r: fn(x, *r) if is_dict(x) else x, tree, *rest,
                        is_leaf=is_dict)


class ExactKey(NamedTuple):
    arch: Arch
    batch_size: int
    optimizer: str
    n_train: int
    n_test: int
    regularized: bool     # False: the penalty is left out of the program altogether
    dropout: bool = False  # False: no dropout draws in the program


def _train_exact(k: ExactKey, state: TrainState, hyper: Hyper, data: Data, key, epoch0, n_epochs):
    TRACES["train_exact"] += 1
    arch, bs, n = k.arch, k.batch_size, k.n_train
    kind = arch.output
    steps = math.ceil(n / bs)
    params = mlp.to_exact(state.params, arch)
    opt_part = _map_params_like(lambda t: mlp.to_exact(t, arch), getattr(state.opt, k.optimizer)) \
        if k.optimizer != "sgd" else None
    x_all, y_all = data.x_train[:n], data.y_train[:n]
    mask = (jnp.arange(steps * bs) < n).astype(jnp.float32).reshape(steps, bs)
    full_batches = n % bs == 0

    def loss_fn(p, xb, yb, m, keep):
        losses = mlp.example_loss(kind, mlp.forward_exact(p, arch, xb, keep), yb)
        loss = jnp.mean(losses) if full_batches else masked_mean(losses, m)
        return loss + penalty(p["W"], hyper.l1, hyper.l2) if k.regularized else loss

    def direction(g, o, p):
        if k.optimizer == "sgd":
            return g, o
        return DIRECTIONS[k.optimizer].update(g, o, p)

    def step(carry, batch):
        p, o, ep, lr = carry
        xb, yb, m, i = batch
        keep = (mlp.dropout_keep(dropout_key(key, ep, i), hyper.dropout, BATCH_MAX)
                if k.dropout else None)
        g = jax.grad(loss_fn)(p, xb, yb, m, keep)
        d, o = direction(g, o, p)
        return (_apply(p, d, lr), o, ep, lr), None

    def epoch(e, carry):
        order = epoch_order_static(key, epoch0 + e, n, data.x_train.shape[0])
        order = jnp.pad(order, (0, steps * bs - n)).reshape(steps, bs)
        batches = (x_all[order], y_all[order], mask, jnp.arange(steps))
        (p, o, _, _), _ = jax.lax.scan(step, (*carry, epoch0 + e, epoch_lr(hyper, e)),
                                       batches)
        return p, o

    params, opt_part = jax.lax.fori_loop(0, n_epochs, epoch, (params, opt_part))
    padded = mlp.from_exact(params, arch, state.params)
    opt = state.opt
    if k.optimizer != "sgd":
        old = getattr(state.opt, k.optimizer)
        new = _map_params_like(lambda t, like: mlp.from_exact(t, arch, like), opt_part, old)
        opt = opt._replace(**{k.optimizer: new})
    pz = lambda x: mlp.forward_exact(params, arch, x)
    thumbs = mlp.node_rows_exact(params, arch, jnp.asarray(grid_features(THUMB_RES)),
                                 FEATURE_SCALE)
    metrics = _metrics(pz, kind, data, params, k.n_train, k.n_test)
    largest = jnp.maximum(metrics.max_output, jnp.max(jnp.abs(thumbs)))   # NaN stays NaN
    metrics = metrics._replace(thumbs=thumbs, summary=metrics.summary.at[SUMMARY.index("max_output")].set(largest))
    return TrainState(padded, opt), metrics




def _grid_exact(arch: Arch, params, feats):
    TRACES["grid_exact"] += 1
    exact = mlp.to_exact(params, arch)
    return mlp.display_output(arch.output, mlp.forward_exact(exact, arch, feats))




# ------------------------------------------------------ the program cache
PROGRAMS.register("train", _train_exact)
PROGRAMS.register("grid", _grid_exact)



def exact_key(arch: Arch, hyper: Hyper, data: Data, optimizer: str) -> ExactKey:
    return ExactKey(arch, int(hyper.batch_size), optimizer, int(data.n_train), int(data.n_test),
                    bool(hyper.l1 or hyper.l2), bool(np.any(np.asarray(hyper.dropout) > 0)))


def train_epochs(state, arch: Arch, arch_arrays: ArchArrays, hyper: Hyper, data: Data, key,
                 epoch0: int, n_epochs: int, tier: str = "auto", lrs=None):
    """Run n_epochs of shuffled minibatch training from epoch number epoch0.

    tier: "auto" (exact program if compiled, else general, queueing the exact
    compile), "exact" (compile now if needed), "general". lrs: None (every epoch at
    hyper's lr_table, as make_hyper fills it: its learning rate) or (n_epochs,) the
    learning rate of each epoch (a schedule); then the epochs run in calls of at most
    LR_TABLE_LEN epochs, still without compiling anything new. Returns
    (state, Metrics, tier_used).
    """
    if lrs is None:
        return _train_call(state, arch, arch_arrays, hyper, data, key, epoch0, n_epochs, tier)
    lrs = np.asarray(lrs, np.float32).ravel()
    if len(lrs) != n_epochs:
        raise ValueError(f"lrs: one learning rate per epoch ({n_epochs}), got {len(lrs)}")
    start, out = 0, None
    while out is None or start < n_epochs:
        k = min(LR_TABLE_LEN, n_epochs - start)
        table = np.full(LR_TABLE_LEN, lrs[start + k - 1] if k else hyper.learning_rate,
                        np.float32)
        table[:k] = lrs[start:start + k]
        out = _train_call(state, arch, arch_arrays, hyper._replace(lr_table=table), data,
                          key, epoch0 + start, k, tier)
        state, start = out[0], start + k
    return out


def _train_call(state, arch, arch_arrays, hyper, data, key, epoch0, n_epochs, tier):
    optimizer = OPTIMIZERS[int(hyper.optimizer)]
    args = (state, hyper, data, key, np.int32(epoch0), np.int32(n_epochs))
    if tier != "general":
        ek = exact_key(arch, hyper, data, optimizer)
        prog = PROGRAMS.get("train", ek, args, block=(tier == "exact"))
        if prog is not None:
            return (*prog(*args), "exact")
    s, m = train_general(state, arch_arrays, hyper, data, key, np.int32(epoch0), np.int32(n_epochs))
    return s, m, "general"


def predict_grid(params, arch: Arch, arch_arrays: ArchArrays, feats, tier: str = "auto"):
    """The network's output on the label scale for every row of feats (n, N_FEATURES)."""
    if tier != "general":
        prog = PROGRAMS.get("grid", arch, (params, feats), block=(tier == "exact"))
        if prog is not None:
            return prog(params, feats)
    return grid_general(params, arch_arrays, feats)
