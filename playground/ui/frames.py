"""Redraw on the page's frame: a Viewer's Bokeh models change only inside the session's
periodic callback (which holds the document lock), never in the middle of a widget's
change event. Events just mark the Viewer dirty."""
from __future__ import annotations

import contextlib
import contextvars
import functools

import panel as pn
import param

from ..server import wire

# True while a page's frame runs: Bokeh runs it with the session's document locked
_IN_FRAME = contextvars.ContextVar("in_frame", default=False)


@contextlib.contextmanager
def in_frame():
    """Marks the body as a frame of a served page, which Bokeh runs with the session's
    document locked: ``LiveHTML.show`` writes into its models at once there."""
    token = _IN_FRAME.set(True)
    try:
        yield
    finally:
        _IN_FRAME.reset(token)


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
    """An HTML pane for text that changes once the page is shown: every frame (an epoch
    counter, a loss readout) or on a click (a layer's neuron count, the status line).

    Setting ``object`` makes Panel recompute and compare every property of the pane, its
    stylesheets (the page's CSS) included: most of a millisecond, per pane, per frame.
    And Panel sends them all again, its stylesheets as texts: the first change of a pane
    whose texts ``theme.share_sheets`` had shared undoes that (4.6 kB more in the message,
    the server finds the page's models again, the browser applies the pane's styles
    again). The first "+" on a layer took 80–200 ms to show, the next ones 40–60 ms.
    ``show(text)`` writes the new text straight into the pane's Bokeh models (escaped as
    Panel escapes it) and keeps ``object`` in step without waking Panel's watchers.

    A served page's models may only change with its document locked. A frame holds that
    lock (``in_frame``): there the text goes at once, in the frame's own message. Panel
    runs a click's callbacks without it (writing at once there made Bokeh refuse the
    change, "_pending_writes should be non-None…", and the browser lose it): there the
    write waits for the next turn of the event loop (Bokeh's next-tick callback, run
    locked) and writes the pane's latest text, 12–17 ms later (medians of 20 clicks).

    So a pane's text reaches the browser one way only, Bokeh's, in the order it was set.
    Sending a click's text as Panel sends its own, inside ``pn.io.unlocked``, was that
    much quicker, but while a frame's message was being written Panel keeps the click's
    message, made then, and writes it once the socket is free, after the later frames'
    messages: the browser showed "Training…" over the "Diverged" that came after it,
    and the pane's text, unchanged on the server, was never sent again."""

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
        escaped = self._escaped(text)
        for model, _ in self._models.values():
            doc = model.document
            if doc is None or doc.session_context is None or _IN_FRAME.get():
                wire.set_property(model, "text", escaped)
            else:
                doc.add_next_tick_callback(functools.partial(self._write, model))

    def _write(self, model):
        """The latest text into ``model``, on the event loop with the document locked."""
        wire.set_property(model, "text", self._escaped(self.object))

    def _escaped(self, text: str) -> str:
        """``text`` as Panel puts it into the pane's model."""
        return self._transform_object(text)["object"]

