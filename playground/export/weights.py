"""A run's weights as an .npz file: write them, read a file back (validated), and put a
file's weights into a run.

    data = weights_npz(run)               # W0, b0, W1, b1, ... (output layer last) + facts
    load_weights_npz(data, run2)          # the same weights in a run of the same network
    run3 = run_from_npz(data)             # a new run from the file's set-up and weights

A file from outside is refused with a ``ValueError`` whose message names the array and
never echoes hostile text.
"""
from __future__ import annotations

import io
import re
import zipfile

import jax
import jax.numpy as jnp
import numpy as np

from ..engine import features, mlp
from ..state.run import Run
from .settings import (MAX_EPOCH, MAX_JSON_BYTES, apply_settings, parse, run_from_json,
                       settings_to_json, show)

MAX_NPZ_BYTES = 1_000_000
_NAME_MAX = 16
_MAX_NPZ_MEMBERS = 64


def exact_params(params, arch) -> tuple[list, list]:
    """Padded params -> the exact-shape weights as float32 numpy arrays: ([W (inputs,
    outputs) per layer], [b (outputs,) per layer]), the output layer last."""
    exact = jax.device_get(mlp.to_exact(params, arch))
    return ([np.asarray(w, np.float32) for w in exact["W"]],
            [np.asarray(b, np.float32) for b in exact["b"]])


def feature_names(arch) -> list[str]:
    """Input feature names in the order of the rows of W0."""
    return [features.FEATURES[i] for i in arch.features]


def weights_npz(run: Run) -> bytes:
    """The run's weights as an .npz file (open with ``numpy.load``).

    W0, b0, W1, b1, ..., W{L}, b{L}: exact shapes, W_l (inputs, outputs), output layer
    last (W{L}: (last hidden, 1), or (last hidden, K) for K classes); the network computes
    ``h = act(h @ W_l + b_l)`` per hidden layer and ``z = h @ W{L} + b{L}`` (K classes:
    softmax(z) are the class probabilities).
    features: the input names in the order of W0's rows; hidden: neurons per layer;
    activation: the run's activation setting; activations: each hidden layer's activation
    (what the network uses); output: the output unit
    (linear_mse, tanh_mse, sigmoid_bce or softmax_ce); settings_json: the set-up (settings_to_json);
    epoch: the epoch reached.
    """
    Ws, bs = exact_params(run.state.params, run.arch)
    arrays = {}
    for l, (W, b) in enumerate(zip(Ws, bs)):
        arrays[f"W{l}"], arrays[f"b{l}"] = W, b
    arrays.update(
        features=np.array(feature_names(run.arch)),
        hidden=np.array(list(run.hidden), np.int32),
        activation=np.array(run.activation),
        activations=np.array(list(run.arch.activations), dtype=f"<U{_NAME_MAX}"),
        output=np.array(mlp.OUTPUTS[run.arch.output]),
        settings_json=np.array(settings_to_json(run)),
        epoch=np.array(int(run.epoch), np.int64),
    )
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


class _BadFile(ValueError):
    """A weights file refused with a message of our own (safe to show)."""


def _text_array(z, key) -> str:
    a = z[key]
    if a.shape != () or a.dtype.kind != "U" or len(str(a)) > MAX_JSON_BYTES:
        raise _BadFile(f"{key}: expected a text")
    return str(a)


def read_weights_npz(data: bytes) -> dict:
    """Validate an .npz from ``weights_npz``; returns {"W": [...], "b": [...], "features",
    "hidden", "activations" (one per hidden layer), "output" (or None), "units" (output
    units: 1, or K for a softmax over K classes), "settings_json" (or None), "epoch"}."""
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise _BadFile("file: expected the bytes of an .npz file")
    if len(data) > MAX_NPZ_BYTES:
        raise _BadFile(f"file: too large ({len(data):,} bytes; at most {MAX_NPZ_BYTES:,})")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > _MAX_NPZ_MEMBERS or \
                    any(i.file_size > MAX_NPZ_BYTES for i in infos) or \
                    sum(i.file_size for i in infos) > 4 * MAX_NPZ_BYTES:
                raise _BadFile("file: too many or too large arrays for a playground network")
        z = np.load(io.BytesIO(data), allow_pickle=False)
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise _BadFile("file: not an .npz archive")
        with z:
            keys = set(z.files)
            if "features" not in keys or "W0" not in keys:
                raise _BadFile("file: not a playground weights file (no W0 or features)")
            names = z["features"]
            if names.ndim != 1 or names.dtype.kind != "U" or not 1 <= len(names) <= \
                    len(features.FEATURES) or any(n not in features.FEATURES for n in names) \
                    or len(set(names.tolist())) != len(names):
                raise _BadFile(f"features: expected 1 to {len(features.FEATURES)} names "
                               f"from {', '.join(features.FEATURES)}")
            hidden = z["hidden"] if "hidden" in keys else None
            if hidden is None or hidden.ndim != 1 or hidden.dtype.kind not in "iu" or \
                    len(hidden) > mlp.MAX_LAYERS or \
                    any(not 1 <= h <= mlp.MAX_NEURONS for h in hidden.tolist()):
                raise _BadFile(f"hidden: expected up to {mlp.MAX_LAYERS} layer sizes of 1 "
                               f"to {mlp.MAX_NEURONS}")
            hidden = [int(h) for h in hidden]
            if "activations" in keys:
                acts = z["activations"]
                if acts.shape != (len(hidden),) or (len(hidden) and acts.dtype.kind != "U"):
                    raise _BadFile(f"activations: expected {len(hidden)} names, one per "
                                   f"hidden layer")
                activations = [str(a) for a in acts]
            else:                          # one activation for every layer
                one = _text_array(z, "activation") if "activation" in keys else ""
                activations = [one] * len(hidden)
            for a in activations:
                if a not in mlp.ACTIVATIONS:
                    raise _BadFile(f"activations: {show(a)} is not one of "
                                   f"{', '.join(mlp.ACTIVATIONS)}")
            output = _text_array(z, "output") if "output" in keys else None
            if output is not None and output not in mlp.OUTPUTS:
                raise _BadFile(f"output: {show(output)} is not one of "
                               f"{', '.join(mlp.OUTPUTS)}")
            units = 1
            if output == "softmax_ce":              # one output unit per class
                last = f"W{len(hidden)}"
                a = z[last] if last in keys else None
                units = a.shape[1] if a is not None and a.ndim == 2 else 0
                if not 2 <= units <= mlp.K_MAX:
                    raise _BadFile(f"{last}: a softmax output has 2 to {mlp.K_MAX} units, "
                                   f"one per class")
            sizes = [len(names)] + hidden + [units]
            Ws, bs = [], []
            for l in range(len(sizes) - 1):
                shape = (sizes[l], sizes[l + 1])
                for key, want in ((f"W{l}", shape), (f"b{l}", shape[1:])):
                    if key not in keys:
                        raise _BadFile(f"{key}: missing (this network has "
                                       f"{len(hidden) + 1} layers)")
                    a = z[key]
                    if a.shape != want or a.dtype.kind != "f":
                        raise _BadFile(f"{key}: expected a float array of shape {want}, "
                                       f"got {a.dtype.kind} {a.shape}")
                    if not np.all(np.isfinite(a)):
                        raise _BadFile(f"{key}: contains non-finite numbers")
                    (Ws if key[0] == "W" else bs).append(a.astype(np.float32))
            extra = [k for k in keys if re.fullmatch(r"[Wb]\d+", k)
                     and int(k[1:]) >= len(sizes) - 1]
            if extra:
                raise _BadFile(f"file: more layers than hidden={hidden} describes")
            settings_json = _text_array(z, "settings_json") if "settings_json" in keys else None
            epoch = int(z["epoch"]) if "epoch" in keys and z["epoch"].shape == () and \
                z["epoch"].dtype.kind in "iu" else 0
    except _BadFile:
        raise
    except Exception:                      # zip/npy errors of every kind: one clear message
        raise ValueError("file: not a readable .npz weights file") from None
    return {"W": Ws, "b": bs, "features": [str(n) for n in names], "hidden": hidden,
            "activations": activations, "output": output, "units": units,
            "settings_json": settings_json,
            "epoch": max(0, min(epoch, MAX_EPOCH))}


def load_weights_npz(data: bytes, run: Run, with_settings: bool = False) -> Run:
    """Put the weights of an .npz (``weights_npz``) into ``run``; returns the run.

    The run must have the same network: the same input features, hidden layer sizes,
    activation and output unit (the data set may differ: that is transfer). With
    with_settings=True the file's set-up is first applied to the run (data set,
    hyperparameters, everything), so any playground weights file loads.
    The optimizer's state restarts; the epoch counter and the loss curve restart at the
    file's epoch. Raises ValueError naming what does not match.
    """
    w = read_weights_npz(data)
    if not with_settings:
        run.set_weights(_padded_weights(w, run), w["epoch"])
        return run
    if w["settings_json"] is None:
        raise ValueError("settings_json: missing; cannot set the run up from this file")
    settings, _, probe = parse(w["settings_json"])
    padded = _padded_weights(w, probe)      # check everything before touching the run
    apply_settings(run, settings)
    run.set_weights(padded, w["epoch"])
    return run


def _padded_weights(w: dict, run: Run):
    """The weights of a read file in the padded layout of ``run`` (ValueError if the
    networks differ)."""
    want = {"features": feature_names(run.arch), "hidden": list(run.hidden),
            "activation": list(run.arch.activations), "output": mlp.OUTPUTS[run.arch.output],
            "output units": run.arch.units}
    got = {"features": [f for f in features.FEATURES if f in w["features"]],
           "hidden": w["hidden"], "activation": w["activations"],
           "output": w["output"] or want["output"], "output units": w["units"]}
    for key in ("features", "hidden", "activation", "output", "output units"):
        if got[key] != want[key]:
            raise ValueError(f"{key}: the file's network has {got[key]}, this run has "
                             f"{want[key]} — set the run up the same way first")
    # the file's W0 rows follow its own feature order; put them in the run's order
    order = [w["features"].index(f) for f in want["features"]]
    Ws = [w["W"][0][order]] + w["W"][1:]
    exact = {"W": [jnp.asarray(a) for a in Ws], "b": [jnp.asarray(b) for b in w["b"]]}
    zeros = jax.tree.map(jnp.zeros_like, run.state.params)
    return mlp.from_exact(exact, run.arch, zeros)


def run_from_npz(data: bytes) -> Run:
    """A new run set up from an .npz's settings_json, holding the file's weights."""
    w = read_weights_npz(data)
    if w["settings_json"] is None:
        raise ValueError("settings_json: missing; cannot set a run up from this file")
    run = run_from_json(w["settings_json"])
    return load_weights_npz(data, run)


def weights_filename(run: Run) -> str:
    """The weights file's name: the data set's and the epoch the weights are from."""
    return f"playground_{run.dataset}_epoch{run.epoch}.npz"
