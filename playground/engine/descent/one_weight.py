"""One weight: the course's worked example of gradient descent.

Five (weight, price) observations of a commodity, the model y = W·x (no bias: the price
of nothing is nothing), the loss L(W) = mean((W·x − y)²). Each step of gradient descent,
W ← W − lr·L′(W), with its arithmetic (``one_weight_step``); the least-squares answer and
the largest stable rate. numpy only, float64.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

# The worked example: weight of a commodity (kg) and its price; roughly price = 2·weight.
PRICE_X = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
PRICE_Y = np.array([2.2, 3.9, 6.3, 7.8, 10.2])


def one_weight_loss(w, x=PRICE_X, y=PRICE_Y):
    """L(W) = mean((W·x − y)²) for every W in w (any shape) -> the same shape, float64."""
    w = np.asarray(w, np.float64)
    return np.mean((w[..., None] * x - y) ** 2, axis=-1)


def one_weight_gradient(w, x=PRICE_X, y=PRICE_Y):
    """L′(W) = 2·mean(x·(W·x − y)) for every W in w (any shape) -> the same shape, float64;
    x, y: (n,) the examples."""
    w = np.asarray(w, np.float64)
    return 2.0 * np.mean(x * (w[..., None] * x - y), axis=-1)


def least_squares_weight(x=PRICE_X, y=PRICE_Y) -> float:
    """W* = Σxy / Σx², where L′(W*) = 0: the bottom of the error curve. x, y: (n,)."""
    return float(np.sum(x * y) / np.sum(x * x))


def one_weight_curvature(x=PRICE_X) -> float:
    """L″ = 2·Σx²/n: the error curve is a parabola, the same curvature everywhere. x: (n,)."""
    return float(2.0 * np.sum(np.square(x)) / len(x))


def max_stable_learning_rate(x=PRICE_X) -> float:
    """2 / L″ = n / Σx²: the largest learning rate with which gradient descent converges.
    x: (n,) the inputs.

    L is a parabola, so L′(W) = L″·(W − W*) exactly, and one step maps the distance to
    the minimum as W_new − W* = (1 − lr·L″)·(W − W*). It shrinks when |1 − lr·L″| < 1,
    i.e. 0 < lr < 2/L″; below 1/L″ W creeps towards W* from one side, between 1/L″ and
    2/L″ it overshoots to the other side each step but still converges, and beyond 2/L″
    each overshoot is larger than the last: the steps diverge. (Price data: L″ = 22,
    2/L″ ≈ 0.091.)"""
    return 2.0 / one_weight_curvature(x)


class OneWeightStep(NamedTuple):
    """The arithmetic of one gradient step: new_w = w − learning_rate · gradient."""
    w: float
    loss: float
    gradient: float
    learning_rate: float
    change: float          # − learning_rate · gradient
    new_w: float
    new_loss: float


def one_weight_step(w: float, learning_rate: float, x=PRICE_X, y=PRICE_Y) -> OneWeightStep:
    """One step of gradient descent from w, with every number the step uses."""
    g = float(one_weight_gradient(w, x, y))
    change = -learning_rate * g
    new_w = float(w) + change
    return OneWeightStep(float(w), float(one_weight_loss(w, x, y)), g, float(learning_rate),
                         change, new_w, float(one_weight_loss(new_w, x, y)))


def one_weight_path(w0: float, learning_rate: float, steps: int, x=PRICE_X, y=PRICE_Y):
    """W after 0, 1, ..., steps steps of gradient descent: (steps + 1,) float64."""
    ws = [float(w0)]
    for _ in range(steps):
        ws.append(one_weight_step(ws[-1], learning_rate, x, y).new_w)
    return np.array(ws)


def tangent_segment(w: float, half_width: float, x=PRICE_X, y=PRICE_Y):
    """The tangent to the error curve at w, from w − half_width to w + half_width:
    (ws (2,), losses (2,)) — its slope is the gradient."""
    g = float(one_weight_gradient(w, x, y))
    loss = float(one_weight_loss(w, x, y))
    ws = np.array([w - half_width, w + half_width])
    return ws, loss + g * (ws - w)
