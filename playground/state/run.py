"""A training run: the whole set-up as parameters, and the arrays it trains.

``Run`` is both the headless API (notebooks, tests, export) and the state the
page's widgets are bound to, so the two can never disagree::

    run = Run(dataset="xor", hidden=[4, 2], learning_rate=0.03)
    run.train(epochs=100)
    run.metrics()      # {"epoch": 100, "train_loss": ..., "test_accuracy": ...}
    run.predict(X)     # X: (n, 2) raw inputs, or (n, 1) for "sine" -> (n,)

Changing the data (dataset, noise, train ratio, seed, points) or the
architecture (features, layers, activation, loss) starts the run afresh from
the seed; changing the learning rate, its schedule, batch size, optimizer or
regularisation carries on training the same weights.

The learning rate of each epoch follows ``schedule`` (``current_lr()`` is the
next epoch's); ``trajectory`` keeps a bounded record of the weights after each
training call, for the loss-landscape views.
"""
from __future__ import annotations

import math

import jax
import numpy as np
import param

from ..engine import datasets, descent, features, lanes, mlp, train
from ..engine import lr as schedules
from ..engine.host import to_host
from . import userdata

LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
GRID_RES, DOMAIN = features.GRID_RES, features.DOMAIN
INIT_STREAM, SHUFFLE_STREAM = 0x1A17, 0x5F1E   # fold_in tags: independent random streams
HISTORY_MAX = 2000      # loss-curve points kept (older ones are thinned out)
TRAJECTORY_MAX = 200    # weight snapshots kept (older ones are thinned out)

_FLOOR = f"{schedules.SCHEDULE_FLOOR * 100:g} %"   # where cosine and one-cycle settle
DIVERGED_MESSAGE = "Diverged — lower the learning rate or reset."

MAX_DROPOUT = 0.9
OWN = "own"          # the learner's own data (uploaded or clicked), kept in the run
_DATA_PARAMS = ("problem", "dataset", "noise", "train_ratio", "seed", "n_samples")
_ARCH_PARAMS = ("features", "hidden", "activation", "activations", "loss")
_LR_PARAMS = ("learning_rate", "schedule", "schedule_epochs", "cycle_mult", "step_factor")
_HYPER_PARAMS = _LR_PARAMS + ("batch_size", "optimizer", "regularization", "reg_rate",
                              "stop_epoch", "patience", "dropout")


class PerLayer(param.List):
    """A list with at most one entry per hidden layer; subclasses say what an entry may be
    (``entry_error`` returns the reason an entry is refused, or None)."""

    field = ""

    def _validate_value(self, val, allow_None):
        super()._validate_value(val, allow_None)
        if val is None:
            return
        if len(val) > mlp.MAX_LAYERS:
            raise ValueError(f"{self.field}: at most {mlp.MAX_LAYERS} hidden layers, "
                             f"got {len(val)}")
        for entry in val:
            reason = self.entry_error(entry)
            if reason:
                raise ValueError(f"{self.field}: {reason}, got {entry!r}")


def _is_number(v, kinds=(int, float, np.number)) -> bool:
    return not isinstance(v, bool) and isinstance(v, kinds)


class LayerSizes(PerLayer):
    """Hidden-layer sizes, each 1..MAX_NEURONS."""
    field = "hidden"

    def entry_error(self, h):
        if not (_is_number(h, (int, np.integer)) and 1 <= h <= mlp.MAX_NEURONS):
            return f"each layer needs 1 to {mlp.MAX_NEURONS} neurons"


class LayerActivations(PerLayer):
    """Per-hidden-layer activation names; empty means every layer uses ``activation``."""
    field = "activations"

    def entry_error(self, a):
        if a not in mlp.ACTIVATIONS:
            return f"unknown activation (allowed: {', '.join(mlp.ACTIVATIONS)})"


class LayerRates(PerLayer):
    """Per-hidden-layer dropout rates in [0, MAX_DROPOUT]; missing layers have none."""
    field = "dropout"

    def entry_error(self, r):
        if not (_is_number(r) and 0 <= r <= MAX_DROPOUT):
            return f"each rate between 0 and {MAX_DROPOUT}"


class Run(param.Parameterized):
    """One network learning one data set. Every keyword has TensorFlow Playground's default."""

    problem = param.Selector(default="classification", objects=list(datasets.PROBLEMS), doc=(
        "The kind of problem: classification (every point has a class, the network predicts "
        "it) or regression (every point has a value, the network fits it). The data-set menu "
        "shows the data sets of this kind; choosing the other kind picks its first data set."))
    dataset = param.Selector(default="circle", objects=[*datasets.DATASETS, OWN], doc=(
        "The data to learn. circle, xor, gauss, spiral and moons are two-class problems "
        "(blue +1 / orange −1); blobs3, blobs4, blobs5 (Gaussian blobs), spiral3 (three "
        "spiral arms) and pinwheel (five bent arms) have 3 to 5 classes (labels 0, 1, …, "
        "K−1); plane and multigauss are regression over the plane; sine is a 1-D curve "
        "y = sin(x) + noise."))
    noise = param.Number(default=0.0, bounds=(0, 50), doc=(
        "How noisy the data are, 0–50 %. More noise blurs the pattern and makes "
        "overfitting easier."))
    train_ratio = param.Number(default=0.5, bounds=(0.1, 0.9), doc=(
        "Share of the points used for training; the rest are held out to test "
        "how well the network generalises."))
    n_samples = param.Integer(default=500, bounds=(20, 500), doc="Number of data points.")
    seed = param.Integer(default=0, bounds=(0, 2**31 - 1), doc=(
        "Random seed: the same seed gives the same data, the same first weights and the "
        "same minibatches, so a run can be repeated exactly."))
    features = param.ListSelector(default=["x1", "x2"], objects=list(features.FEATURES), doc=(
        "Which properties of a point the network sees. Squares and products let even a "
        "network without hidden layers draw curved boundaries."))
    hidden = LayerSizes(default=[4, 2], item_type=int, doc=(
        "Neurons in each hidden layer (0 to 8 layers of 1 to 16). No hidden layer is a "
        "linear model; more layers can build more complex shapes."))
    activation = param.Selector(default="tanh", objects=list(mlp.ACTIVATIONS), doc=(
        "The non-linearity each hidden neuron applies to its weighted sum."))
    activations = LayerActivations(default=[], item_type=str, doc=(
        "A different activation for each hidden layer (empty: all use the activation above)."))
    dropout = LayerRates(default=[], item_type=(int, float), doc=(
        "Dropout: while training, each neuron of a layer is switched off at random with this "
        "probability in every step, so the network cannot rely on any single neuron."))
    learning_rate = param.Number(default=0.03, bounds=(0, 10), inclusive_bounds=(False, True),
                                 doc=("Step size of gradient descent. Too small crawls; too "
                                      "large overshoots and can diverge."))
    schedule = param.Selector(default="constant", objects=list(schedules.SCHEDULES), doc=(
        "How the learning rate changes from epoch to epoch: constant; step decay (times the "
        "step factor after every period); cosine (down along a half cosine to "
        f"{_FLOOR} of the rate over the period, then kept there); SGDR, cosine with warm "
        "restarts (back up at the end of each cycle, every cycle 'cycle mult' times longer "
        "than the last); one-cycle (up from rate/25 to the rate over the first 30 % of the "
        f"period, then down to {_FLOOR} of the rate, and kept there). Cosine and one-cycle "
        "never reach 0, so the network goes on learning after the period."))
    schedule_epochs = param.Integer(default=100, bounds=(1, 100_000), doc=(
        "The schedule's period in epochs: the length of the cosine's descent and of the one "
        f"cycle (after it the rate stays at {_FLOOR} of the learning rate), SGDR's first "
        "cycle, the interval between two step decays."))
    cycle_mult = param.Integer(default=2, bounds=(1, 4), doc=(
        "SGDR: each cycle lasts this many times longer than the one before (1: all equal)."))
    step_factor = param.Number(default=0.5, bounds=(0.01, 1.0), doc=(
        "Step decay: the learning rate is multiplied by this after every period."))
    batch_size = param.Integer(default=10, bounds=(1, train.BATCH_MAX), doc=(
        "Examples per weight update (minibatch). An epoch is one pass over the training set."))
    optimizer = param.Selector(default="sgd", objects=list(train.OPTIMIZERS), doc=(
        "How gradients become steps: plain SGD, SGD with momentum (0.9), Adam or RMSProp."))
    loss = param.Selector(default="mse", objects=list(train.LOSSES), doc=(
        "mse: half the mean squared error, ½·mean((ŷ−y)²), as TensorFlow Playground. "
        "cross_entropy: a sigmoid output with binary cross-entropy — with no hidden layer "
        "this is logistic regression (classification only). With more than two classes the "
        "output has one neuron per class and a softmax turns them into probabilities; the "
        "loss is then always cross-entropy: a class number (0, 1, 2, …) is a name, not an "
        "amount, so squaring the distance between class 2 and class 4 would mean nothing."))
    regularization = param.Selector(default="none", objects=list(train.REGULARIZATIONS), doc=(
        "Penalty on large weights: L1 (sum of |w|, pushes weights to exactly 0) or L2 "
        "(½·sum of w², shrinks all weights)."))
    reg_rate = param.Number(default=0.0, bounds=(0, 10), doc="Strength of the regularisation.")

    stop_epoch = param.Integer(default=0, bounds=(0, 1_000_000), doc=(
        "Stop training at this epoch (0: never). Useful to compare set-ups after the same "
        "amount of training."))
    patience = param.Integer(default=0, bounds=(0, 10_000), doc=(
        "Early stopping: stop when the test loss has not improved for this many epochs "
        "(0: off). Stops before the network starts to overfit."))

    data_version = param.Integer(default=0, bounds=(0, None), constant=True, doc=(
        "Counts changes of the points (new data set, upload, a clicked point): views watch it."))
    status = param.Selector(default="ready", objects=["ready", "trained", "stopped", "diverged"],
                            constant=True, doc="ready, trained, stopped or diverged.")
    message = param.String(default="", constant=True, doc="What the run wants the learner to know.")

    def __init__(self, **params):
        unknown = set(params) - set(self.param)
        if unknown:
            raise ValueError(f"unknown parameter(s) {sorted(unknown)}; "
                             f"allowed: {sorted(self.setting_names())}")
        explicit = set(params)
        _imply_problem(params)
        _check_number("learning_rate", params.get("learning_rate"), positive=True)
        for name in ("noise", "train_ratio", "reg_rate"):
            _check_number(name, params.get(name))
        self._own = {"X_train": np.zeros((0, 2), np.float32), "y_train": np.zeros(0, np.float32),
                     "X_test": np.zeros((0, 2), np.float32), "y_test": np.zeros(0, np.float32),
                     "classification": True, "classes": 2, "one_d": False,
                     "note": "empty"}
        super().__init__(**params)
        self._adapt(explicit)
        self.tier = "exact"     # deterministic for scripts; the page uses "auto"
        # other pages train now: a heavy launch runs on the heavy lane (engine/lanes.py),
        # where it never makes theirs wait (the page sets this before each launch)
        self.lane_allowed = False
        self.history: dict[str, list] = {k: [] for k in ("epoch", "train_loss", "test_loss",
                                                         "train_accuracy", "test_accuracy")}
        self._make_data()
        self.reset()
        self.param.watch(self._on_setup, list(_DATA_PARAMS + _ARCH_PARAMS))
        self.param.watch(self._on_hyper, list(_HYPER_PARAMS))

    # ------------------------------------------------------------- settings
    @classmethod
    def setting_names(cls) -> list:
        """The names of the parameters that make up a set-up (what a link, an export and
        the URL table carry): all but the run's own bookkeeping."""
        return [n for n in cls.param if n not in ("name", "status", "message", "data_version")]

    def settings(self) -> dict:
        """The set-up as plain values (what a link or an export stores)."""
        return {n: (list(v) if isinstance(v, list) else v)
                for n, v in ((n, getattr(self, n)) for n in self.setting_names())}

    @property
    def classification(self) -> bool:
        if self.dataset == OWN:
            return self._own["classification"]
        return datasets.is_classification(self.dataset)

    @property
    def classes(self) -> int:
        """How many classes the data have: 2 (labels ±1), K for 3..5 classes (labels
        0..K−1, a softmax output), 0 for regression."""
        if self.dataset == OWN:
            return self._own["classes"] if self._own["classification"] else 0
        return datasets.n_classes(self.dataset)

    @property
    def multiclass(self) -> bool:
        """More than two classes (a softmax output with one neuron per class)."""
        return self.classes > 2

    @property
    def one_d(self) -> bool:
        if self.dataset == OWN:
            return self._own["one_d"]
        return self.dataset in datasets.ONE_D

    def forget_adaptations(self):
        """Forget the settings kept aside while the data needed others (the 2-D features
        while on 1-D data, the squared error while on K-class data), before a whole new
        set-up."""
        self._features_2d = None
        self._loss_two_class = None

    def _adapt(self, explicit=(), changed=()):
        """Make features and loss fit the dataset: 1-D data only has x1 and its transforms,
        cross entropy needs classes. Explicit conflicting choices raise ValueError;
        otherwise the setting is adjusted and ``message`` says so."""
        notes = []
        if self.one_d:
            keep = [f for f in self.features if f in features.ONE_D_FEATURES]
            if len(keep) != len(self.features):
                if "features" in explicit:
                    features.feature_indices(self.features, one_d=True)  # raises
                self._features_2d = list(self.features)
                self.features = keep or ["x1"]
                notes.append("1-D data: features limited to X₁ and its transforms")
        elif getattr(self, "_features_2d", None):
            # back on the plane: give back the features that 1-D data took away
            # (unless this very change chose the features)
            restore, self._features_2d = self._features_2d, None
            if "features" not in changed and set(self.features) <= set(features.ONE_D_FEATURES):
                self.features = restore
        if not self.features:
            if "features" in explicit:
                features.feature_indices(self.features)  # raises
            self.features = ["x1"] if self.one_d else ["x1", "x2"]
            notes.append("at least one feature is needed")
        if self.loss == "cross_entropy" and not self.classification:
            if {"loss", "dataset"} <= set(explicit):
                raise ValueError(f"loss: cross_entropy needs a classification dataset "
                                 f"({', '.join(datasets.CLASSIFICATION)}); use mse for "
                                 f"{self.dataset}")
            self.loss = "mse"
            notes.append("regression uses the squared error loss")
        if self.multiclass and self.loss != "cross_entropy":
            if {"loss", "dataset"} <= set(explicit):
                raise ValueError(f"loss: {self.dataset} has {self.classes} classes, which need "
                                 f"cross_entropy (a softmax output); mse is for regression "
                                 f"and two classes")
            self._loss_two_class = self.loss
            self.loss = "cross_entropy"
            notes.append(f"{self.classes} classes use a softmax output with cross-entropy")
        elif not self.multiclass and getattr(self, "_loss_two_class", None):
            # back to two classes or regression: give back the loss K classes took away
            restore, self._loss_two_class = self._loss_two_class, None
            if "loss" not in changed and self.loss == "cross_entropy":
                self.loss = restore
        implied = "classification" if self.classification else "regression"
        if self.problem != implied:
            self.problem = implied
        return notes

    # --------------------------------------------------------------- arrays
    def _make_data(self):
        if self.dataset == OWN:
            o = self._own
            self.X_train, self.y_train, self.X_test, self.y_test = (
                o["X_train"], o["y_train"], o["X_test"], o["y_test"])
        else:
            X, y = datasets.make_dataset(self.dataset, self.seed, self.n_samples, self.noise)
            train_rows, test_rows = datasets.train_test_split(self.seed, self.n_samples,
                                                              self.train_ratio)
            self.X_train, self.y_train = X[train_rows], y[train_rows]
            self.X_test, self.y_test = X[test_rows], y[test_rows]
        feats = features.numpy_features
        self._data = train.make_data(feats(self.X_train), self.y_train,
                                     feats(self.X_test), self.y_test)
        with param.edit_constant(self):
            self.data_version += 1

    # ----------------------------------------------------------- own data
    def use_own_data(self, X, y, classification: bool, one_d: bool = False, note: str = "",
                     classes: int | None = None):
        """Train on the learner's data: X (n, 2) already in the plot's range, y (n,) labels
        (±1 for two classes, class indices 0..K−1 for K = 3..5 classes, values for
        regression). classes: K, or None to read it from the labels. Split into
        train/test by the seed and train ratio."""
        X, y = np.asarray(X, np.float32).reshape(-1, 2), np.asarray(y, np.float32).ravel()
        if len(X) != len(y) or len(y) > userdata.MAX_ROWS:
            raise ValueError(f"data: {len(X)} points and {len(y)} labels; at most "
                             f"{userdata.MAX_ROWS} points")
        if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
            raise ValueError("data: every coordinate and label must be a finite number")
        if len(y) >= 2:
            train_rows, test_rows = datasets.train_test_split(self.seed, len(y), self.train_ratio)
        else:
            train_rows, test_rows = np.arange(len(y)), np.arange(0)
        k = own_classes(y, classification, classes)
        self._set_own(X[train_rows], y[train_rows], X[test_rows], y[test_rows], classification,
                      one_d, note, k)

    def _set_own(self, X_train, y_train, X_test, y_test, classification, one_d, note="",
                 classes=2):
        self._own = {"X_train": np.asarray(X_train, np.float32).reshape(-1, 2),
                     "y_train": np.asarray(y_train, np.float32).ravel(),
                     "X_test": np.asarray(X_test, np.float32).reshape(-1, 2),
                     "y_test": np.asarray(y_test, np.float32).ravel(),
                     "classification": bool(classification), "one_d": bool(one_d),
                     "classes": int(classes) if classification else 0, "note": note}
        if self.dataset == OWN:
            self._adapt()
            self._make_data()
            self.reset()
        else:
            self.dataset = OWN

    def _take_over_data(self):
        """Make the data on screen the learner's own (before editing it point by point)."""
        if self.dataset != OWN:
            self._own = {"X_train": self.X_train, "y_train": self.y_train,
                         "X_test": self.X_test, "y_test": self.y_test,
                         "classification": self.classification, "one_d": self.one_d,
                         "classes": self.classes, "note": f"started from {self.dataset}"}

    def add_point(self, x1: float, x2: float, label: float):
        """Add a training point (label ±1 for two classes, the class index 0..K−1 for K
        classes — rounded and kept in range —, a value for regression)."""
        if not all(math.isfinite(v) for v in (x1, x2, label)):
            raise ValueError("point: coordinates and label must be finite numbers")
        self._take_over_data()
        o = self._own
        if len(o["y_train"]) + len(o["y_test"]) >= userdata.MAX_ROWS:
            raise ValueError(f"point: at most {userdata.MAX_ROWS} points")
        lo, hi = DOMAIN
        x = [min(max(x1, lo), hi), 0.0 if o["one_d"] else min(max(x2, lo), hi)]
        if o["classification"] and o["classes"] > 2:
            label = float(min(max(round(label), 0), o["classes"] - 1))
        elif o["classification"]:
            label = 1.0 if label > 0 else -1.0
        self._set_own(np.vstack([o["X_train"], [x]]), np.append(o["y_train"], label),
                      o["X_test"], o["y_test"], o["classification"], o["one_d"], o["note"],
                      o["classes"])

    def remove_point_near(self, x1: float, x2: float, radius: float = 0.5) -> bool:
        """Remove the point (train or test) nearest to (x1, x2) within radius; True if one was."""
        self._take_over_data()
        o = self._own
        best = None
        for split in ("train", "test"):
            X = o[f"X_{split}"]
            if len(X):
                d = np.hypot(X[:, 0] - x1, (X[:, 1] - x2) if not o["one_d"] else 0 * X[:, 1])
                i = int(np.argmin(d))
                if d[i] <= radius and (best is None or d[i] < best[0]):
                    best = (d[i], split, i)
        if best is None:
            return False
        _, split, i = best
        keep = {k: o[k] for k in ("X_train", "y_train", "X_test", "y_test")}
        keep[f"X_{split}"] = np.delete(o[f"X_{split}"], i, axis=0)
        keep[f"y_{split}"] = np.delete(o[f"y_{split}"], i)
        self._set_own(keep["X_train"], keep["y_train"], keep["X_test"], keep["y_test"],
                      o["classification"], o["one_d"], o["note"], o["classes"])
        return True

    def clear_points(self, classification: bool | None = None):
        """Start from empty own data (classification unless told otherwise; with as many
        classes as now)."""
        kind = self.classification if classification is None else classification
        classes = self.classes if self.classes >= 2 else 2
        empty = np.zeros((0, 2), np.float32)
        self._set_own(empty, np.zeros(0), empty, np.zeros(0), kind, False, "empty", classes)

    def _make_arch(self):
        idx = features.feature_indices(self.features, one_d=self.one_d)
        kind = mlp.output_kind(self.loss, self.classification, self.classes)
        units = mlp.output_units(kind, self.classes)
        self.arch = mlp.Arch(idx, tuple(self.hidden), tuple(self.layer_activations()), kind,
                             units)
        self._arch_arrays = self.arch.arrays()
        self._baseline = mlp.baseline_loss(kind, self.y_train, units)

    def layer_activations(self) -> list:
        """The activation of each hidden layer: the per-layer choice where there is one,
        else the global ``activation``."""
        own = list(self.activations)[:len(self.hidden)]
        return own + [self.activation] * (len(self.hidden) - len(own))

    def set_layer_dropout(self, layer: int, rate: float):
        """Set the dropout rate of hidden layer ``layer`` (0-based)."""
        if not 0 <= layer < len(self.hidden):
            raise ValueError(f"layer: 0..{len(self.hidden) - 1}, got {layer}")
        rates = (list(self.dropout) + [0.0] * len(self.hidden))[:len(self.hidden)]
        rates[layer] = float(rate)
        self.dropout = rates if any(rates) else []

    def dropped_neurons(self):
        """Which neurons dropout switched off for the first example of the last training
        step: a list of (neurons,) bool arrays, one per hidden layer (all False without
        dropout or before training)."""
        off = [np.zeros(h, bool) for h in self.hidden]
        rates = np.asarray(self._hyper.dropout)
        if self.epoch == 0 or not np.any(rates > 0) or len(self.y_train) == 0:
            return off
        last_step = -(-len(self.y_train) // self.batch_size) - 1
        kept = np.asarray(train.last_dropout(self._shuffle_key, np.int32(self.epoch - 1),
                                             np.int32(last_step), rates))
        return [~kept[l, :h] for l, h in enumerate(self.hidden)]

    def set_layer_activation(self, layer: int, name: str):
        """Give hidden layer ``layer`` (0-based) its own activation."""
        if not 0 <= layer < len(self.hidden):
            raise ValueError(f"layer: 0..{len(self.hidden) - 1}, got {layer}")
        acts = self.layer_activations()
        acts[layer] = name
        self.activations = acts if len(set(acts)) > 1 or acts[0] != self.activation else []

    def _make_hyper(self):
        self._hyper = train.make_hyper(self.learning_rate, self.regularization, self.reg_rate,
                                       self.batch_size, self.optimizer,
                                       list(self.dropout)[:len(self.hidden)])

    def reset(self):
        """Fresh weights from the seed, epoch 0, empty history (same data)."""
        self._make_arch()
        self._make_hyper()
        key = jax.random.PRNGKey(self.seed)
        self._init_key = jax.random.fold_in(key, INIT_STREAM)
        self._shuffle_key = jax.random.fold_in(key, SHUFFLE_STREAM)
        self.state = train.init_state(self._init_key, self._arch_arrays)
        for v in self.history.values():
            v.clear()
        self.history_version = getattr(self, "history_version", 0) + 1
        self._set_status("ready", "")
        self._last_metrics = None
        self.epoch = 0
        self.restart_trajectory()
        self._record(to_host(self._evaluate()))
        self._best = (self.history["test_loss"][0], 0)     # for early stopping

    # ------------------------------------------------------------- trajectory
    def restart_trajectory(self):
        """The weight trajectory starts afresh at the current weights (and epoch)."""
        self.trajectory = [descent.flatten_params(self.host_params())]
        self.trajectory_epochs = [self.epoch]

    def host_params(self) -> dict:
        """The current weights as numpy (padded layout), copied from the device once per
        state (the diagram, the trajectory and the export all read them)."""
        cached = getattr(self, "_host_params", None)
        if cached is None or cached[0] is not self.state:
            cached = self._host_params = (self.state, to_host(self.state.params))
        return cached[1]

    def _snapshot(self):
        self.trajectory.append(descent.flatten_params(self.host_params()))
        self.trajectory_epochs.append(self.epoch)
        _thin((self.trajectory, self.trajectory_epochs), TRAJECTORY_MAX)

    def trajectory_array(self) -> np.ndarray:
        """(T, descent.N_PARAMS) float32: the flattened weights at reset and after each
        training call since (at most TRAJECTORY_MAX; older snapshots are thinned out, the
        epochs are in ``trajectory_epochs``)."""
        return np.stack(self.trajectory)

    # ----------------------------------------------------------- learning rate
    def learning_rates(self, epochs, base: float | None = None) -> np.ndarray:
        """The learning rate of each epoch (0-based) in ``epochs`` under the schedule:
        float32, the shape of ``epochs`` (what training uses; also for a preview plot).
        base: the schedule's base rate (default: ``learning_rate``)."""
        base = float(np.float32(self.learning_rate if base is None else base))
        return schedules.schedule_lr(self.schedule, epochs, base, self.schedule_epochs,
                                     self.cycle_mult, self.step_factor).astype(np.float32)

    def current_lr(self) -> float:
        """The learning rate the next epoch trains with."""
        return float(self.learning_rates(self.epoch))

    def _evaluate(self):
        return train.evaluate_general(self.state.params, self._arch_arrays, self._data)

    def set_params(self, params):
        """Replace the weights (padded layout, e.g. after a hand edit or a load); the
        metrics, loss curve and heatmap are refreshed at once. Training goes on from them."""
        self.state = self.state._replace(params=params)
        self._snapshot()
        self._record(to_host(self._evaluate()))
        if self.status == "diverged":
            self._set_status("trained" if self.epoch else "ready", "")

    # --------------------------------------------------------------- watchers
    def _set_message(self, text):
        self._set_status(self.status, text)

    def _set_status(self, status, message):
        """Change status/message only when they differ (watchers fire on change)."""
        if (status, message) != (self.status, self.message):
            with param.edit_constant(self):
                self.param.update(status=status, message=message)

    def _on_setup(self, *events):
        """Data or architecture changed (one call per batch of changes): adapt, start afresh."""
        names = {e.name for e in events}
        if names == {"problem"} and self.problem == ("classification" if self.classification
                                                     else "regression"):
            return                         # the data set's own problem: nothing changes
        if "problem" in names and "dataset" not in names:
            self.dataset = datasets.DEFAULT_DATASET[self.problem]
            return                         # (that change calls _on_setup again)
        if "activation" in names and "activations" not in names and self.activations:
            self.activations = []          # the global choice sets every layer
            return                         # (that change calls _on_setup again)
        notes = self._adapt(changed=names)
        if names & set(_DATA_PARAMS):
            self._make_data()
        self.reset()
        if notes:
            self._set_message("Adjusted: " + "; ".join(notes) + ".")

    def _on_hyper(self, *events):
        self._make_hyper()
        if any(e.name == "optimizer" for e in events):
            self.state = train.TrainState(self.state.params, train.opt_init(self.state.params))
        if self.status == "diverged" and any(e.name in _LR_PARAMS for e in events):
            self._set_status("trained" if self.epoch else "ready", "")
        if self.status == "stopped" and any(e.name in ("stop_epoch", "patience") for e in events):
            self._set_status("trained", "")

    # --------------------------------------------------------------- training
    def train(self, epochs: int = 1) -> dict:
        """Train for ``epochs`` epochs in one compiled call; returns ``metrics()``.

        A run that diverges (non-finite loss or a weight beyond 1e3) keeps its last
        good weights, sets status "diverged" and does not train further until the
        learning rate is changed or the run is reset.
        """
        self.launch(epochs)
        self.settle()
        return self.metrics()

    def _inputs(self) -> tuple:
        """What a training call starts from: a launch is applied only if none has changed."""
        return (self.epoch, (self.state, self._data, self._hyper, self._arch_arrays))

    def launch(self, epochs: int = 1) -> bool:
        """Start training ``epochs`` epochs and return at once: JAX computes while Python
        goes on (with other sessions' frames, on a server). ``settle()`` applies the result;
        if the run was changed in between (reset, new data or settings, a hand edit), the
        result is dropped instead. ``train()`` is launch + settle. Returns whether anything
        was started (not after divergence, at the stop epoch, or for 0 epochs)."""
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"epochs: a whole number ≥ 0 is needed, got {epochs!r}")
        self.settle()
        if self.status == "diverged" or epochs == 0:
            return False
        if self.stop_epoch:
            if self.epoch >= self.stop_epoch:
                self._set_status("stopped", f"Stopped at epoch {self.epoch:,}: the limit you set.")
                return False
            epochs = min(int(epochs), self.stop_epoch - self.epoch)
        if self.status == "stopped":       # going on after a stop: patience starts afresh
            self._best = (self.history["test_loss"][-1], self.epoch)
        lrs = (None if self.schedule == "constant" else
               self.learning_rates(np.arange(self.epoch, self.epoch + int(epochs))))
        args = (self.state, self.arch, self._arch_arrays, self._hyper, self._data,
                self._shuffle_key, self.epoch, int(epochs))
        out = None
        if self.lane_allowed and lanes.heavy_launch(int(epochs), len(self.X_train),
                                                    self.batch_size):
            out = lanes.LANE.train_epochs(*args, lrs=lrs)
        state, m, tier = out if out is not None else train.train_epochs(
            *args, tier=self.tier, lrs=lrs)
        self._pending = (self._inputs(), state, m, tier, int(epochs))
        return True

    # ------------------------------------------------ what the run computes with
    # Read-only views for the other modules that compute on a run (the gradient-descent
    # lab, the network's pictures, parallel copies, export): the arrays as the engine
    # takes them.
    def light_launch(self, epochs: int) -> bool:
        """Whether a launch of ``epochs`` epochs is light: fewer optimizer steps than
        ``lanes.LANE_STEPS`` (the same rule that keeps it off the heavy lane)."""
        return not lanes.heavy_launch(int(epochs), len(self.X_train), self.batch_size)

    @property
    def light_epochs(self) -> int:
        """The most epochs a launch may have and stay light: fewer optimizer steps than
        ``lanes.LANE_STEPS`` (a few milliseconds of compute; at least 1)."""
        steps = lanes.steps_per_epoch(len(self.X_train), self.batch_size)
        return max(1, (lanes.LANE_STEPS - 1) // steps)

    @property
    def arch_arrays(self) -> mlp.ArchArrays:
        """The architecture as arrays (masks, activations), as the general programs take it."""
        return self._arch_arrays

    @property
    def hyper(self) -> train.Hyper:
        """The hyperparameters as arrays (learning rate, batch size, optimizer, …)."""
        return self._hyper

    @property
    def data(self) -> train.Data:
        """The padded training and test sets with their masks."""
        return self._data

    @property
    def shuffle_key(self):
        """The key the minibatch order of every epoch is drawn from."""
        return self._shuffle_key

    @property
    def init_key(self):
        """The key the first weights are drawn from (the seed's weights)."""
        return self._init_key

    @property
    def baseline_loss(self) -> float:
        """The training loss of a network that outputs 0 (the divergence check's scale)."""
        return self._baseline

    def set_weights(self, params, epoch: int) -> None:
        """New (padded) weights: fresh optimizer state, the history restarts at ``epoch``."""
        self.settle()
        self.state = train.TrainState(params, train.opt_init(params))
        for v in self.history.values():
            v.clear()
        self.history_version += 1
        self.epoch = int(epoch)
        self.restart_trajectory()
        self._set_status("trained" if epoch else "ready", "")
        self._last_metrics = None
        self._record(jax.device_get(self._evaluate()))
        self._best = (self.history["test_loss"][0], self.epoch)

    @property
    def pending(self) -> bool:
        """True between a launch() and its settle()."""
        return getattr(self, "_pending", None) is not None

    @property
    def computed(self) -> bool:
        """True when the launched training has finished computing (``settle`` will not
        wait), or when nothing is launched."""
        pending = getattr(self, "_pending", None)
        return pending is None or all(
            leaf.is_ready() for leaf in jax.tree.leaves(pending[2]) if hasattr(leaf, "is_ready"))

    def settle(self, wait: bool = True) -> bool:
        """Apply the launched training; True if it was applied. wait=False: only if it has
        finished computing (a server's event loop never waits for JAX), else keep it
        launched and return False."""
        if not wait and not self.computed:
            return False
        pending, self._pending = getattr(self, "_pending", None), None
        if pending is None:
            return False
        inputs, state, m, tier, epochs = pending
        epoch, objects = self._inputs()
        if inputs[0] != epoch or any(a is not b for a, b in zip(inputs[1], objects)):
            return False                   # the run changed meanwhile: drop it
        self.last_tier = tier
        m = to_host(m)
        if self._diverged(m):
            self._set_status("diverged", DIVERGED_MESSAGE)
            return False
        self.state = state
        self.epoch += int(epochs)
        self._snapshot()
        if self.status != "trained":
            self._set_status("trained", "" if self.status == "stopped" else self.message)
        self._record(m)
        self._check_stop()
        return True

    def _check_stop(self):
        """Apply the stop conditions after a training call (status "stopped" + why)."""
        test_loss = self.history["test_loss"][-1]
        if test_loss < self._best[0]:
            self._best = (test_loss, self.epoch)
        if self.stop_epoch and self.epoch >= self.stop_epoch:
            self._set_status("stopped", f"Stopped at epoch {self.epoch:,}: the limit you set.")
        elif self.patience and self.has_test_set and self.epoch - self._best[1] >= self.patience:
            self._set_status("stopped", (
                f"Stopped early at epoch {self.epoch:,}: the test loss has not improved for "
                f"{self.epoch - self._best[1]:,} epochs (best {self._best[0]:.4f} at epoch "
                f"{self._best[1]:,}). Training longer would only fit the training data better."))

    def _diverged(self, m) -> bool:
        """Non-finite numbers, a weight beyond DIVERGENCE_WEIGHT, or a training loss that
        rose above its start and above 1.5× that of a network that outputs 0."""
        values = dict(zip(train.SUMMARY, m.summary.tolist()))    # one read of the device
        if (not all(map(math.isfinite, values.values()))
                or values["max_weight"] > train.DIVERGENCE_WEIGHT):
            return True
        loss = values["train_loss"]
        return loss > 1.5 * self._baseline and loss > self.history["train_loss"][0]

    @property
    def has_test_set(self) -> bool:
        """False when no point is held out for testing (e.g. own data all in training):
        then the test loss and accuracy are NaN, not the 0 of an empty mean."""
        return len(self.y_test) > 0

    def _record(self, m):
        self._last_metrics = m
        h = self.history
        h["epoch"].append(self.epoch)
        values = dict(zip(train.SUMMARY, m.summary.tolist()))
        if not self.has_test_set:
            values["test_loss"] = values["test_accuracy"] = math.nan
        for k in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
            h[k].append(values[k])
        if _thin(list(h.values()), HISTORY_MAX):
            self.history_version += 1

    def metrics(self) -> dict:
        """{"epoch", "train_loss", "test_loss"} and, for classes, "train_accuracy" and
        "test_accuracy" (fractions); the test values are NaN without test points."""
        m = self._last_metrics
        test = (lambda v: float(v)) if self.has_test_set else (lambda v: math.nan)
        out = {"epoch": self.epoch, "train_loss": float(m.train_loss),
               "test_loss": test(m.test_loss)}
        if self.classification:
            out.update(train_accuracy=float(m.train_accuracy),
                       test_accuracy=test(m.test_accuracy))
        return out

    def last_thumbnails(self):
        """The diagram's pictures (n_nodes, THUMB_RES²) computed by the last training call
        of the exact-shape program, or None (then they are computed on their own)."""
        thumbs = self._last_metrics.thumbs
        return None if thumbs is None else np.asarray(thumbs)

    def confusion(self, split: str = "test") -> dict:
        """Classification counts of a split: {"counts": (2, 2) int, rows = true class
        (+1 blue, −1 orange), columns = predicted class; "cell": (n,) int 0..3 per point,
        row-major (0: true +1 predicted +1, 1: true +1 predicted −1, 2: true −1 predicted +1,
        3: true −1 predicted −1); "X": (n, 2) the points}. With K classes: counts (K, K),
        rows the true class 0..K−1, columns the predicted class, cell = K·true + predicted."""
        if split not in ("train", "test"):
            raise ValueError(f"split: 'train' or 'test', got {split!r}")
        X, y = (self.X_train, self.y_train) if split == "train" else (self.X_test, self.y_test)
        pred = np.asarray(getattr(self._last_metrics, f"pred_{split}"))[:len(y)]
        if self.multiclass:
            k = self.classes
            true = np.clip(y.astype(int), 0, k - 1)
            cell = k * true + np.clip(pred.astype(int), 0, k - 1)
            counts = np.bincount(cell, minlength=k * k).reshape(k, k)
            return {"counts": counts, "cell": cell, "X": X}
        cell = 2 * (y <= 0).astype(int) + (pred < 0).astype(int)
        counts = np.bincount(cell, minlength=4).reshape(2, 2)
        return {"counts": counts, "cell": cell, "X": X}

    # ------------------------------------------------------------- prediction
    def _predict_feats(self, F):
        return np.asarray(train.predict_grid(self.state.params, self.arch, self._arch_arrays,
                                             F, tier=self.tier))

    def predict(self, X) -> np.ndarray:
        """Network output for raw inputs X: (n, 2), or (n, 1)/(n,) for 1-D data -> (n,).

        Two-class outputs lie in [-1, 1] (the sign is the class); with K classes the output
        is the most likely class 0..K−1 (see predict_proba)."""
        return self._predict_chunks(X, self._predict_feats, ())

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities for raw inputs X (n, 2): (n, K), rows summing to 1. Only for
        K-class data (a softmax output); ValueError otherwise."""
        if not self.multiclass:
            raise ValueError("predict_proba: only for data with more than two classes "
                             "(two classes: predict() gives 2·p − 1)")
        return self._predict_chunks(X, lambda F: np.asarray(train.predict_probabilities(
            self.state.params, self.arch, self._arch_arrays, F, tier=self.tier)),
            (self.classes,))

    def class_probability_grid(self, k: int) -> np.ndarray:
        """(GRID_RES, GRID_RES) float32: the probability of class k over the plot grid, row 0
        at the bottom (K-class data only)."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) \
                or not 0 <= k < max(self.classes, 0) or not self.multiclass:
            raise ValueError(f"k: a class from 0 to {self.classes - 1} of K-class data, "
                             f"got {k!r}")
        F = features.grid_features()
        p = np.asarray(train.predict_probabilities(self.state.params, self.arch,
                                                   self._arch_arrays, F, tier=self.tier))
        return p[:, k].reshape(GRID_RES, GRID_RES)

    def _predict_chunks(self, X, predict_feats, width: tuple) -> np.ndarray:
        X = np.asarray(X, np.float32)
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[1] not in (1, 2):
            raise ValueError(f"X: expected shape (n, 2) or (n, 1), got {X.shape}")
        if X.shape[1] == 1:
            X = np.concatenate([X, np.zeros_like(X)], 1)
        F = np.asarray(features.all_features(X), np.float32)
        n, size = len(F), GRID_RES * GRID_RES
        out = []
        for start in range(0, n, size):     # fixed-size chunks: no compile per n
            chunk = F[start:start + size]
            pad = np.zeros((size, F.shape[1]), np.float32)
            pad[:len(chunk)] = chunk
            out.append(predict_feats(pad)[:len(chunk)])
        return np.concatenate(out) if out else np.zeros((0, *width), np.float32)

    def decision_grid(self) -> np.ndarray:
        """(GRID_RES, GRID_RES) float32 outputs over the domain, row 0 at the bottom.

        Computed by the same compiled call that trained (or evaluated) the weights."""
        return np.asarray(self._last_metrics.grid).reshape(GRID_RES, GRID_RES)

    def decision_codes(self) -> np.ndarray:
        """(GRID_RES, GRID_RES) uint8: ``decision_grid()`` as colour codes (0 is -1, 255 is
        +1), made by the same compiled call. K classes: mlp.class_codes (the most likely
        class and how sure the network is)."""
        return np.asarray(self._last_metrics.grid_codes).reshape(GRID_RES, GRID_RES)

    def decision_classes(self):
        """K-class data: (classes (GRID_RES, GRID_RES) int, confidence (GRID_RES, GRID_RES)
        float32): the most likely class at each grid point and its probability, read from
        the colour codes (steps of 1/(CONFIDENCE_LEVELS − 1) between 1/K and 1)."""
        codes = self.decision_codes().astype(int)
        levels = mlp.CONFIDENCE_LEVELS
        floor = 1.0 / max(self.classes, 1)
        conf = floor + (codes % levels) / (levels - 1) * (1.0 - floor)
        return codes // levels, conf.astype(np.float32)

    def curve(self):
        """For 1-D data: x (GRID_RES,) and the fitted y (GRID_RES,)."""
        g = self.decision_grid()
        return features.grid_points()[:GRID_RES, 0], g[0]


def _thin(lists, limit: int) -> bool:
    """Parallel lists longer than limit keep every other entry of their older half;
    True if they were thinned."""
    if len(lists[0]) <= limit:
        return False
    for v in lists:
        v[:] = v[:limit // 2:2] + v[limit // 2:]
    return True


def _check_number(name, value, positive=False):
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or not math.isfinite(value) or (positive and value <= 0):
        raise ValueError(f"{name}: expected a finite {'positive ' if positive else ''}"
                         f"number, got {value!r}")


def own_classes(y, classification: bool, classes: int | None = None) -> int:
    """How many classes own labels y make: 2 for labels ±1, K for class indices 0..K−1
    (3 <= K <= 5; ``classes`` when given, else the largest label + 1), 0 for regression.
    ValueError for classification labels that are neither."""
    if not classification:
        return 0
    y = np.asarray(y, np.float64)
    if classes is None and np.all((y == 1.0) | (y == -1.0)):
        return 2
    k = int(classes) if classes is not None else int(y.max()) + 1 if len(y) else 2
    if k == 2 and np.all((y == 1.0) | (y == -1.0)):
        return 2
    if not 3 <= k <= datasets.MAX_CLASSES or not np.all((y == np.round(y)) & (y >= 0)
                                                         & (y < k)):
        raise ValueError(f"labels: two classes are +1 and −1; more classes are 0, 1, …, K−1 "
                         f"with K from 3 to {datasets.MAX_CLASSES}")
    return k


def _imply_problem(params: dict) -> None:
    """Make the keywords' problem and data set agree (before they are set): a data set
    implies its problem; a problem alone picks its first data set; a problem that
    contradicts the data set given with it is a ValueError."""
    dataset, problem = params.get("dataset"), params.get("problem")
    if problem is not None and problem not in datasets.PROBLEMS:
        return                                    # the parameter itself refuses it
    if isinstance(dataset, str) and dataset in datasets.DATASETS:
        implied = datasets.problem_of(dataset)
        if problem is not None and problem != implied:
            raise ValueError(f"problem: {dataset} is a {implied} data set, not {problem}; "
                             f"choose a {problem} data set "
                             f"({', '.join(datasets.PROBLEM_DATASETS[problem])})")
        params["problem"] = implied
    elif problem is not None and dataset is None:
        params["dataset"] = datasets.DEFAULT_DATASET[problem]
