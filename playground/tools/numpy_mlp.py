"""A plain numpy MLP trained by minibatch SGD: the baseline the benchmark compares with.

Written the textbook way (explicit forward and backward passes, no autodiff), the way
a hand-written trainer in numpy, or TensorFlow Playground's nn.ts, would do it. Hidden
activation tanh, output tanh, loss ½·(ŷ − y)².
"""
from __future__ import annotations

import numpy as np


def init(rng: np.random.Generator, sizes: list[int]):
    """sizes = [inputs, hidden..., 1] -> list of (W (in, out), b (out,)) float32."""
    return [(rng.uniform(-0.5, 0.5, (a, b)).astype(np.float32), np.full(b, 0.1, np.float32))
            for a, b in zip(sizes[:-1], sizes[1:])]


def forward(layers, X):
    """X: (n, inputs) -> list of activations, the last (n, 1) is the output."""
    acts = [X]
    for W, b in layers:
        acts.append(np.tanh(acts[-1] @ W + b))
    return acts


def sgd_step(layers, X, y, lr):
    """One minibatch step of ½·mean((ŷ − y)²) in place. X: (b, inputs), y: (b,)."""
    acts = forward(layers, X)
    delta = (acts[-1][:, 0] - y)[:, None] / len(y) * (1 - acts[-1] ** 2)
    for i in range(len(layers) - 1, -1, -1):
        W, b = layers[i]
        gW, gb = acts[i].T @ delta, delta.sum(0)
        if i:
            delta = (delta @ W.T) * (1 - acts[i] ** 2)
        W -= lr * gW
        b -= lr * gb


def train_epoch(layers, X, y, lr, batch_size, rng):
    order = rng.permutation(len(y))
    for start in range(0, len(y), batch_size):
        idx = order[start:start + batch_size]
        sgd_step(layers, X[idx], y[idx], lr)


def loss(layers, X, y):
    return float(0.5 * np.mean((forward(layers, X)[-1][:, 0] - y) ** 2))
