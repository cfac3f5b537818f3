"""Lessons (one-click presets), stop conditions and the shareable link."""
from __future__ import annotations

import html

import panel as pn
import param

from ..state.presets import PRESETS
from ..state.run import Run
from ..state import urlstate
from .binding import link

NO_LESSON = "Choose a lesson…"


COPY_CLASS = "pg-copy-link"
# One listener for the page: a click on a "Copy link" button (inside its shadow root)
# puts the page's address, which holds the set-up, on the clipboard.
COPY_JS = """
if (!window._pg_copy_link) {
  window._pg_copy_link = true
  document.addEventListener('click', (event) => {
    const hit = event.composedPath().some(
      (el) => el.classList && el.classList.contains(cls))
    if (hit && navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(window.location.href)
    }
  }, true)
}
"""


class LessonsPanel(pn.viewable.Viewer):
    """A lesson menu with its 'try this' text, stop conditions, and copy-link."""

    run = param.ClassSelector(class_=Run)
    lesson = param.String(default="", doc="Key of the lesson last opened ('' for none).")
    link_text = param.String(default="", doc="The link that opens this set-up.")

    def __init__(self, run: Run, on_error, **params):
        super().__init__(run=run, **params)
        self._on_error = on_error
        self.menu = pn.widgets.Select(
            label="Lessons", options={NO_LESSON: "", **{p.title: k for k, p in PRESETS.items()}},
            width=222, description="Each lesson opens a set-up with a short task to try. "
                                   "It replaces the current set-up.")
        self.menu.param.watch(lambda e: self.open(e.new), "value")
        self.try_this = pn.pane.HTML(margin=(0, 5), width=222)
        # the open lesson's task, shown across the top of the page (hidden without one)
        self.banner = pn.pane.HTML(margin=(0, 5), sizing_mode="stretch_width", visible=False)
        self.stop_epoch = link(pn.widgets.IntInput(
            label="Stop at epoch", start=0, end=1_000_000, step=100, width=100,
            description=Run.param.stop_epoch.doc), run, "stop_epoch", on_error)
        self.patience = link(pn.widgets.IntInput(
            label="Patience", start=0, end=10_000, step=10, width=100,
            description=Run.param.patience.doc), run, "patience", on_error)
        # copied in the browser by COPY_JS (install): a Panel ``js_on_click`` would make
        # Panel walk every model of the page at each change of any of its layouts
        self.copy = pn.widgets.Button(
            label="Copy link", color="light", width=86, margin=(5, 4),
            css_classes=[COPY_CLASS],
            description="Copy a link that opens exactly this set-up (same data, same seed, "
                        "same numbers) — for a worksheet or a classmate.")
        self.link_box = pn.widgets.TextInput(value="", width=124, disabled=False, margin=(5, 4),
                                             description="Select and copy this link.")
        self.param.watch(lambda e: setattr(self.link_box, "value", e.new), "link_text")

    def install(self, doc) -> None:
        """The "Copy link" button's work in the browser (once per page)."""
        from bokeh.models import CustomJS
        doc.js_on_event("document_ready", CustomJS(args=dict(cls=COPY_CLASS), code=COPY_JS))

    def open(self, key: str):
        """Open lesson ``key``: its settings on top of the defaults, fresh weights."""
        if not key or key not in PRESETS:
            return
        preset = PRESETS[key]
        notices = urlstate.apply(self.run, preset.settings)
        if notices:
            self._on_error("; ".join(notices))
        self.run.reset()
        self.lesson = key
        self.try_this.object = (f'<div class="pg-try"><b>{html.escape(preset.title)}</b><br>'
                                f'{html.escape(preset.try_this)}</div>')
        self.banner.object = (f'<div class="pg-try pg-lesson-banner"><b>Lesson: '
                              f'{html.escape(preset.title)}.</b> '
                              f'{html.escape(preset.try_this)}</div>')
        self.banner.visible = True
        if self.menu.value != key:
            self.menu.value = key

    def __panel__(self):
        return pn.Column(
            pn.pane.HTML('<div class="pg-section-title">Lessons</div>', margin=(0, 5)),
            self.menu, self.try_this,
            pn.pane.HTML('<div class="pg-section-title">Stop</div>', margin=(6, 5, 0, 5)),
            pn.Row(self.stop_epoch, self.patience, margin=0),
            pn.pane.HTML('<div class="pg-section-title">Share</div>', margin=(6, 5, 0, 5)),
            pn.Row(self.copy, self.link_box, margin=0), width=232, margin=0)
