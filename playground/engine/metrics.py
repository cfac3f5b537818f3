"""What a frame needs after training: losses, accuracies, every point's prediction and the
output heatmap, computed inside the training call (one hand-over per frame)."""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import mlp
from .batching import Data
from .features import grid_features

SUMMARY = ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "max_weight",
           "max_output")      # Metrics.summary, in this order
DIVERGENCE_WEIGHT = 1e3  # a weight beyond this means the run has blown up


class Metrics(NamedTuple):
    """What a frame needs after training: losses, accuracies and the output heatmap.

    The six numbers travel as one array (``summary``): each array a call returns costs the
    server's frame a few microseconds to hand over and to read."""
    summary: jnp.ndarray      # (6,) float32, in the order of SUMMARY (the properties below)
    grid: jnp.ndarray         # (GRID_RES², ) outputs on the label scale over the plot grid
    pred_train: jnp.ndarray   # (size,) outputs on the label scale for each training point
    pred_test: jnp.ndarray    # (size,) the same for the test points
    grid_codes: jnp.ndarray   # (GRID_RES², ) uint8: grid as colour codes (-1 → 0, +1 → 255;
                              # K classes: mlp.class_codes, the class and how sure)
    thumbs: object = None     # exact tier: (n_nodes, THUMB_RES²) the network diagram's pictures

    train_loss = property(lambda self: self.summary[SUMMARY.index("train_loss")])
    test_loss = property(lambda self: self.summary[SUMMARY.index("test_loss")])
    train_accuracy = property(lambda self: self.summary[SUMMARY.index("train_accuracy")])
    test_accuracy = property(lambda self: self.summary[SUMMARY.index("test_accuracy")])
    # largest |parameter| (a blow-up), largest |output| on the pictures
    max_weight = property(lambda self: self.summary[SUMMARY.index("max_weight")])
    max_output = property(lambda self: self.summary[SUMMARY.index("max_output")])


def masked_mean(values, mask):
    """The mean of ``values`` over the entries where ``mask`` is 1 (same shapes; 0 where
    the mask is empty): () float32."""
    return jnp.sum(values * mask) / jnp.maximum(jnp.sum(mask), 1.0)


def measure(predict_z, kind, data: Data, params, n_train=None, n_test=None,
            unit_mask=None) -> Metrics:
    """Data loss (no penalty), accuracy and every point's prediction, train and test sets.

    predict_z: features (n, N_FEATURES) → the output units' pre-activations (n, units);
    kind: index into mlp.OUTPUTS (an int: exact tier, or traced: general tier);
    unit_mask: (K_MAX,) the live units (general tier) or None (all of them);
    params: the pytree whose largest entry is ``max_weight``.
    n_train/n_test: static sizes (exact tier) or None (read from data, general tier).
    Accuracy: the sign of the output against the label (two classes), the most likely
    class against the class index (K classes)."""
    def correct(out, y):
        two = ((out >= 0) == (y > 0)).astype(jnp.float32)
        if isinstance(kind, int) and kind != mlp.SOFTMAX:
            return two
        many = (out == y).astype(jnp.float32)
        return many if isinstance(kind, int) else jnp.where(kind == mlp.SOFTMAX, many, two)

    def one(x, y, n):
        live = (jnp.arange(x.shape[0]) < n).astype(jnp.float32)
        z = predict_z(x)
        out = mlp.logits_display(kind, z, unit_mask)
        loss = masked_mean(mlp.logits_loss(kind, z, y, unit_mask), live)
        return loss, masked_mean(correct(out, y), live), out
    train_loss, train_accuracy, pred_train = one(
        data.x_train, data.y_train, data.n_train if n_train is None else n_train)
    test_loss, test_accuracy, pred_test = one(
        data.x_test, data.y_test, data.n_test if n_test is None else n_test)
    max_weight = jnp.max(jnp.stack([jnp.max(jnp.abs(leaf)) for leaf in jax.tree.leaves(params)]))
    zg = predict_z(jnp.asarray(grid_features()))
    grid = mlp.logits_display(kind, zg, unit_mask)
    if isinstance(kind, int):
        codes = mlp.class_codes(zg, unit_mask) if kind == mlp.SOFTMAX else colour_codes(grid)
        largest = jnp.float32(1.0) if kind == mlp.SOFTMAX else jnp.max(jnp.abs(grid))
    else:
        codes = jnp.where(kind == mlp.SOFTMAX, mlp.class_codes(zg, unit_mask),
                          colour_codes(grid))
        largest = jnp.where(kind == mlp.SOFTMAX, 1.0, jnp.max(jnp.abs(grid)))
    values = dict(train_loss=train_loss, test_loss=test_loss, train_accuracy=train_accuracy,
                  test_accuracy=test_accuracy, max_weight=max_weight, max_output=largest)
    summary = jnp.stack([values[k] for k in SUMMARY]).astype(jnp.float32)
    return Metrics(summary, grid, pred_train, pred_test, codes)


def colour_codes(values):
    """Values on the label scale as uint8 colour codes, the shape of ``values``: -1 (and
    below) is 0, +1 (and above) is 255; one step of a 256-colour palette each. A picture
    sent this way is a quarter of its float32 bytes (the output heatmap: 10 kB a frame
    instead of 40 kB, for every student of a class). numpy in, numpy out (a neuron's
    picture); inside a compiled call, the training call's own heatmap."""
    xp = np if isinstance(values, (np.ndarray, np.generic)) else jnp
    return xp.round((xp.clip(values, -1.0, 1.0) + 1.0) * 127.5).astype(xp.uint8)
