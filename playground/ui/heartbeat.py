"""Is the student's browser still there? A page beats while it is shown; the server stops
a page's frames and training once its browser has gone quiet.

A closed tab closes its websocket and its frames stop at the next tick. A browser that
just disappears (a laptop lid shut, the network lost) leaves the websocket open for
minutes: without a sign of life the server would train and send frames into the void. So
the browser sets the tags of a model of the page every BEAT_MS (and at once when
the page is hidden or shown again); the page counts as *away* when no beat came for
QUIET_S while it was shown, or for HIDDEN_QUIET_S while the browser said it was hidden
(browsers slow a hidden page's timers down to once a minute), counted in the page's own
frames (see ``away``). A page that never beat
(a client without a browser, such as the load test's) is never away.

The same model carries the browser's acknowledgements of frames: each drawn frame numbers
itself (``drawn``, in the frame's own message), the browser answers with that number at its
next animation frame, and the server keeps at most WINDOW frames unanswered (``may_draw``).
A browser slower than the server's frame clock (the page's drawing takes more than a
frame period) then gets the frames it can show, not a queue of frames it works through
late: a click's answer does not wait behind them, and the server spends nothing on frames
that no one sees. Training goes on meanwhile, so a skipped frame's epochs show in the next
one. A page that never answered a frame is not paced.

    beat = Heartbeat()
    beat.install(doc)             # once per page, under a server
    layout = pn.Column(..., beat.pane)
    if beat.away(now): ...        # in the page's frame
    if beat.may_draw(now):        # in the page's frame
        with pn.io.hold(): ...draw...; beat.drawn(now)
"""
from __future__ import annotations

import time

import panel as pn
from bokeh.models import ColumnDataSource, CustomJS, Div

BEAT_MS = 250
QUIET_S = 1.0
HIDDEN_QUIET_S = 65.0
WINDOW = 3           # frames drawn and not yet answered by the browser, at most (with
                     # two, a page drew in 85 % of its 60 ticks a second, with three 92 %)
ANSWER_S = 0.5       # ... unless the oldest has waited this long (an answer lost on the way)

# tags of the beat model: [beat number, 1 when the page is hidden, last frame shown]
BEAT_JS = """
if (!window._pg_beat) {
  const s = window._pg_beat = {n: 0, shown: 0}
  s.send = () => {
    s.n = (s.n + 1) % 1000000
    beat.tags = [s.n, document.hidden ? 1 : 0, s.shown]
  }
  s.timer = setInterval(s.send, interval)
  document.addEventListener("visibilitychange", s.send)
  s.send()
}
"""
# on each frame's number: answer it at the browser's next animation frame (once the frame's
# changes are applied and drawn), with the newest number shown by then
ANSWER_JS = """
const s = window._pg_beat
const k = cb_obj.tags[0]
if (s && typeof k === "number" && !s.asked) {
  s.asked = true
  requestAnimationFrame(() => {
    s.asked = false
    const shown = frame.tags[0]
    if (shown !== s.shown) { s.shown = shown; s.send() }
  })
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
        self.sent = 0                       # frames drawn (numbered 1, 2, …)
        self.shown: int | None = None       # the last one the browser answered (None: never)
        self._sent_at = -float("inf")
        # data sources: models the browser keeps in step without drawing them (a change to a
        # Div's tags would lay the page out again, 60 times a second); the hidden Div only
        # brings them into the page
        self.model = ColumnDataSource(data={})
        self.model.on_change("tags", self._beat)
        self.frame = ColumnDataSource(data={})
        self.frame.js_on_change("tags", CustomJS(args=dict(frame=self.frame),
                                                 code=ANSWER_JS))
        anchor = Div(text="", width=0, height=0, visible=False)
        anchor.js_on_change("tags", CustomJS(args=dict(beat=self.model, frame=self.frame),
                                             code=""))
        self.pane = pn.pane.Bokeh(anchor, visible=False, margin=0)

    def install(self, doc) -> None:
        doc.js_on_event("document_ready", CustomJS(
            args=dict(beat=self.model, interval=BEAT_MS), code=BEAT_JS))

    def _beat(self, attr, old, new):
        try:
            self.hidden = bool(int(new[1]))
            shown = int(new[2]) if len(new) > 2 else None
        except (IndexError, TypeError, ValueError, OverflowError):
            return                          # not a beat this page sends
        self.last = self.clock()
        self.beats += 1
        if shown is not None and 0 < shown <= self.sent:
            self.shown = max(shown, self.shown or 0)

    def may_draw(self, now: float | None = None) -> bool:
        """May the page draw a frame now? Yes unless WINDOW frames wait for the browser's
        answer, the oldest for less than ANSWER_S. Always for a page that never answered
        one."""
        if self.shown is None or self.sent - self.shown < WINDOW:
            return True
        now = self.clock() if now is None else now
        return now - self._sent_at > ANSWER_S

    def drawn(self, now: float | None = None) -> None:
        """Number the frame being drawn: call it inside the frame's hold, so that the number
        travels in the frame's own message."""
        self.sent += 1
        self._sent_at = self.clock() if now is None else now
        self.frame.tags = [self.sent]

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
