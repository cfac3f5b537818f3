"""Redraw on the page's frame: a Viewer's Bokeh models change only inside the session's
periodic callback (which holds the document lock), never in the middle of a widget's
change event. Events just mark the Viewer dirty."""
from __future__ import annotations


class DrawsOnFrame:
    """Mixin: ``touch()`` from any event; ``tick()`` (called every frame) redraws once."""

    _dirty = True

    def touch(self, *_):
        self._dirty = True

    def tick(self):
        if self._dirty:
            self._dirty = False
            self.update()
