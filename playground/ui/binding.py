"""Two-way links between a widget and a parameter of the run, with friendly errors."""
from __future__ import annotations

import math
import re
from typing import Callable

import panel as pn


def link(widget, obj, name: str, on_error: Callable[[str], None],
         to_param: Callable = lambda v: v, to_widget: Callable = lambda v: v,
         attr: str = "value"):
    """Keep ``widget.<attr>`` and ``obj.<name>`` equal in both directions.

    The widget always ends up showing the parameter's *current* value: a value the
    parameter rejects (ValueError/TypeError) is not applied and ``on_error`` gets the
    reason; a value the run adjusts (e.g. no features left) shows the adjustment.
    """
    busy = False

    def sync(*_):
        nonlocal busy
        busy = True
        try:
            setattr(widget, attr, to_widget(getattr(obj, name)))
        finally:
            busy = False

    def widget_changed(event):
        if busy:
            return
        try:
            setattr(obj, name, to_param(event.new))
        except (ValueError, TypeError) as exc:
            on_error(plain_reason(str(exc), getattr(widget, "label", "") or
                                  name.replace("_", " ")))
        sync()

    sync()
    widget.param.watch(widget_changed, attr)
    obj.param.watch(sync, name)
    return widget


# how param names what it refuses: "Number parameter 'Run.step_factor' must be …"
PARAM_NAMED = re.compile(r"^\w+ parameter '[\w.]+'")


def plain_reason(text: str, label: str) -> str:
    """A refusal in the words of the page: param's name for the parameter (its class's
    and its own, internals to a learner) becomes the control's label."""
    return PARAM_NAMED.sub(label, text, count=1)


def unlinked(widget_type, parameter, **kw):
    """A widget for ``parameter`` (a Parameterized class's declaration) as ``from_param``
    would make it (its label, default, bounds and doc as its tooltip), tied to no object
    yet: ``link`` ties it to one later (a lab made ahead of the page whose run it shows)."""
    lo, hi = getattr(parameter, "bounds", None) or (None, None)
    kw.setdefault("label", parameter.label)
    if lo is not None:
        kw.setdefault("start", lo)
    if hi is not None:
        kw.setdefault("end", hi)
    return widget_type(value=parameter.default, description=parameter.doc, **kw)


# what Panel gives the tooltip it makes of a text description: it wraps at 300 px
TOOLTIP_CSS = ":host { white-space: initial; max-width: 300px; }"


def plain_tooltip(text: str, position: str = "right"):
    """A tooltip of plain words: one Bokeh model. (Panel makes two of the words of a
    TooltipIcon, the tooltip and an HTML model of the words rendered as Markdown, and
    every model costs the server's event loop to make and send.)"""
    from bokeh.models import Tooltip
    return Tooltip(content=text, position=position, stylesheets=[TOOLTIP_CSS],
                   syncable=False)


def tooltip_below(text: str):
    """A control's tooltip shown under it instead of to its right (where it would cover
    the readout beside the control, e.g. the epoch counter beside Play and Step)."""
    return plain_tooltip(text, "bottom")


def tooltip_text(description) -> str:
    """The words of a control's tooltip, given as text or as a plain_tooltip."""
    return getattr(description, "content", description) or ""


def tip(widget, text: str):
    """A widget with an (i) icon beside it whose tooltip explains it to a learner."""
    icon = pn.widgets.TooltipIcon(value=plain_tooltip(text), margin=(8, 0, 0, -4))
    return pn.Row(widget, icon, margin=0)


def event_point(event) -> tuple[float, float] | None:
    """The data coordinates of a tap or pan event as two finite floats, or None for an event
    the page must ignore (no coordinates, NaN or infinite ones, which a browser can send
    for a tap outside the plot's ranges or a hostile client can send for anything)."""
    try:
        x, y = float(event.x), float(event.y)
    except (TypeError, ValueError, AttributeError, OverflowError):
        return None
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    return x, y
