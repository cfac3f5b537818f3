"""The gradient-descent lab's states (no Panel): what the views show and the buttons do.

    demo = OneWeightDemo()                  # the price example, one weight
    demo.apply_preset("too_high"); demo.step(3); demo.last_step.new_w
    race = TwoWeightRace(surface="valley")  # five optimizers from one start
    race.step(50); race.positions()
    land = run_landscape(run)               # the real network's loss around its weights
    found = run_lr_finder(run)              # the LR finder, 5 seeds
"""
from __future__ import annotations

import jax
import numpy as np
import param

from ..engine import descent, lanes
from ..engine import lr as lr_engine

# ========================================================================= one weight
W_RANGE = (-1.0, 5.0)          # the error-vs-W plot's W axis
DIVERGED_DISTANCE = 1e6        # |W − W*| beyond this: stop stepping
ONE_WEIGHT_PRESETS = {
    # name: (start_w, learning_rate, what it shows)
    "good": (0.5, 0.03, "A good learning rate: W reaches W* in a few steps."),
    "too_low": (0.5, 0.002, "Too low: each step is safe but tiny, and W crawls towards W*."),
    "overshoot": (0.5, 0.08, "High: W jumps past W* to the other side every step, but each "
                             "jump is shorter than the last, so it still converges."),
    "too_high": (0.5, 0.1, "Too high (above 2/L″ ≈ 0.091): every jump overshoots further "
                           "than the last; the error grows and W diverges."),
}


class OneWeightDemo(param.Parameterized):
    """Gradient descent on the price example: y = W·x, L(W) = mean((W·x − y)²)."""

    start_w = param.Number(default=0.5, bounds=W_RANGE, doc="The weight W starts here.")
    learning_rate = param.Number(default=0.03, bounds=(0.0, 0.2), inclusive_bounds=(False, True),
                                 doc="Step size: W ← W − learning rate · L′(W).")
    w = param.Number(default=0.5, constant=True, doc="The current weight.")
    status = param.Selector(default="ready", objects=["ready", "stepping", "converged",
                                                      "diverged"], constant=True)

    def __init__(self, **params):
        super().__init__(**params)
        self.reset()
        self.param.watch(lambda e: self.reset(), ["start_w"])

    # ------------------------------------------------------------------ facts
    @property
    def best_w(self) -> float:
        """W* = Σxy / Σx²."""
        return descent.least_squares_weight()

    @property
    def max_stable_lr(self) -> float:
        """2 / L″: gradient descent diverges above this learning rate."""
        return descent.max_stable_learning_rate()

    @staticmethod
    def data():
        """The five observations: (weights x, prices y)."""
        return descent.PRICE_X.copy(), descent.PRICE_Y.copy()

    @staticmethod
    def curve(res: int = 200):
        """The error curve for the plot: (ws (res,), losses (res,))."""
        ws = np.linspace(*W_RANGE, res)
        return ws, descent.one_weight_loss(ws)

    def tangent(self, half_width: float = 0.6):
        """The tangent at the current W: (ws (2,), losses (2,))."""
        return descent.tangent_segment(self.w, half_width)

    # ----------------------------------------------------------------- actions
    def reset(self):
        """Back to start_w, no steps."""
        self.history = [float(self.start_w)]
        self.losses = [float(descent.one_weight_loss(self.start_w))]
        self.last_step: descent.OneWeightStep | None = None
        self._set(w=float(self.start_w), status="ready")

    def apply_preset(self, name: str):
        """One of ONE_WEIGHT_PRESETS: its start and learning rate, from the start."""
        if name not in ONE_WEIGHT_PRESETS:
            raise ValueError(f"preset: one of {', '.join(ONE_WEIGHT_PRESETS)}, got {name!r}")
        start, rate, _ = ONE_WEIGHT_PRESETS[name]
        self.param.update(start_w=start, learning_rate=rate)
        self.reset()

    def step(self, n: int = 1) -> descent.OneWeightStep | None:
        """n steps of gradient descent (none once diverged); returns the last step taken
        (its arithmetic for the readout), None before the first."""
        for _ in range(int(n)):
            if self.status == "diverged":
                break
            s = descent.one_weight_step(self.w, self.learning_rate)
            self.last_step = s
            self.history.append(s.new_w)
            self.losses.append(s.new_loss)
            far = abs(s.new_w - self.best_w)
            status = ("diverged" if not np.isfinite(far) or far > DIVERGED_DISTANCE else
                      "converged" if far < 1e-6 else "stepping")
            self._set(w=s.new_w, status=status)
        return self.last_step

    def _set(self, **values):
        with param.edit_constant(self):
            self.param.update(**values)


# ======================================================================== two weights
class TwoWeightRace(param.Parameterized):
    """SGD, momentum, Nesterov, RMSProp and Adam from one start over a two-weight surface.

    The whole race (descent.PATH_STEPS steps of each) is computed when a setting
    changes (one compiled call, a few ms); ``step(n)`` reveals n more steps."""

    surface = param.Selector(default="valley", objects=list(descent.SURFACE_NAMES), doc=(
        "The loss surface: linear or logistic regression on a small data set, an "
        "ill-conditioned valley, or a saddle point."))
    start = param.NumericTuple(default=descent.SURFACES["valley"].start, length=2,
                               doc="Where every optimizer starts (θ₀, θ₁).")
    learning_rate = param.Number(default=descent.SURFACES["valley"].learning_rate,
                                 bounds=(1e-4, 10.0), doc="The step size of every optimizer.")
    beta = param.Number(default=0.9, bounds=(0.0, 0.999), doc=(
        "Momentum β: how much of the last step momentum and Nesterov keep (and Adam's "
        "first-moment decay)."))
    steps = param.Integer(default=0, bounds=(0, descent.PATH_STEPS), constant=True,
                          doc="Steps taken so far.")

    def __init__(self, **params):
        surface = params.get("surface", self.param.surface.default)
        s = descent.SURFACES[surface] if surface in descent.SURFACES else None
        if s is not None:       # the surface's own start and rate unless given
            params.setdefault("start", s.start)
            params.setdefault("learning_rate", s.learning_rate)
        super().__init__(**params)
        self._compute()
        self.param.watch(self._on_surface, ["surface"])
        self.param.watch(lambda e: self._compute(), ["start", "learning_rate", "beta"])

    def _on_surface(self, event):
        s = descent.SURFACES[self.surface]
        with param.parameterized.discard_events(self):
            self.param.update(start=s.start, learning_rate=s.learning_rate)
        self._compute()

    def _compute(self):
        self.race = descent.optimizer_paths(self.surface, self.start, self.learning_rate,
                                            self.beta)
        self._set_steps(0)

    def _set_steps(self, n):
        with param.edit_constant(self):
            self.steps = int(min(max(n, 0), descent.PATH_STEPS))

    @property
    def info(self) -> descent.Surface:
        return descent.SURFACES[self.surface]

    def grid(self, res: int = 81):
        """The surface for the contour plot: (t0 (res,), t1 (res,), Z (res, res))."""
        return descent.surface_grid(self.surface, res)

    def step(self, n: int = 1):
        """Reveal n more steps of every path."""
        self._set_steps(self.steps + int(n))

    def reset(self):
        """Back to the start (the same paths)."""
        self._set_steps(0)

    def paths(self) -> dict:
        """Each optimizer's path so far: name -> (steps + 1, 2), cut where it diverged."""
        out = {}
        for k, name in enumerate(descent.PATH_OPTIMIZERS):
            end = self.steps
            if self.race.diverged_at[k] >= 0:
                end = min(end, int(self.race.diverged_at[k]) - 1)
            out[name] = self.race.paths[k, :end + 1]
        return out

    def positions(self) -> dict:
        """name -> (θ₀, θ₁, loss) after the steps so far."""
        return {name: (*p[-1], float(self.race.losses[k, len(p) - 1]))
                for k, (name, p) in enumerate(self.paths().items())}

    def diverged(self) -> dict:
        """name -> True if that optimizer's path has left the plane by now."""
        return {name: 0 <= self.race.diverged_at[k] <= self.steps
                for k, name in enumerate(descent.PATH_OPTIMIZERS)}


# ======================================================================= the real net
LANDSCAPE_STREAM = 0x1A4D     # fold_in tag of the random directions' key


def run_landscape(run, directions: str = "pca", seed: int = 0, span=None) -> descent.Landscape:
    """The loss landscape of a ``Run`` around its current weights (descent.loss_landscape):
    directions "pca" (the plane of its trajectory so far) or "random" (filter-normalised,
    drawn from ``seed``)."""
    key = jax.random.fold_in(jax.random.PRNGKey(seed), LANDSCAPE_STREAM)
    params, arch_arrays, data, key = lanes.on_heavy_device(   # off the light pages' device
        (run.state.params, run.arch_arrays, run.data, key))
    return descent.loss_landscape(params, arch_arrays, data, run.trajectory_array(),
                                  directions, key, span)


def run_lr_finder(run, seeds: int = lr_engine.LR_FIND_SEEDS) -> lr_engine.LRFinderResult:
    """The LR finder from a copy of the run's current weights, with the run's optimizer,
    batch size, regularisation and dropout, ``seeds`` minibatch orders at once. The run
    itself does not change."""
    args = lanes.on_heavy_device(                 # off the light pages' device
        (run.state.params, run.arch_arrays, run.hyper, run.data, run.shuffle_key))
    return lr_engine.lr_finder(*args, seeds)
