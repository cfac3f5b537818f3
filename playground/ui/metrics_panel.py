"""The confusion matrix (2×2, or K×K for K classes); clicking a cell highlights its points
in the output plot."""
from __future__ import annotations

import panel as pn
import param
from bokeh.models import ColumnDataSource, TapTool
from bokeh.plotting import figure

from ..state.display import Display
from ..state.run import Run
from . import theme
from ..server import wire

TRUE = ("blue (+1)", "orange (−1)")
PRED = ("blue", "orange")
CELL_NAMES = ("right: blue", "wrong: blue called orange", "wrong: orange called blue",
              "right: orange")


def _cells(k: int) -> dict:
    """The matrix's cells in the order of Run.confusion's cell numbers (row-major: true
    class, then predicted): x the predicted column, y the true row (first class on top)."""
    if k <= 2:
        return {"x": [0, 1, 0, 1], "y": [1, 1, 0, 0], "name": list(CELL_NAMES)}
    cells = range(k * k)
    return {"x": [c % k for c in cells], "y": [k - 1 - c // k for c in cells],
            "name": [f"right: class {c // k}" if c // k == c % k else
                     f"wrong: class {c // k} called {c % k}" for c in cells]}


class ConfusionMatrix(pn.viewable.Viewer):
    """Counts of right and wrong answers per class; ``selected`` is the clicked cell."""

    run = param.ClassSelector(class_=Run)
    split = param.Selector(default="test", objects=["test", "train"], doc=(
        "Count the held-out test points (how well the network generalises) or the "
        "training points."))
    selected = param.Integer(default=None, allow_None=True, doc=(
        "Clicked cell (row-major: true class, then predicted; 0..3, or 0..K²−1) or None."))

    def __init__(self, run: Run, display: Display | None = None, **params):
        super().__init__(run=run, **params)
        self.display = display or Display()
        self.display.param.watch(lambda e: self._recolour(), "palette")
        self.source = ColumnDataSource({**_cells(2), "count": [0] * 4, "label": [""] * 4,
                                        "color": ["#ffffff"] * 4})
        f = figure(width=210, height=190, toolbar_location=None, x_range=(-0.5, 1.5),
                   y_range=(-0.5, 1.5), tools="", title="Predicted →  /  true ↓")
        cells = f.rect("x", "y", 0.96, 0.96, source=self.source, fill_color="color",
                       line_color="#888888", selection_line_width=3,
                       selection_line_color="#000000", nonselection_fill_alpha=0.6)
        self.text = f.text("x", "y", text="label", source=self.source, text_align="center",
                           text_baseline="middle", text_font_size="13px")
        f.add_tools(TapTool(renderers=[cells]))
        f.grid.visible = False
        f.title.text_font_size = "11px"
        self.figure = f
        self.classes = None
        self._set_classes(2)
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

    def _set_classes(self, k: int):
        """Lay the matrix out for k classes (2: blue and orange; 3..5: classes 0..k−1)."""
        k = max(k, 2)
        if k == self.classes:
            return
        self.classes = k
        f = self.figure
        f.x_range.update(start=-0.5, end=k - 0.5)
        f.y_range.update(start=-0.5, end=k - 0.5)
        f.xaxis.ticker = list(range(k))
        f.yaxis.ticker = list(range(k))
        if k == 2:
            f.xaxis.major_label_overrides = {0: PRED[0], 1: PRED[1]}
            f.yaxis.major_label_overrides = {1: TRUE[0], 0: TRUE[1]}
        else:
            f.xaxis.major_label_overrides = {i: str(i) for i in range(k)}
            f.yaxis.major_label_overrides = {k - 1 - i: str(i) for i in range(k)}
        self.text.glyph.text_font_size = "13px" if k <= 3 else "11px"
        self.source.selected.indices = []
        self.selected = None
        self._shown = None
        n = k * k
        self.source.data = {**_cells(k), "count": [0] * n, "label": [""] * n,
                            "color": ["#ffffff"] * n}

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
        self._set_classes(self.run.classes)
        counts = self.run.confusion(self.split)["counts"].ravel().tolist()
        if counts == self._shown or len(counts) != self.classes ** 2:
            return                           # nothing new to send this frame
        self._shown = counts
        total = max(sum(counts), 1)
        k = self.classes
        c = theme.PALETTES[self.display.palette]
        if k == 2:
            light = theme.blend("#ffffff", c.positive, 0.2), theme.blend("#ffffff", c.negative, 0.25)
            colours = [light[0], theme.WRONG, theme.WRONG, light[1]]
            labels = [f"{c} ({c / total:.0%})" for c in counts]
        else:
            colours = [theme.blend("#ffffff", c.classes[i // k], 0.35)
                       if i // k == i % k else (theme.WRONG if counts[i] else "#ffffff")
                       for i in range(k * k)]
            labels = [str(c) for c in counts]
        wire.set_columns(self.source, {"count": counts, "color": colours, "label": labels})

    def _recolour(self):
        self._shown = None                 # the same counts, in the new colours
        self.update()

    def __panel__(self):
        return pn.Column(pn.pane.HTML('<div class="pg-section-title">Confusion matrix</div>',
                                      margin=(0, 5)), self.split_select, self.hint,
                         pn.pane.Bokeh(self.figure, margin=0))
