"""Files a student picks are checked in the browser before they are sent: one too large for
its kind (or empty) is never read or sent, and the page says why, naming the limit.

Without this a file is read whole and sent in one websocket message: a 16 MB CSV is over
the server's message limit and the connection drops with no word. The server checks the
size again when a file arrives (``userdata.parse_csv``, ``export``).

    guard = UploadGuard({".csv": userdata.MAX_BYTES, ...}, show_error)
    guard.install(pn.state.curdoc)        # once per page, under a server
    layout = pn.Column(..., guard.pane)   # the hidden model that carries its reports
"""
from __future__ import annotations

from typing import Callable, Mapping

import panel as pn
from bokeh.models import CustomJS, Div

from ..state.checks import shown

KINDS = {".csv": "a CSV file", ".json": "a set-up file (.json)", ".npz": "a weights file (.npz)"}

# Bokeh's FileInput reads the chosen files (load_files) and sends them; every FileInput of
# the page goes through this check first (by its ``accept``), including those of tabs drawn
# later. A refused file is reported in the tags of ``report``, a hidden model of the page
# (so the server hears of it): [name, size, accept, count].
GUARD_JS = """
const model = Bokeh.Models.get("FileInput")
const View = model == null ? null : model.prototype.default_view
if (View != null && !View.prototype._pg_size_guard) {
  const load = View.prototype.load_files
  View.prototype._pg_size_guard = true
  View.prototype.load_files = async function (files) {
    const accept = String(this.model.accept)
    const limit = limits instanceof Map ? limits.get(accept) : limits[accept]
    for (const file of files) {
      if (limit != null && (file.size > limit || file.size == 0)) {
        this.input_el.value = ""            // the same file can be chosen again
        const n = (report.tags.length ? report.tags[3] : 0) + 1   // new even for the same file
        report.tags = [file.name.slice(0, 200), file.size, accept, n]
        return
      }
    }
    return load.call(this, files)
  }
}
"""


def size_text(n: float) -> str:
    """1,000,000 -> "1 MB", 100,000 -> "100 kB", 16,252,928 -> "16.3 MB"."""
    if n >= 1e6:
        return f"{n / 1e6:.3g} MB"
    if n >= 1e3:
        return f"{n / 1e3:.3g} kB"
    return f"{int(n)} bytes"


def refusal(name: str, size: int, accept: str, limit: int) -> str:
    """What the page says about a file refused for its size."""
    name = shown(name)
    if size == 0:
        return f"That file was not used: {name} is empty."
    kind = KINDS.get(accept, "a file")
    return (f"That file was not used: {name} is {size_text(size)}; {kind} may be at most "
            f"{size_text(limit)}.")


class UploadGuard:
    """The size limit of each kind of file (by the FileInput's ``accept``) in the browser."""

    def __init__(self, limits: Mapping[str, int], on_refused: Callable[[str], None]):
        self.limits = dict(limits)
        self.on_refused = on_refused
        self.report = Div(text="", width=0, height=0, visible=False)
        self.report.on_change("tags", self._reported)
        self.pane = pn.pane.Bokeh(self.report, visible=False, margin=0)

    def install(self, doc) -> None:
        doc.js_on_event("document_ready", CustomJS(
            args=dict(limits=self.limits, report=self.report), code=GUARD_JS))

    def _reported(self, attr, old, new):
        try:
            name, size, accept = new[0], int(new[1]), str(new[2])
        except (IndexError, TypeError, ValueError, OverflowError):
            return                                # not a report this page sends
        self.on_refused(refusal(str(name), size, accept, self.limits.get(accept, 0)))
