"""Export and import a run: its set-up as JSON, its weights as .npz, and a standalone
training script. Headless (no panel/bokeh): the page offers these as downloads/uploads.

    text = settings_to_json(run)          # the set-up, pretty JSON
    run2 = run_from_json(text)            # a fresh run with that set-up (epoch 0)
    data = weights_npz(run)               # W0, b0, W1, b1, ... (output layer last) + facts
    load_weights_npz(data, run2)          # the same weights in a run of the same network
    code = python_script(run)             # numpy + jax + optax only; replays the training

Everything read from outside is validated and refused with a ``ValueError`` whose message
names the field and never echoes hostile text (safe to show on the page as is).
"""
from __future__ import annotations

import inspect
import io
import json
import math
import re
import textwrap
import zipfile

import jax
import jax.numpy as jnp
import numpy as np

from .engine import features, mlp, train
from .engine import lr as schedules
from .state import checks
from .state.run import SHUFFLE_STREAM, Run

FORMAT = "neural-network-playground"
VERSION = 1
MAX_JSON_BYTES = 100_000
MAX_NPZ_BYTES = 1_000_000
_NAME_MAX = 16
_MAX_NPZ_MEMBERS = 64
_TOP_KEYS = ("format", "version", "settings", "epoch")
_MAX_EPOCH = 10**9
_LISTED = 3               # unknown keys named before "and N more"


# ----------------------------------------------------------------- messages
_SAFE_TEXT = re.compile(r"[A-Za-z0-9_.,:+\- ]{0,40}")


def _show(value) -> str:
    """A short, HTML-safe description of a value read from outside (for messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        if _SAFE_TEXT.fullmatch(value):
            return repr(value)
        return f"a {len(value)}-character text"
    if isinstance(value, int):
        text = str(value) if abs(value) < 10**30 else ""
        return text or f"a {len(str(abs(value)))}-digit number"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "a number too large"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' * (len(value) != 1)}"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _plain(value):
    """numpy scalars/lists -> JSON-able Python values."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


# --------------------------------------------------------------- settings JSON
def settings_to_json(run: Run) -> str:
    """The run's set-up (every setting) and its epoch as pretty JSON."""
    doc = {"format": FORMAT, "version": VERSION,
           "settings": {k: _plain(v) for k, v in run.settings().items()},
           "epoch": int(run.epoch)}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _parse_int(text):
    # Python refuses to convert more than 4300 digits; anything that long is out of range
    return int(text) if len(text) < 1000 else math.inf


def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"the key {_show(k)} appears twice")
        out[k] = v
    return out


def _load_json(text) -> object:
    if isinstance(text, (bytes, bytearray, memoryview)):
        text = bytes(text)
        if len(text) > MAX_JSON_BYTES:
            raise ValueError(f"file: too large ({len(text):,} bytes; at most "
                             f"{MAX_JSON_BYTES:,})")
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError("file: not UTF-8 text") from None
    if not isinstance(text, str):
        raise ValueError(f"file: expected JSON text, got {_show(text)}")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_JSON_BYTES:
        raise ValueError(f"file: too large (at most {MAX_JSON_BYTES:,} bytes)")
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int,
                          object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise ValueError(f"file: not valid JSON ({exc.msg} at line {exc.lineno}, "
                         f"column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:
        reason = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
        raise ValueError(f"file: not valid JSON ({reason})") from None


def _value_text(value) -> str:
    """A value of a set-up file as a message repeats it (short, never markup)."""
    if isinstance(value, list) and len(value) <= mlp.MAX_LAYERS and all(
            isinstance(v, (bool, int, float)) or (isinstance(v, str) and
                                                  _SAFE_TEXT.fullmatch(v)) for v in value):
        text = "[" + ", ".join(repr(v) if isinstance(v, str) else checks.entry_text(v)
                               for v in value) + "]"
        if len(text) <= 60:
            return text
    return _show(value)


def _entry_text(value) -> str:
    """One entry of a list in a file, as a message names it (never markup)."""
    if isinstance(value, str) and not _SAFE_TEXT.fullmatch(value):
        return _show(value)
    return checks.entry_text(value)


def _check_setting(name: str, value):
    """One setting of a file, by the same check a link's values go through (state.checks):
    a ValueError "name: value problem; what is allowed" if the run cannot take it."""
    problem = checks.problem(name, value, show=_entry_text)
    if problem:
        raise ValueError(f"{name}: {_value_text(value)} {problem}; "
                         f"{checks.allowed(name, link=False)}")


def _listed(names) -> str:
    """The first few names from outside (shown safely), then "and N more"."""
    first = ", ".join(map(_show, names[:_LISTED]))
    return first + (f" and {len(names) - _LISTED:,} more" if len(names) > _LISTED else "")


def _parse(text) -> tuple[dict, int, Run]:
    doc = _load_json(text)
    if not isinstance(doc, dict):
        raise ValueError(f"file: expected a JSON object {{\"format\": \"{FORMAT}\", ...}}, "
                         f"got {_show(doc)}")
    if doc.get("format") != FORMAT:
        raise ValueError(f"format: expected {FORMAT!r}, got {_show(doc.get('format'))} "
                         f"— not a playground settings file")
    unknown = [k for k in doc if k not in _TOP_KEYS]
    if unknown:
        raise ValueError(f"file: unknown key(s) {_listed(unknown)}; "
                         f"allowed: {', '.join(_TOP_KEYS)}")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(f"version: expected a whole number, got {_show(version)}")
    if version != VERSION:
        raise ValueError(f"version: {_show(version)} is not supported (this playground "
                         f"reads version {VERSION})")
    epoch = doc.get("epoch", 0)
    if isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 <= epoch <= _MAX_EPOCH:
        raise ValueError(f"epoch: expected a whole number from 0 to {_MAX_EPOCH:,}, "
                         f"got {_show(epoch)}")
    settings = doc.get("settings")
    if not isinstance(settings, dict):
        raise ValueError(f"settings: expected an object of settings, got {_show(settings)}")
    allowed = Run.setting_names()
    unknown = [k for k in settings if k not in allowed]
    if unknown:
        raise ValueError(f"settings: unknown setting(s) {_listed(unknown)}; "
                         f"allowed: {', '.join(allowed)}")
    for name, value in settings.items():
        _check_setting(name, value)
    for name, problem, _ in checks.conflicts(settings):    # as a link's would be refused
        raise ValueError(f"{name}: {_value_text(settings[name])} {problem}")
    settings = {k: (list(v) if isinstance(v, list) else v) for k, v in settings.items()}
    try:                                   # combinations only the run itself knows
        run = Run(**settings)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"settings: {str(exc)[:300]}") from None
    except Exception as exc:               # never a traceback for a file from outside
        raise ValueError(f"settings: refused ({type(exc).__name__})") from None
    return settings, epoch, run


def settings_from_json(text: str | bytes) -> dict:
    """Validate a settings file (str or bytes, at most 100 kB) and return its settings.

    Settings missing from the file keep their defaults (they are absent from the dict:
    apply them on top of the defaults). Raises ValueError naming the offending field.
    """
    return _parse(text)[0]


def epoch_from_json(text: str | bytes) -> int:
    """The epoch the exported run had reached (information only)."""
    return _parse(text)[1]


def run_from_json(text: str | bytes, replay: bool = False) -> Run:
    """A new run with the file's set-up, at epoch 0 (its seed's first weights).

    replay=True trains it for the file's epoch count in one call; that repeats the
    exported run exactly only if its hyperparameters were not changed while it trained.
    """
    _, epoch, run = _parse(text)
    if replay and epoch:
        run.train(epoch)
    return run


def apply_settings(run: Run, settings: dict) -> Run:
    """Give an existing run (the one the page's widgets are bound to) the set-up
    ``settings`` (from settings_from_json) on top of the defaults, from fresh weights."""
    from . import urlstate                # the same path the presets and links take
    notices = urlstate.apply(run, settings)
    wrong = [k for k, v in settings.items() if run.settings()[k] != v]
    if notices or wrong:
        raise ValueError("settings: could not apply " + "; ".join(notices + wrong)[:300])
    run.reset()
    return run


# ------------------------------------------------------------------- weights
def _exact_params(params, arch) -> tuple[list, list]:
    exact = jax.device_get(mlp.to_exact(params, arch))
    return ([np.asarray(w, np.float32) for w in exact["W"]],
            [np.asarray(b, np.float32) for b in exact["b"]])


def _feature_names(arch) -> list[str]:
    """Input feature names in the order of the rows of W0."""
    return [features.FEATURES[i] for i in arch.features]


def weights_npz(run: Run) -> bytes:
    """The run's weights as an .npz file (open with ``numpy.load``).

    W0, b0, W1, b1, ..., W{L}, b{L}: exact shapes, W_l (inputs, outputs), output layer
    last (W{L}: (last hidden, 1)); the network computes
    ``h = act(h @ W_l + b_l)`` per hidden layer and ``z = h @ W{L} + b{L}``.
    features: the input names in the order of W0's rows; hidden: neurons per layer;
    activation: the run's activation setting; activations: each hidden layer's activation
    (what the network uses); output: the output unit
    (linear_mse, tanh_mse or sigmoid_bce); settings_json: the set-up (settings_to_json);
    epoch: the epoch reached.
    """
    Ws, bs = _exact_params(run.state.params, run.arch)
    arrays = {}
    for l, (W, b) in enumerate(zip(Ws, bs)):
        arrays[f"W{l}"], arrays[f"b{l}"] = W, b
    arrays.update(
        features=np.array(_feature_names(run.arch)),
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
    "hidden", "activations" (one per hidden layer), "output" (or None), "settings_json"
    (or None), "epoch"}."""
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
                    raise _BadFile(f"activations: {_show(a)} is not one of "
                                   f"{', '.join(mlp.ACTIVATIONS)}")
            output = _text_array(z, "output") if "output" in keys else None
            if output is not None and output not in mlp.OUTPUTS:
                raise _BadFile(f"output: {_show(output)} is not one of "
                               f"{', '.join(mlp.OUTPUTS)}")
            sizes = [len(names)] + hidden + [1]
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
            "activations": activations, "output": output, "settings_json": settings_json,
            "epoch": max(0, min(epoch, _MAX_EPOCH))}


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
    settings, _, probe = _parse(w["settings_json"])
    padded = _padded_weights(w, probe)      # check everything before touching the run
    apply_settings(run, settings)
    run.set_weights(padded, w["epoch"])
    return run


def _padded_weights(w: dict, run: Run):
    """The weights of a read file in the padded layout of ``run`` (ValueError if the
    networks differ)."""
    want = {"features": _feature_names(run.arch), "hidden": list(run.hidden),
            "activation": list(run.arch.activations), "output": mlp.OUTPUTS[run.arch.output]}
    got = {"features": [f for f in features.FEATURES if f in w["features"]],
           "hidden": w["hidden"], "activation": w["activations"],
           "output": w["output"] or want["output"]}
    for key in ("features", "hidden", "activation", "output"):
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


# ------------------------------------------------------------ standalone script
# Code for each choice, as the script writes it (tests check them against the engine).
ACTIVATION_CODE = {
    "relu": "jax.nn.relu(z)",
    "tanh": "jnp.tanh(z)",
    "sigmoid": "jax.nn.sigmoid(z)",
    "linear": "z",
    "leaky_relu": f"jax.nn.leaky_relu(z, {mlp.LEAKY_SLOPE})",
    "elu": "jax.nn.elu(z)",
    "gelu": "jax.nn.gelu(z, approximate=False)",
    "sine": "jnp.sin(z)",
}
FEATURE_CODE = {
    "x1": "x1", "x2": "x2", "x1_sq": "x1 * x1", "x2_sq": "x2 * x2", "x1x2": "x1 * x2",
    "sin_x1": "jnp.sin(x1)", "sin_x2": "jnp.sin(x2)",
}
# output unit -> (loss of pre-activation z against label y, prediction on the label scale)
OUTPUT_CODE = {
    "linear_mse": ("0.5 * (z - y) ** 2", "z"),
    "tanh_mse": ("0.5 * (jnp.tanh(z) - y) ** 2", "jnp.tanh(z)"),
    "sigmoid_bce": ("jax.nn.softplus(z) - 0.5 * (y + 1.0) * z",
                    "2.0 * jax.nn.sigmoid(z) - 1.0"),
}
_OUTPUT_WORDS = {
    "linear_mse": "a linear output unit and the loss ½·(z − y)²",
    "tanh_mse": "a tanh output unit and the loss ½·(tanh(z) − y)²",
    "sigmoid_bce": "a sigmoid output unit and the binary cross-entropy loss "
                   "(from the logit z, labels ±1 read as probabilities 1 and 0)",
}
_OPTIMIZER_WORDS = {"sgd": "plain SGD", "momentum": f"SGD with momentum {train.MOMENTUM}",
                    "adam": "Adam", "rmsprop": "RMSProp"}


def _num(v) -> str:
    """Shortest text that gives back exactly this float32 (read as a Python float)."""
    v = np.float32(v)
    text = repr(float(np.format_float_positional(v, unique=True)))
    if np.float32(float(text)).tobytes() != v.tobytes():
        text = repr(float(v))              # the exact value: always round-trips
    return text[:-2] if text.endswith(".0") and abs(v) < 1e15 else text


def _rows(rows, per_line: int, indent: str = "    ") -> str:
    """Lines of comma-separated items, per_line items a line."""
    lines = [indent + ", ".join(rows[i:i + per_line]) + ","
             for i in range(0, len(rows), per_line)]
    return "\n".join(lines)


def _array_code(name: str, a, comment: str = "", matrix: bool = False) -> str:
    """``name = np.array([...], np.float32)`` holding exactly the float32 values of a.
    matrix=True writes one row a line (weights); otherwise rows are packed (data)."""
    a = np.asarray(a, np.float32)
    head = f"# {comment}\n" if comment else ""
    if a.size == 0:                        # e.g. no test points
        return f"{head}{name} = np.zeros({a.shape}, np.float32)"
    if a.ndim == 1:
        items = [_num(v) for v in a]
        one_line = f"{name} = np.array([{', '.join(items)}], np.float32)"
        if len(one_line) <= 92:
            return head + one_line
        return f"{head}{name} = np.array([\n{_rows(items, 8)}\n], np.float32)"
    rows = ["[" + ", ".join(_num(v) for v in row) + "]" for row in a]
    per = 1 if matrix else max(1, 88 // max(len(r) + 2 for r in rows))
    return f"{head}{name} = np.array([\n{_rows(rows, per)}\n], np.float32)"


def _describe(run: Run) -> str:
    s = run.settings()
    kind = "two classes, labels +1 / -1" if run.classification else "regression"
    acts = list(run.arch.activations)
    act_words = (f"activation {acts[0]}" if len(set(acts)) == 1 else
                 f"activations {', '.join(acts)}")
    sizes = [str(h) for h in s["hidden"]]
    sizes = ", ".join(sizes[:-1]) + " and " + sizes[-1] if len(sizes) > 1 else "".join(sizes)
    hidden = (f"{len(s['hidden'])} hidden layer{'s' * (len(s['hidden']) > 1)} of {sizes} "
              f"neuron{'s' * (s['hidden'] != [1])}, {act_words}"
              if s["hidden"] else "no hidden layer (a linear model)")
    reg = (f"{s['regularization'].upper()} regularisation, rate {s['reg_rate']}"
           if s["regularization"] != "none" and s["reg_rate"] else "no regularisation")
    return "\n".join([
        f"Data:      {s['dataset']} ({kind}), {s['n_samples']} points, noise {s['noise']} %,",
        f"           {len(run.y_train)} for training and {len(run.y_test)} for testing, "
        f"seed {s['seed']}",
        f"Inputs:    {', '.join(_feature_names(run.arch))}",
        f"Network:   {hidden},",
        f"           {_OUTPUT_WORDS[mlp.OUTPUTS[run.arch.output]]}",
        f"Training:  {_OPTIMIZER_WORDS[s['optimizer']]}, learning rate {s['learning_rate']}"
        f"{_schedule_words(s)}, batch size {s['batch_size']}, {reg}",
    ])


def _schedule_words(s: dict) -> str:
    name, period = s["schedule"], s["schedule_epochs"]
    floor = f"{schedules.SCHEDULE_FLOOR * 100:g} %"
    return {
        "constant": "",
        "step": f" × {s['step_factor']:g} every {period} epochs",
        "cosine": f" annealed to {floor} of it over {period} epochs (cosine), then kept "
                  "there",
        "sgdr": f" in cosine cycles of {period} epochs, each {s['cycle_mult']}× longer "
                f"than the last (SGDR)",
        "one_cycle": f" as the peak of one cycle over {period} epochs, then {floor} of it",
    }[name]


def _schedule_code(s: dict) -> str:
    """The script's learning_rate(epoch): the playground's own schedule function."""
    if s["schedule"] == "constant":
        return ('def learning_rate(epoch):\n'
                '    """The learning rate of an epoch: the same for every epoch."""\n'
                '    return LEARNING_RATE')
    source = inspect.getsource(schedules.schedule_lr)
    return "\n".join([
        f'SCHEDULE = "{s["schedule"]}"',
        f"SCHEDULE_EPOCHS = {int(s['schedule_epochs'])}",
        f"CYCLE_MULT = {int(s['cycle_mult'])}",
        f"STEP_FACTOR = {float(s['step_factor'])!r}",
        "",
        "",
        "# The playground's schedule function, as it is in the playground:",
        source.rstrip(),
        "",
        "",
        "def learning_rate(epoch):",
        '    """The learning rate of an epoch (0-based) under the schedule."""',
        "    return np.float32(schedule_lr(SCHEDULE, epoch, float(LEARNING_RATE), "
        "SCHEDULE_EPOCHS,",
        "                                  CYCLE_MULT, STEP_FACTOR))",
    ])


_SCRIPT = '''\
#!/usr/bin/env python3
"""A network exported from the Neural Network Playground, as a standalone script.

{{DESCRIPTION}}

The script starts from the same data and first weights as the playground and trains
the network the same way (same minibatches, same loss, same optimizer), so after
{{EPOCHS}} epochs it ends with the same losses as the page showed: the same numbers
with the same versions of jax and optax on the same kind of machine, otherwise equal up
to float rounding. Only the settings above are replayed: if the learning rate or another
setting was changed while the page trained, the page's numbers differ.

It needs only numpy, jax and optax:

    pip install numpy jax optax
    python {{FILENAME}}          # trains {{EPOCHS}} epochs
    python {{FILENAME}} 500      # or as many epochs as you like

The last line it prints is the result as JSON.
"""
import json
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax

# ------------------------------------------------------------------ the set-up
EPOCHS = {{EPOCHS}}
LEARNING_RATE = np.float32({{LEARNING_RATE}})  # the schedule's base: see learning_rate()
BATCH_SIZE = {{BATCH_SIZE}}
OPTIMIZER = "{{OPTIMIZER}}"  # "sgd", "momentum", "adam" or "rmsprop"
L1 = np.float32({{L1}})  # strength of the L1 penalty: L1 * sum of |w|
L2 = np.float32({{L2}})  # strength of the L2 penalty: L2 * ½ * sum of w²
CLASSIFICATION = {{CLASSIFICATION}}
FULL_BATCHES = {{N_TRAIN}} % BATCH_SIZE == 0  # do the batches fill every epoch exactly?
# The playground's shuffles come from this key: the seed, then a fixed "stream" tag.
SHUFFLE_KEY = jax.random.fold_in(jax.random.PRNGKey({{SEED}}), {{SHUFFLE_STREAM}})
N_MAX = {{N_MAX}}  # the playground draws one random number per slot of its data arrays

# The settings as the playground stores them (its settings export):
{{SETTINGS}}


# ------------------------------------------------------------ the learning rate
{{SCHEDULE_CODE}}


# -------------------------------------------------------------------- the data
{{X_TRAIN}}
{{Y_TRAIN}}
{{X_TEST}}
{{Y_TEST}}


# The playground computes these seven features of every point (its FEATURES order);
# the network sees only the columns in INPUTS.
FEATURE_NAMES = [{{ALL_FEATURE_NAMES}}]
INPUTS = np.array([{{INPUT_COLUMNS}}])  # {{FEATURE_NAMES}}


def input_features(X):
    """All seven features of each point (one row per point, one column per feature)."""
    x1, x2 = X[:, 0], X[:, 1]
    return jnp.stack([{{FEATURE_COLUMNS}}], axis=1)


# ---------------------------------------------------------------- the network
# The playground's first weights for this seed. W: (inputs, outputs), one per layer,
# the output layer last; b: one bias per neuron.
{{WEIGHTS}}


def initial_params():
    return {"W": [jnp.asarray(W) for W in W_INIT], "b": [jnp.asarray(b) for b in B_INIT]}


# The non-linearity each hidden layer applies to its neurons' weighted sums.
ACTIVATION = {
{{ACTIVATION_TABLE}}
}
LAYER_ACTIVATIONS = [{{LAYER_ACTIVATIONS}}]  # one per hidden layer


def dense(h, W):
    """h @ W. A small layer (rows × inputs × outputs up to {{SMALL_DENSE}}) is computed as a
    sum of products, as the playground computes it: on a CPU that is faster for tiny
    layers, and it rounds as the page does, so this script ends with the page's numbers."""
    if h.shape[0] * W.shape[0] * W.shape[1] <= {{SMALL_DENSE}}:
        return jnp.sum(h[:, None, :] * W.T[None, :, :], axis=2)
    return h @ W


def forward(params, x):
    """The output unit's weighted sum z for every row of x (before its own activation)."""
    h = x[:, INPUTS]                   # the features this network uses
    for W, b, name in zip(params["W"][:-1], params["b"][:-1], LAYER_ACTIVATIONS):
        h = ACTIVATION[name](dense(h, W) + b)
    return (dense(h, params["W"][-1]) + params["b"][-1])[:, 0]


def example_loss(z, y):
    """The loss of each example ({{OUTPUT}})."""
    return {{LOSS_CODE}}


def prediction(z):
    """The output on the labels' scale{{PREDICTION_NOTE}}."""
    return {{PREDICTION_CODE}}


def penalty(params):
    """Regularisation: on the weights only, not the biases."""
    return sum(L1 * jnp.sum(jnp.abs(W)) + 0.5 * L2 * jnp.sum(W * W) for W in params["W"])


def loss(params, x, y, live):
    """Mean loss over the live examples of a minibatch, plus the penalty.
    live: 1.0 for real examples, 0.0 for the padding of a short last batch."""
    losses = example_loss(forward(params, x), y)
    if FULL_BATCHES:
        data_loss = jnp.mean(losses)
    else:
        data_loss = jnp.sum(losses * live) / jnp.maximum(jnp.sum(live), 1.0)
    if L1 or L2:
        return data_loss + penalty(params)
    return data_loss


# -------------------------------------------------------------------- training
def make_optimizer():
    """The optimizer gives the *direction* of each step; the step is w -= rate * direction."""
    if OPTIMIZER == "sgd":
        return optax.identity()  # the gradient itself
    if OPTIMIZER == "momentum":
        return optax.trace(decay={{MOMENTUM}})  # a decaying sum of the gradients
    if OPTIMIZER == "adam":
        return optax.scale_by_adam()
    if OPTIMIZER == "rmsprop":
        return optax.scale_by_rms(decay=0.9, eps=1e-8)
    raise ValueError(OPTIMIZER)


OPTIMIZER_FN = make_optimizer()


def train_step(carry, batch, rate):
    """One minibatch: gradient, direction, step."""
    params, opt_state = carry
    x, y, live = batch
    grads = jax.grad(loss)(params, x, y, live)
    direction, opt_state = OPTIMIZER_FN.update(grads, opt_state, params)
    params = jax.tree_util.tree_map(lambda w, d: w - rate * d, params, direction)
    return (params, opt_state), None


@jax.jit
def train_epoch(params, opt_state, xb, yb, live, rate):
    """All the minibatches of one epoch, in order, at learning rate `rate`.
    xb: (batches, BATCH_SIZE, features)."""
    step = lambda carry, batch: train_step(carry, batch, rate)
    (params, opt_state), _ = jax.lax.scan(step, (params, opt_state), (xb, yb, live))
    return params, opt_state


def epoch_order(epoch, n):
    """The shuffled order of the n training examples in this epoch, as the playground
    draws it: N_MAX uniform numbers from the epoch's key, ranked (only the first n used)."""
    u = np.asarray(jax.random.uniform(jax.random.fold_in(SHUFFLE_KEY, epoch), (N_MAX,)))
    return np.argsort(u[:n], kind="stable")


@jax.jit
def evaluate(params, x, y):
    """Mean loss (without the penalty) and accuracy on a whole data set."""
    z = forward(params, x)
    right = (prediction(z) >= 0) == (y > 0)
    return jnp.mean(example_loss(z, y)), jnp.mean(right.astype(jnp.float32))


def train(params, x, y, epochs, report=None):
    """Shuffled minibatches, epoch after epoch; a short last batch is padded and masked."""
    opt_state = OPTIMIZER_FN.init(params)
    n = len(y)
    batches = -(-n // BATCH_SIZE)
    live = (np.arange(batches * BATCH_SIZE) < n).astype(np.float32).reshape(batches, -1)
    for epoch in range(epochs):
        order = np.zeros(batches * BATCH_SIZE, np.int64)   # padding rows: example 0
        order[:n] = epoch_order(epoch, n)
        order = order.reshape(batches, BATCH_SIZE)
        params, opt_state = train_epoch(params, opt_state, x[order], y[order], live,
                                        learning_rate(epoch))
        if report:
            report(epoch + 1, params)
    return params


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else EPOCHS
    x_train, x_test = np.asarray(input_features(X_TRAIN)), np.asarray(input_features(X_TEST))

    def report(epoch, params):
        if epoch % max(1, epochs // 10) == 0 or epoch == epochs:
            train_loss, _ = evaluate(params, x_train, Y_TRAIN)
            line = f"epoch {epoch:6d}   train loss {float(train_loss):.6f}"
            if len(Y_TEST):
                test_loss, _ = evaluate(params, x_test, Y_TEST)
                line += f"   test loss {float(test_loss):.6f}"
            print(line)

    params = train(initial_params(), x_train, Y_TRAIN, epochs, report)
    result = {"epochs": epochs}
    for split, x, y in (("train", x_train, Y_TRAIN), ("test", x_test, Y_TEST)):
        if len(y):                         # no test points: no test numbers
            split_loss, split_accuracy = evaluate(params, x, y)
            result[f"{split}_loss"] = float(split_loss)
            if CLASSIFICATION:
                result[f"{split}_accuracy"] = float(split_accuracy)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
'''


def script_filename(run: Run) -> str:
    return f"playground_{run.dataset}_epoch{run.epoch}.py"


def script_problem(run: Run) -> str | None:
    """Why no script can be made for the run now (None: it can)."""
    if len(run.y_train) == 0:
        return "there are no training points; add some points first"
    return None


def python_script(run: Run, filename: str | None = None) -> str:
    """A standalone Python script (numpy, jax, optax) that rebuilds the run's data and
    first weights and trains ``run.epoch`` epochs with the run's current settings exactly
    as the playground's exact-shape program does; it prints the final losses (and
    accuracies) as JSON on its last line. ValueError (``script_problem``) when there is
    nothing to train on."""
    problem = script_problem(run)
    if problem:
        raise ValueError(f"script: {problem}")
    s = run.settings()
    init = train.init_state(run.init_key, run.arch_arrays).params   # the seed's weights
    Ws, bs = _exact_params(init, run.arch)
    names = _feature_names(run.arch)
    layer_names = [f"hidden layer {l + 1}" for l in range(len(run.hidden))] + ["output"]
    weights = []
    for l, (W, b) in enumerate(zip(Ws, bs)):
        src = "inputs" if l == 0 else f"hidden layer {l}"
        weights.append(_array_code(f"W{l}", W, f"{src} -> {layer_names[l]}: {W.shape}",
                                   matrix=True))
        weights.append(_array_code(f"b{l}", b))
    L = len(Ws)
    weights.append(f"W_INIT = [{', '.join(f'W{l}' for l in range(L))}]")
    weights.append(f"B_INIT = [{', '.join(f'b{l}' for l in range(L))}]")
    output = mlp.OUTPUTS[run.arch.output]
    loss_code, pred_code = OUTPUT_CODE[output]
    label = ("labels +1 / -1" if run.classification else "targets")
    reg = s["regularization"] if s["reg_rate"] else "none"
    l1 = np.float32(s["reg_rate"] if reg == "l1" else 0.0)
    l2 = np.float32(s["reg_rate"] if reg == "l2" else 0.0)
    one_d = run.one_d
    settings_line = json.dumps({k: _plain(v) for k, v in s.items()}, ensure_ascii=True)
    settings_line = "\n".join("#   " + line for line in textwrap.wrap(settings_line, 84))
    fields = {
        "DESCRIPTION": _describe(run),
        "EPOCHS": str(int(run.epoch)),
        "FILENAME": filename or script_filename(run),
        "LEARNING_RATE": _num(s["learning_rate"]),
        "SCHEDULE_CODE": _schedule_code(s),
        "BATCH_SIZE": str(int(s["batch_size"])),
        "OPTIMIZER": s["optimizer"],
        "L1": _num(l1), "L2": _num(l2),
        "CLASSIFICATION": str(bool(run.classification)),
        "N_TRAIN": str(len(run.y_train)),
        "SEED": str(int(s["seed"])),
        "SHUFFLE_STREAM": hex(SHUFFLE_STREAM),
        "N_MAX": str(run.data.x_train.shape[0]),
        "SETTINGS": settings_line,
        "X_TRAIN": _array_code("X_TRAIN", run.X_train,
                               f"Training set: {len(run.y_train)} points (x1, x2)"
                               + (" — x2 is 0: the data are 1-D" if one_d else "")),
        "Y_TRAIN": _array_code("Y_TRAIN", run.y_train, f"their {label}"),
        "X_TEST": _array_code("X_TEST", run.X_test, f"Test set: {len(run.y_test)} points"),
        "Y_TEST": _array_code("Y_TEST", run.y_test, f"their {label}"),
        "FEATURE_NAMES": ", ".join(names),
        "ALL_FEATURE_NAMES": ", ".join(f'"{n}"' for n in features.FEATURES),
        "INPUT_COLUMNS": ", ".join(str(i) for i in run.arch.features),
        "FEATURE_COLUMNS": ", ".join(FEATURE_CODE[n] for n in features.FEATURES),
        "WEIGHTS": "\n".join(weights),
        "ACTIVATION_TABLE": "\n".join(
            f'    "{a}": lambda z: {ACTIVATION_CODE[a]},'
            for a in dict.fromkeys(run.arch.activations or (s["activation"],))),
        "LAYER_ACTIVATIONS": ", ".join(f'"{a}"' for a in run.arch.activations),
        "OUTPUT": _OUTPUT_WORDS[output],
        "LOSS_CODE": loss_code,
        "PREDICTION_NOTE": ": its sign is the class" if run.classification else "",
        "PREDICTION_CODE": pred_code,
        "MOMENTUM": repr(float(train.MOMENTUM)),
        "SMALL_DENSE": str(int(mlp.SMALL_DENSE)),
    }
    text = _SCRIPT
    for key, value in fields.items():
        text = text.replace("{{" + key + "}}", value)
    assert "{{" not in text, "unfilled script field"
    return text


def settings_filename(run: Run) -> str:
    return f"playground_{run.dataset}.json"


def weights_filename(run: Run) -> str:
    return f"playground_{run.dataset}_epoch{run.epoch}.npz"
