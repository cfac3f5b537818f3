"""The playground page: composes the Viewers and runs one training loop per session."""
from __future__ import annotations

import html
import itertools
import logging
import math
import os
import time
import weakref

import panel as pn
import param
from panel.io.state import set_curdoc

from .. import export
from ..server import gcpolicy, jaxconfig
from ..state import urlstate
from ..classroom import store as classroom_store
from ..classroom.membership import Membership
from ..state.display import Display
from ..state.presets import PRESETS
from ..state.run import Run
from . import a11y, heartbeat, heat_canvas, prompt, scheduler, sizing, theme, warming
from .cards import lab_placeholder, tab_intro
from .controls import TrainingControls
from .data_panel import DataPanel
from .describe import PlotSummary, label_plots, plots_in, shown_as_is
from . import parts
from .parts import Later
from .diagram_table import DiagramTable
from .frames import in_frame
from .class_panel import ClassEntry, ClassPanel
from .keyboard import Keyboard
from .hyper_panel import HyperPanel
from .lessons_panel import LessonsPanel
from .links import PAGE, TABS, page_address
from ..state import network as network_state
from ..state import userdata
from .export_panel import ExportPanel
from .metrics_panel import ConfusionMatrix
from . import conv_lab, descent_lab, digits_lab, neuron_lab
from .conv_lab import ConvLabTab
from .descent_lab import DescentLab
from .digits_lab import DigitsLab
from .neuron_lab import NeuronLab
from .loss_panel import LossCurve
from .network_panel import NetworkPanel
from .network_view import HEIGHT as DIAGRAM_HEIGHT
from .network_view import WIDTH as DIAGRAM_WIDTH
from .network_view import NetworkDiagram
from .output_panel import OutputPlot
from .uploads import UploadGuard
from .userdata_panel import OwnDataPanel

# The output column's width: a third of the screen, less where the screen is short, so the
# heatmap under the loss curve ends above the bottom of a 768-pixel screen; the diagram is
# as wide as its column allows, and no taller than such a screen has room for. The plots
# in them are sized to match by the browser (sizing.fit_to_screen).
OUTPUT_WIDTH = sizing.width_css(sizing.OUTPUT_RULE)
PROJECTOR_OUTPUT_WIDTH = sizing.width_css(sizing.PROJECTOR_RULE)
DIAGRAM_MAX_WIDTH = sizing.diagram_max_width_css(DIAGRAM_WIDTH / DIAGRAM_HEIGHT)


FILL_AFTER_MS = 120   # a served page's first screen is made this long after its HTML
MIN_GAP = 0.5         # two frames leave at least this share of a period apart
FULL_FRAME_MS = 100    # the diagram and confusion matrix: about 10 a second
# The parts below a served page's first screen (four boxes, 115 models) take the browser
# 0.5–0.6 s to draw, in one go: sent as the page was shown, they held back its answer to
# a first click (a lab's tab, Play) for as long, and sent a second later, a click then.
# They now come once the student scrolls the page, or this long after it was shown. A
# page that plays gets them at once, before its training shows (drawn later, they would
# stop its animation for most of a second)
LOWER_PARTS_AFTER_S = 4.0
# Each lab's first card put in its hidden tab before its first click, one lab at a time,
# while no page of the process trains and none opens or builds (``quiet``): that click then
# only shows its box (0.17–0.31 s to the first card on screen, against 0.45–1.2 s when the
# card is made and sent on the click: docs/performance.md, "Labs on the page before their
# first click"). A page that trains, or any other page that does, puts none: a card is a few
# hundred ms of the server's event loop and of the browser's main thread.
# PLAYGROUND_AHEAD_LABS=off puts none (each lab made on its first click, as before).
AHEAD_ENV = "PLAYGROUND_AHEAD_LABS"
AHEAD_LABS = (() if os.environ.get(AHEAD_ENV, "").strip().lower() in ("0", "off", "no", "false")
              else ("neurons", "descent", "convolution", "digits"))
AHEAD_AFTER_S = 2.0     # the first, this long after the page was shown
AHEAD_GAP_S = 1.0       # each next, this long after the page's last put (and its answer)
# A lab's other cards' contents come once its first card has been on the screen this long:
# put as soon as the browser showed it, they took the browser 0.5–0.6 s (Neuron lab) to
# 1 s (Gradient descent) to make, and a student who went on to the next lab within that
# time waited for them before its first card (0.73–1.36 s from the click, against
# 0.27–0.47 s for a lab clicked first: docs/performance.md, "A lab's other cards once it
# is looked at"). Likewise for a lab whose first card was put ahead. Those who stay get
# them this much later.
LAB_REST_S = 0.5
OPEN_S = 1.0    # a page counts as opening (``OPENING``) this long after it was shown
BELOW = "playground-below"      # those parts' tab, for ``Later``

BUSY_MS = 67           # frames further apart than this (under 15 a second): the server is busy
CROWDED_MS = 100       # further apart than this (under 10 a second): it is crowded


log = logging.getLogger("playground")      # its handler: server.install_logging
DRAWING: "weakref.WeakSet[PlaygroundApp]" = weakref.WeakSet()   # pages whose frames run here
NUMBERS = itertools.count(1)    # each page's number in this process, for the server's log
# pages given to a session and not yet opened (shown by the browser, their first parts put
# in place): the next spare page waits for them (``quiet``)
OPENING: "weakref.WeakSet[PlaygroundApp]" = weakref.WeakSet()

TAGLINE = theme.TAGLINE
INTRO = ("Watch a neural network learn. Press <b>Play</b>: the background shows what the "
         "network predicts (blue +1, orange −1) and the loss curve falls.<br>Change the data, "
         "the input features, the hidden layers and the learning rate, and see what makes a "
         "problem easy or hard.")


# a hidden tab's box: the browser keeps its content laid out but skips it (not drawn, not
# in the keyboard's or screen readers' way; shown again, nothing is laid out anew), and it
# takes no room (content-visibility; the height for a browser without it). The page's head
# script knows it by its content-visibility: BokehJS does not measure the views in it
# (page_script.py)
HIDDEN_TAB = {"content-visibility": "hidden", "height": "0px", "overflow": "hidden"}
SHOWN_TAB = {"content-visibility": "", "height": "", "overflow": ""}   # the page's own again
TAB_BOX, TAB_BAR = "pg-tab-box", "pg-tabs"
# The browser shows a clicked tab's box at once, without waiting for the server (which
# then sets the same styles): one listener for the page; the boxes are found once.
TAB_JS = """
if (!window._pg_tab_boxes) {
  window._pg_tab_boxes = true
  let boxes = []
  const find = (root, out) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.classList.contains(box)) out.push(el)
      else if (el.shadowRoot) find(el.shadowRoot, out)
    }
    return out
  }
  const has = (el, cls) => el.classList && el.classList.contains(cls)
  document.addEventListener('click', (event) => {
    const path = event.composedPath()
    const tab = path.find((el) => has(el, 'bk-tab'))
    if (!tab || has(tab, 'bk-disabled') || !path.some((el) => has(el, bar))) return
    const i = Array.from(tab.parentElement.children).filter((c) => has(c, 'bk-tab'))
      .indexOf(tab)
    if (!boxes.length || !boxes.every((b) => b.isConnected)) boxes = find(document, [])
    if (i < 0 || i >= boxes.length) return
    boxes.forEach((b, k) => {
      for (const [name, value] of Object.entries(k === i ? shown : hidden)) {
        b.style.setProperty(name, value)
      }
    })
  }, true)
  // the tab under the pointer (or given the focus), told to the server with the page's
  // beat: a lab built for its page starts being built then, before the click
  const near = (event) => {
    const s = window._pg_beat
    const path = event.composedPath()
    const tab = path.find((el) => has(el, 'bk-tab'))
    if (!s || !tab || !path.some((el) => has(el, bar))) return
    const i = Array.from(tab.parentElement.children).filter((c) => has(c, 'bk-tab'))
      .indexOf(tab)
    if (i >= 0 && i !== s.hover) { s.hover = i; s.send() }
  }
  document.addEventListener('pointerover', near, true)
  document.addEventListener('focusin', near, true)
}
"""
TAB_TITLES = ("Playground", "Neuron lab", "Gradient descent", "Convolution", "Digits CNN")
LAB_INTROS = {"neurons": neuron_lab.INTRO, "descent": descent_lab.INTRO,
              "convolution": conv_lab.INTRO, "digits": digits_lab.INTRO}


def _finish_plots(layout, extra=()):
    """A role and words for each plot of ``layout`` (and of ``extra``: the big plot's two
    forms), and no glyph copies that none of them draws (fewer models to make and send)."""
    label_plots(layout, extra)
    theme.lean_glyphs(plots_in(layout, extra))


def _served() -> bool:
    """True while building a browser session's page under a server (not a notebook)."""
    return pn.state.curdoc is not None and pn.state.curdoc.session_context is not None


class PlaygroundApp(pn.viewable.Viewer):
    """The whole playground for one browser session (or one notebook cell)."""

    run = param.ClassSelector(class_=Run)

    def __init__(self, run: Run | None = None, query=None, **params):
        """query: the page's URL query (a dict of lists, as ``pn.state.session_args``, or a
        '?a=b' string); a link's settings, lesson, hidden controls and projector flag."""
        run = run if run is not None else Run()
        run.tier = "auto"
        super().__init__(run=run, **params)
        self.number = next(NUMBERS)
        self._connected = False     # its browser's websocket has connected (``_connection``)
        # the browser has shown the page (Panel's onload): until then each change the
        # page makes goes out on its own (Panel schedules one callback per change), so
        # frames are not drawn and held parts not put in place before (``tick``)
        self._shown = True
        settings, self.view, notices = urlstate.from_query(query or {}, PAGE)
        self._use_page_styles()
        self.display = Display(**self.view.display)      # test points, hard classes, colours
        self.controls = TrainingControls(run)
        err = self.show_error
        self.data = DataPanel(run, err)
        self.network = NetworkPanel(run, err)
        self.hyper = HyperPanel(run, err)
        self.output = OutputPlot(run, self.display)
        self.loss = LossCurve(run)
        self.lessons = LessonsPanel(run, err)
        self.export = ExportPanel(run, err, lambda text: self.controls.show_message(text, "info"),
                                  display=self.display)
        self.export.param.watch(self._imported, "loaded")
        self.confusion = ConfusionMatrix(run, self.display)
        self.own_data = OwnDataPanel(run, err, lambda t: self.controls.show_message(t, "info"))
        self.output.on_click = self._clicked_plot
        self.locked = False                        # the class's teacher locked the controls
        self._locked_widgets: list = []
        self.uploads = UploadGuard({".csv": userdata.MAX_BYTES, ".json": export.MAX_JSON_BYTES,
                                    ".npz": export.MAX_NPZ_BYTES}, err)
        self.diagram = NetworkDiagram(run, on_select=lambda sel: self._show_neuron(),
                                      display=self.display)
        self.summary = PlotSummary(run)            # the output in words, for screen readers
        self.diagram_table = DiagramTable(run)     # the diagram as tables
        self.keys = Keyboard({"play": self.controls.play, "step": self.controls.step,
                              "reset": self.controls.reset})
        self.member = self.class_bar = None        # ?class=CODE: this page's place in it
        self.class_panel = pn.Column(margin=0, sizing_mode="stretch_width")
        # a class code typed on the page (the Share card's "Join a class") does the same
        self.class_entry = ClassEntry(self._typed_class)
        if self.view.class_code:
            problem = self.enter_class(self.view.class_code)
            if problem:
                notices.append(problem)
        # The other tabs, by their TABS name, built the first time they are shown
        # (a class opening the page at once waits only for the playground). Each has
        # tick() for its live parts.
        self._lab_factories = {"neurons": NeuronLab,
                               "descent": lambda: DescentLab(run),
                               "convolution": ConvLabTab,
                               "digits": DigitsLab}      # its page's link: ``lab``
        self.labs: dict = {}
        # each tab holds its introduction from the start: its first click shows it at once
        # (a change of styles), the lab itself comes from the next frames
        self._lab_boxes = {name: pn.Column(lab_placeholder(LAB_INTROS[name]),
                                           css_classes=[TAB_BOX],
                                           sizing_mode="stretch_width", margin=0)
                           for name in self._lab_factories}
        self.diagram.param.watch(self._on_edited, "edited")
        self.confusion.param.watch(lambda *e: self._show_cell(), ["selected", "split"])
        self.confusion_box = pn.Column(self.confusion, margin=(6, 0, 0, 0))
        self.export_box = pn.Column(self.export, margin=0)
        self.own_data_box = pn.Column(self.own_data, margin=0)
        self.lessons_box = pn.Column(self.lessons, margin=0)
        self.class_box = pn.Column(self.class_entry, margin=0)
        self._views = (self.output, self.loss, self.controls, self.confusion, self.diagram,
                       self.own_data, self.hyper, self.summary, self.diagram_table)
        self._dirty = True
        self._callback = None
        self._doc = None
        self.frames = 0
        self.period_ms = scheduler.CLOCK.period_for(self)  # the period its frames are asked at
        self.interval_ms = float(self.period_ms)    # smoothed time between two frames
        self.build_ms = 0.0             # the event loop's time in the last tick's build
        self._last_tick = None
        self._due = 0.0                            # when the next frame is due (clock s)
        self.pace = scheduler.Pace()               # this page's share of the compute
        self.heartbeat = heartbeat.Heartbeat()     # is its browser still there?
        self._away = False
        self._to_build: str | None = None          # a lab tab to build at the next frame
        self._building = None                      # (its name, the build off the loop)
        self.later = Later()                       # its cards' contents, one per frame
        self._changed_setup = False                # the set-up changed since the last frame
        self._checks = 0                           # frames its launched epochs have taken
        self._light_launch = False                 # the launch has few optimizer steps
        self._last_full = -math.inf            # when the last full frame was drawn (s)
        self._last_put = -math.inf             # when held parts were last put in place (s)
        self._put_frame = 0                     # ... and the frame number they went with
        self._card_put = False                  # a lab's first card put, shown LAB_REST_S?
        self._card_shown_at: float | None = None    # ... when the browser showed it (s)
        self._shown_at = -math.inf              # when the browser showed the page (s)
        self._prebuilt: dict = {}               # labs built as the pointer came on their tab
        self._hover_seen: int | None = None
        self.clock = time.perf_counter         # seconds (tests give it a fake clock)
        self.controls.step.on_click(lambda e: self._train_now(1))
        self.controls.reset.on_click(lambda e: self._reset())
        run.param.watch(self._changed, list(run.setting_names()))
        self.display.param.watch(lambda *e: self._sync_url(), Display.names())
        run.param.watch(self._on_message, ["message", "status"])
        run.param.watch(lambda *e: setattr(self, "_dirty", True), ["data_version"])
        if self.view.preset:
            self.lessons.open(self.view.preset)
        notices += urlstate.apply(run, settings)
        run.reset()
        self._layout = self._build()
        self._apply_view()
        _finish_plots(self._layout, extra=[self.output.fig2d, self.output.fig1d])
        a11y.name_controls(self._layout)        # a hidden label where a control shows none
        prompt.prompt_controls(self._layout)    # a choice answered at once, not 50 ms later
        self._parts_held = False
        self._hold_parts()
        self.keys.active = self.active_tab == "playground"
        if notices:
            self.controls.show_message("This link had problems: " + "; ".join(notices),
                                       "warning")
        self._sync_url()
        self.refresh()
        warming.MADE.set()          # the process is warm: a warming-up page loads again

    def tab_box(self, name: str):
        """The box that holds the tab ``name``'s content on the page (a ``TABS`` name)."""
        return self._tab_boxes[name]

    @property
    def body(self):
        """The playground tab's row of its data, network and output columns."""
        return self._body

    def bokeh_objects(self) -> list:
        """The Bokeh models that this page's Bokeh panes show as they are (the big plot's
        two forms included)."""
        return shown_as_is(self._layout) + [self.output.fig2d, self.output.fig1d]

    def _use_page_styles(self):
        """The page's styles in every component (Panel's ``raw_css``: per session under a
        server, so again when a page made ahead of its session is shown)."""
        if theme.PAGE_CSS not in pn.config.raw_css:
            pn.config.raw_css.append(theme.PAGE_CSS)
        if a11y.A11Y_CSS not in pn.config.raw_css:       # focus rings inside every widget
            pn.config.raw_css.append(a11y.A11Y_CSS)
        if self.view.projector and theme.PROJECTOR_CSS not in pn.config.raw_css:
            pn.config.raw_css.append(theme.PROJECTOR_CSS)

    def _hold_parts(self):
        """On a served page, the parts below the first screen come after it is shown
        (``Later``; once): the own-data box (in view on a small screen) in its first frame,
        the others once due (``_part_due``), with it when they are due then (a page that
        plays: all in one put, before its training shows)."""
        if _served() and not self._parts_held:
            self._parts_held = True
            self.later.hold(self.own_data_box, together=True, tab="playground")
            for box in (self.confusion_box, self.lessons_box, self.class_box,
                        self.export_box):
                self.later.hold(box, together=True, tab=BELOW)

    # ----------------------------------------------------------------- events
    def show_error(self, text: str):
        self.controls.show_message(text, "danger")

    def _on_message(self, *events):
        run = self.run
        if run.status in ("diverged", "stopped"):
            self.controls.playing = False
            self.controls.show_message(run.message, "danger" if run.status == "diverged"
                                       else "info")
        else:
            self.controls.show_message(run.message, "info")
        self._dirty = True

    def _changed(self, *events):
        self._dirty = True
        self._changed_setup = True
        self._sync_url()

    def _sync_url(self):
        """Keep the address bar (and the copy-link box) on the current set-up."""
        search = urlstate.to_search(self.run.settings(),
                                    self.view._replace(preset="", tab=self.active_tab,
                                                       play=False,
                                                       display=self.display.values()), PAGE)
        loc = pn.state.location
        if loc is not None and pn.state.curdoc is not None \
                and pn.state.curdoc.session_context is not None:
            if loc.search != search:
                loc.search = search
            base = page_address(loc)
            self.lessons.link_text = base + search
        else:
            self.lessons.link_text = search

    def _imported(self, *_):
        self.controls.playing = False
        self._dirty = True
        self.refresh()

    def _on_edited(self, *_):
        self.controls.playing = False          # a hand edit pauses training
        self.refresh()

    def _show_neuron(self):
        """The big plot shows the clicked neuron's output instead of the network's."""
        sel = self.diagram.selected_neuron
        if sel is not None and not self.run.one_d:
            name = network_state.node_name(self.run.arch, *sel)
            caption = (f"the probability of class {sel[1]}: blue likely, orange unlikely"
                       if self.run.multiclass and sel[0] == len(self.run.hidden)
                       else f"the output of {name}")
            self.output.show_grid(network_state.neuron_heatmap(self.run, *sel), caption)
        else:
            self.output.update()

    def _show_cell(self):
        self.output.show_highlight(self.confusion.points())

    def _reset(self):
        self.run.reset()
        self._dirty = True
        self.refresh()

    def _train_now(self, epochs):
        self.run.train(epochs)
        self.refresh()

    # ------------------------------------------------------------------- loop
    def refresh(self, light: bool = False):
        """Push the run's state to every view as one message. A light frame (while playing:
        all but one frame in FULL_FRAME_MS, and on a busy server every other frame, on a
        crowded one two frames in three) draws only the big plot, the loss curve and the
        counter; the network diagram, the accuracy curve (LossCurve.flush: 4 times a
        second) and the confusion matrix wait for a full frame. At 60 frames a second the
        browser redraws the big plot every frame and the diagram 10 times a second: each
        diagram the browser draws costs it about as much as two frames of the big plot
        (docs/performance.md, "Frames leave at once")."""
        with pn.io.hold():
            self.heartbeat.drawn()          # numbered, for the browser to answer
            if light:
                self.loss.update(light=True)
                self.controls.update()
                if self.diagram.selected_neuron is None:    # else the big plot shows a neuron
                    self.output.update()
                return
            for v in self._views:
                v.update()
            if self.confusion_box.visible != self.run.classification:
                self.confusion_box.visible = self.run.classification
            if self.confusion.selected is not None:
                self._show_cell()
            if self.diagram.selected_neuron is not None:
                self._show_neuron()
        self._dirty = False

    @property
    def busy(self) -> bool:
        """True while this session's frames come less often than BUSY_MS apart on average:
        the server has more sessions than it can draw in full 15 times a second."""
        return self.interval_ms > BUSY_MS

    @property
    def full_every(self) -> int:
        """Draw everything every n-th frame while playing: 1 on a quiet server, 2 on a busy
        one, 3 on a crowded one. A full frame costs the server about three light ones
        (the diagram's pictures are most of a frame's message), so a crowded server keeps
        every session's plot, loss curve and counter moving 10 times a second and more
        (measured: docs/performance.md)."""
        return 1 if not self.busy else 2 if self.interval_ms <= CROWDED_MS else 3

    @property
    def active_tab(self) -> str:
        return TABS[self.tabs.active] if hasattr(self, "tabs") else self.view.tab

    def _connection(self) -> str:
        """"none" before the browser's websocket has connected (a new page: its browser is
        still loading the page's scripts), "open", or "closed" once it is gone (a closed
        tab): nothing to draw for."""
        ctx = self._doc.session_context if self._doc is not None else None
        session = getattr(ctx, "_session", None)
        if session is None:
            return "open"                   # not a served session: drawn as it is
        if session.connection_count > 0:
            self._connected = True
            return "open"
        return "closed" if self._connected else "none"

    def tick(self):
        """One frame: apply the epochs launched last frame, redraw what is shown if anything
        changed, and, when playing, launch the next `speed` epochs. JAX computes them while
        the server draws other sessions' frames (on other cores), so a frame never waits
        for its own training. A playing run keeps training while another tab is shown,
        unseen. A closed tab stops its frames at once (the session itself goes when the
        server drops it)."""
        self.build_ms = 0.0
        connection = self._connection()
        if connection == "closed":
            self.stop()
            return
        if connection == "none":                # not yet: its frames start when it connects
            return
        if self.heartbeat.away():              # the browser went quiet (a lid shut)
            if not self._away:
                self._away = True
                scheduler.SHARE.leave(self)
                log.info("Frames paused for page %d: its browser has not answered for %.1f s "
                         "(at epoch %d)", self.number, heartbeat.QUIET_S, self.run.epoch)
            return
        if self._away:
            self._away = False
            log.info("Frames resumed for page %d: its browser answers again (at epoch %d)",
                     self.number, self.run.epoch)
        built = time.thread_time()
        shown = self._shown
        put = False                             # parts put in place in this tick
        if self._building is not None:         # a lab built off the event loop: on the page
            put = self._put_built_lab(shown)
        elif self._to_build is not None:       # a lab tab's first click: its lab now
            name, self._to_build = self._to_build, None
            if name not in self.labs:          # its Python objects in the builder's thread
                made = self._prebuilt.pop(name, None)   # (taken as the pointer came on
                self._building = (name, made or self._lab_future(name))     # its tab)
                # one made ahead and ready (SPARE_LABS): on the page in this frame, not
                # the next (a frame later was 16-40 ms more before its first card)
                put = self._put_built_lab(shown)
        elif self.heartbeat.hover != self._hover_seen:
            self._hover_seen = self.heartbeat.hover
            self._prebuild(self._hover_seen)
        elif shown and self._ahead_due():       # a lab's first card, before its first click
            name = next(n for n in AHEAD_LABS if n not in self.labs)
            self._building = (name, self._prebuilt.pop(name, None) or self._lab_future(name))
        elif (self.later and shown and self._card_rested()
              and (self.clock() - self._last_put) * 1e3 >= parts.PUT_GAP_MS
              and parts.PACE.may_put()
              and self.heartbeat.answered(self._put_frame, self._last_put, self.clock())):
            # then its cards' contents, a few a frame, PUT_GAP_MS apart (further apart
            # while other pages train: parts.PutPace), each once the browser has shown the
            # last (Heartbeat.answered)
            started = parts.PACE.clock()
            with pn.io.hold():
                put = bool(self.put_next_part())
                if put:
                    self._number_put()
            if put:
                parts.PACE.put(started, self._others_training())
        if shown and not put and self in OPENING and self.clock() >= self._shown_at + OPEN_S:
            OPENING.discard(self)               # its first parts are in place: opened
        # a part of the page built once is not what its frames cost: counted in, it would
        # slow this page's frames (and so the rest of its parts) for seconds after
        self.build_ms = (time.thread_time() - built) * 1e3
        t0 = self.clock()
        if self._last_tick is not None:       # how far apart this session's frames come
            gap = min((t0 - self._last_tick) * 1e3, 1000.0)
            self.interval_ms += 0.2 * (gap - self.interval_ms)
        self._last_tick = t0
        if self.run.pending:                    # the epochs launched earlier, once computed
            # under a server the event loop never waits for JAX (other pages draw
            # meanwhile); elsewhere (a notebook, the tests) a frame applies its launch
            if self.run.settle(wait=self._doc is None):
                self._dirty = True
            if self.run.pending:
                self._checks += 1
            else:                               # a light launch (a few ms of compute) that
                # took frames waited for the CPU, not computed: it stays light
                self.pace.done(t0, first_check=self._checks == 0 or self._light_launch)
        if self.class_bar is not None:          # the teacher's pushes, the board's row
            for push in self.class_bar.tick(t0):
                self._apply_push(push)
        tab = self.active_tab
        if tab == "playground":                # words and tables at most once a second
            self.summary.flush()
            self.diagram_table.flush()
            if self.loss.waiting:               # the accuracy curve's epochs, in due time
                with pn.io.hold():
                    self.loss.flush()
        # training's frames wait while the browser has not shown the last ones (training
        # goes on meanwhile); a change of the set-up (a click) is drawn in full at once
        if not shown or put:    # nothing drawn before the page is shown; and a tick that put
            pass                # parts in place draws at the next one: two shorter turns of
                                # the event loop, other pages' frames between them
        elif tab == "playground" and self._dirty and (self._changed_setup
                                                      or self.heartbeat.may_draw()):
            light = self.controls.playing and not self._changed_setup and (
                self.frames % self.full_every != 0
                or (t0 - self._last_full) * 1e3 < FULL_FRAME_MS)
            self._changed_setup = False
            if not light:
                self._last_full = t0
            self.refresh(light=light)
            self._dirty = light                 # a light frame leaves the diagram to draw
            self.frames += 1
        elif tab in self.labs:
            with pn.io.hold():                  # one message for the whole frame
                self.labs[tab].tick()
        if self.controls.playing:               # computed while the server does other work
            scheduler.SHARE.join(self)
            # while others train, a heavy launch runs where theirs never wait behind it
            self.run.lane_allowed = scheduler.SHARE.count > 1
            if not self.run.pending and self.pace.may_launch(t0):
                epochs = self.pace.epochs(self.controls.speed, self.period_ms, setup=(
                    self.run.arch, self.run.batch_size, getattr(self.run, "last_tier", None)))
                # frames late (a busy server): a light page trains the epochs it is owed
                epochs = self.pace.catch_up(epochs, t0, self.run.light_epochs)
                if self.run.launch(epochs):
                    self.pace.launched(t0, epochs)
                    self._checks = 0
                    self._light_launch = self.run.light_launch(epochs)
                self.controls.shared = self.pace.limited
        else:
            scheduler.SHARE.leave(self)
            self.pace.rest()
            self.controls.shared = False

    def _on_shown(self):
        """The browser has shown the page (Panel's onload): from now on a frame's changes
        go out together, as one message, and the held parts in one walk of the page's
        models. Before, Panel sends each change on its own, in a callback of its own: a
        new page's five held parts cost five walks of its 450–540 models (about 0.5 s of
        the event loop, every other page waiting), and a ``?play=1`` page's early frames
        dozens of messages each, to a browser still busy building the page."""
        self._shown = True
        self._dirty = True
        self._shown_at = self.clock()

    def _frame(self):
        # the event loop's own work (its thread's CPU time), not the wait for JAX's
        # results, which computes on other threads meanwhile
        start = time.thread_time()
        try:
            with set_curdoc(self._doc), in_frame():
                self.tick()
        finally:            # the next frame, even after a failed one (as a periodic timer)
            cost_ms = max((time.thread_time() - start) * 1e3 - self.build_ms, 0.0)
            self.period_ms = scheduler.CLOCK.record(self, cost_ms)
            if self._callback is not None and self._doc is not None:   # not stopped in it
                self._callback = self._doc.add_timeout_callback(self._frame, self._next_ms())

    def _next_ms(self) -> float:
        """When the next frame is due, in ms from now: one period (the process's clock,
        scheduler.CLOCK) after the last one was due, as a periodic timer would, but never
        closer than MIN_GAP of a period to now. A periodic timer that ran late catches up
        with a frame soon after: two frames a few ms apart reach the browser within one
        of its animation frames, and it shows only the second (measured in
        docs/performance.md, "The loss curve on a canvas of its own, frames evenly
        spaced")."""
        now, period = self.clock(), self.period_ms / 1e3
        self._due = max(self._due + period, now + MIN_GAP * period)
        return (self._due - now) * 1e3

    def start(self):
        """Start the frames. Under a server they are Bokeh's own timeout callbacks on the
        session's document (Panel's wrapper adds busy-indicator bookkeeping that cost a
        tenth of every frame); in a notebook, Panel's."""
        if self._callback is None:
            doc = pn.state.curdoc
            if doc is not None and doc.session_context is not None:
                self._doc = doc
                self.period_ms = scheduler.CLOCK.period_for(self)
                self._due = self.clock()
                self._callback = doc.add_timeout_callback(self._frame, self._next_ms())
                gcpolicy.COLLECTOR.built()      # full collections skip this page's objects
            else:
                self._callback = pn.state.add_periodic_callback(self.tick, period=self.period_ms)
            DRAWING.add(self)
            if self.view.play:                  # ?play=1: train from the first frame
                self.controls.playing = True

    def stop(self, *_):
        OPENING.discard(self)
        callback, self._callback = self._callback, None
        if callback is not None:
            if self._doc is not None:
                try:
                    self._doc.remove_timeout_callback(callback)
                except ValueError:          # already run, or gone with its session
                    pass
                gcpolicy.COLLECTOR.closed()     # its cycles are freed by the next sweep
            else:
                callback.stop()
            DRAWING.discard(self)
            scheduler.CLOCK.forget(self)
            scheduler.SHARE.leave(self)
            log.info("Frames stopped for page %d; %d pages still drawing in this process",
                     self.number, len(DRAWING))
            if self.class_bar is not None:     # its name is free for a reload
                self.class_bar.leave()
        self.controls.playing = False

    # ----------------------------------------------------------------- layout
    def _build(self):
        device = html.escape(jaxconfig.device_description())
        header = pn.pane.HTML(f'<div class="pg-header"><h1>Neural Network Playground</h1>'
                              f'<span class="pg-tagline">{TAGLINE}</span>'
                              f'<span class="pg-device" title="Where the training runs (set '
                              f'PLAYGROUND_DEVICE=cpu or gpu)">computing on {device}</span>'
                              f'</div>', sizing_mode="stretch_width", margin=(4, 5, 0, 5))
        intro = tab_intro(INTRO, margin=(2, 5))
        # the top bar: the training buttons and the hyperparameters on one line where the
        # screen is wide enough (two on a 1024-pixel projector), the status line under them
        status = pn.Column(self.controls.status, margin=0,
                           styles={"flex": "1 1 230px", "align-self": "center"})
        top = pn.Column(self.lessons.banner,
                        pn.FlexBox(self.controls, self.hyper, status, flex_wrap="wrap",
                                   align_items="flex-end", margin=0),
                        css_classes=["pg-card"], margin=(4, 5),
                        sizing_mode="stretch_width", styles={"padding": "2px 6px"})
        # three columns, as TensorFlow Playground has them: the data, the network (its
        # features as the input column, the layer controls above the diagram), the output.
        # The output column and the plots in it are sized from the screen (OUTPUT_WIDTH), so
        # data, network and output fit one screen from 1024×768 up and wider screens use
        # their width; the rest (your data, lessons, sharing, export) is further down.
        data = pn.Column(self.data, self.own_data_box, self.lessons_box, self.class_box,
                         self.export_box,
                         css_classes=["pg-card"], styles={"padding": "4px"},
                         margin=(0, 4, 0, 0))
        network = pn.Column(
            self.network.layers_column,
            pn.Row(self.network.features_column, pn.Column(
                self.diagram, self.diagram_table, sizing_mode="stretch_width", margin=0,
                stylesheets=[sizing.own_width("auto", DIAGRAM_MAX_WIDTH, "1 1 0")]), margin=0,
                sizing_mode="stretch_width"),
            css_classes=["pg-card"], sizing_mode="stretch_width",
            styles={"padding": "4px", "min-width": "300px", "flex": "1 1 0"},
            margin=(0, 4, 0, 0))
        self.output_column = output = pn.Column(pn.Row(pn.pane.HTML('<div class="pg-section-title">Output</div>',
                                               margin=(0, 5)), self.output.caption, margin=0),
                           self.loss.readout, self.loss.pane, self.output,
                           *([] if _served() else [self.summary.pane]),   # else a root
                           self.loss.log_row,
                           self.loss.acc_pane, self.confusion_box,
                           css_classes=["pg-card"], margin=0,
                           styles={"padding": "4px", "flex": "0 0 auto"},
                           stylesheets=[sizing.own_width(PROJECTOR_OUTPUT_WIDTH if self.view.projector
                                                  else OUTPUT_WIDTH)])
        self._body = body = pn.Row(data, network, output, margin=(0, 5),
                                   sizing_mode="stretch_width",
                                   styles={"align-items": "flex-start"})
        playground = pn.Column(intro, top, body, sizing_mode="stretch_width", margin=0,
                               css_classes=[TAB_BOX])
        # the tabs are a bar: each tab's content is a box below it, shown or hidden as its
        # tab is chosen (a hidden box keeps its models on the page: going back to a tab
        # sends nothing again, where a tab's content would be sent in full each time)
        self._tab_boxes = {"playground": playground, **self._lab_boxes}
        self.tabs = pn.Tabs(*[(title, pn.Spacer(height=0, margin=0)) for title in TAB_TITLES],
                            sizing_mode="stretch_width", margin=0, css_classes=[TAB_BAR],
                            stylesheets=[theme.TABS_CSS])
        if self.view.tab in TABS:                       # a link to a tab
            self.tabs.active = TABS.index(self.view.tab)
            if _served() and self.view.tab in self._lab_factories:
                # a link to a lab: the page comes with the lab's introduction, the lab
                # itself at the first frame (two shorter turns of the server's event loop
                # than one long one: the other pages' frames go out in between)
                self._build_at_next_frame(self.view.tab)
            else:
                self.lab(self.view.tab)
        self._show_tab()
        self.tabs.param.watch(self._tab_changed, "active")
        # the keyboard's help button at the right end of the tabs' bar, which has room to
        # spare: it takes no line from the page (whose lines are counted to fit a screen)
        # and the colours menu beside it, for the same reason
        self.output.palette_select.styles = {"position": "absolute", "top": "2px",
                                             "right": "112px", "z-index": "1"}
        tabs = pn.Column(self.tabs, self.output.palette_select, self.keys.button,
                         sizing_mode="stretch_width", margin=0, styles={"position": "relative"})
        return pn.Column(header, self.class_panel, self.keys.help, tabs,
                         *self._tab_boxes.values(), self.uploads.pane,
                         self.heartbeat.pane,
                         self.keys.pane, sizing_mode="stretch_width",
                         margin=0)

    def _put_built_lab(self, shown: bool) -> bool:
        """The lab being built (``_building``) on the page, if it is made and the page is
        shown (the student asked: at once, but counted in the process's pace of puts);
        returns whether it went in."""
        name, made = self._building
        if not (made.done() and shown):
            return False
        self._building = None
        started = parts.PACE.clock()
        with pn.io.hold():
            self.lab(name, made)
            self._number_put()                  # its cards' contents once it is shown
        parts.PACE.put(started, self._others_training())
        if name == self.active_tab:             # ... and has been looked at (LAB_REST_S)
            self._card_put, self._card_shown_at = True, None
        return True

    def _card_rested(self) -> bool:
        """Whether the shown lab's first card (put on its tab, or there before the tab was
        clicked) has been on the screen LAB_REST_S: the browser answered the last frame
        that long ago. Until then its lab's other cards wait, so that a student who goes
        on to another lab at once is not kept waiting by them."""
        if not self._card_put:
            return True
        now = self.clock()
        if self._card_shown_at is None:
            if not self.heartbeat.answered(self._put_frame, self._last_put, now):
                return False
            self._card_shown_at = now
        if now - self._card_shown_at < LAB_REST_S:
            return False
        self._card_put, self._card_shown_at = False, None
        return True

    def _build_at_next_frame(self, name: str):
        """The lab ``name`` at the next frame (its tab shows its introduction meanwhile)."""
        self._to_build = name

    def _lab_future(self, name: str):
        """The lab ``name`` for this page, made in the builder's thread: the one made ahead
        (``SPARE_LABS``), tied there to this page's run if it shows the run
        (``RUN_LABS``), or one made now."""
        spare = SPARE_LABS.get(name)
        if spare is None:
            return parts.build_for(self._doc, self._make_lab, name)
        made = spare.take_future()
        if name in RUN_LABS:    # queued after the spare's own making (one thread, in order)
            made = parts.build_for(self._doc, bind_lab, made, self.run)
        return made

    def _prebuild(self, index: int | None) -> None:
        """The pointer came on the tab ``index``: a lab that shows the page's run (the
        Gradient-descent lab) is taken and tied to the run in the builder's thread, and its
        first click takes it. Not while another lab is built."""
        name = TABS[index] if index is not None and 0 <= index < len(TABS) else None
        if (name in RUN_LABS and name not in self.labs and name not in self._prebuilt
                and self._building is None):
            self._prebuilt[name] = self._lab_future(name)

    def _ahead_due(self) -> bool:
        """Whether the next lab of ``AHEAD_LABS`` may be made for this page and put in its
        hidden tab now: the page's own parts are in (only those of labs not shown may
        wait), it was shown AHEAD_AFTER_S ago and has answered its last put AHEAD_GAP_S
        ago, and the process is idle (no page trains, none opens or builds)."""
        return (self._doc is not None and any(n not in self.labs for n in AHEAD_LABS)
                and not any(t not in self._lab_factories or self._part_due(t)
                            for *_, t in self.later.waiting)
                and self.clock() >= self._shown_at + AHEAD_AFTER_S
                and self.clock() - self._last_put >= AHEAD_GAP_S
                and self.heartbeat.answered(self._put_frame, self._last_put, self.clock())
                and not scheduler.SHARE.count and quiet())

    def _number_put(self) -> None:
        """Parts just put in place (inside their hold): numbered as a frame, for the
        browser to answer once it has shown them; the next wait for that answer."""
        self._last_put = self.clock()
        self.heartbeat.drawn()
        self._put_frame = self.heartbeat.sent

    def _part_due(self, tab: str) -> bool:
        """Whether a held part on ``tab`` may go in now: a hidden tab's parts wait until it
        is shown; the parts below the playground's first screen (``BELOW``) until the
        student scrolls, the page plays, or LOWER_PARTS_AFTER_S after it was shown."""
        active = self.active_tab
        if tab == BELOW:
            due_at = self._shown_at + LOWER_PARTS_AFTER_S
            return active == "playground" and (self.controls.playing or self.heartbeat.scrolled
                                               or self.clock() >= due_at)
        return tab == active

    def building(self) -> bool:
        """Whether the page has a lab to build or being built, or put parts in place within
        the last second (more are likely to follow)."""
        return (self._building is not None or self._to_build is not None
                or any(not f.done() for f in self._prebuilt.values())
                or self.clock() - self._last_put < 1.0)

    def _others_training(self) -> int:
        """How many other pages (and labs) of the process compute now."""
        share = scheduler.SHARE
        return share.count - (1 if share.active(self) else 0)

    def put_next_part(self):
        """Put the next held part(s) of the page in place (``Later``); returns their boxes."""
        boxes = self.later.put_next(parts.PUT_BUDGET_MS, shown=self._part_due)
        if self.locked:                     # the teacher locked the page meanwhile
            for box in boxes:
                self._lock_widgets(box)
        return boxes

    def _make_lab(self, name: str):
        """The lab ``name`` and its content, ready to go on the page (it touches nothing on
        the page: a page's frames build it in ``parts.BUILDER``'s thread)."""
        return make_lab(self._lab_factories[name])

    def build_each_lab(self, names=("neurons", "descent")):
        """The labs ``names`` of this page built and dropped, one at a time in
        ``parts.BUILDER``'s thread (``warm_labs``). By default the two whose first build
        costs more than the next (the Convolution and Digits labs take 0.15 and 0.32 s
        both times, and a Digits lab would keep its page alive until its network's
        programs have compiled: docs/performance.md, "Each lab built once by the
        warm-up")."""
        for name in names:
            parts.build_alone(self._make_lab, name).result()

    def lab(self, name: str, made=None):
        """The tab ``name``'s Viewer, built (and put in its tab) on first use; ``made``: a
        future of ``_make_lab(name)`` (built off the event loop)."""
        if name not in self.labs and name in self._lab_factories:
            self.labs[name], content = (made.result() if made is not None
                                        else self._make_lab(name))
            if name == "digits":            # its learned filters open in this page's lab
                self.labs[name].on_use_filter = self._open_filter
            if self.locked:                 # built during a demonstration: locked too
                self._lock_widgets(content)
            if self._doc is not None:
                # on a page: the first card whole and the others' titles now, their
                # contents one per frame. (The first card's contents a frame later came
                # 0.8–0.9 s after its title, 1.2–1.3 s after the click: the browser drew
                # the titles, answered, and drew the contents; now 0.55–0.75 s.)
                self.later.hold_cards(content, tab=name, skip=1)
            self._lab_boxes[name].objects = list(content.objects)
            if self._doc is not None:
                gcpolicy.COLLECTOR.built()
        return self.labs.get(name)

    def _open_filter(self, kernel, k: int):
        """A learned filter of the digits CNN goes into the convolution lab, shown at once."""
        conv = self.lab("convolution")
        conv.lab.model.param.update(source="digit")
        conv.lab.model.use_kernel(kernel)
        self.tabs.active = TABS.index("convolution")
        conv.lab.note.object = (f'<div class="pg-try pg-learned-filter">Learned filter {k} of '
                                "the digits CNN is now the kernel: step through it over a "
                                "digit, or try it on the photo.</div>")

    @staticmethod
    def _install_tabs(doc):
        """A clicked tab's box shown by the browser at once (TAB_JS; once per page)."""
        from bokeh.models import CustomJS
        doc.js_on_event("document_ready", CustomJS(
            args=dict(box=TAB_BOX, bar=TAB_BAR, hidden=HIDDEN_TAB, shown=SHOWN_TAB),
            code=TAB_JS))

    def _show_tab(self):
        """The active tab's box shown, the others hidden."""
        name = self.active_tab
        for key, box in self._tab_boxes.items():
            box.styles = SHOWN_TAB if key == name else HIDDEN_TAB

    def open_tab(self, tab: str) -> None:
        """A page made ahead given to a link to ``tab`` (``made_ahead``): shown as that
        link's own page would be, with a lab's introduction at once and the lab itself
        built at the first frame, off the event loop."""
        if tab not in TABS or tab == self.active_tab:
            return
        self.view = self.view._replace(tab=tab)
        with param.parameterized.discard_events(self.tabs):   # no models yet: not a click
            self.tabs.active = TABS.index(tab)
        self.keys.active = tab == "playground"
        if tab in self._lab_factories and tab not in self.labs:
            self._build_at_next_frame(tab)
        self._show_tab()

    def _tab_changed(self, *_):
        name = self.active_tab
        self._show_tab()
        self.keys.active = name == "playground"
        if self._doc is not None and name in self._lab_factories and name not in self.labs:
            # the first click on a lab's tab: its introduction is shown at once, the lab
            # itself comes from the next frame
            self._build_at_next_frame(name)
        else:
            self.lab(name)
        # a lab's first card put ahead: its other cards once it has been looked at (a lab
        # built now: once its first card is in, _put_built_lab)
        self._card_put, self._card_shown_at = name in self.labs, None
        self._dirty = True
        self._sync_url()

    def _hideable(self) -> dict:
        """The controls a teacher's link can hide (links.HIDEABLE names)."""
        hyper = dict(self.hyper.by_name, learning_rate=self.hyper.rate_column)
        reg_rate = hyper.pop("reg_rate")
        return {"data": [self.data, self.own_data_box], "features": [self.network.features_column],
                "layers": [self.network.layers_column], **{k: [w] for k, w in hyper.items()},
                "regularization": [hyper["regularization"], reg_rate],
                "batch_size": [self.data.batch_row], "noise": [self.data.noise_row],
                "ratio": [self.data.ratio_row], "speed": [self.controls.speed_row],
                "stop": [self.lessons.stop_epoch, self.lessons.patience],
                "presets": [self.lessons.menu, self.lessons.try_this],
                "export": [self.export_box]}

    def _apply_push(self, push):
        """What the class's teacher opened, on this page: a set-up (any link of the app), a
        lesson, a tab or controls to hide; a banner says what it was."""
        p = push.payload if isinstance(push.payload, dict) else {}
        said = None
        if push.kind == "setup" and isinstance(p.get("link"), str):
            settings, view, notices = urlstate.from_query(p["link"].split("?", 1)[-1], PAGE)
            self.controls.playing = False
            if view.preset:
                self.lessons.open(view.preset)
            urlstate.apply(self.run, settings)
            self.run.reset()
            if view.tab:
                self.tabs.active = TABS.index(view.tab)
            said = "a set-up"
        elif push.kind == "lesson" and p.get("preset") in PRESETS:
            self.controls.playing = False
            self.lessons.open(p["preset"])
            said = f"the lesson “{PRESETS[p['preset']].title}”"
        elif push.kind == "tab" and p.get("tab") in TABS:
            self.tabs.active = TABS.index(p["tab"])
            said = "a tab"
        elif push.kind in ("lock", "unlock"):
            self.lock(push.kind == "lock")
            said = ("locked the controls for a demonstration: watch this page"
                    if self.locked else "unlocked the controls again")
            self.controls.show_message(f"Your teacher {said}.", "info")
            self._dirty = True
            return
        elif push.kind == "hide" and isinstance(p.get("hide"), list):
            names = self._set_hidden(p["hide"])
            said = "the page with some controls hidden" if names else "all the controls again"
        if said:
            self.controls.show_message(f"Your teacher opened {said}.", "info")
            self._dirty = True

    def enter_class(self, code_text: str) -> str:
        """Put this page in the class ``code_text`` (from its link or typed on the page):
        the class bar asks for the student's name. Returns what went wrong ('' if nothing);
        the page and its run are kept either way."""
        if self.class_bar is not None:
            return f"class: this page is in class {self.member.code} already"
        try:
            db = classroom_store.shared()
        except Exception as exc:           # no database: the page works, without a class
            log.warning("The class database cannot be opened: %s", exc)
            self.view = self.view._replace(class_code="")
            return ("class: class mode is not available on this server (its class "
                    "database cannot be opened)")
        member = Membership(db, code_text)
        if member.problem:                 # the address bar drops a bad code
            self.view = self.view._replace(class_code="")
            return member.problem
        self.member = member               # the address bar keeps the code as the class has it
        self.view = self.view._replace(class_code=member.code)
        self.class_bar = ClassPanel(member, self.show_error, run=self.run,
                                    playing=lambda: self.controls.playing,
                                    on_goal=self._open_challenge)
        self.class_panel.objects = [self.class_bar]
        self.class_entry.joined(member.code)
        return ""

    def _typed_class(self, code_text: str) -> str:
        problem = self.enter_class(code_text)
        if not problem:
            self._sync_url()               # the address bar (and a reload) keep the class
        return problem

    def _open_challenge(self, goal):
        """The class's new challenge: its data on this page (the student builds the rest)."""
        self.controls.playing = False
        data = goal.data_settings()
        if any(getattr(self.run, k) != v for k, v in data.items()):
            urlstate.apply(self.run, {**self.run.settings(), **data})
            self.run.reset()
        if goal.features and not set(self.run.features) <= set(goal.features):
            kept = [f for f in self.run.features if f in goal.features]
            self.run.features = kept or list(goal.features)
        self.controls.show_message("Your teacher set a challenge: " + goal.describe(), "info")
        self._dirty = True

    def _clicked_plot(self, x, y, erase):
        if not self.locked:                    # a click adds a point, unless locked
            self.own_data.click(x, y, erase)

    def lock(self, on: bool):
        """Lock (or unlock) every control of the page for the teacher's demonstration; the
        keys press the same (disabled) buttons, so they stop too. The class bar, the
        colours and the keyboard help stay."""
        if on == self.locked:
            return
        self.locked = self.diagram.locked = on
        if on:
            self.diagram.close_editor()
            self._lock_widgets(self._layout)
        else:
            for w in self._locked_widgets:
                w.disabled = False
            self._locked_widgets = []

    def _lock_widgets(self, layout):
        keep = {id(w) for w in self.class_panel.select(pn.widgets.Widget)}
        keep |= {id(self.keys.button), id(self.output.palette_select)}
        for w in layout.select(pn.widgets.Widget):
            if id(w) not in keep and not w.disabled:
                w.disabled = True
                self._locked_widgets.append(w)

    def _set_hidden(self, names) -> list:
        """Hide the controls ``names`` (links.HIDEABLE; others are ignored) and show the
        rest; returns the names hidden."""
        hideable = self._hideable()
        names = [n for n in names if n in hideable]
        for name, components in hideable.items():
            for component in components:
                component.visible = name not in names
        return names

    def _apply_view(self):
        self._set_hidden(self.view.hide)

    def __panel__(self):
        if _served():
            # a page made ahead (``SPARE``) had no session yet: its styles, its held parts,
            # its address and the plot's words in a root of their own (not in the card) now
            self._use_page_styles()
            self._hold_parts()
            self._sync_url()
            if self.summary.pane in self.output_column.objects:
                self.output_column.remove(self.summary.pane)
            self._shown = False
            OPENING.add(self)
            pn.state.onload(self._on_shown)
            pn.state.onload(self.start)
            if self.view.play:          # ?play=1 trains even before the page reports ready
                self.start()
            if pn.state.location is not None:   # the link box needs the page's address, and
                # the address bar holds the set-up in force from the first frame (a link's
                # refused or unknown values are replaced as soon as the browser reports it)
                pn.state.location.param.watch(lambda e: self._sync_url(),
                                              ["hostname", "search"])
                pn.state.onload(self._sync_url)
            pn.state.on_session_destroyed(self.stop)
            self.uploads.install(pn.state.curdoc)   # sizes checked before a file is sent
            self.heartbeat.install(pn.state.curdoc)  # signs of life from the browser
            self.output.install(pn.state.curdoc)     # the big plot's picture, drawn at once
            self.summary.install(pn.state.curdoc)    # its words, in a root of their own
            self.loss.install(pn.state.curdoc)       # the loss curve, drawn at once
            self.keys.install(pn.state.curdoc)       # Space, →, R, ? on the playground tab
            self.lessons.install(pn.state.curdoc)    # "Copy link" copies in the browser
            self._install_tabs(pn.state.curdoc)      # a tab's box shown at its click
            a11y.install_names(pn.state.curdoc)      # names for sliders' handles and arrows
            sizing.fit_to_screen(pn.state.curdoc, [],
                                 [self.loss.curve.host, self.loss.acc_curve.host],
                                 self.diagram.figure, DIAGRAM_WIDTH / DIAGRAM_HEIGHT,
                                 self.view.projector, planes=[self.output.fig2d],
                                 inset=heat_canvas.INSET, coming=[self.output.fig1d])
            self._fill_after_request(pn.state.curdoc)
        else:
            self.start()
        return self._layout

    def _fill_after_request(self, doc):
        """The playground's first screen (all of its tab but the introduction) made
        FILL_AFTER_MS after its page's HTML has gone out: its models (about 0.45 s of the
        event loop) are made while the browser runs the page's scripts (about 0.45 s),
        where they held back the HTML before. Not at once: the same event loop serves the
        scripts (3 MB, asked for as the HTML arrives), and a browser without them in its
        cache waited for the models first. The browser asks for the document later still,
        and gets it whole: a browser that connects sooner has them made as it connects
        (``fill_when_connected``). A session made as its browser's websocket connected (another
        process of ``--num-procs`` than the one that sent the HTML) gets its page whole at
        once: the browser asks for the document right after, and a first screen sent
        after it was drawn without its sizes and first pictures (set up when the
        document is ready)."""
        if warming.opened_by_websocket(doc):
            return
        box = self.tab_box("playground")
        held = list(box.objects[1:])
        if not held:
            return
        box.objects = list(box.objects[:1])
        # put back in steps, one a turn of the event loop: the top rows, then each column of
        # the body (data, network, output). Made in one turn, their models held every other
        # page's frames for 0.4–1.2 s while pages opened under load (docs/performance.md)
        steps = [(box, held)]
        body = self._body
        if body in held and len(body.objects) > 1:
            columns = list(body.objects)
            body.objects = []
            steps += [(body, [column]) for column in columns]

        state = {"started": None, "seq": 0, "shared": False, "frozen": None}

        def put(container, items):
            # the document finds its models once, after the last step (``thaw``): each
            # step's new models found by a walk of all the page's models cost the loop
            # 13-38 ms a step alone, 0.1-0.15 s under load (docs/performance.md)
            if state["frozen"] is None:
                state["frozen"] = doc.models.freeze()
                state["frozen"].__enter__()
            try:
                with set_curdoc(doc):
                    # Panel makes the models in a callback of the document's next tick (its
                    # browser has not connected yet), the style texts are shared after the
                    # last
                    container.objects = list(container.objects) + items
            except BaseException:
                thaw()                      # a failed step leaves the document as it was
                raise

        def thaw():
            frozen, state["frozen"] = state["frozen"], None
            if frozen is not None:
                frozen.__exit__(None, None, None)

        def schedule():                     # the next step, after Panel's models of this one
            state["seq"] += 1
            seq = state["seq"]
            doc.add_next_tick_callback(lambda: next_step(seq))

        def next_step(seq):
            if seq != state["seq"]:         # a later one is on its way
                return
            if steps:
                put(*steps.pop(0))
                schedule()
            elif not state["shared"]:
                state["shared"] = True
                thaw()
                theme.share_sheets(doc, keep=self.bokeh_objects())
                parts.PACE.put(state["started"], scheduler.SHARE.count)

        def fill():                         # at its time: a step a turn
            if state["started"] is None:    # once: at its time or as the browser connects
                state["started"] = parts.PACE.clock()
                next_step(state["seq"])

        def fill_now():                     # the browser connects: what is left, at once
            if state["started"] is None:
                state["started"] = parts.PACE.clock()
            if steps:
                while steps:
                    put(*steps.pop(0))
                schedule()
            thaw()                          # its document found whole before it is sent

        doc.add_timeout_callback(fill, FILL_AFTER_MS)
        doc.add_next_tick_callback(lambda: fill_when_connected(doc.session_context, fill_now))


def fill_when_connected(session_context, fill) -> bool:
    """``fill()`` as soon as a browser's websocket connects to the session of
    ``session_context``, if it has not run by then: before the browser can ask for the
    document (a browser with the scripts in its cache may connect within a few hundred
    ms of the HTML), so the document it gets is whole. Bokeh's session (public:
    ``session_context.session``) is told of each connection by its ``subscribe``; this
    wraps that method of the one session. Returns False where there is no such session
    (not served, or another Bokeh): ``fill`` then runs at its time only."""
    session = getattr(session_context, "session", None) if session_context is not None else None
    subscribe = getattr(session, "subscribe", None)
    if subscribe is None:
        return False
    if getattr(session, "connection_count", 0) > 0:     # connected already
        fill()
        return True

    def subscribed(connection, *args, **kwargs):
        fill()
        return subscribe(connection, *args, **kwargs)
    session.subscribe = subscribed
    return True


def make_lab(factory):
    """A lab (``factory()``) and its content, ready to go on a page."""
    lab = factory()
    content = pn.Column(lab)
    _finish_plots(content)
    a11y.name_controls(content)
    prompt.prompt_controls(content)
    return lab, content


def warm_labs() -> None:
    """The Neuron and Gradient-descent labs built once and dropped, one at a time in
    ``parts.BUILDER``'s thread, where a page's labs are built: the first student to open
    one on a new server otherwise waits for the lab's first-time work, its computations
    compiled (timed after the programs' warm-up: the Neuron lab 2.1 s, then 0.47 s;
    Gradient descent 2.3 s, then 0.45 s). A lab clicked meanwhile waits for at most the
    build under way. Then the labs alike on every page are made ahead (``SPARE_LABS``),
    one after another, before the warm-up is done: made later, when pages had begun to
    train, they held every training page's frames back (a page that opened as the warm-up
    ended showed 27–50 updates/s for two seconds, against 58–60 after them). The server's
    warm-up calls it (app.py)."""
    parts.build_alone(PlaygroundApp).result().build_each_lab()
    for spare in SPARE_LABS.values():
        spare.ready().result()


def quiet() -> bool:
    """Whether the event loop is quiet enough to make the next spare page in the builder's
    thread: no part or page built for others lately (``parts.PACE``), no page opening
    (``OPENING``) and none building a lab or putting parts (``building``): a spare in the
    builder's thread held back the lab a student had just asked for. A spare made while a
    page opens took the interpreter from the loop just as that page's first message and
    first frames were made: they took up to twice their CPU time (the first message 450 ms
    for 220 ms of CPU), and the page came 0.4 s later."""
    return parts.PACE.may_put() and not OPENING and not any(p.building() for p in DRAWING)


def busy() -> bool:
    """Whether a page trains, opens or builds (not ``quiet``): a sweep of closed pages'
    objects waits meanwhile (server/gcpolicy.py). A page reloaded closes and opens again at
    once, and the sweep came ``quiet_s`` after the close, as the new page's browser
    connected: 0.4–0.6 s more before its first screen, and a lab clicked then waited too."""
    return scheduler.SHARE.busy() or not quiet()


# the next plain link's page, made ahead off the event loop (``panel serve``: app.py)
SPARE = parts.Spare(PlaygroundApp, quiet=quiet)

# the next lab made ahead this long after one is taken (then once the loop is quiet): at
# 5 s, a page opened a few seconds after another page's lab clicks found 2 to 4 of its
# labs not made again, and each of those clicks waited for its lab's build (0.2-0.4 s)
SPARE_LAB_DELAY_S = 1.0
# Every lab, made ahead alike for every page (the Digits lab's link to its page's
# Convolution lab is set as it goes on the page, the Gradient-descent lab is tied to the
# page's run as it is taken: ``RUN_LABS``), one of each in ``parts.BUILDER``'s thread: a
# first click on their tab puts the one made ahead on its page, where it waited for its
# build (0.3–0.5 s) before (``PlaygroundApp.tick``). The next is made once the event loop
# is quiet (``quiet``).
SPARE_LABS = {"neurons": parts.Spare(lambda: make_lab(NeuronLab), SPARE_LAB_DELAY_S, quiet),
              "descent": parts.Spare(lambda: make_lab(DescentLab), SPARE_LAB_DELAY_S, quiet),
              "convolution": parts.Spare(lambda: make_lab(ConvLabTab), SPARE_LAB_DELAY_S,
                                         quiet),
              "digits": parts.Spare(lambda: make_lab(DigitsLab), SPARE_LAB_DELAY_S, quiet)}


# The labs made ahead that show the page's run (its network's landscape, learning rate and
# copies): made with none, then tied to the page's (``bind_lab``) in the builder's thread as
# they are taken (``PlaygroundApp._lab_future``), 40–60 ms there (the copies' first weights)
RUN_LABS = ("descent",)


def bind_lab(made, run):
    """A lab made ahead (``made``: the future of ``make_lab``'s lab and content) tied to
    the page's run; in the builder's thread, after the lab's own making."""
    lab, content = made.result()
    lab.bind(run)
    return lab, content


class MadeFor:
    """Pages made in ``parts.BUILDER``'s thread for sessions about to open: a new session
    waits for its turn on the event loop (server/admission.py), and its page is made
    meanwhile, off the loop (about 0.5 s of a 2-core server's loop per page before, every
    other page's frames waiting). A link the spare page serves (``made_ahead``) waits for
    the spare (``spare.ready()``: made at once when none is ready or on its way); a link
    with settings of its own gets its own page, made from them. A link to a lab's tab with
    settings of its own, and the teacher's page, are made on the loop as before. At most
    LIMIT are kept (a session that never opened is forgotten)."""

    LIMIT = 16

    def __init__(self, make=None, spare: parts.Spare | None = None):
        self.make = make or (lambda query: PlaygroundApp(query=query))
        self.spare = spare
        self.pages: dict = {}               # session id -> Future of its page

    def prepare(self, session_context):
        """Start making the page of the session ``session_context`` (on the event loop,
        before its document is made); returns the future, or None (made as before)."""
        request = getattr(session_context, "request", None)
        args = getattr(request, "arguments", None) if request is not None else None
        if args is not None and "teacher" in args:
            return None
        spare = self.spare if self.spare is not None else SPARE
        try:
            serves, view = spare_serves(args)
        except Exception:                   # the page made on the loop says what is wrong
            return None
        if serves:
            return spare.ready()            # the spare's link (plain, ?play=1, ?tab=…)
        if view.tab not in ("", "playground"):
            return None
        while len(self.pages) >= self.LIMIT:
            self.pages.pop(next(iter(self.pages))).cancel()
        future = parts.build_alone(self.make, args)
        self.pages[session_context.id] = future
        return future

    def take(self, session_id):
        """The page made for ``session_id``, or None (the caller makes one): a page half
        made is waited for, one still queued is given up."""
        future = self.pages.pop(session_id, None)
        if future is None or not (future.done() or not future.cancel()):
            return None
        try:
            return future.result()
        except Exception:               # the caller makes one; the log says why
            log.exception("A page made for its link failed")
            return None


MADE_FOR = MadeFor()


def spare_serves(query) -> tuple:
    """(whether the page made ahead serves the link ``query``, the link's ``View`` or None
    for no link): a plain link, one that only plays, or one to a tab of the plain page."""
    if not query:
        return True, None
    settings, view, notices = urlstate.from_query(query, PAGE)
    return (not settings and not notices
            and view._replace(play=False, tab="") == urlstate.View()), view


def made_ahead(query=None, spare: parts.Spare = SPARE):
    """The page made ahead (``spare``) for a link that asks for the plain page, for the
    plain page playing at once (``?play=1``: a demo's link, a class's screen) or for a tab
    of the plain page (``?tab=descent``: a lab's link shared with a class); None for any
    other link (its page is made from its settings) or when none is ready. Call it on the
    event loop as a session opens."""
    serves, view = spare_serves(query)
    if not serves:
        return None
    made = spare.take()
    if made is not None and view is not None:
        made.view = made.view._replace(play=view.play)
        made.open_tab(view.tab)               # a link to a tab (a lab's, shared with a class)
    return made

