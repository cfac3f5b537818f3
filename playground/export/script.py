"""A run as a standalone training script: ``standalone.py`` with the run's set-up.

``standalone.py`` is a real module of the package (numpy, jax and optax only) whose text
is the script. Its top holds one set-up block, between the lines ``SETUP_BEGIN`` and
``SETUP_END``, of plain values: the description, the hyperparameters, the names of the
inputs, activations and output unit, the data and the first weights, as Python literals
(numbers, text, lists, dicts, ``np.array`` of numbers). ``python_script(run)`` writes that
block for the run and keeps every other line of the module as it is:

    code = python_script(run)     # standalone.py before the block + the run's block
                                  # + standalone.py after the block

The names the block gives (activations, output unit, inputs) are checked against the
tables the module's code defines, so a run the script could not replay is refused.
"""
from __future__ import annotations

import functools
import inspect
import json
import textwrap

import numpy as np

from ..engine import mlp, train
from ..engine import lr as schedules
from ..state.run import SHUFFLE_STREAM, Run
from .settings import plain
from .weights import exact_params, feature_names

SETUP_BEGIN = "# " + "=" * 75 + " THE SET-UP"
SETUP_END = "# " + "=" * 68 + " END OF THE SET-UP"
_WIDTH = 92               # the longest line the block writes (but for long numbers)

_OUTPUT_WORDS = {
    "linear_mse": "a linear output unit and the loss ½·(z − y)²",
    "tanh_mse": "a tanh output unit and the loss ½·(tanh(z) − y)²",
    "sigmoid_bce": "a sigmoid output unit and the binary cross-entropy loss "
                   "(from the logit z, labels ±1 read as probabilities 1 and 0)",
    "softmax_ce": "one output unit per class, a softmax and the cross-entropy loss "
                  "(log-sum-exp of z minus the true class's z)",
}
_OPTIMIZER_WORDS = {"sgd": "plain SGD", "momentum": f"SGD with momentum {train.MOMENTUM}",
                    "adam": "Adam", "rmsprop": "RMSProp"}


def _standalone():
    """The module standalone.py, imported when a script is first made (not with the
    package, so that ``python -m playground.export.standalone`` runs it only once)."""
    from . import standalone
    return standalone


@functools.cache
def template_parts() -> tuple[str, str, str]:
    """standalone.py's text in three parts: the lines before its set-up block, the block
    (from the SETUP_BEGIN line to the SETUP_END line), the lines after it."""
    lines = inspect.getsource(_standalone()).splitlines(keepends=True)
    begin = [i for i, line in enumerate(lines) if line.rstrip("\n") == SETUP_BEGIN]
    end = [i for i, line in enumerate(lines) if line.rstrip("\n") == SETUP_END]
    if len(begin) != 1 or len(end) != 1 or end[0] < begin[0]:
        raise RuntimeError("standalone.py: one set-up block, between SETUP_BEGIN and "
                           "SETUP_END, is needed")
    b, e = begin[0], end[0] + 1
    return "".join(lines[:b]), "".join(lines[b:e]), "".join(lines[e:])


# ------------------------------------------------------------------- literals
def float_text(v) -> str:
    """Shortest text that gives back exactly this float32 (read as a Python float)."""
    v = np.float32(v)
    text = repr(float(np.format_float_positional(v, unique=True)))
    if np.float32(float(text)).tobytes() != v.tobytes():
        text = repr(float(v))              # the exact value: always round-trips
    return text[:-2] if text.endswith(".0") and abs(v) < 1e15 else text


def _rows(items, per_line: int, indent: str) -> str:
    """Lines of comma-separated items, per_line items a line."""
    return "\n".join(indent + ", ".join(items[i:i + per_line]) + ","
                     for i in range(0, len(items), per_line))


def _array_text(a, room: int, matrix: bool = False, indent: str = "") -> str:
    """``np.array([...], np.float32)`` holding exactly the float32 values of a (1-D or
    2-D). room: the characters left on its first line; matrix=True writes one row a line
    (weights), otherwise rows are packed (data); indent: the block's indent."""
    a = np.asarray(a, np.float32)
    if a.size == 0:                        # e.g. no test points
        return f"np.zeros({a.shape}, np.float32)"
    inner = indent + "    "
    if a.ndim == 1:
        items = [float_text(v) for v in a]
        one_line = f"np.array([{', '.join(items)}], np.float32)"
        if len(one_line) <= room:
            return one_line
        return f"np.array([\n{_rows(items, 8, inner)}\n{indent}], np.float32)"
    rows = ["[" + ", ".join(float_text(v) for v in row) + "]" for row in a]
    per = 1 if matrix else max(1, (_WIDTH - 4 - len(inner)) // max(len(r) + 2 for r in rows))
    return f"np.array([\n{_rows(rows, per, inner)}\n{indent}], np.float32)"


def _assign(name: str, value: str, comment: str = "") -> str:
    """``NAME = value  # comment`` (the comment on the line above when it does not fit)."""
    line = f"{name} = {value}"
    if not comment:
        return line
    if len(line) + 4 + len(comment) <= _WIDTH:
        return f"{line}  # {comment}"
    return f"# {comment}\n{line}"


def _comment(text: str, first: str = "", rest: str = "") -> list[str]:
    """text as comment lines of at most _WIDTH characters."""
    return ["#" + (" " + line if line else "") for line in
            textwrap.wrap(text, _WIDTH - 2, initial_indent=first, subsequent_indent=rest)]


# ---------------------------------------------------------------- description
def _describe(run: Run) -> list[str]:
    """What network, what data, how it trains: lines for a student to read."""
    s = run.settings()
    kind = ("two classes, labels +1 / -1" if run.classes == 2 else
            f"{run.classes} classes, labels 0 to {run.classes - 1}" if run.multiclass else
            "regression")
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
    return [
        f"Data:      {s['dataset']} ({kind}), {s['n_samples']} points, noise {s['noise']} %, "
        f"{len(run.y_train)} for training and {len(run.y_test)} for testing, seed {s['seed']}",
        f"Inputs:    {', '.join(feature_names(run.arch))}",
        f"Network:   {hidden}, {_OUTPUT_WORDS[mlp.OUTPUTS[run.arch.output]]}",
        f"Training:  {_OPTIMIZER_WORDS[s['optimizer']]}, learning rate {s['learning_rate']}"
        f"{_schedule_words(s)}, batch size {s['batch_size']}, {reg}",
    ]


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


def _schedule_settings(s: dict) -> str:
    """``SCHEDULE_SETTINGS = {...}``: the run's schedule numbers, then the constants of the
    playground's schedule function (its defaults) that shape one-cycle and cosine."""
    defaults = inspect.signature(schedules.schedule_lr).parameters
    values = {"period": int(s["schedule_epochs"]), "cycle_mult": int(s["cycle_mult"]),
              "step_factor": float(s["step_factor"])}
    values.update({k: float(defaults[k].default) for k in ("pct_start", "div_factor",
                                                           "floor")})
    items = [f'"{k}": {v!r}' for k, v in values.items()]
    return ("SCHEDULE_SETTINGS = {  # the schedule's length in epochs and shape: see "
            "schedule_lr()\n" + _rows(items[:3], 3, "    ") + "\n" + _rows(items[3:], 3, "    ")
            + "\n}")


# ------------------------------------------------------------------ the script
def script_filename(run: Run) -> str:
    """The script's name: the data set's and the epoch it trains to."""
    return f"playground_{run.dataset}_epoch{run.epoch}.py"


def script_problem(run: Run) -> str | None:
    """Why no script can be made for the run now (None: it can)."""
    if len(run.y_train) == 0:
        return "there are no training points; add some points first"
    return None


def _unknown_name(run: Run) -> str | None:
    """A name of the run's network that standalone.py's code has no entry for (None: all
    are known)."""
    template = _standalone()
    for kind, names, known in (
            ("input", feature_names(run.arch), template.FEATURE_NAMES),
            ("activation", run.arch.activations, template.ACTIVATION_FUNCTIONS),
            ("output unit", [mlp.OUTPUTS[run.arch.output]], template.OUTPUT_LOSSES)):
        for name in names:
            if name not in known:
                return f"the standalone script has no {kind} {name!r}"
    return None


def setup_block(run: Run, filename: str | None = None) -> str:
    """The set-up block of the run's script (SETUP_BEGIN line to SETUP_END line): its
    description and every value standalone.py's code reads, as Python literals."""
    s = run.settings()
    init = train.init_state(run.init_key, run.arch_arrays).params   # the seed's weights
    Ws, bs = exact_params(init, run.arch)
    filename = filename or script_filename(run)
    label = ("labels +1 / -1" if run.classes == 2 else
             f"class labels 0 to {run.classes - 1}" if run.multiclass else "targets")
    reg = s["regularization"] if s["reg_rate"] else "none"
    settings_line = json.dumps({k: plain(v) for k, v in s.items()}, ensure_ascii=True)
    epochs = int(run.epoch)
    lines = [SETUP_BEGIN,
             "# The network, its data and how it trains, as plain values: the code after the",
             "# set-up reads them.", "#"]
    for text in _describe(run):
        lines += _comment(text, rest=" " * 11)
    lines += [
        "#",
        f"# Run it:    python {filename}          trains EPOCHS = {epochs} epochs",
        f"#            python {filename} 500      or as many epochs as you like",
        "#",
        "# The settings as the playground stores them (its settings export):",
        *("#   " + line for line in textwrap.wrap(settings_line, _WIDTH - 4)),
        "",
        _assign("EPOCHS", str(epochs), "the epochs the page had trained"),
        _assign("SEED", str(int(s["seed"])), "the shuffles' key comes from it"),
        _assign("INPUTS", json.dumps(feature_names(run.arch)),
                "the features the network sees: W_INIT[0]'s rows"),
        _assign("HIDDEN", json.dumps([int(h) for h in run.hidden]), "neurons per hidden layer"),
        _assign("LAYER_ACTIVATIONS", json.dumps(list(run.arch.activations)),
                "one per hidden layer"),
        _assign("OUTPUT", json.dumps(mlp.OUTPUTS[run.arch.output]),
                '"linear_mse", "tanh_mse", "sigmoid_bce" or "softmax_ce"'),
        _assign("CLASSIFICATION", str(bool(run.classification)),
                "labels: classes (else: values to fit)"),
        _assign("LEARNING_RATE", float_text(s["learning_rate"]),
                "the schedule's base: see learning_rate()"),
        _assign("SCHEDULE", json.dumps(s["schedule"]),
                '"constant", "step", "cosine", "sgdr" or "one_cycle"'),
        _schedule_settings(s),
        _assign("BATCH_SIZE", str(int(s["batch_size"]))),
        _assign("OPTIMIZER", json.dumps(s["optimizer"]),
                '"sgd", "momentum", "adam" or "rmsprop"'),
        _assign("L1", float_text(s["reg_rate"] if reg == "l1" else 0.0),
                "strength of the L1 penalty: L1 * sum of |w|"),
        _assign("L2", float_text(s["reg_rate"] if reg == "l2" else 0.0),
                "strength of the L2 penalty: L2 * ½ * sum of w²"),
        "",
        "# How the playground computes (the same for every network):",
        _assign("MOMENTUM", repr(float(train.MOMENTUM)), "the momentum optimizer's decay"),
        _assign("LEAKY_SLOPE", repr(float(mlp.LEAKY_SLOPE)), "leaky_relu's slope below 0"),
        _assign("SMALL_DENSE", str(int(mlp.SMALL_DENSE)), "see dense()"),
        _assign("SHUFFLE_STREAM", hex(SHUFFLE_STREAM),
                "the shuffles' tag, folded into the seed's key"),
        _assign("N_MAX", str(int(run.data.x_train.shape[0])),
                "the shuffles draw one number per slot of the data arrays"),
        "",
    ]
    one_d = " — x2 is 0: the data are 1-D" if run.one_d else ""
    for name, a, comment in (
            ("X_TRAIN", run.X_train,
             f"Training set: {len(run.y_train)} points (x1, x2){one_d}"),
            ("Y_TRAIN", run.y_train, f"their {label}"),
            ("X_TEST", run.X_test, f"Test set: {len(run.y_test)} points"),
            ("Y_TEST", run.y_test, f"their {label}")):
        lines += [""] * (name == "X_TEST") + [
            f"# {comment}", f"{name} = " + _array_text(a, _WIDTH - len(name) - 3)]
    layer_names = [f"hidden layer {l + 1}" for l in range(len(run.hidden))] + ["output"]
    lines += ["", f"# The playground's first weights for seed {int(s['seed'])}: W (inputs, "
              f"outputs) and b (outputs,)", "# of each layer, the output layer last.",
              "W_INIT = ["]
    for l, W in enumerate(Ws):
        src = "inputs" if l == 0 else f"hidden layer {l}"
        lines += [f"    # {src} -> {layer_names[l]}: {W.shape}",
                  "    " + _array_text(W, _WIDTH - 5, matrix=True, indent="    ") + ","]
    lines += ["]", "B_INIT = ["]
    for l, b in enumerate(bs):
        text = _array_text(b, _WIDTH - 7 - len(layer_names[l]), indent="    ")
        lines.append(f"    {text},  # {layer_names[l]}" if "\n" not in text else
                     f"    # {layer_names[l]}\n    {text},")
    lines += ["]", SETUP_END]
    return "\n".join(lines) + "\n"


def python_script(run: Run, filename: str | None = None) -> str:
    """A standalone Python script (numpy, jax, optax) that rebuilds the run's data and
    first weights and trains ``run.epoch`` epochs with the run's current settings exactly
    as the playground's exact-shape program does; it prints the final losses (and
    accuracies) as JSON on its last line. ValueError (``script_problem``) when there is
    nothing to train on.

    The text is standalone.py's with the run's set-up block (``setup_block``) in place of
    the module's own."""
    problem = script_problem(run) or _unknown_name(run)
    if problem:
        raise ValueError(f"script: {problem}")
    before, _, after = template_parts()
    return before + setup_block(run, filename) + after
