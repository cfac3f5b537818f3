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

from .state.presets import PRESETS
from .state.run import LayerActivations, LayerRates, LayerSizes, Run

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
        raise ValueError("not a number") from None
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def _integer(text: str) -> int:
    value = _number(text)
    if value != int(value):
        raise ValueError("not a whole number")
    return int(value)


def _names(text: str) -> list:
    return [t for t in text.split(",") if t] if text else []


def _codec(p: param.Parameter) -> Codec:
    if isinstance(p, LayerSizes):
        return Codec(lambda t: [_integer(x) for x in _names(t)],
                     lambda v: ",".join(map(str, v)))
    if isinstance(p, LayerRates):
        return Codec(lambda t: [_number(x) for x in _names(t)],
                     lambda v: ",".join(f"{x:g}" for x in v))
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
    if isinstance(values, bytes):
        values = values.decode("utf-8", "replace")
    return str(values)


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


def from_query(query: Mapping | str) -> tuple[dict, View, list]:
    """Parse a query (a dict of str/bytes/lists, or a '?a=b' string).

    Returns (settings, view, notices): settings hold only valid values (apply them on
    top of the defaults); every value that was refused is named in a notice."""
    if isinstance(query, str):
        query = parse_qs(query.lstrip("?"), keep_blank_values=True)
    notices, settings = [], {}
    raw = {str(k)[:MAX_VALUE_LENGTH]: _first(v) for k, v in dict(query).items()}
    preset = raw.pop("preset", "")
    if preset:
        if preset in PRESETS:
            settings.update(PRESETS[preset].settings)
        else:
            notices.append(f"unknown lesson {_shown(preset)} ignored")
            preset = ""
    hide = tuple(_names(raw.pop("hide", "")))
    bad_hide = [h for h in hide if h not in HIDEABLE]
    if bad_hide:
        notices.append(f"cannot hide {', '.join(map(_shown, bad_hide))}")
    projector = raw.pop("projector", "") in ("1", "true", "yes", "on")
    play = raw.pop("play", "") in ("1", "true", "yes", "on")
    tab = raw.pop("tab", "")
    if tab and tab not in TABS:
        notices.append(f"unknown tab {_shown(tab)}; showing {TABS[0]}")
        tab = ""
    for key, text in raw.items():
        if key not in TABLE:
            notices.append(f"unknown setting {_shown(key)} ignored")
            continue
        default = DEFAULTS[key]
        if key == "dataset" and text == "own":
            notices.append("your own data are not stored in links; using the default data "
                           "(save them as a CSV instead)")
            continue
        try:
            if len(text) > MAX_VALUE_LENGTH:
                raise ValueError("too long")
            value = TABLE[key].parse(text)
            Run.param[key]._validate(value)
        except (ValueError, TypeError, OverflowError) as exc:
            reason = str(exc).split(";")[0].split(":")[-1].strip() or "not allowed"
            notices.append(f"{key}={_shown(text)} is not valid ({reason[:80]}); "
                           f"using {TABLE[key].format(default)!r}")
            continue
        settings[key] = value
    view = View(tuple(h for h in hide if h in HIDEABLE), projector, preset, tab, play)
    return settings, view, notices


def apply(run: Run, settings: Mapping) -> list:
    """Put settings on top of the defaults into ``run``; returns notices for the values the
    run could not combine (they are left at what the run chose)."""
    notices = []
    values = {**DEFAULTS, **settings}
    run.forget_adaptations()          # a whole new set-up: nothing of the last one returns
    try:
        run.param.update(**values)
    except (ValueError, TypeError) as exc:          # a combination the run refuses
        notices.append(str(exc))
        for name, value in values.items():
            try:
                setattr(run, name, value)
            except (ValueError, TypeError) as err:
                notices.append(f"{name}: {err}")
    return notices
