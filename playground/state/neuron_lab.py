"""The neuron lab's state: one small param model per demonstration (no Panel import).

Each model holds what the student set and the history of what happened; the numbers come
from ``playground.engine.neuron_lab``. The Viewers in ``playground.ui.neuron_lab`` only draw
these models.
"""
from __future__ import annotations

import numpy as np
import param

from ..engine import neuron_lab as nl

WEIGHT_BOUNDS = (-10.0, 10.0)


def _weight(value, doc):
    return param.Number(value, bounds=WEIGHT_BOUNDS, doc=doc)


class Perceptron(param.Parameterized):
    """Three binary inputs, three weights and a threshold; fires when Σ wᵢxᵢ > threshold."""

    x1 = param.Boolean(False, doc="First input (0 or 1).")
    x2 = param.Boolean(True, doc="Second input (0 or 1).")
    x3 = param.Boolean(True, doc="Third input (0 or 1).")
    w1 = _weight(0.7, "Weight of the first input: how much it counts.")
    w2 = _weight(0.4, "Weight of the second input.")
    w3 = _weight(0.2, "Weight of the third input.")
    threshold = _weight(0.8, "The neuron fires (outputs 1) only when the weighted sum "
                             "exceeds this. A high threshold makes it hard to fire.")

    @property
    def inputs(self):
        return [int(self.x1), int(self.x2), int(self.x3)]

    @property
    def weights(self):
        return [self.w1, self.w2, self.w3]

    def result(self):
        """(weighted sum, output 0/1) for the current inputs."""
        return nl.perceptron(self.inputs, self.weights, self.threshold)

    def table(self):
        """Every input combination: [(inputs, sum, output)] in counting order."""
        return nl.truth_table(self.weights, self.threshold)


class Gallery(param.Parameterized):
    """One activation function, its derivative, and a probe point z."""

    activation = param.Selector(default="sigmoid", objects=list(nl.GALLERY),
                                doc="The function a neuron applies to its weighted sum.")
    z = param.Number(1.0, bounds=(-6.0, 6.0), doc="The weighted sum fed into the function.")

    Z_GRID = np.linspace(-6, 6, 241)

    def curves(self):
        """z grid and the function, its formula's derivative, jax.grad's derivative and the
        saturated points (slope below 0.01), all on ``Z_GRID``."""
        _, _, f, df = nl.GALLERY[self.activation]
        z = self.Z_GRID
        return {"z": z, "f": f(z), "df": df(z), "grad": nl.autodiff_derivative(self.activation, z),
                "saturated": nl.saturation(self.activation, z)}

    def probe(self):
        """(value, slope by formula, slope by jax.grad) at the probe point."""
        _, _, f, df = nl.GALLERY[self.activation]
        z = np.array([self.z])
        return float(f(z)[0]), float(df(z)[0]), float(nl.autodiff_derivative(self.activation, z)[0])

    def info(self):
        formula, out_range, _, _ = nl.GALLERY[self.activation]
        return formula, out_range


class DeltaRule(param.Parameterized):
    """A sigmoid neuron with two inputs learning one example by the delta rule."""

    x1 = param.Number(1.0, bounds=(-5, 5), doc="First input of the training example.")
    x2 = param.Number(0.5, bounds=(-5, 5), doc="Second input of the training example.")
    target = param.Number(1.0, bounds=(0, 1), doc="The output the neuron should give (0..1).")
    eta = param.Number(1.0, bounds=(0.01, 10), doc="Learning rate η: the size of each step.")
    w1_start = _weight(0.2, "The first weight before training.")
    w2_start = _weight(-0.4, "The second weight before training.")

    def __init__(self, **params):
        super().__init__(**params)
        self.history: list[dict] = []
        self.param.watch(lambda *e: self.reset(), ["x1", "x2", "target", "eta", "w1_start",
                                                    "w2_start"])

    @property
    def x(self):
        return np.array([self.x1, self.x2])

    @property
    def w(self):
        return self.history[-1]["w_new"] if self.history else np.array([self.w1_start,
                                                                        self.w2_start])

    def output(self):
        return float(nl.sigmoid(self.w @ self.x))

    def step(self):
        """One delta-rule step, recorded with the same step from jax.grad beside it."""
        w = self.w
        o, dw, w_new = nl.delta_rule_step(w, self.x, self.target, self.eta)
        self.history = self.history + [{"w": w, "o": float(o), "dw": dw, "w_new": w_new,
                                        "w_autodiff": nl.autodiff_step(w, self.x, self.target,
                                                                       self.eta),
                                        "loss": 0.5 * (float(o) - self.target) ** 2}]

    def back(self):
        self.history = self.history[:-1]

    def reset(self):
        self.history = []


class Logistic(param.Parameterized):
    """Logistic regression = one sigmoid neuron with cross-entropy, on 2-D points."""

    learning_rate = param.Selector(default=0.5, objects=[0.01, 0.05, 0.1, 0.5, 1.0, 3.0],
                                   doc="Step size of each gradient step.")
    seed = param.Integer(0, bounds=(0, 10_000), doc="Which random points.")

    START = (np.array([-1.0, 0.5]), 0.0)

    def __init__(self, **params):
        super().__init__(**params)
        self.param.watch(lambda *e: self.reset(), ["seed"])
        self.reset()

    def reset(self):
        self.X, self.t = nl.logistic_data(self.seed)
        self.w, self.b = self.START[0].copy(), self.START[1]
        self.epoch = 0
        self.losses = [nl.logistic_loss(self.w, self.b, self.X, self.t)]

    def step(self, n: int = 1):
        for _ in range(n):
            self.w, self.b, *_ = nl.logistic_step(self.w, self.b, self.X, self.t,
                                                  self.learning_rate)
            self.epoch += 1
            self.losses.append(nl.logistic_loss(self.w, self.b, self.X, self.t))

    def surface(self, res: int = 60):
        return nl.logistic_surface(self.w, self.b, res)

    def accuracy(self):
        return float(np.mean((nl.sigmoid(self.X @ self.w + self.b) > 0.5) == (self.t == 1)))


# ------------------------------------------------------------------ backpropagation
PARAM_NAMES = {  # label -> (field of TinyNet, index)
    "w11": ("W1", (0, 0)), "w21": ("W1", (1, 0)), "b1": ("b1", (0,)),
    "w12": ("W1", (0, 1)), "w22": ("W1", (1, 1)), "b2": ("b1", (1,)),
    "v1": ("W2", (0,)), "v2": ("W2", (1,)), "c": ("b2", None),
}
PARAM_HELP = ("wij: input i → hidden j; bj: hidden j's bias; vj: hidden j → output; "
              "c: the output's bias")

STAGES = ("start", "h1", "h2", "o", "loss", "delta_out", "grads_out", "hidden1", "hidden2",
          "update")


class Backprop(param.Parameterized):
    """A 2 → 2 → 1 network on one example, walked through forward, backward and update."""

    x1 = param.Number(1.0, bounds=(-5, 5), doc="First input.")
    x2 = param.Number(0.5, bounds=(-5, 5), doc="Second input.")
    target = param.Number(1.0, bounds=(-1, 1), doc="The output the network should give.")
    activation = param.Selector(default="sigmoid", objects=["sigmoid", "tanh"],
                                doc="Used by every neuron, the output included.")
    learning_rate = param.Number(0.5, bounds=(0.001, 10), doc="Step size of the update.")
    w11 = _weight(2.5, "Weight from input 1 to hidden neuron 1.")
    w21 = _weight(-1.0, "Weight from input 2 to hidden neuron 1.")
    b1 = _weight(-0.5, "Bias of hidden neuron 1.")
    w12 = _weight(0.5, "Weight from input 1 to hidden neuron 2.")
    w22 = _weight(1.5, "Weight from input 2 to hidden neuron 2.")
    b2 = _weight(0.0, "Bias of hidden neuron 2.")
    v1 = _weight(1.0, "Weight from hidden neuron 1 to the output.")
    v2 = _weight(-2.0, "Weight from hidden neuron 2 to the output.")
    c = _weight(0.5, "Bias of the output neuron.")
    stage = param.Integer(0, bounds=(0, len(STAGES) - 1),
                          doc="How far the walk-through has gone.")
    nudge_param = param.Selector(default="w11", objects=list(PARAM_NAMES),
                                 doc="The weight to nudge.")
    nudge_h = param.Number(1.0, bounds=(1e-6, 2.0), doc="How far to nudge it (h).")

    def __init__(self, **params):
        super().__init__(**params)
        self.param.watch(lambda *e: setattr(self, "stage", 0),
                         ["x1", "x2", "target", "activation", "learning_rate", *PARAM_NAMES])

    @property
    def x(self):
        return np.array([self.x1, self.x2])

    def net(self) -> nl.TinyNet:
        return nl.TinyNet(np.array([[self.w11, self.w12], [self.w21, self.w22]]),
                          np.array([self.b1, self.b2]), np.array([self.v1, self.v2]),
                          float(self.c))

    def values(self) -> dict:
        """Forward values and every chain-rule factor (see ``tiny_net_backprop``)."""
        return nl.tiny_net_backprop(self.net(), self.x, self.target, self.activation)

    def gradient(self, name: str) -> float:
        """Backprop's dL/d(name)."""
        field, index = PARAM_NAMES[name]
        g = getattr(self.values()["grads"], field)
        return float(g if index is None else np.asarray(g)[index])

    def updated(self) -> nl.TinyNet:
        return nl.tiny_net_update(self.net(), self.values()["grads"], self.learning_rate)

    def loss_after(self) -> float:
        return nl.tiny_net_loss(self.updated(), self.x, self.target, self.activation)

    def forward(self):
        self.stage = min(self.stage + 1, len(STAGES) - 1)

    def backward(self):
        self.stage = max(self.stage - 1, 0)

    def apply_update(self):
        """Write the updated weights into the network (a new walk-through starts)."""
        new = self.updated()
        values = {}
        for name, (field, index) in PARAM_NAMES.items():
            v = getattr(new, field)
            values[name] = round(float(v if index is None else np.asarray(v)[index]), 6)
        self.param.update(**values)

    def nudge_row(self, name: str | None = None, h: float | None = None) -> dict:
        """Finite differences for one weight: losses at w − h, w, w + h, the slope estimate,
        backprop's and jax.grad's gradients and the estimate's relative error."""
        name = name or self.nudge_param
        h = self.nudge_h if h is None else h
        field, index = PARAM_NAMES[name]
        net = self.net()
        lo, hi, slope = nl.nudge(net, self.x, self.target, field, index, h, self.activation)
        auto = getattr(nl.tiny_net_autodiff(net, self.x, self.target, self.activation), field)
        auto = float(auto if index is None else np.asarray(auto)[index])
        back = self.gradient(name)
        value = getattr(self, name)
        return {"name": name, "value": value, "h": h, "loss": self.values()["loss"],
                "loss_minus": lo, "loss_plus": hi, "slope": slope, "backprop": back,
                "autodiff": auto,
                "rel_error": abs(slope - back) / max(abs(back), 1e-12)}

    def nudge_table(self) -> list[dict]:
        return [self.nudge_row(name) for name in PARAM_NAMES]


# --------------------------------------------------------------------- house prices
class HousePrices(param.Parameterized):
    """Synthetic house prices and a 4 → hidden → 1 network trained live (full-batch Adam)."""

    hidden = param.Integer(3, bounds=(1, 8), doc="Neurons in the hidden layer.")
    learning_rate = param.Selector(default=0.03, objects=[0.001, 0.003, 0.01, 0.03, 0.1, 0.3],
                                   doc="Adam's learning rate.")
    seed = param.Integer(0, bounds=(0, 10_000), doc="Which random houses and start weights.")

    N_HOUSES = 400

    def __init__(self, **params):
        super().__init__(**params)
        self.param.watch(lambda *e: self.reset(), ["hidden", "seed"])
        self.reset()

    def reset(self):
        self.X, self.y = nl.house_prices(self.seed, self.N_HOUSES)
        self.scale = nl.HouseScaler.fit(self.X, self.y)
        self._Xs, self._yt = self.scale.inputs(self.X), self.scale.targets(self.y)
        self._p, self._opt = nl.house_init(self.seed, self.hidden)
        self.epoch = 0
        self.rmse = [self._rmse_now()]
        A = np.c_[self.X, np.ones(len(self.X))]
        fit = np.linalg.lstsq(A, self.y, rcond=None)[0]
        self.linear_rmse = float(np.sqrt(np.mean((A @ fit - self.y) ** 2)))
        self.baseline_rmse = float(np.std(self.y))

    def _rmse_now(self):
        pred, _ = nl.house_forward(self._p, self._Xs)
        return float(np.sqrt(np.mean((np.asarray(pred) - np.asarray(self._yt)) ** 2))
                     * self.scale.y_sd)

    def train(self, epochs: int = 10):
        self._p, self._opt, rmse = nl.house_train(self._p, self._opt, self._Xs, self._yt,
                                                  self.learning_rate, epochs)
        self.epoch += epochs
        self.rmse.extend((np.asarray(rmse[1:]) * self.scale.y_sd).tolist())
        self.rmse.append(self._rmse_now())

    def predictions(self, X):
        """X: (n, 4) raw houses -> (predicted prices (n,), hidden activations (n, hidden))."""
        pred, h = nl.house_forward(self._p, self.scale.inputs(X))
        return (np.asarray(pred) * self.scale.y_sd + self.scale.y_mean,
                np.asarray(h)[:, :self.hidden])
