"""The 2×2 confusion matrix; clicking a cell highlights its points in the output plot."""
from __future__ import annotations

import panel as pn
import param
from bokeh.models import ColumnDataSource, TapTool
from bokeh.plotting import figure

from ..state.run import Run
from . import theme
from ..server import wire

TRUE = ("blue (+1)", "orange (−1)")
PRED = ("blue", "orange")
CELL_NAMES = ("right: blue", "wrong: blue called orange", "wrong: orange called blue",
              "right: orange")


class ConfusionMatrix(pn.viewable.Viewer):
    """Counts of right and wrong answers per class; ``selected`` is the clicked cell."""

    run = param.ClassSelector(class_=Run)
    split = param.Selector(default="test", objects=["test", "train"], doc=(
        "Count the held-out test points (how well the network generalises) or the "
        "training points."))
    selected = param.Integer(default=None, allow_None=True, doc="Clicked cell 0..3 or None.")

    def __init__(self, run: Run, **params):
        super().__init__(run=run, **params)
        self.source = ColumnDataSource({"x": [0, 1, 0, 1], "y": [1, 1, 0, 0],
                                        "count": [0] * 4, "label": [""] * 4,
                                        "color": ["#ffffff"] * 4, "name": list(CELL_NAMES)})
        f = figure(width=210, height=190, toolbar_location=None, x_range=(-0.5, 1.5),
                   y_range=(-0.5, 1.5), tools="", title="Predicted →  /  true ↓")
        cells = f.rect("x", "y", 0.96, 0.96, source=self.source, fill_color="color",
                       line_color="#888888", selection_line_width=3,
                       selection_line_color="#000000", nonselection_fill_alpha=0.6)
        f.text("x", "y", text="label", source=self.source, text_align="center",
               text_baseline="middle", text_font_size="13px")
        f.add_tools(TapTool(renderers=[cells]))
        f.xaxis.ticker = [0, 1]
        f.xaxis.major_label_overrides = {0: PRED[0], 1: PRED[1]}
        f.yaxis.ticker = [0, 1]
        f.yaxis.major_label_overrides = {1: TRUE[0], 0: TRUE[1]}
        f.grid.visible = False
        f.title.text_font_size = "11px"
        self.figure = f
        self.source.selected.on_change("indices", self._tapped)
        self.split_select = pn.widgets.RadioButtonGroup(
            options=["test", "train"], value=self.split, width=140,
            description=self.param.split.doc)
        self.split_select.param.watch(lambda e: setattr(self, "split", e.new), "value")
        self.param.watch(lambda e: self.update(), "split")
        self.hint = pn.pane.HTML('<div class="pg-readout">Click a cell to see its points.</div>',
                                 margin=(0, 5))
        self._shown = None
        self.update()

    def _tapped(self, attr, old, new):
        self.selected = new[0] if new else None

    def points(self):
        """(n, 2) points of the selected cell (empty when none is selected)."""
        c = self.run.confusion(self.split)
        if self.selected is None:
            return c["X"][:0]
        return c["X"][c["cell"] == self.selected]

    def update(self):
        if not self.run.classification:
            return
        counts = self.run.confusion(self.split)["counts"].ravel().tolist()
        if counts == self._shown:             # nothing new to send this frame
            return
        self._shown = counts
        total = max(sum(counts), 1)
        colours = [theme.BLUE_LIGHT, theme.WRONG, theme.WRONG, theme.ORANGE_LIGHT]
        wire.set_columns(self.source, {"count": counts, "color": colours,
                                       "label": [f"{c} ({c / total:.0%})" for c in counts]})

    def __panel__(self):
        return pn.Column(pn.pane.HTML('<div class="pg-section-title">Confusion matrix</div>',
                                      margin=(0, 5)), self.split_select, self.hint,
                         pn.pane.Bokeh(self.figure, margin=0))
