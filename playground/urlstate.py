"""One table maps the run's parameters <-> the URL query, so a link opens a set-up.

The table is the run's own parameter list (the same parameters the widgets are bound
to), each with a codec chosen by its type. Only values that differ from the defaults
go into a link. Reading a link never raises: a malformed, out-of-range, unknown or
hostile value falls back to the default with a notice that says so.

    query = to_query(run.settings())           # {"dataset": "xor", "hidden": "4,2", ...}
    settings, view, notices = from_query({"dataset": ["xor"], "lr": ["abc"]})
"""
from __future__ import annotations

import math
from typing import Callable, Mapping, NamedTuple
from urllib.parse import parse_qs, urlencode

import param

from .engine import mlp
from .state.presets import PRESETS
from .state.run import (MAX_DROPOUT, OWN, LayerActivations, LayerRates, LayerSizes, PerLayer,
                        Run)

MAX_VALUE_LENGTH = 200
# Controls a teacher may hide with ?hide=a,b (names the page knows; see ui.app).
HIDEABLE = ("data", "features", "layers", "learning_rate", "activation", "optimizer", "loss",
            "regularization", "batch_size", "noise", "ratio", "speed", "stop", "presets",
            "export")
# The page's tabs, as ?tab=name opens them (the first is the default).
TABS = ("playground", "neurons", "descent", "convolution", "digits")


class Codec(NamedTuple):
    parse: Callable[[str], object]
    format: Callable[[object], str]


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("is not a number") from None
    if math.isnan(value):
        raise ValueError("is not a number")
    if math.isinf(value):
        raise ValueError("is too large")
    return value


def _integer(text: str) -> int:
    value = _number(text)
    if value != int(value):
        raise ValueError("is not a whole number")
    return int(value)


def _names(text: str) -> list:
    return [t for t in text.split(",") if t] if text else []


def _each(parse_one: Callable[[str], object]) -> Callable[[str], list]:
    """A comma-separated list parsed entry by entry; a bad entry is named."""
    def parse(text: str) -> list:
        out = []
        for entry in _names(text):
            try:
                out.append(parse_one(entry))
            except ValueError as exc:
                raise ValueError(f"has {_shown(entry, 12)}, which {exc}") from None
        return out
    return parse


def _codec(p: param.Parameter) -> Codec:
    if isinstance(p, LayerSizes):
        return Codec(_each(_integer), lambda v: ",".join(map(str, v)))
    if isinstance(p, LayerRates):
        return Codec(_each(_number), lambda v: ",".join(f"{x:g}" for x in v))
    if isinstance(p, (param.ListSelector, LayerActivations)):
        return Codec(_names, lambda v: ",".join(v))
    if isinstance(p, param.Selector):
        return Codec(str, str)
    if isinstance(p, param.Integer):
        return Codec(_integer, str)
    if isinstance(p, param.Number):
        return Codec(_number, lambda v: f"{v:g}")
    raise TypeError(f"no URL codec for {type(p).__name__}")


# The one table: URL key -> codec, in the run's parameter order.
TABLE: dict[str, Codec] = {name: _codec(Run.param[name]) for name in Run._settings()}
DEFAULTS: dict = {name: Run.param[name].default for name in TABLE}


class View(NamedTuple):
    """Page options carried by a link (not part of the run)."""
    hide: tuple = ()
    projector: bool = False
    preset: str = ""
    tab: str = ""
    play: bool = False     # start training as soon as the page opens (demos, load tests)


def to_query(settings: Mapping, view: View = View()) -> dict:
    """The non-default settings (and page options) as URL query strings."""
    out = {}
    if view.preset:
        out["preset"] = view.preset
    for name, codec in TABLE.items():
        if name in settings and settings[name] != DEFAULTS[name]:
            out[name] = codec.format(settings[name])
    if view.hide:
        out["hide"] = ",".join(view.hide)
    if view.projector:
        out["projector"] = "1"
    if view.tab and view.tab != TABS[0]:
        out["tab"] = view.tab
    if view.play:
        out["play"] = "1"
    return out


def to_search(settings: Mapping, view: View = View()) -> str:
    query = to_query(settings, view)
    return ("?" + urlencode(query, safe=",")) if query else ""


def _first(values) -> str:
    if isinstance(values, (list, tuple)):
        values = values[-1] if values else ""
    return _text(values)


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


# ------------------------------------------------------------------------ notices
# A notice speaks to a student: the URL key and the value as typed (printable, bounded),
# what is wrong in plain words, what is allowed, and what the page uses instead.
SHOWN_LENGTH = 40          # characters of a bad value or key a notice repeats
MAX_NOTICES_LENGTH = 1200  # all the notices of one link together (then "and N more ...")
LISTED_NAMES = 3           # unknown keys or hidden controls named before "and N more"

# Each setting as a notice names it (close to the page's label).
SETTING_NAMES = {
    "dataset": "the data set", "noise": "Noise (%)", "train_ratio": "the share of training data",
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
CHOICE_NOUNS = {"dataset": "a data set", "activation": "an activation",
                "schedule": "a learning-rate schedule", "optimizer": "an optimizer",
                "loss": "a loss", "regularization": "a regularization",
                "features": "an input feature", "activations": "an activation"}
# What a refused entry of a per-layer list is.
ENTRY_PROBLEMS = {"hidden": "has a layer of {} neurons", "dropout": "has a rate of {}",
                  "activations": "has {}, which is not an activation here"}


def _shown(text: str, limit: int = SHOWN_LENGTH) -> str:
    """A value from outside as a notice repeats it: printable, at most ``limit`` characters."""
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[:limit] + "…"


def _number_text(x) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _or_list(names, final="or") -> str:
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {final} {names[-1]}"


def _some(names) -> str:
    """The first LISTED_NAMES of ``names`` (shown), then "and N more"."""
    shown = [_shown(n) for n in names[:LISTED_NAMES]]
    rest = len(names) - len(shown)
    return f"{', '.join(shown)} and {rest:,} more" if rest else _or_list(shown, "and")


def _choices(key: str) -> list:
    return [o for o in Run.param[key].objects if o != OWN]


def allowed(key: str) -> str:
    """What a setting takes, in plain words (the second half of its notice)."""
    p, name = Run.param[key], SETTING_NAMES[key]
    most = f"at most {mlp.MAX_LAYERS} layers, separated by commas"
    if isinstance(p, LayerSizes):
        return (f"{name} take 1 to {mlp.MAX_NEURONS} neurons each, {most} "
                f"(e.g. 4,2)")
    if isinstance(p, LayerActivations):
        return f"{name} takes {_or_list(mlp.ACTIVATIONS)} per layer, {most}"
    if isinstance(p, LayerRates):
        return f"{name} takes a rate from 0 to {MAX_DROPOUT:g} per layer, {most}"
    if isinstance(p, param.ListSelector):
        return f"choose from {', '.join(_choices(key))}, separated by commas"
    if isinstance(p, param.Selector):
        return f"choose {_or_list(_choices(key))}"
    lo, hi = p.bounds
    kind = "a whole number" if isinstance(p, param.Integer) else "a number"
    lo = _number_text(lo)
    if hi is None:
        return f"{name} takes {kind} of {lo} or more"
    if not p.inclusive_bounds[0]:
        return f"{name} takes {kind} above {lo}, up to {_number_text(hi)}"
    return f"{name} takes {kind} from {lo} to {_number_text(hi)}"


def _problem(key: str, value) -> str:
    """Why a parsed value is refused, in plain words ("is out of range", "has 0, which ...")."""
    p = Run.param[key]
    if isinstance(p, PerLayer):
        if len(value) > mlp.MAX_LAYERS:
            return f"has {len(value)} layers, too many"
        bad = next((v for v in value if p._entry_error(v)), None)
        return ("is not allowed" if bad is None else
                ENTRY_PROBLEMS[key].format(_shown(str(bad), 12)))
    if isinstance(p, param.ListSelector):
        bad = next((v for v in value if v not in p.objects), None)
        if bad is None:
            return "is not allowed"
        return f"has {_shown(str(bad), 12)}, which is not {CHOICE_NOUNS[key]} here"
    if isinstance(p, param.Selector):
        return f"is not {CHOICE_NOUNS[key]} here"
    return "is out of range"


def bad_value_notice(key: str, text: str, problem: str) -> str:
    """The notice for a refused value: key=value <problem>; <what is allowed>; using
    <default>."""
    default = TABLE[key].format(DEFAULTS[key]) or "none"
    problem = problem if text else "is empty"
    return f"{key}={_shown(text)} {problem}; {allowed(key)}; using {default}"


def _bounded(notices: list) -> list:
    """At most MAX_NOTICES_LENGTH characters of notices, then how many more were left out."""
    out, total = [], 0
    for i, notice in enumerate(notices):
        if total + len(notice) > MAX_NOTICES_LENGTH:
            rest = len(notices) - i
            out.append(f"and {rest:,} more problem{'s' * (rest != 1)} in this link")
            break
        out.append(notice)
        total += len(notice) + 2
    return out


def from_query(query: Mapping | str) -> tuple[dict, View, list]:
    """Parse a query (a dict of str/bytes/lists, or a '?a=b' string).

    Returns (settings, view, notices): settings hold only valid values (apply them on
    top of the defaults); every value that was refused is named in a notice written for
    a student (the notices together stay under about MAX_NOTICES_LENGTH characters)."""
    if isinstance(query, str):
        query = parse_qs(query.lstrip("?"), keep_blank_values=True)
    notices, settings, unknown = [], {}, []
    raw = {_text(k)[:MAX_VALUE_LENGTH]: _first(v) for k, v in dict(query).items()}
    preset = raw.pop("preset", "")
    if preset:
        if preset in PRESETS:
            settings.update(PRESETS[preset].settings)
        else:
            notices.append(f"preset={_shown(preset)} is not a lesson here; choose "
                           f"{_or_list(PRESETS)}; no lesson opened")
            preset = ""
    hide = tuple(_names(raw.pop("hide", "")))
    bad_hide = [h for h in hide if h not in HIDEABLE]
    if bad_hide:
        notices.append(f"hide: a link cannot hide {_some(bad_hide)}; it can hide "
                       f"{_or_list(HIDEABLE)}")
    projector = raw.pop("projector", "") in ("1", "true", "yes", "on")
    play = raw.pop("play", "") in ("1", "true", "yes", "on")
    tab = raw.pop("tab", "")
    if tab and tab not in TABS:
        notices.append(f"tab={_shown(tab)} is not a tab here; choose {_or_list(TABS)}; "
                       f"showing {TABS[0]}")
        tab = ""
    for key, text in raw.items():
        if key not in TABLE:
            unknown.append(key)
            continue
        if key == "dataset" and text == OWN:
            notices.append(f"dataset=own: your own data are not stored in links; using "
                           f"{DEFAULTS[key]} (save your data as a CSV file instead)")
            continue
        try:
            if len(text) > MAX_VALUE_LENGTH:
                raise ValueError(f"is too long ({len(text):,} characters)")
            value = TABLE[key].parse(text)
        except ValueError as exc:           # the codecs' own plain words
            notices.append(bad_value_notice(key, text, str(exc)))
            continue
        try:
            Run.param[key]._validate(value)
        except (ValueError, TypeError, OverflowError):
            notices.append(bad_value_notice(key, text, _problem(key, value)))
            continue
        settings[key] = value
    if unknown:
        are = "is not a setting" if len(unknown) == 1 else "are not settings"
        notices.append(f"{_some(unknown)} {are} here; ignored")
    view = View(tuple(h for h in hide if h in HIDEABLE), projector, preset, tab, play)
    return settings, view, _bounded(notices)


def apply(run: Run, settings: Mapping) -> list:
    """Put settings on top of the defaults into ``run``; returns notices for the values the
    run could not take (they are left at what the run chose)."""
    notices = []
    values = {**DEFAULTS, **settings}
    run.forget_adaptations()          # a whole new set-up: nothing of the last one returns
    try:
        run.param.update(**values)
    except (ValueError, TypeError):          # a combination the run refuses: one by one
        for name, value in values.items():
            try:
                setattr(run, name, value)
            except (ValueError, TypeError):
                notices.append(_not_taken(name, value, getattr(run, name, None)))
        if not notices:
            notices.append("some settings did not fit together and were adjusted")
    return notices


def _not_taken(name: str, value, kept) -> str:
    if name not in TABLE:
        return f"{_shown(_text(name))} is not a setting here; ignored"
    try:
        shown = _shown(TABLE[name].format(value))
    except (TypeError, ValueError):
        shown = "that value"
    return (f"{name}={shown} could not be used with the rest of this set-up; "
            f"{allowed(name)}; kept {TABLE[name].format(kept) or 'none'}")
