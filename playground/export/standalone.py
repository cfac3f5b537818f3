#!/usr/bin/env python3
"""A neural network of the Neural Network Playground, trained by a standalone script.

The set-up below holds everything that makes this network what it is, as plain values:
its data, its first weights, its layers and how it trains. The code after the set-up is
the same for every network and reads only those values. The playground's export writes
the set-up of the run on the page into this file, so the script starts from the same data
and first weights and trains the network the same way (same minibatches, same loss, same
optimizer): after EPOCHS epochs it ends with the same losses as the page showed, the same
numbers with the same versions of jax and optax on the same kind of machine, otherwise
equal up to float rounding. Only the settings in the set-up are replayed: if the learning
rate or another setting was changed while the page trained, the page's numbers differ.

It needs only numpy, jax and optax (script.py stands for this file's name):

    pip install numpy jax optax
    python script.py          # trains EPOCHS epochs
    python script.py 500      # or as many epochs as you like

The last line it prints is the result as JSON.
"""
import json
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax

# =========================================================================== THE SET-UP
# This module's set-up is an example, the playground's run of a circle of 40 points
# (tests/export/test_standalone.py checks that it is that run, to the same numbers);
# ``python -m playground.export.standalone`` trains it. ``python_script``
# (playground/export/script.py) writes the set-up of a run in place of this block, from
# this marker line to the one at its end, and keeps every other line of this file as it
# is: that is the run's script.
#
# The network, its data and how it trains, as plain values: the code after the
# set-up reads them.
#
# Data:      circle (two classes, labels +1 / -1), 40 points, noise 0.0 %, 20 for training
#            and 20 for testing, seed 0
# Inputs:    x1, x2
# Network:   1 hidden layer of 3 neurons, activation tanh, a tanh output unit and the loss
#            ½·(tanh(z) − y)²
# Training:  Adam, learning rate 0.1, batch size 10, no regularisation
#
# Run it:    python standalone.py          trains EPOCHS = 100 epochs
#            python standalone.py 500      or as many epochs as you like
#
# The settings as the playground stores them (its settings export):
#   {"problem": "classification", "dataset": "circle", "noise": 0.0, "train_ratio": 0.5,
#   "n_samples": 40, "seed": 0, "features": ["x1", "x2"], "hidden": [3], "activation":
#   "tanh", "activations": [], "dropout": [], "learning_rate": 0.1, "schedule": "constant",
#   "schedule_epochs": 100, "cycle_mult": 2, "step_factor": 0.5, "batch_size": 10,
#   "optimizer": "adam", "loss": "mse", "regularization": "none", "reg_rate": 0.0,
#   "stop_epoch": 0, "patience": 0}

EPOCHS = 100  # the epochs the page had trained
SEED = 0  # the shuffles' key comes from it
INPUTS = ["x1", "x2"]  # the features the network sees: W_INIT[0]'s rows
HIDDEN = [3]  # neurons per hidden layer
LAYER_ACTIVATIONS = ["tanh"]  # one per hidden layer
OUTPUT = "tanh_mse"  # "linear_mse", "tanh_mse", "sigmoid_bce" or "softmax_ce"
CLASSIFICATION = True  # labels: classes (else: values to fit)
LEARNING_RATE = 0.1  # the schedule's base: see learning_rate()
SCHEDULE = "constant"  # "constant", "step", "cosine", "sgdr" or "one_cycle"
SCHEDULE_SETTINGS = {  # the schedule's length in epochs and shape: see schedule_lr()
    "period": 100, "cycle_mult": 2, "step_factor": 0.5,
    "pct_start": 0.3, "div_factor": 25.0, "floor": 0.1,
}
BATCH_SIZE = 10
OPTIMIZER = "adam"  # "sgd", "momentum", "adam" or "rmsprop"
L1 = 0  # strength of the L1 penalty: L1 * sum of |w|
L2 = 0  # strength of the L2 penalty: L2 * ½ * sum of w²

# How the playground computes (the same for every network):
MOMENTUM = 0.9  # the momentum optimizer's decay
LEAKY_SLOPE = 0.01  # leaky_relu's slope below 0
SMALL_DENSE = 2560  # see dense()
SHUFFLE_STREAM = 0x5f1e  # the shuffles' tag, folded into the seed's key
N_MAX = 512  # the shuffles draw one number per slot of the data arrays

# Training set: 20 points (x1, x2)
X_TRAIN = np.array([
    [2.1035745, 0.09647106], [-0.49522182, -0.27805957], [1.2383783, -4.6210566],
    [2.144724, -3.7611952], [3.5730357, 0.8831195], [-2.1610067, -3.9925187],
    [-2.7684839, -2.4979043], [-0.12682393, 2.4102042], [-1.465128, 1.899287],
    [0.25553498, 0.17747153], [0.0808493, 0.47266895], [-3.9175622, 0.6864375],
    [-0.21975397, 0.112279825], [3.3548748, 3.1223245], [1.4619973, 1.4304457],
    [1.3430024, 1.2138009], [-2.6569827, 2.69992], [0.6319031, 4.3461456],
    [3.6453447, 1.1029772], [1.6265382, -1.0568408],
], np.float32)
# their labels +1 / -1
Y_TRAIN = np.array([
    1, 1, -1, -1, -1, -1, -1, 1,
    1, 1, 1, -1, 1, -1, 1, 1,
    -1, -1, -1, 1,
], np.float32)

# Test set: 20 points
X_TEST = np.array([
    [1.3493927, 1.356856], [0.102232546, 0.0052352366],
    [0.32832095, 4.119541], [-0.008043808, 0.012473793],
    [-1.0703342, 3.8197436], [4.406302, 0.69988185],
    [0.9930812, 1.7936058], [-0.6010025, 0.34915683],
    [0.51039433, -1.9670157], [1.6167685, 1.1286045],
    [3.741105, 0.49390948], [1.9677832, 1.3374361],
    [3.5247583, -0.36846945], [-2.3790123, 2.8090413],
    [0.4367565, 0.49143314], [4.69348, -1.4925449],
    [4.7300625, 1.3156276], [-4.4650073, -0.60652363],
    [2.1708813, -4.4776535], [-0.009557768, 0.020566924],
], np.float32)
# their labels +1 / -1
Y_TEST = np.array([
    1, 1, -1, 1, -1, -1, 1, 1,
    1, 1, -1, 1, -1, -1, 1, -1,
    -1, -1, -1, 1,
], np.float32)

# The playground's first weights for seed 0: W (inputs, outputs) and b (outputs,)
# of each layer, the output layer last.
W_INIT = [
    # inputs -> hidden layer 1: (2, 3)
    np.array([
        [0.3506521, 0.042565227, -0.2586857],
        [-0.35780728, -0.10810125, 0.2795949],
    ], np.float32),
    # hidden layer 1 -> output: (3, 1)
    np.array([
        [0.35949612],
        [0.23806536],
        [-0.21475017],
    ], np.float32),
]
B_INIT = [
    np.array([0.1, 0.1, 0.1], np.float32),  # hidden layer 1
    np.array([0.1], np.float32),  # output
]
# ==================================================================== END OF THE SET-UP


# -------------------------------------------------------------------- the inputs
# The playground computes these seven features of every point (in this order); the
# network sees only those named in INPUTS.
FEATURE_NAMES = ("x1", "x2", "x1_sq", "x2_sq", "x1x2", "sin_x1", "sin_x2")


def input_features(X):
    """(n, 2) points -> (n, 7) float32: all seven features of each point, one column per
    feature in FEATURE_NAMES order (in numpy, as the playground makes them)."""
    X = np.asarray(X, np.float32).reshape(-1, 2)
    x1, x2 = X[:, 0], X[:, 1]
    feats = np.stack([x1, x2, x1 * x1, x2 * x2, x1 * x2, np.sin(x1), np.sin(x2)], axis=1)
    return feats.astype(np.float32)


# ------------------------------------------------------------------- the network
# The non-linearity a hidden layer applies to its neurons' weighted sums, by name.
ACTIVATION_FUNCTIONS = {
    "relu": jax.nn.relu,
    "tanh": jnp.tanh,
    "sigmoid": jax.nn.sigmoid,
    "linear": lambda z: z,
    "leaky_relu": lambda z: jax.nn.leaky_relu(z, LEAKY_SLOPE),
    "elu": jax.nn.elu,
    "gelu": lambda z: jax.nn.gelu(z, approximate=False),
    "sine": jnp.sin,
}
# The output unit, by name: the loss of an example from the output's weighted sum z and
# its label y, and the prediction on the labels' scale (for two classes: its sign is the
# class). softmax_ce has one output unit per class: z is (n, K), y the class 0..K-1.
def softmax_cross_entropy(z, y):
    """-log softmax(z)[y], from the weighted sums z (n, K) of the K output units:
    log(sum of e^z) minus the true class's z (log-sum-exp never overflows)."""
    k = jnp.clip(y.astype(jnp.int32), 0, z.shape[-1] - 1)
    return jax.nn.logsumexp(z, axis=-1) - jnp.take_along_axis(z, k[:, None], axis=-1)[:, 0]


OUTPUT_LOSSES = {
    "linear_mse": lambda z, y: 0.5 * (z - y) ** 2,
    "tanh_mse": lambda z, y: 0.5 * (jnp.tanh(z) - y) ** 2,
    # binary cross-entropy from the logit z, labels ±1 read as probabilities 1 and 0
    "sigmoid_bce": lambda z, y: jax.nn.softplus(z) - 0.5 * (y + 1.0) * z,
    "softmax_ce": softmax_cross_entropy,
}
OUTPUT_PREDICTIONS = {
    "linear_mse": lambda z: z,
    "tanh_mse": jnp.tanh,
    "sigmoid_bce": lambda z: 2.0 * jax.nn.sigmoid(z) - 1.0,
    "softmax_ce": lambda z: jnp.argmax(z, axis=-1).astype(jnp.float32),   # the likeliest
}


def check_setup():
    """Raise a ValueError that says what does not fit if the set-up's names or the shapes
    of its arrays do not describe one network and its data."""
    for kind, names, known in (("input", INPUTS, FEATURE_NAMES),
                               ("activation", LAYER_ACTIVATIONS, ACTIVATION_FUNCTIONS),
                               ("output", [OUTPUT], OUTPUT_LOSSES)):
        for name in names:
            if name not in known:
                raise ValueError(f"{kind} {name!r}: not one of {', '.join(known)}")
    if len(LAYER_ACTIVATIONS) != len(HIDDEN):
        raise ValueError("LAYER_ACTIVATIONS: one activation per hidden layer is needed")
    units = W_INIT[-1].shape[-1] if OUTPUT == "softmax_ce" and W_INIT else 1  # one per class
    sizes = [len(INPUTS)] + list(HIDDEN) + [units]
    if len(W_INIT) != len(sizes) - 1 or len(B_INIT) != len(sizes) - 1:
        raise ValueError(f"W_INIT, B_INIT: {len(sizes) - 1} layers are needed")
    for l, (W, b) in enumerate(zip(W_INIT, B_INIT)):
        if W.shape != (sizes[l], sizes[l + 1]) or b.shape != (sizes[l + 1],):
            raise ValueError(f"layer {l}: W {W.shape} and b {b.shape}; INPUTS and HIDDEN "
                             f"need W {(sizes[l], sizes[l + 1])} and b {(sizes[l + 1],)}")
    for split, X, y in (("TRAIN", X_TRAIN, Y_TRAIN), ("TEST", X_TEST, Y_TEST)):
        if X.shape != (len(y), 2):
            raise ValueError(f"X_{split}: {X.shape}; (n, 2) for the {len(y)} labels is needed")


def initial_params():
    """The first weights as jax arrays: {"W": [(inputs, outputs) per layer],
    "b": [(outputs,) per layer]}, the output layer last."""
    check_setup()
    return {"W": [jnp.asarray(W) for W in W_INIT], "b": [jnp.asarray(b) for b in B_INIT]}


def dense(h, W):
    """h @ W for h (rows, inputs) and W (inputs, outputs). A small layer (rows × inputs ×
    outputs up to SMALL_DENSE) is computed as a sum of products, as the playground computes
    it, so that it rounds as the page does and this script ends with the page's numbers."""
    if h.shape[0] * W.shape[0] * W.shape[1] <= SMALL_DENSE:
        return jnp.sum(h[:, None, :] * W.T[None, :, :], axis=2)
    return h @ W


def forward(params, x):
    """The output unit's weighted sum z (n,) for every row of x (n, 7), before the output
    unit's own activation (softmax_ce: every output unit's, (n, K))."""
    h = x[:, np.array([FEATURE_NAMES.index(name) for name in INPUTS])]   # the ones it uses
    for W, b, name in zip(params["W"][:-1], params["b"][:-1], LAYER_ACTIVATIONS):
        h = ACTIVATION_FUNCTIONS[name](dense(h, W) + b)
    z = dense(h, params["W"][-1]) + params["b"][-1]
    return z if OUTPUT == "softmax_ce" else z[:, 0]


def example_loss(z, y):
    """The loss of each example (the output unit OUTPUT's)."""
    return OUTPUT_LOSSES[OUTPUT](z, y)


def prediction(z):
    """The output on the labels' scale (two classes: its sign is the class; K classes: the
    likeliest class)."""
    return OUTPUT_PREDICTIONS[OUTPUT](z)


def penalty(params):
    """Regularisation: on the weights only, not the biases."""
    l1, l2 = np.float32(L1), np.float32(L2)
    return sum(l1 * jnp.sum(jnp.abs(W)) + 0.5 * l2 * jnp.sum(W * W) for W in params["W"])


FULL_BATCHES = len(Y_TRAIN) % BATCH_SIZE == 0  # do the batches fill every epoch exactly?


def loss(params, x, y, live):
    """Mean loss over the live examples of a minibatch, plus the penalty.
    live: 1.0 for real examples, 0.0 for the padding of a short last batch."""
    losses = example_loss(forward(params, x), y)
    if FULL_BATCHES:
        data_loss = jnp.mean(losses)
    else:
        data_loss = jnp.sum(losses * live) / jnp.maximum(jnp.sum(live), 1.0)
    if L1 or L2:
        return data_loss + penalty(params)
    return data_loss


# --------------------------------------------------------------- the learning rate
def schedule_lr(name, epoch, base_lr, period, cycle_mult, step_factor, pct_start,
                div_factor, floor):
    """The learning rate of each epoch (0-based, any array shape) under schedule ``name``
    (float64, the shape of ``epoch``). base_lr: the rate the schedule starts from or
    peaks at; period: the schedule's length in epochs; floor: the share of base_lr that
    cosine and one-cycle settle at after their period and keep, so that training goes on
    however long the run is (a rate of 0 would freeze the network where it is).

    constant:  base_lr.
    step:      base_lr · step_factor^⌊epoch / period⌋ (multiplied every period epochs).
    cosine:    base_lr · (floor + (1 − floor)·½(1 + cos(π·epoch/period))): along half a
               cosine from base_lr down to floor·base_lr at `period`, that value after
               (optax's cosine_decay_schedule with alpha=floor).
    sgdr:      cosine annealing restarted from base_lr at the end of each cycle; the first
               cycle lasts `period` epochs (fast.ai's cycle_len), each next one
               cycle_mult times longer (Loshchilov & Hutter, 2017).
    one_cycle: from base_lr/div_factor up to base_lr over the first pct_start of `period`
               epochs, then down to floor·base_lr at `period` (half-cosine steps, Smith's
               one-cycle policy as optax's cosine_onecycle_schedule with
               final_div_factor=1/(div_factor·floor)), that value after.
    """
    e = np.asarray(epoch, np.float64)
    if name == "constant":
        return np.full(e.shape, float(base_lr))
    if name == "step":
        return base_lr * step_factor ** np.floor(e / period)
    if name == "cosine":
        t = np.clip(e / period, 0.0, 1.0)
        return base_lr * (floor + (1.0 - floor) * 0.5 * (1.0 + np.cos(np.pi * t)))
    if name == "sgdr":
        if cycle_mult == 1:
            start, length = np.floor(e / period) * period, np.full(e.shape, float(period))
        else:
            # cycle i starts at period·(m^i − 1)/(m − 1); the log gives i up to rounding
            i = np.floor(np.log1p(np.maximum(e, 0.0) * (cycle_mult - 1) / period)
                         / np.log(cycle_mult))
            begin = lambda i: period * (cycle_mult ** i - 1.0) / (cycle_mult - 1.0)
            i = np.where(begin(i + 1) <= e, i + 1, np.where(begin(i) > e, i - 1, i))
            start, length = begin(i), period * cycle_mult ** i
        return base_lr * 0.5 * (1.0 + np.cos(np.pi * (e - start) / length))
    if name == "one_cycle":
        peak, low, end = base_lr, base_lr / div_factor, base_lr * floor
        up = int(pct_start * period)
        half_cos = lambda a, b, t: a + (b - a) * 0.5 * (1.0 - np.cos(np.pi * np.clip(t, 0, 1)))
        rise = half_cos(low, peak, e / max(up, 1))
        fall = half_cos(peak, end, (e - up) / max(period - up, 1))
        return np.where(e < up, rise, fall)
    raise ValueError(f"schedule: unknown schedule {name!r}")


def learning_rate(epoch):
    """The learning rate (float32) of an epoch (0-based) under SCHEDULE."""
    base = float(np.float32(LEARNING_RATE))
    return np.float32(schedule_lr(SCHEDULE, epoch, base, **SCHEDULE_SETTINGS))


# ------------------------------------------------------------------------ training
def make_optimizer():
    """The optimizer gives the *direction* of each step; the step is w -= rate * direction."""
    if OPTIMIZER == "sgd":
        return optax.identity()  # the gradient itself
    if OPTIMIZER == "momentum":
        return optax.trace(decay=MOMENTUM)  # a decaying sum of the gradients
    if OPTIMIZER == "adam":
        return optax.scale_by_adam()
    if OPTIMIZER == "rmsprop":
        return optax.scale_by_rms(decay=0.9, eps=1e-8)
    raise ValueError(f"optimizer {OPTIMIZER!r}: not one of sgd, momentum, adam, rmsprop")


OPTIMIZER_FN = make_optimizer()


def train_step(carry, batch, rate):
    """One minibatch: gradient, direction, step."""
    params, opt_state = carry
    x, y, live = batch
    grads = jax.grad(loss)(params, x, y, live)
    direction, opt_state = OPTIMIZER_FN.update(grads, opt_state, params)
    params = jax.tree_util.tree_map(lambda w, d: w - rate * d, params, direction)
    return (params, opt_state), None


@jax.jit
def train_epoch(params, opt_state, xb, yb, live, rate):
    """All the minibatches of one epoch, in order, at learning rate `rate`.
    xb: (batches, BATCH_SIZE, 7), yb and live: (batches, BATCH_SIZE)."""
    step = lambda carry, batch: train_step(carry, batch, rate)
    (params, opt_state), _ = jax.lax.scan(step, (params, opt_state), (xb, yb, live))
    return params, opt_state


def shuffle_key():
    """The key the playground's shuffles come from: the seed's, then a fixed "stream" tag."""
    return jax.random.fold_in(jax.random.PRNGKey(SEED), SHUFFLE_STREAM)


def epoch_order(key, epoch, n):
    """The shuffled order (n,) of the n training examples in this epoch, as the playground
    draws it: N_MAX uniform numbers from the epoch's key, ranked (only the first n used)."""
    u = np.asarray(jax.random.uniform(jax.random.fold_in(key, epoch), (N_MAX,)))
    return np.argsort(u[:n], kind="stable")


@jax.jit
def evaluate(params, x, y):
    """Mean loss (without the penalty) and accuracy on a whole data set: x (n, 7), y (n,)."""
    z = forward(params, x)
    if OUTPUT == "softmax_ce":
        right = prediction(z) == y
    else:
        right = (prediction(z) >= 0) == (y > 0)
    return jnp.mean(example_loss(z, y)), jnp.mean(right.astype(jnp.float32))


def train(params, x, y, epochs, report=None):
    """Shuffled minibatches, epoch after epoch; a short last batch is padded and masked.
    x: (n, 7) features, y: (n,) labels; report(epoch, params) after each epoch."""
    opt_state = OPTIMIZER_FN.init(params)
    key = shuffle_key()
    n = len(y)
    batches = -(-n // BATCH_SIZE)
    live = (np.arange(batches * BATCH_SIZE) < n).astype(np.float32).reshape(batches, -1)
    for epoch in range(epochs):
        order = np.zeros(batches * BATCH_SIZE, np.int64)   # padding rows: example 0
        order[:n] = epoch_order(key, epoch, n)
        order = order.reshape(batches, BATCH_SIZE)
        params, opt_state = train_epoch(params, opt_state, x[order], y[order], live,
                                        learning_rate(epoch))
        if report:
            report(epoch + 1, params)
    return params


def main():
    """Train EPOCHS epochs (or as many as the command line says), print the losses ten
    times on the way and the result as JSON on the last line."""
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else EPOCHS
    check_setup()
    x_train, x_test = np.asarray(input_features(X_TRAIN)), np.asarray(input_features(X_TEST))

    def report(epoch, params):
        if epoch % max(1, epochs // 10) == 0 or epoch == epochs:
            train_loss, _ = evaluate(params, x_train, Y_TRAIN)
            line = f"epoch {epoch:6d}   train loss {float(train_loss):.6f}"
            if len(Y_TEST):
                test_loss, _ = evaluate(params, x_test, Y_TEST)
                line += f"   test loss {float(test_loss):.6f}"
            print(line)

    params = train(initial_params(), x_train, Y_TRAIN, epochs, report)
    result = {"epochs": epochs}
    for split, x, y in (("train", x_train, Y_TRAIN), ("test", x_test, Y_TEST)):
        if len(y):                         # no test points: no test numbers
            split_loss, split_accuracy = evaluate(params, x, y)
            result[f"{split}_loss"] = float(split_loss)
            if CLASSIFICATION:
                result[f"{split}_accuracy"] = float(split_accuracy)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
