"""The one validator of a set-up that comes from outside: a link, a set-up file or the
set-up inside a weights file. ``urlstate`` and ``export`` both ask it, so a link and a file
accept and refuse the same set-ups, for the same reasons, in the same words.

    problem("hidden", [4, 0])      # "has a layer of 0 neurons" (None: the value is fine)
    allowed("hidden")              # "the hidden layers take 1 to 16 neurons each, ..."
    conflicts({"dataset": "plane", "loss": "cross_entropy"})
                                   # [("loss", "needs a data set with classes, ...", "mse")]

No Panel here; every phrase is written for a student (no Python reprs, no class names).
"""
from __future__ import annotations

import math
from typing import Mapping

import param

from ..engine import datasets, features, mlp
from .run import MAX_DROPOUT, OWN, LayerActivations, LayerRates, LayerSizes, PerLayer, Run

SHOWN_LENGTH = 40          # characters of a bad value or key a message repeats

# Each setting as a message names it (close to the page's label).
SETTING_NAMES = {
    "problem": "the problem type", "dataset": "the data set", "noise": "Noise (%)",
    "train_ratio": "the share of training data",
    "n_samples": "the number of points", "seed": "the random seed",
    "features": "the input features", "hidden": "the hidden layers",
    "activation": "the activation", "activations": "the activation of each layer",
    "dropout": "the dropout of each layer", "learning_rate": "the learning rate",
    "schedule": "the learning-rate schedule", "schedule_epochs": "the schedule period (epochs)",
    "cycle_mult": "the SGDR cycle multiplier", "step_factor": "the step-decay factor",
    "batch_size": "the batch size", "optimizer": "the optimizer", "loss": "the loss",
    "regularization": "the regularization", "reg_rate": "the regularization rate",
    "stop_epoch": "the stop epoch", "patience": "the early-stopping patience"}
# What one choice of a menu is, for "is not ... here".
CHOICE_NOUNS = {"problem": "a problem type", "dataset": "a data set", "activation": "an activation",
                "schedule": "a learning-rate schedule", "optimizer": "an optimizer",
                "loss": "a loss", "regularization": "a regularization",
                "features": "an input feature", "activations": "an activation"}
# What a refused entry of a per-layer list is.
ENTRY_PROBLEMS = {"hidden": "has a layer of {} neurons", "dropout": "has a rate of {}",
                  "activations": "has {}, which is not an activation here"}


# ------------------------------------------------------------------------ words
def shown(text: str, limit: int = SHOWN_LENGTH) -> str:
    """A value from outside as a message repeats it: printable, at most ``limit`` characters."""
    text = "".join(c if c.isprintable() else "?" for c in str(text))
    return text if len(text) <= limit else text[:limit] + "…"


def entry_text(value) -> str:
    """One entry of a list from outside, as a message names it (short, printable)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:g}"
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "an object"
    return shown(value, 12)


def number_text(x) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def or_list(names, final="or") -> str:
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {final} {names[-1]}"


def choices(key: str) -> list:
    return [o for o in Run.param[key].objects if o != OWN]


def allowed(key: str, link: bool = True) -> str:
    """What a setting takes, in plain words (the second half of a refusal). ``link``: the
    list settings are written separated by commas (as in a link)."""
    p, name = Run.param[key], SETTING_NAMES[key]
    most = f"at most {mlp.MAX_LAYERS} layers" + (", separated by commas" if link else "")
    if isinstance(p, LayerSizes):
        return (f"{name} take 1 to {mlp.MAX_NEURONS} neurons each, {most} "
                f"(e.g. {'4,2' if link else '[4, 2]'})")
    if isinstance(p, LayerActivations):
        return f"{name} takes {or_list(mlp.ACTIVATIONS)} per layer, {most}"
    if isinstance(p, LayerRates):
        return f"{name} takes a rate from 0 to {MAX_DROPOUT:g} per layer, {most}"
    if isinstance(p, param.ListSelector):
        return (f"choose from {', '.join(choices(key))}"
                + (", separated by commas" if link else "") + ", each at most once")
    if isinstance(p, param.Selector):
        return f"choose {or_list(choices(key))}"
    lo, hi = p.bounds
    kind = "a whole number" if isinstance(p, param.Integer) else "a number"
    lo = number_text(lo)
    if hi is None:
        return f"{name} takes {kind} of {lo} or more"
    if not p.inclusive_bounds[0]:
        return f"{name} takes {kind} above {lo}, up to {number_text(hi)}"
    return f"{name} takes {kind} from {lo} to {number_text(hi)}"


# -------------------------------------------------------------------- one value
_NONE = object()


def _first(values, bad):
    return next((v for v in values if bad(v)), _NONE)


def problem(key: str, value, show=entry_text) -> str | None:
    """Why ``value`` cannot be the setting ``key``, in plain words that follow the value
    ("is out of range", "has x1 twice"); None when the run takes it. ``key`` must be one of
    ``Run.setting_names()``; ``show`` writes a refused entry of a list (e.g. one that never
    repeats markup)."""
    p = Run.param[key]
    if isinstance(p, PerLayer):
        if not isinstance(value, list):
            return "is not a list"
        if len(value) > mlp.MAX_LAYERS:
            return f"has {len(value)} layers, too many"
        bad = _first(value, p.entry_error)
        return None if bad is _NONE else ENTRY_PROBLEMS[key].format(show(bad))
    if isinstance(p, param.ListSelector):
        if not isinstance(value, list):
            return "is not a list of names"
        if not value:
            return "is empty"
        bad = _first(value, lambda v: not isinstance(v, str) or v not in p.objects)
        if bad is not _NONE:
            return f"has {show(bad)}, which is not {CHOICE_NOUNS[key]} here"
        twice = _first(value, lambda v: value.count(v) > 1)
        return None if twice is _NONE else f"has {show(twice)} twice"
    if isinstance(p, param.Selector):
        if not isinstance(value, str) or value not in p.objects:
            return f"is not {CHOICE_NOUNS[key]} here"
        return None
    if isinstance(p, param.Number):
        whole = isinstance(p, param.Integer)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "is not a whole number" if whole else "is not a number"
        if isinstance(value, float) and not math.isfinite(value):
            return "is not a number" if math.isnan(value) else "is too large"
        if whole and not isinstance(value, int):
            return "is not a whole number"
        lo, hi = p.bounds
        lo_in, hi_in = p.inclusive_bounds
        if lo is not None and (value < lo if lo_in else value <= lo):
            return "is out of range"
        if hi is not None and (value > hi if hi_in else value >= hi):
            return "is out of range"
        return None
    raise TypeError(f"no check for the setting {key}")     # a new kind of setting: add one


# --------------------------------------------------------- values that clash
def conflicts(settings: Mapping) -> list[tuple[str, str, object]]:
    """Choices of a set-up that do not fit together, each as (key, problem, what the run uses
    instead). ``settings``: the values a link or file gives (each one valid alone); the rest
    are the defaults, which never clash (the run adapts them by itself)."""
    out = []
    dataset = implied(settings).get("dataset", Run.param.dataset.default)
    chosen = settings.get("features")
    if dataset in datasets.ONE_D and chosen is not None:
        keep = [f for f in chosen if f in features.ONE_D_FEATURES]
        if len(keep) != len(chosen):
            bad = next(f for f in chosen if f not in features.ONE_D_FEATURES)
            out.append(("features", f"has {bad}, which the 1-D data set {dataset} cannot use "
                                    f"(1-D data have only {or_list(features.ONE_D_FEATURES, 'and')})",
                        keep or ["x1"]))
    if settings.get("loss") == "cross_entropy" and dataset != OWN \
            and not datasets.is_classification(dataset):
        out.append(("loss", f"needs a data set with classes, and {dataset} is a "
                            f"regression data set", "mse"))
    if settings.get("loss") == "mse" and datasets.n_classes(dataset) > 2:
        out.append(("loss", f"cannot be used with the {datasets.n_classes(dataset)} classes "
                            f"of {dataset}: more than two classes need cross_entropy (a "
                            f"softmax output)", "cross_entropy"))
    problem = settings.get("problem")
    if problem is not None and "dataset" in settings and dataset != OWN \
            and datasets.problem_of(dataset) != problem:
        its_own = datasets.problem_of(dataset)
        out.append(("problem", f"does not fit the data set {dataset}, which is a {its_own} "
                               f"data set", its_own))
    return out


def implied(settings: Mapping) -> dict:
    """The settings with the data set or problem that the other one implies filled in: a
    problem alone opens its first data set, a data set alone its problem (for set-ups
    that give one and not the other; clashes are ``conflicts``)."""
    out = dict(settings)
    if "problem" in out and "dataset" not in out:
        out["dataset"] = datasets.DEFAULT_DATASET[out["problem"]]
    elif "dataset" in out and "problem" not in out and out["dataset"] != OWN:
        out["problem"] = datasets.problem_of(out["dataset"])
    return out
