"""Redraw on the page's frame: a Viewer's Bokeh models change only inside the session's
periodic callback (which holds the document lock), never in the middle of a widget's
change event. Events just mark the Viewer dirty."""
from __future__ import annotations

import panel as pn
import param

from ..server import wire


class DrawsOnFrame:
    """Mixin: ``touch()`` from any event; ``tick()`` (called every frame) redraws once."""

    _dirty = True

    def touch(self, *_):
        self._dirty = True

    def tick(self):
        if self._dirty:
            self._dirty = False
            self.update()


class LiveHTML(pn.pane.HTML):
    """An HTML pane for text that changes every frame (an epoch counter, a loss readout).

    Setting ``object`` makes Panel recompute and compare every property of the pane, its
    stylesheets (the page's CSS) included: most of a millisecond, per pane, per frame.
    ``show(text)`` writes the new text straight into the pane's Bokeh models (escaped as
    Panel escapes it) and keeps ``object`` in step without waking Panel's watchers."""

    def show(self, text: str):
        values = getattr(getattr(self, "_param__private", None), "values", None)
        if isinstance(values, dict) and "object" in values:
            # param keeps an instance's values in this dict; writing there is what
            # discard_events + assignment amounts to, without their cost every frame
            if values["object"] == text:
                return
            values["object"] = text
        else:                               # another param: the public way
            if text == self.object:
                return
            with param.discard_events(self):
                self.object = text
        escaped = self._transform_object(text)["object"]
        for model, _ in self._models.values():
            wire.set_property(model, "text", escaped)
