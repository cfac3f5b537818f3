"""Is the student's browser still there? A page beats while it is shown; the server stops
a page's frames and training once its browser has gone quiet.

A closed tab closes its websocket and its frames stop at the next tick. A browser that
just disappears (a laptop lid shut, the network lost) leaves the websocket open for
minutes: without a sign of life the server would train and send frames into the void. So
the browser sets the tags of a hidden model of the page every BEAT_MS (and at once when
the page is hidden or shown again); the page counts as *away* when no beat came for
QUIET_S while it was shown, or for HIDDEN_QUIET_S while the browser said it was hidden
(browsers slow a hidden page's timers down to once a minute), counted in the page's own
frames (see ``away``). A page that never beat
(a client without a browser, such as the load test's) is never away.

    beat = Heartbeat()
    beat.install(doc)             # once per page, under a server
    layout = pn.Column(..., beat.pane)
    if beat.away(now): ...        # in the page's frame
"""
from __future__ import annotations

import time

import panel as pn
from bokeh.models import CustomJS, Div

BEAT_MS = 250
QUIET_S = 1.0
HIDDEN_QUIET_S = 65.0

BEAT_JS = """
if (!window._pg_beat) {
  let n = 0
  const send = () => { n = (n + 1) % 1000000; beat.tags = [n, document.hidden ? 1 : 0] }
  window._pg_beat = setInterval(send, interval)
  document.addEventListener("visibilitychange", send)
  send()
}
"""


class Heartbeat:
    """The last sign of life from the page's browser."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.last: float | None = None      # when the last beat came (None: never)
        self.hidden = False
        self.beats = 0
        self._seen = 0                      # beats already seen by ``away``
        self._quiet = 0.0                   # quiet time added up since then (s)
        self._checked: float | None = None
        self.model = Div(text="", width=0, height=0, visible=False)
        self.model.on_change("tags", self._beat)
        self.pane = pn.pane.Bokeh(self.model, visible=False, margin=0)

    def install(self, doc) -> None:
        doc.js_on_event("document_ready", CustomJS(
            args=dict(beat=self.model, interval=BEAT_MS), code=BEAT_JS))

    def _beat(self, attr, old, new):
        try:
            self.hidden = bool(int(new[1]))
        except (IndexError, TypeError, ValueError, OverflowError):
            return                          # not a beat this page sends
        self.last = self.clock()
        self.beats += 1

    def away(self, now: float | None = None) -> bool:
        """True when the browser has gone quiet (see the module's docstring). Call it at
        every frame of the page: the quiet time adds up from frame to frame, at most
        BEAT_MS a frame, so a server that was busy for a while (a page being built) does
        not blame the browsers whose beats waited in its queue."""
        if self.last is None:
            return False
        now = self.clock() if now is None else now
        if self.beats != self._seen:
            self._seen, self._quiet = self.beats, 0.0
        elif self._checked is not None:
            self._quiet += min(max(now - self._checked, 0.0), 2 * BEAT_MS / 1000)
        self._checked = now
        return self._quiet > (HIDDEN_QUIET_S if self.hidden else QUIET_S)
