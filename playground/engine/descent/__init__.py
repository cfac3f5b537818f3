"""Gradient descent made visible, one module per lesson: one weight (``one_weight``), two
weights (``surfaces`` and the optimizer ``race``), and the real network (``landscape``).

* **One weight** — the course's worked example: five (weight, price) observations of a
  commodity, the model y = W·x (no bias: the price of nothing is nothing), the loss
  L(W) = mean((W·x − y)²). Each step of gradient descent, W ← W − lr·L′(W), with its
  arithmetic (``one_weight_step``); the least-squares answer and the largest stable rate.
* **Two weights** — a few small loss surfaces (linear regression (w, b), logistic
  regression (w₁, w₂), an ill-conditioned valley, a saddle): the loss on a grid for a
  contour plot and the paths of SGD, momentum, Nesterov, RMSProp and Adam (optax) from
  the same start, full batch.
* **The real network** — the playground's network's loss on the plane through its current
  weights spanned by two directions: the first two principal components of its weight
  trajectory, or two random filter-normalised directions (Li et al., 2018, "Visualizing
  the Loss Landscape of Neural Nets"), with the trajectory projected onto that plane.

Pure numpy/JAX; every jitted function lives at module level and takes its settings as
arrays, so one compiled program serves every session and every setting.
"""
from __future__ import annotations

from .landscape import (LANDSCAPE_RES, LANDSCAPE_MARGIN, RANDOM_SPAN, N_PARAMS,
    flatten_params, unflatten_params, filter_normalized_direction, landscape_grid,
    Landscape, trajectory_pca, plane_coordinates, explained_variance, landscape_axis,
    loss_landscape)
from .one_weight import (PRICE_X, PRICE_Y, one_weight_loss, one_weight_gradient,
    least_squares_weight, one_weight_curvature, max_stable_learning_rate, OneWeightStep,
    one_weight_step, one_weight_path, tangent_segment)
from .race import (PATH_OPTIMIZERS, PATH_STEPS, PATH_LIMIT, RMSPROP_DECAY, path_optimizer,
    Race, optimizer_paths)
from .surfaces import (SURFACES, Surface, LINE_X, LINE_Y, LOGIT_X, LOGIT_Y, VALLEY_CONDITION,
    VALLEY_ANGLE, VALLEY_CENTER, VALLEY_MATRIX, SURFACE_NAMES, surface_index,
    surface_loss, surface_grid)

__all__ = ['LANDSCAPE_RES', 'LANDSCAPE_MARGIN', 'RANDOM_SPAN', 'N_PARAMS',
    'flatten_params', 'unflatten_params', 'filter_normalized_direction', 'landscape_grid',
    'Landscape', 'trajectory_pca', 'plane_coordinates', 'explained_variance',
    'landscape_axis', 'loss_landscape', 'PRICE_X', 'PRICE_Y', 'one_weight_loss',
    'one_weight_gradient', 'least_squares_weight', 'one_weight_curvature',
    'max_stable_learning_rate', 'OneWeightStep', 'one_weight_step', 'one_weight_path',
    'tangent_segment', 'PATH_OPTIMIZERS', 'PATH_STEPS', 'PATH_LIMIT', 'RMSPROP_DECAY',
    'path_optimizer', 'Race', 'optimizer_paths', 'SURFACES', 'Surface', 'LINE_X', 'LINE_Y', 'LOGIT_X',
    'LOGIT_Y', 'VALLEY_CONDITION', 'VALLEY_ANGLE', 'VALLEY_CENTER', 'VALLEY_MATRIX',
    'SURFACE_NAMES', 'surface_index', 'surface_loss', 'surface_grid']
