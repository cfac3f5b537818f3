"""A control of choices answered at once: no 50 ms wait before its change is handled.

Panel holds every change that comes from the browser for 50 ms before it acts on it, in
case more follow within that time (a slider dragged, a number typed). A control of
choices sends one change per click or key: a menu (a lesson, an activation), a row of
buttons to pick from (the input features, the problem type), a check box, a toggle. For
them the hold only delays the answer: an input feature's click took 120–131 ms to show on
a page that trained, a lesson chosen in its menu 130–164 ms, against 67–82 ms for a data
set's tile, a button whose click Panel handles at once (docs/performance.md, "A control's
change handled at once").

Panel has no public option for it: the hold is the class attribute ``_debounce`` that
``Syncable._server_change`` reads. So each such widget of the page gets ``_debounce = 0``
on itself, only where that method reads the attribute (``available``), and not with
``PLAYGROUND_WIRE=bokeh`` (Bokeh's and Panel's own ways throughout; CI runs the browser
tests of the page that way too). Without it every control works as before, 50 ms later.
"""
from __future__ import annotations

import panel as pn

# the controls of choices: one change per click or key
CHOICES = (pn.widgets.Select, pn.widgets.CheckButtonGroup, pn.widgets.RadioButtonGroup,
           pn.widgets.CheckBoxGroup, pn.widgets.RadioBoxGroup, pn.widgets.Checkbox,
           pn.widgets.Toggle, pn.widgets.Switch)
HOLD = "_debounce"      # Panel's wait (ms) before a browser's change is handled


def available() -> bool:
    """Whether Panel's hold is the one this module knows: ``Syncable._server_change``
    reads ``_debounce``, an int of ms."""
    from panel.reactive import Syncable
    code = getattr(getattr(Syncable, "_server_change", None), "__code__", None)
    return (code is not None and HOLD in code.co_names
            and isinstance(getattr(Syncable, HOLD, None), int))


def enabled() -> bool:
    """Controls of choices answered at once here: Panel's hold is the known one, and the
    page runs on this project's ways (not ``PLAYGROUND_WIRE=bokeh``)."""
    from ..server import wire_choice
    return wire_choice() != "bokeh" and available()


def prompt(*widgets) -> int:
    """Each widget of ``widgets`` that is a control of choices handles the browser's
    change at once (where ``enabled``); returns how many."""
    if not enabled():
        return 0
    n = 0
    for widget in widgets:
        if isinstance(widget, CHOICES):
            setattr(widget, HOLD, 0)
            n += 1
    return n


def prompt_controls(viewable) -> int:
    """Every control of choices inside ``viewable`` answered at once; returns how many."""
    return prompt(*viewable.select(pn.widgets.Widget))
