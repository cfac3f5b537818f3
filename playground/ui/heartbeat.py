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
PUT_ANSWER_S = 2.0   # a page's next held part waits at most this long for the last one's
                     # answer (``answered``): the browser takes up to a second to draw a big one

# tags of the beat model: [beat number, 1 when the page is hidden, last frame shown,
# 1 once the student has scrolled the page (or a box in it), the tab under the pointer
# (its index, -1 before any; set by the page's tab bar)]
BEAT_JS = """
if (!window._pg_beat) {
  const s = window._pg_beat = {n: 0, shown: 0, scrolled: 0, hover: -1}
  s.send = () => {
    s.n = (s.n + 1) % 1000000
    beat.tags = [s.n, document.hidden ? 1 : 0, s.shown, s.scrolled, s.hover]
  }
  s.timer = setInterval(s.send, interval)
  document.addEventListener("visibilitychange", s.send)
  document.addEventListener("scroll", () => {
    if (!s.scrolled) { s.scrolled = 1; s.send() }
  }, {capture: true, passive: true})
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


# Frames shown one per animation frame. The server sends about 60 frames a second, but they
# do not arrive evenly: with the server and the browser on the same cores, two often come
# within one animation frame (16.7 ms), and the browser then shows only the second. A
# frame's message (it changes ``frame``'s tags) that arrives when a frame was already put in
# place since the last animation frame waits for the next one. Any other message (a
# click's answer, a card's contents) is put in place at once, after whatever waits before
# it, and so is a frame that has waited PACE_MAX_MS (a browser that draws no animation
# frames, a hidden tab) or that comes within PACE_INPUT_MS of the student's last click or
# key (it may carry the click's answer, which waits for nothing); with more than
# PACE_BACKLOG frames waiting, the older ones are put in place together (the page catches
# up, never falls behind). Without the document method
# this wraps (another BokehJS), the messages are put in place as they come.
FRAME_NAME = "pg-frame"     # the frame-number model's name (for the page's tests)
PACE_MAX_MS = 80
PACE_BACKLOG = 2
PACE_INPUT_MS = 250
PACE_JS = """
const doc = frame.document
if (!window._pg_pace && doc && typeof doc.apply_json_patch === "function") {
  const apply = doc.apply_json_patch.bind(doc)
  const p = window._pg_pace = {queue: [], shown: false, asked: false, timer: null,
                               input_at: -Infinity}
  const input = () => { p.input_at = performance.now() }
  document.addEventListener("pointerdown", input, true)
  document.addEventListener("keydown", input, true)
  const id = frame.id
  const is_frame = (patch) => patch != null && Array.isArray(patch.events) &&
    patch.events.some((e) => e && e.kind === "ModelChanged" && e.attr === "tags" &&
                             e.model != null && e.model.id === id)
  const put = (item) => { apply(item.patch, item.buffers); if (item.frame) p.shown = true }
  const flush = () => { while (p.queue.length) put(p.queue.shift()) }
  const ask = () => { if (!p.asked) { p.asked = true; requestAnimationFrame(tick) } }
  const tick = () => {
    p.asked = false
    p.shown = false
    let frames = p.queue.filter((item) => item.frame).length
    while (p.queue.length) {
      const item = p.queue[0]
      if (item.frame && p.shown) break             // one frame per animation frame
      p.queue.shift()
      put(item)
      if (item.frame && --frames >= PACE_BACKLOG) p.shown = false   // an old one: catch up
    }
    if (p.queue.length || p.shown) ask()
  }
  const watch = () => {     // a frame that waits too long (no animation frames): now
    p.timer = null
    if (!p.queue.length) return
    if (performance.now() - p.queue[0].at >= max_ms) flush()
    else p.timer = setTimeout(watch, max_ms / 2)
    if (p.queue.length) ask()
  }
  doc.apply_json_patch = (patch, buffers) => {
    const item = {patch, buffers, frame: is_frame(patch), at: performance.now()}
    if (!item.frame || item.at - p.input_at < input_ms) { flush(); put(item); return }
    if (!p.queue.length && !p.shown) { put(item); ask(); return }
    p.queue.push(item)
    ask()
    if (p.timer === null) p.timer = setTimeout(watch, max_ms / 2)
  }
}
"""


class Heartbeat:
    """The last sign of life from the page's browser."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.last: float | None = None      # when the last beat came (None: never)
        self.hidden = False
        self.scrolled = False               # the student has scrolled the page
        self.hover: int | None = None       # the tab under the pointer, last said (index)
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
        self.frame = ColumnDataSource(data={}, name=FRAME_NAME)
        self.frame.js_on_change("tags", CustomJS(args=dict(frame=self.frame),
                                                 code=ANSWER_JS))
        anchor = Div(text="", width=0, height=0, visible=False)
        anchor.js_on_change("tags", CustomJS(args=dict(beat=self.model, frame=self.frame),
                                             code=""))
        self.pane = pn.pane.Bokeh(anchor, visible=False, margin=0)

    def install(self, doc) -> None:
        doc.js_on_event("document_ready", CustomJS(
            args=dict(beat=self.model, interval=BEAT_MS), code=BEAT_JS))
        doc.js_on_event("document_ready", CustomJS(
            args=dict(frame=self.frame, max_ms=PACE_MAX_MS, input_ms=PACE_INPUT_MS,
                      PACE_BACKLOG=PACE_BACKLOG),
            code=PACE_JS))

    def _beat(self, attr, old, new):
        try:
            self.hidden = bool(int(new[1]))
            shown = int(new[2]) if len(new) > 2 else None
            scrolled = len(new) > 3 and bool(int(new[3]))
            hover = int(new[4]) if len(new) > 4 else -1
        except (IndexError, TypeError, ValueError, OverflowError):
            return                          # not a beat this page sends
        self.scrolled = self.scrolled or scrolled
        if hover >= 0:
            self.hover = hover
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

    def answered(self, number: int, since: float, now: float,
                 wait_s: float = PUT_ANSWER_S) -> bool:
        """Has the browser shown frame ``number``, drawn at ``since`` (``since`` and ``now``
        on the caller's clock)? A page puts its held parts (a card's contents) one after
        another: each waits until the browser has shown the last, so that the browser gets
        to paint between them. Sent back to back, they queued in the browser behind one
        another, and a lab's first card, put on the page first, appeared only once all its
        cards' contents were drawn, 3–4 s after the click (docs/performance.md). Also yes
        when no browser ever beat (a client without one, such as the load test's), when
        the browser says the page is hidden (no animation frames there), or once
        ``wait_s`` have gone by."""
        if self.last is None or self.hidden or (self.shown or 0) >= number:
            return True
        return now - since >= wait_s

    def drawn(self, now: float | None = None) -> None:
        """Number the frame being drawn: call it inside the frame's hold, so that the number
        travels in the frame's own message (``sent``: its number)."""
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
