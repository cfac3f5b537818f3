"""Every node's output over the input plane: the pictures of the network diagram.

A *node* is a used input feature, a hidden neuron or the output unit. Two tiers,
as for training (see ``train``):

* ``neuron_grids`` (general, jitted once per number of points) takes the
  architecture as arrays, so changing layers, neurons, features or activations
  never recompiles it;
* the exact-shape program (``_neuron_grids_exact``) is compiled in the
  background, cached process-wide in ``PROGRAMS`` and takes over when ready.

``node_grids`` picks the tier and always returns the same thing: one row per
node, inputs first (in ``arch.features`` order), then the hidden neurons layer
by layer, then the output unit(s) — shape (n_nodes, G) float32. Inputs are divided by
their largest magnitude over the domain (``FEATURE_SCALE``) so that they fit in
[-1, 1]; hidden neurons are their activations; a single output is on the label scale,
the units of a softmax show 2·p−1 (p: their class's probability).
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from . import mlp
from .host import to_host
from .features import FEATURE_SCALE, THUMB_RES, grid_features
from .mlp import Arch, ArchArrays
from .programs import PROGRAMS, TRACES

def thumb_features() -> np.ndarray:
    """(THUMB_RES², 7) float32 features of grid_points(THUMB_RES) (computed once)."""
    return grid_features(THUMB_RES)


@functools.lru_cache(maxsize=None)
def device_features(res: int):
    """The features of the thumbnail grid (res=THUMB_RES) or of the plot grid, on the device:
    (res², 7) float32 (``features.grid_features``)."""
    return jax.device_put(grid_features(res))


# ------------------------------------------------------------------ general tier
def _neuron_grids_general(params, arch: ArchArrays, feats):
    TRACES["neurons_general"] += 1
    inputs = (feats / FEATURE_SCALE).T                       # (7, G)
    h0 = mlp.pad_features(feats) * arch.feature_mask

    def layer(h, xs):
        W, b, m, active, act = xs
        a = mlp.activate(act, h @ W + b) * m                 # zero for inactive layers
        return jnp.where(active, a, h), a

    h, acts = jax.lax.scan(layer, h0, (params["W_hidden"], params["b_hidden"],
                                       arch.neuron_mask, arch.layer_active, arch.activation))
    out = mlp.output_pictures(arch.output, h @ params["W_out"] + params["b_out"],
                              arch.unit_mask)
    return inputs, jnp.swapaxes(acts, 1, 2), out


neuron_grids = jax.jit(_neuron_grids_general)
neuron_grids.__doc__ = """General program: feats (G, 7) -> (inputs (7, G) scaled to [-1, 1],
hidden (MAX_LAYERS, WIDTH, G) activations, zero where inactive, outputs (K_MAX, G): see
mlp.output_pictures)."""


# -------------------------------------------------------------- exact-shape tier
def _neuron_grids_exact(arch: Arch, params, feats):
    TRACES["neurons_exact"] += 1
    return mlp.node_rows_exact(mlp.to_exact(params, arch), arch, feats, FEATURE_SCALE)


def _neuron_program(key, params, feats):
    return _neuron_grids_exact(key[0], params, feats)      # key: (arch, grid points)


PROGRAMS.register("neurons", _neuron_program)   # the process's one cache (engine.programs)


def node_rows(arch: Arch) -> np.ndarray:
    """Rows of the general program's hidden output (MAX_LAYERS·WIDTH) that are live, in order:
    (sum(arch.hidden),) int64."""
    return np.concatenate([l * mlp.WIDTH + np.arange(h) for l, h in enumerate(arch.hidden)]
                          + [np.zeros(0, int)]).astype(np.int64)


def node_grids(params, arch: Arch, arch_arrays: ArchArrays, feats, tier: str = "auto"):
    """(n_nodes, G) float32 numpy: used inputs, hidden neurons, output (see module doc).

    tier: "auto" (exact program if compiled, else general while it compiles in the
    background), "exact" (compile now if needed), "general"."""
    if tier != "general":
        prog = PROGRAMS.get("neurons", (arch, int(feats.shape[0])), (params, feats),
                            block=(tier == "exact"))
        if prog is not None:
            return np.asarray(prog(params, feats))
    inputs, hidden, out = to_host(neuron_grids(params, arch_arrays, feats))
    hidden = hidden.reshape(-1, hidden.shape[-1])[node_rows(arch)]
    return np.concatenate([inputs[list(arch.features)], hidden, out[:arch.units]])
