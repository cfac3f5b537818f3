"""A run's set-up as JSON: write it, read it back (validated), and give it to a run.

    text = settings_to_json(run, display.values())   # the set-up, pretty JSON
    settings_from_json(text)              # the file's settings (a dict), validated
    display_from_json(text)               # its display options (test points, colours)
    run2 = run_from_json(text)            # a fresh run with that set-up (epoch 0)
    apply_settings(run, settings)         # the page's run takes the set-up

Everything read from outside is validated and refused with a ``ValueError`` whose message
names the field and never echoes hostile text (``show`` describes a value from outside
safely; the weights file's messages use it too).
"""
from __future__ import annotations

import json
import math
import re

import numpy as np

from ..engine import mlp
from ..state import checks
from ..state import display as shown
from ..state.run import Run

FORMAT = "neural-network-playground"
VERSION = 1
MAX_JSON_BYTES = 100_000
MAX_EPOCH = 10**9         # the largest epoch a file may name
_TOP_KEYS = ("format", "version", "settings", "epoch", "display")
_LISTED = 3               # unknown keys named before "and N more"


# ----------------------------------------------------------------- messages
_SAFE_TEXT = re.compile(r"[A-Za-z0-9_.,:+\- ]{0,40}")


def show(value) -> str:
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


def plain(value):
    """numpy scalars/lists -> JSON-able Python values."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


# --------------------------------------------------------------- settings JSON
def settings_to_json(run: Run, display: dict | None = None) -> str:
    """The run's set-up (every setting) and its epoch as pretty JSON; with ``display``
    (``state.display.Display.values()``), the page's display options too."""
    doc = {"format": FORMAT, "version": VERSION,
           "settings": {k: plain(v) for k, v in run.settings().items()},
           "epoch": int(run.epoch)}
    if display is not None:
        doc["display"] = {k: display[k] for k in shown.Display.names() if k in display}
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
            raise ValueError(f"the key {show(k)} appears twice")
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
        raise ValueError(f"file: expected JSON text, got {show(text)}")
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
    return show(value)


def _entry_text(value) -> str:
    """One entry of a list in a file, as a message names it (never markup)."""
    if isinstance(value, str) and not _SAFE_TEXT.fullmatch(value):
        return show(value)
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
    first = ", ".join(map(show, names[:_LISTED]))
    return first + (f" and {len(names) - _LISTED:,} more" if len(names) > _LISTED else "")


def _check_display(options) -> dict:
    """The display options of a file (an object; each known and valid), as a dict."""
    if not isinstance(options, dict):
        raise ValueError(f"display: expected an object of display options, got "
                         f"{show(options)}")
    names = shown.Display.names()
    unknown = [k for k in options if k not in names]
    if unknown:
        raise ValueError(f"display: unknown option(s) {_listed(unknown)}; "
                         f"allowed: {', '.join(names)}")
    for name, value in options.items():
        problem = shown.problem(name, value)
        if problem:
            raise ValueError(f"display: {name}: {show(value)} {problem}; "
                             f"{shown.allowed(name, link=False)}")
    return dict(options)


def parse(text) -> tuple[dict, int, Run]:
    """Validate a settings file (str or bytes): (its settings, its epoch, a new run with
    those settings at epoch 0). ValueError naming the offending field."""
    return _read(text)[:3]


def _read(text) -> tuple[dict, int, Run, dict]:
    """parse(), and the file's display options ({} where it has none)."""
    doc = _load_json(text)
    if not isinstance(doc, dict):
        raise ValueError(f"file: expected a JSON object {{\"format\": \"{FORMAT}\", ...}}, "
                         f"got {show(doc)}")
    if doc.get("format") != FORMAT:
        raise ValueError(f"format: expected {FORMAT!r}, got {show(doc.get('format'))} "
                         f"— not a playground settings file")
    unknown = [k for k in doc if k not in _TOP_KEYS]
    if unknown:
        raise ValueError(f"file: unknown key(s) {_listed(unknown)}; "
                         f"allowed: {', '.join(_TOP_KEYS)}")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(f"version: expected a whole number, got {show(version)}")
    if version != VERSION:
        raise ValueError(f"version: {show(version)} is not supported (this playground "
                         f"reads version {VERSION})")
    epoch = doc.get("epoch", 0)
    if isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 <= epoch <= MAX_EPOCH:
        raise ValueError(f"epoch: expected a whole number from 0 to {MAX_EPOCH:,}, "
                         f"got {show(epoch)}")
    options = _check_display(doc.get("display", {}))
    settings = doc.get("settings")
    if not isinstance(settings, dict):
        raise ValueError(f"settings: expected an object of settings, got {show(settings)}")
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
    return settings, epoch, run, options


def settings_from_json(text: str | bytes) -> dict:
    """Validate a settings file (str or bytes, at most 100 kB) and return its settings.

    Settings missing from the file keep their defaults (they are absent from the dict:
    apply them on top of the defaults). Raises ValueError naming the offending field.
    """
    return parse(text)[0]


def display_from_json(text: str | bytes) -> dict:
    """The display options a set-up file saved (test points, hard classes, palette),
    validated; {} for a file without them (the page keeps its own)."""
    return _read(text)[3]


def epoch_from_json(text: str | bytes) -> int:
    """The epoch the exported run had reached (information only)."""
    return parse(text)[1]


def run_from_json(text: str | bytes, replay: bool = False) -> Run:
    """A new run with the file's set-up, at epoch 0 (its seed's first weights).

    replay=True trains it for the file's epoch count in one call; that repeats the
    exported run exactly only if its hyperparameters were not changed while it trained.
    """
    _, epoch, run = parse(text)
    if replay and epoch:
        run.train(epoch)
    return run


def apply_settings(run: Run, settings: dict) -> Run:
    """Give an existing run (the one the page's widgets are bound to) the set-up
    ``settings`` (from settings_from_json) on top of the defaults, from fresh weights."""
    from ..state import urlstate          # the same path the presets and links take
    notices = urlstate.apply(run, settings)
    wrong = [k for k, v in settings.items() if run.settings()[k] != v]
    if notices or wrong:
        raise ValueError("settings: could not apply " + "; ".join(notices + wrong)[:300])
    run.reset()
    return run


def settings_filename(run: Run) -> str:
    """The set-up file's name: the data set's."""
    return f"playground_{run.dataset}.json"
