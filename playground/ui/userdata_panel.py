"""YOUR DATA: click the output plot to add or erase points, clear, or upload a CSV."""
from __future__ import annotations

import html

import panel as pn
import param

from ..state import userdata
from ..state.run import Run
from .data_panel import DATASET_LABELS
from .binding import tip

MODES = {"Add blue (+1)": "blue", "Add orange (−1)": "orange", "Erase": "erase"}
CLASS_MODES = {"Add a point of the class below": "blue", "Erase": "erase"}   # K classes
VALUE_MODES = {"Add a point of the value below": "blue", "Erase": "erase"}   # regression


class OwnDataPanel(pn.viewable.Viewer):
    """What a click on the output plot does, plus clear and CSV upload."""

    run = param.ClassSelector(class_=Run)
    value = param.Number(default=0.5, bounds=(-1, 1), doc=(
        "For regression data: the target value a clicked point gets."))
    klass = param.Integer(default=0, bounds=(0, userdata.MAX_CLASSES - 1), doc=(
        "For data with more than two classes: the class (0, 1, …) a clicked point gets."))

    def __init__(self, run: Run, on_error, on_info, **params):
        super().__init__(run=run, **params)
        self._on_error, self._on_info = on_error, on_info
        self.mode = pn.widgets.RadioButtonGroup(
            options=MODES, value="blue", width=224, margin=(2, 4),
            stylesheets=[".bk-btn { font-size: 12px; padding: 4px 2px; }"],
            description="Click the big plot to add a point of this class (or the value below "
                        "for regression), or to erase the nearest point. Shift-click erases.")
        self.value_slider = pn.widgets.FloatSlider.from_param(
            self.param.value, label="Value of new points", step=0.1, width=190)
        self.value_row = tip(self.value_slider, self.param.value.doc)
        self.class_slider = pn.widgets.IntSlider.from_param(
            self.param.klass, label="Class of new points", end=2, width=190)
        self.class_row = tip(self.class_slider, self.param.klass.doc)
        self.class_row.visible = False
        self.value_row.visible = not run.classification   # a value only regression uses
        self.clear = pn.widgets.Button(label="Clear all points", color="light", width=120,
                                       description="Start from an empty plot and click your "
                                                   "own points in.")
        self.clear.on_click(lambda e: self._guard(self.run.clear_points))
        self.upload = pn.widgets.FileInput(
            accept=".csv", width=220,
            description="Upload a CSV with columns x1, x2, label (or x, y for a 1-D curve), at "
                        "most 5,000 rows and 1 MB. Values are rescaled into the plot. Two "
                        "labels make two classes; labels 0, 1, …, K−1 (K from 3 to 5) make K "
                        "classes; other labels are values to fit.")
        self.upload.param.watch(self._uploaded, "value")
        self.note = pn.pane.HTML(margin=(0, 5), width=220)
        self.counts = pn.pane.HTML(margin=(0, 5), width=220)
        self._version = None

    def _guard(self, action, *args):
        try:
            action(*args)
        except ValueError as exc:
            self._on_error(str(exc))

    def click(self, x: float, y: float, erase: bool = False):
        """A click on the output plot at data coordinates (x, y)."""
        run = self.run
        was = run.dataset
        self._edit_point(x, y, erase)
        if was != "own" and run.dataset == "own":      # say so: the run started again
            self._on_info(f"Your click made this your own data: the {DATASET_LABELS[was]} "
                          f"points and yours, trained from fresh weights. Click a data set "
                          f"to go back.")

    def _edit_point(self, x: float, y: float, erase: bool):
        run = self.run
        if erase or self.mode.value == "erase":
            self._guard(run.remove_point_near, x, y)
            return
        if run.one_d:
            self._guard(run.add_point, x, 0.0, y)
        elif run.multiclass:
            self._guard(run.add_point, x, y, float(min(self.klass, run.classes - 1)))
        elif run.classification:
            self._guard(run.add_point, x, y, 1.0 if self.mode.value == "blue" else -1.0)
        else:
            self._guard(run.add_point, x, y, self.value)

    def _uploaded(self, event):
        if event.new is None:
            return
        try:
            d = userdata.parse_csv(event.new)
            self.run.use_own_data(d["X"], d["y"], d["classification"], d["one_d"], d["note"],
                                  d["classes"] or None)
        except ValueError as exc:
            self._on_error(f"That file was not used: {exc}")
        else:
            self.note.object = f'<div class="pg-readout">Your data: {html.escape(d["note"])}</div>'
            self._on_info("Your data are loaded: " + d["note"])
        finally:
            self.upload.value = None
            self.upload.clear()           # the same file can be chosen again

    def update(self):
        """The number of points of the learner's own data (when they are on screen)."""
        if self._version == self.run.data_version:
            return
        self._version = self.run.data_version
        run = self.run
        many, values = run.multiclass, not run.classification
        if many:
            self.class_slider.end = run.classes - 1
            self.klass = min(self.klass, run.classes - 1)
        modes = CLASS_MODES if many else VALUE_MODES if values else MODES
        if self.mode.options != modes:
            # the class slider for K classes, the value slider for regression, and the
            # buttons that say what a click adds
            if self.mode.value not in modes.values():
                self.mode.value = "blue"
            self.mode.options = modes
        if self.class_row.visible != many:
            self.class_row.visible = many
        if self.value_row.visible != values:
            self.value_row.visible = values
        self.counts.object = (f'<div class="pg-readout">Your data: <b>{len(run.y_train)}</b> '
                              f'training and <b>{len(run.y_test)}</b> test points.</div>'
                              if run.dataset == "own" else "")

    def __panel__(self):
        return pn.Column(
            pn.pane.HTML('<div class="pg-section-title">Your data</div>'
                         '<div class="pg-readout">Click the big plot to add points.</div>',
                         margin=(6, 5, 0, 5)),
            self.mode, self.value_row, self.class_row, self.clear, self.upload, self.counts,
            self.note,
            width=232, margin=0)
