"""Two-way links between a widget and a parameter of the run, with friendly errors."""
from __future__ import annotations

from typing import Callable


def link(widget, obj, name: str, on_error: Callable[[str], None],
         to_param: Callable = lambda v: v, to_widget: Callable = lambda v: v,
         attr: str = "value"):
    """Keep ``widget.<attr>`` and ``obj.<name>`` equal in both directions.

    A value the parameter rejects (ValueError/TypeError) is not applied: the
    widget snaps back to the current setting and ``on_error`` gets the reason.
    """
    setattr(widget, attr, to_widget(getattr(obj, name)))

    def widget_changed(event):
        try:
            setattr(obj, name, to_param(event.new))
        except (ValueError, TypeError) as exc:
            on_error(str(exc))
            setattr(widget, attr, to_widget(getattr(obj, name)))

    def param_changed(event):
        setattr(widget, attr, to_widget(event.new))

    widget.param.watch(widget_changed, attr)
    obj.param.watch(param_changed, name)
    return widget


def tip(widget, text: str):
    """A widget with an (i) icon beside it whose tooltip explains it to a learner."""
    import panel as pn
    return pn.Row(widget, pn.widgets.TooltipIcon(value=text, margin=(8, 0, 0, -4)), margin=0)
