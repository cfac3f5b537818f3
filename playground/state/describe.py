"""What the playground's plots show, as facts a page can put into words (no Panel).

A screen reader cannot see the heatmap, the loss curve or the network diagram. These
functions read the numbers the run already has (its metrics, its status, its decision grid,
its weights) and return them as plain values; ``playground.ui.describe`` and
``playground.ui.diagram_table`` turn them into sentences and tables.

    facts = plot_facts(run)          # epoch, losses, accuracies, the boundary's regions
    tables = weight_tables(run)      # one table per layer: names, weights (in, out), biases
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import network
from .run import Run

# areas are 4-connected: two cells that meet only at a corner are two areas, as a person
# sees the quarters of XOR (scipy's generate_binary_structure(2, 1))
_LINKS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)


class Boundary(NamedTuple):
    """The decision grid split by the sign of the output (blue: > 0, orange: ≤ 0)."""
    blue_share: float          # fraction of the plane predicted blue (+1), 0..1
    blue_regions: int          # connected blue areas
    orange_regions: int        # connected orange areas
    blue_enclosed: int         # blue areas that touch no edge of the plot (islands)
    orange_enclosed: int       # orange areas that touch no edge of the plot


class ClassArea(NamedTuple):
    """Where the network predicts one class of K (K-class data)."""
    share: float               # fraction of the plane, 0..1
    regions: int               # connected areas
    enclosed: int              # of them, areas that touch no edge of the plot


class Facts(NamedTuple):
    """What the playground's output shows now. Losses and accuracies are NaN where the run
    has none (no test points; accuracy of a regression)."""
    epoch: int
    dataset: str                # the run's data set key ("circle", …, "own")
    classification: bool
    classes: int                # 2 for two classes (±1), K for K classes, 0 for regression
    one_d: bool
    status: str                 # ready, trained, stopped or diverged
    train_loss: float
    test_loss: float
    train_accuracy: float       # fraction 0..1
    test_accuracy: float
    n_train: int
    n_test: int
    boundary: Boundary | None   # two classes on the plane, with a finite grid
    class_areas: tuple[ClassArea, ...] | None   # K classes: one per class 0..K−1
    output_range: tuple[float, float] | None   # min, max of the output over the plane/line
    zero_crossings: int | None  # 1-D data: how often the fitted curve crosses y = 0


class WeightTable(NamedTuple):
    """One layer of the network: the weights into each of its neurons."""
    layer: int                  # 0 .. len(hidden)-1 for hidden layers, len(hidden): output
    output: bool                # True for the output unit
    activation: str             # the layer's activation ("tanh", …; "" for the output)
    inputs: list[str]           # the previous column's nodes by name ("X₁", "neuron 1 of
                                # layer 1")
    units: list[str]            # this layer's neurons ("neuron 1", …; "the output", or
                                # "the output of class 0", … for K classes)
    weights: np.ndarray         # (len(inputs), n_neurons) float
    biases: np.ndarray          # (n_neurons,) float


def boundary(grid: np.ndarray) -> Boundary | None:
    """The regions of a decision grid (R, C) float (row 0 at the bottom), or None for a grid
    that is empty, not 2-D or not finite (a diverged run)."""
    g = np.asarray(grid, dtype=float)
    if g.ndim != 2 or g.size == 0 or not np.isfinite(g).all():
        return None
    blue = g > 0
    (n_blue, blue_in), (n_orange, orange_in) = _count(blue), _count(~blue)
    return Boundary(blue_share=float(blue.mean()), blue_regions=n_blue,
                    orange_regions=n_orange, blue_enclosed=blue_in, orange_enclosed=orange_in)


def _count(mask: np.ndarray) -> tuple[int, int]:
    """(number of connected areas of mask, how many of them touch no edge)."""
    from scipy import ndimage        # here: importing it costs a starting server 0.2 s
    labels, n = ndimage.label(mask, structure=_LINKS)
    if n == 0:
        return 0, 0
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    touching = int(np.count_nonzero(edge))          # label 0 is the background
    return int(n), int(n - touching)


def class_areas(classes: np.ndarray, k: int) -> tuple[ClassArea, ...]:
    """Where each class 0..k−1 is predicted on a grid of class numbers (R, C) int."""
    c = np.asarray(classes)
    return tuple(ClassArea(float((c == i).mean()), *_count(c == i))
                 for i in range(k))


def zero_crossings(y: np.ndarray) -> int:
    """How often a curve (n,) changes sign (zeros skipped)."""
    s = np.sign(np.asarray(y, dtype=float))
    s = s[s != 0]
    return int(np.count_nonzero(s[1:] != s[:-1])) if s.size else 0


def plot_facts(run: Run) -> Facts:
    """The facts behind the playground's output plot and loss readout, from the run's
    public state (metrics, status, decision grid)."""
    m = run.metrics()
    nan = math.nan
    grid = np.asarray(run.decision_grid(), dtype=float)
    finite = grid.size > 0 and bool(np.isfinite(grid).all())
    bound = areas = out_range = crossings = None
    k = int(run.classes) if run.classification else 0
    if run.one_d:
        if finite and grid.ndim == 2:
            _, y = run.curve()
            y = np.asarray(y, dtype=float)
            out_range = (float(y.min()), float(y.max()))
            crossings = zero_crossings(y)
    elif run.multiclass:
        if finite:
            areas = class_areas(run.decision_classes()[0], k)
    elif finite:
        out_range = (float(grid.min()), float(grid.max()))
        if run.classification:
            bound = boundary(grid)
    return Facts(epoch=int(m["epoch"]), dataset=str(run.dataset),
                 classification=bool(run.classification), classes=k,
                 one_d=bool(run.one_d),
                 status=str(run.status), train_loss=float(m["train_loss"]),
                 test_loss=float(m["test_loss"]),
                 train_accuracy=float(m.get("train_accuracy", nan)),
                 test_accuracy=float(m.get("test_accuracy", nan)),
                 n_train=int(len(run.y_train)), n_test=int(len(run.y_test)),
                 boundary=bound, class_areas=areas, output_range=out_range,
                 zero_crossings=crossings)


def weight_tables(run: Run) -> list[WeightTable]:
    """The network as tables, first hidden layer first, the output last: for each layer,
    the names of its inputs and the weights (in, out) and biases (out,) as numpy floats."""
    arch = run.arch
    p = network.layer_weights(run)
    acts = run.layer_activations()
    n_hidden = len(arch.hidden)
    tables = []
    for layer, (W, b) in enumerate(zip(p["W"], p["b"])):
        W = np.asarray(W, dtype=float).reshape(-1, np.size(b))
        prev = network.INPUT if layer == 0 else layer - 1
        out = layer == n_hidden
        tables.append(WeightTable(
            layer=layer, output=out, activation="" if out else str(acts[layer]),
            inputs=[network.node_name(arch, prev, i) for i in range(W.shape[0])],
            units=[network.node_name(arch, layer, j) if out else f"neuron {j + 1}"
                   for j in range(W.shape[1])],
            weights=W, biases=np.asarray(b, dtype=float).reshape(-1)))
    return tables
