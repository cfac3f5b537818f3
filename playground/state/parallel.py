"""Parallel runs: up to 16 copies of a run's network, across learning rates or seeds.

    sweep = ParallelRuns(run, over="learning_rate")     # 16 rates from lr_min to lr_max
    sweep.train(50)                                     # all copies, one compiled call
    sweep.curves()["train_loss"]                        # (T, 16) loss curves
    sweep.grids()                                       # (16, 24, 24) decision grids

Every copy trains on the run's data with the run's minibatches, architecture, optimizer,
batch size, regularisation and learning-rate schedule (no dropout). Across learning
rates every copy starts from the run's first weights (its seed's); across seeds copy k
starts from the first weights of seed ``run.seed + k``.
"""
from __future__ import annotations

import jax
import numpy as np
import param

from ..engine import parallel, train
from ..engine.host import to_host
from .run import HISTORY_MAX, INIT_STREAM, _thin

OVER = ("learning_rate", "seed")


class ParallelRuns(param.Parameterized):
    """Copies of ``run``'s network trained side by side (engine.parallel)."""

    over = param.Selector(default="learning_rate", objects=list(OVER), doc=(
        "What differs between the copies: the learning rate, or the seed of the first "
        "weights."))
    copies = param.Integer(default=parallel.MAX_COPIES, bounds=(1, parallel.MAX_COPIES),
                           doc="How many copies train at once.")
    lr_min = param.Number(default=0.001, bounds=(1e-6, 10.0), doc="The smallest learning rate.")
    lr_max = param.Number(default=3.0, bounds=(1e-6, 10.0), doc="The largest learning rate.")
    epoch = param.Integer(default=0, bounds=(0, None), constant=True)

    def __init__(self, run=None, **params):
        super().__init__(**params)
        self.run = None
        self.state = None
        self.param.watch(lambda e: self.reset(), ["over", "copies", "lr_min", "lr_max"])
        if run is not None:
            self.bind(run)

    def bind(self, run) -> None:
        """The run whose network the copies are of (once: made without one, the copies
        are made ahead of the page whose run they take; ``ui.descent_lab``)."""
        self.run = run
        self.reset()

    # ---------------------------------------------------------------- set-up
    def values(self) -> list:
        """Each copy's learning rate (log-spaced lr_min..lr_max) or seed."""
        if self.over == "seed":
            return [(self.run.seed + k) % 2**31 for k in range(self.copies)]
        lo, hi = sorted((self.lr_min, self.lr_max))
        return [float(v) for v in np.geomspace(lo, hi, self.copies).astype(np.float32)]

    def _setup_key(self):
        r = self.run
        return (r.arch, r.data_version, r.hyper.batch_size.item(), r.optimizer,
                r.regularization, r.reg_rate, r.seed)

    def reset(self):
        """Every copy back to its first weights, epoch 0, empty curves (none before
        ``bind``)."""
        r = self.run
        if r is None:
            return
        seeds = self.values() if self.over == "seed" else [r.seed] * self.copies
        padded = [train.init_state(jax.random.fold_in(jax.random.PRNGKey(s), INIT_STREAM),
                                   r.arch_arrays).params for s in seeds]
        self.state = parallel.init_packed(padded, r.arch, r.optimizer)
        self._key = self._setup_key()
        self.history = {k: [] for k in ("epoch", "train_loss", "test_loss", "train_accuracy",
                                        "test_accuracy")}
        self._metrics = None
        self._pending = None           # a launch to apply: (set-up key, (state, metrics), epochs)
        with param.edit_constant(self):
            self.epoch = 0

    def _lr_table(self, epoch0: int, n: int) -> np.ndarray:
        """(copies, LR_TABLE_LEN): each copy's rate in the epochs of a call (the run's
        schedule, with each copy's own base rate across learning rates)."""
        r = self.run
        epochs = np.arange(epoch0, epoch0 + min(max(n, 1), train.LR_TABLE_LEN))
        bases = self.values() if self.over == "learning_rate" else [None] * self.copies
        table = np.stack([r.learning_rates(epochs, b) for b in bases])
        return np.concatenate([table, np.repeat(table[:, -1:], train.LR_TABLE_LEN
                                                - table.shape[1], 1)], 1)

    # -------------------------------------------------------------- training
    def ready(self) -> bool:
        """True when the program for this set-up is compiled (else it starts compiling in
        the background)."""
        if self.history["epoch"] and self._setup_key() == self._key:
            return True                      # it has computed: nothing to wait for
        return self.train(0, block=False) is not None

    def train(self, epochs: int = 1, block: bool = True):
        """Train every copy ``epochs`` epochs; returns ``metrics()``, or None when
        block=False and the program is still compiling (nothing was trained). The first
        call also records the copies at epoch 0 (the start of the curves). A launch still
        computing is applied first."""
        self.settle()
        if not self._start(block):
            return None
        if epochs:
            out = self._call(int(epochs), block)
            if out is None:
                return None
            self._apply(out, int(epochs))
        return self.metrics()

    def launch(self, epochs: int = 1) -> bool | None:
        """Start training every copy ``epochs`` epochs and return at once: JAX computes
        while the caller goes on (a server's other pages), and ``settle`` applies the
        result. None while the program for this set-up compiles (nothing was started)."""
        self.settle()
        if not self._start(block=False):
            return None
        out = self._call(int(epochs), block=False)
        if out is None:
            return None
        self._pending = (self._key, out, int(epochs))
        return True

    @property
    def pending(self) -> bool:
        """Whether a launch waits to be applied by ``settle``."""
        return self._pending is not None

    @property
    def computed(self) -> bool:
        """Whether the launched training has finished computing (``settle`` will not wait),
        or nothing is launched."""
        return self._pending is None or all(
            leaf.is_ready() for leaf in jax.tree.leaves(self._pending[1])
            if hasattr(leaf, "is_ready"))

    def settle(self, wait: bool = True) -> bool:
        """Apply the launched training; True if it was applied. wait=False: only if it has
        finished computing (a server's event loop never waits for JAX). A launch from
        before a reset or a new set-up of the run is dropped."""
        if self._pending is None:
            return False
        key, out, epochs = self._pending
        if key != self._key or self._setup_key() != self._key:
            self._pending = None               # dropped at once, computed or not
            return False
        if not wait and not self.computed:
            return False
        self._pending = None
        self._apply(out, epochs)
        return True

    def _start(self, block: bool) -> bool:
        """A new set-up of the run starts afresh; the copies at epoch 0 are recorded first
        (the start of the curves). False while the program compiles (block=False)."""
        if self._setup_key() != self._key:           # the run was set up anew
            self.reset()
        if not self.history["epoch"]:
            out = self._call(0, block)
            if out is None:
                return False
            self._apply(out, 0)
        return True

    def _apply(self, out, epochs: int) -> None:
        self.state, self._metrics = out
        if epochs:
            with param.edit_constant(self):
                self.epoch += epochs
        self._record()

    def _call(self, epochs: int, block: bool):
        """The copies' (state, metrics) after ``epochs`` more epochs, launched (JAX computes
        them meanwhile), or None while the program compiles (block=False). Trained in
        calls of at most LR_TABLE_LEN epochs while a schedule changes the rate."""
        r = self.run
        chunk = max(epochs, 1) if r.schedule == "constant" else train.LR_TABLE_LEN
        state, done = self.state, 0
        while True:
            n = min(chunk, epochs - done)
            out = parallel.train_packed(state, r.arch, self._lr_table(self.epoch + done, n),
                                        r.hyper, r.data, r.shuffle_key, self.epoch + done,
                                        n, block=block)
            if out is None:
                return None
            state = out[0]
            done += n
            if done >= epochs:
                return out

    def _record(self):
        self._metrics = m = to_host(self._metrics)
        self.history["epoch"].append(self.epoch)
        for k in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
            self.history[k].append(np.asarray(getattr(m, k)))
        _thin(list(self.history.values()), HISTORY_MAX)

    def metrics(self) -> dict:
        """The latest numbers of every copy: {"epoch", "values", "train_loss" (copies,),
        "test_loss", "train_accuracy", "test_accuracy", "diverged" (copies,) bool}."""
        if self._metrics is None:
            self.train(0)
        m = self._metrics
        return {"epoch": self.epoch, "values": self.values(),
                "train_loss": np.asarray(m.train_loss), "test_loss": np.asarray(m.test_loss),
                "train_accuracy": np.asarray(m.train_accuracy),
                "test_accuracy": np.asarray(m.test_accuracy),
                "diverged": self.diverged()}

    def diverged(self) -> np.ndarray:
        """(copies,) bool, by the run's rule: weights that blew up (the copy stopped), or
        a training loss above its start and above 1.5× that of a network that outputs 0."""
        m = self._metrics
        loss = np.asarray(m.train_loss)
        start = self.history["train_loss"][0]
        blown = ~np.isfinite(loss) | ((loss > 1.5 * self.run.baseline_loss) & (loss > start))
        return ~np.asarray(m.alive) | blown

    def curves(self) -> dict:
        """Loss curves of every copy: {"epoch": (T,), "train_loss": (T, copies), ...}
        (one point per training call; at most HISTORY_MAX, older ones thinned out)."""
        return {k: np.asarray(v) for k, v in self.history.items()}

    def grids(self) -> np.ndarray:
        """(copies, GRID_RES, GRID_RES) each copy's outputs over the plot, row 0 at the
        bottom."""
        if self._metrics is None:
            self.train(0)
        res = parallel.GRID_RES
        return np.asarray(self._metrics.grid).reshape(self.copies, res, res)

    def copy_params(self, k: int) -> dict:
        """The exact-shape weights of copy k ({"W": [...], "b": [...]})."""
        return jax.device_get(parallel.unpack(self.state.params, self.run.arch, k))

