"""One table maps the run's parameters <-> the URL query, so a link opens a set-up.

The table is the run's own parameter list (the same parameters the widgets are bound
to), each with a codec chosen by its type. Only values that differ from the defaults
go into a link. Reading a link never raises: a malformed, out-of-range, unknown or
hostile value falls back to the default with a notice that says so.

    query = to_query(run.settings())           # {"dataset": "xor", "hidden": "4,2", ...}
    settings, view, notices = from_query({"dataset": ["xor"], "lr": ["abc"]}, page)

A link also carries page options (``View``): which tab opens, which controls are hidden,
and the display options (``state.display``: test points, hard classes, the palette).
Their names belong to the page: the UI passes them as a ``Page`` (``ui.links.PAGE``).
"""
from __future__ import annotations

import math
from types import MappingProxyType
from typing import Callable, Mapping, NamedTuple
from urllib.parse import parse_qs, urlencode

import param

from . import checks, display
from .presets import PRESETS
from .run import OWN, LayerActivations, LayerRates, LayerSizes, Run

MAX_VALUE_LENGTH = 200
MAX_CLASS_CODE = 20        # characters of ?class= kept (a code has 6; the page checks it)


class Page(NamedTuple):
    """The names a link may use for the page it opens: its tabs, as ?tab=name opens them
    (the first is the default), and the controls a teacher may hide with ?hide=a,b. With
    none (the default) a link's tab and hide options are refused with a notice."""
    tabs: tuple = ()
    hideable: tuple = ()


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


def _switch(text: str) -> bool:
    word = text.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ValueError("is not on or off")


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
    if isinstance(p, param.Boolean):
        return Codec(_switch, lambda v: "1" if v else "0")
    if isinstance(p, param.Integer):
        return Codec(_integer, str)
    if isinstance(p, param.Number):
        return Codec(_number, lambda v: f"{v:g}")
    raise TypeError(f"no URL codec for {type(p).__name__}")


# The one table: URL key -> codec, in the run's parameter order.
TABLE: dict[str, Codec] = {name: _codec(Run.param[name]) for name in Run.setting_names()}
DEFAULTS: dict = {name: Run.param[name].default for name in TABLE}
# ... and the display options (state.display): how the page shows the run, not the run
DISPLAY_TABLE: dict[str, Codec] = {name: _codec(display.Display.param[name])
                                   for name in display.Display.names()}
NO_DISPLAY = MappingProxyType({})


class View(NamedTuple):
    """Page options carried by a link (not part of the run)."""
    hide: tuple = ()
    projector: bool = False
    preset: str = ""
    tab: str = ""
    play: bool = False     # start training as soon as the page opens (demos, load tests)
    display: Mapping = NO_DISPLAY   # display options that differ from state.display's defaults
    class_code: str = ""   # ?class=CODE: the page joins that class (checked by the page)


def to_query(settings: Mapping, view: View = View(), page: Page = Page()) -> dict:
    """The non-default settings (and page options) as URL query strings; the tab is left
    out where it is the page's first, the problem type where the data set implies it."""
    out = {}
    if view.preset:
        out["preset"] = view.preset
    implied = checks.implied({k: settings[k] for k in ("dataset",) if k in settings})
    for name, codec in TABLE.items():
        if name == "problem" and settings.get(name) == implied.get(name):
            continue                       # the link's data set says it already
        if name in settings and settings[name] != DEFAULTS[name]:
            out[name] = codec.format(settings[name])
    for name, value in view.display.items():
        if name in DISPLAY_TABLE and value != display.DEFAULTS[name]:
            out[name] = DISPLAY_TABLE[name].format(value)
    if view.hide:
        out["hide"] = ",".join(view.hide)
    if view.projector:
        out["projector"] = "1"
    if view.tab and view.tab not in page.tabs[:1]:
        out["tab"] = view.tab
    if view.play:
        out["play"] = "1"
    if view.class_code:
        out["class"] = view.class_code
    return out


def to_search(settings: Mapping, view: View = View(), page: Page = Page()) -> str:
    query = to_query(settings, view, page)
    return ("?" + urlencode(query, safe=",")) if query else ""


def _first(values) -> str:
    if isinstance(values, (list, tuple)):
        values = values[-1] if values else ""
    return _text(values)


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


# ------------------------------------------------------------------------ notices
# A notice speaks to a student: the URL key and the value as typed (printable, bounded),
# what is wrong in plain words, what is allowed, and what the page uses instead. Which values
# are refused, and the words, come from state.checks (the set-up files use the same).
SHOWN_LENGTH = checks.SHOWN_LENGTH
MAX_NOTICES_LENGTH = 1200  # all the notices of one link together (then "and N more ...")
LISTED_NAMES = 3           # unknown keys or hidden controls named before "and N more"
SETTING_NAMES, CHOICE_NOUNS = checks.SETTING_NAMES, checks.CHOICE_NOUNS
_shown, _number_text, _or_list, allowed = (checks.shown, checks.number_text, checks.or_list,
                                           checks.allowed)


def _some(names) -> str:
    """The first LISTED_NAMES of ``names`` (shown), then "and N more"."""
    shown = [_shown(n) for n in names[:LISTED_NAMES]]
    rest = len(names) - len(shown)
    return f"{', '.join(shown)} and {rest:,} more" if rest else _or_list(shown, "and")


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


def from_query(query: Mapping | str, page: Page = Page()) -> tuple[dict, View, list]:
    """Parse a query (a dict of str/bytes/lists, or a '?a=b' string) for ``page``.

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
    bad_hide = [h for h in hide if h not in page.hideable]
    if bad_hide:
        can = f"it can hide {_or_list(page.hideable)}" if page.hideable else "nothing is hidden"
        notices.append(f"hide: a link cannot hide {_some(bad_hide)}; {can}")
    projector = raw.pop("projector", "") in ("1", "true", "yes", "on")
    play = raw.pop("play", "") in ("1", "true", "yes", "on")
    class_code = raw.pop("class", "")[:MAX_CLASS_CODE]
    tab = raw.pop("tab", "")
    if tab and tab not in page.tabs:
        choose = (f"choose {_or_list(page.tabs)}; showing {page.tabs[0]}" if page.tabs
                  else "ignored")
        notices.append(f"tab={_shown(tab)} is not a tab here; {choose}")
        tab = ""
    given, shown = {}, {}                   # key -> the text of each valid value
    for key, text in raw.items():
        if key in DISPLAY_TABLE:
            try:
                shown[key] = DISPLAY_TABLE[key].parse(text[:MAX_VALUE_LENGTH])
                problem = display.problem(key, shown[key])
            except ValueError as exc:
                problem = str(exc)
            if problem:
                shown.pop(key, None)
                notices.append(f"{key}={_shown(text)} {problem if text else 'is empty'}; "
                               f"{display.allowed(key)}; using "
                               f"{DISPLAY_TABLE[key].format(display.DEFAULTS[key])}")
            continue
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
        problem = checks.problem(key, value)
        if problem:
            notices.append(bad_value_notice(key, text, problem))
            continue
        settings[key], given[key] = value, text
    for key, problem, instead in checks.conflicts(settings):
        text = given.get(key) or TABLE[key].format(settings[key])
        notices.append(f"{key}={_shown(text)} {problem}; using {TABLE[key].format(instead)}")
        settings[key] = instead
    if unknown:
        are = "is not a setting" if len(unknown) == 1 else "are not settings"
        notices.append(f"{_some(unknown)} {are} here; ignored")
    view = View(tuple(h for h in hide if h in page.hideable), projector, preset, tab, play,
                MappingProxyType(shown), class_code)
    return settings, view, _bounded(notices)


def apply(run: Run, settings: Mapping) -> list:
    """Put settings on top of the defaults into ``run``; returns notices for the values the
    run could not take (they are left at what the run chose)."""
    notices = []
    values = {**DEFAULTS, **checks.implied(settings)}
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
