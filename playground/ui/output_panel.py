"""OUTPUT: the decision-boundary heatmap (2-D) or the fitted curve (1-D), with the data."""
from __future__ import annotations

import numpy as np
import panel as pn
import param
from bokeh.events import DoubleTap, Tap
from bokeh.models import ColumnDataSource, LinearColorMapper
from bokeh.plotting import figure

from ..state.display import Display
from ..state.network import colour_codes
from ..state.run import DOMAIN, Run
from . import theme
from ..server import wire
from .heat_canvas import INSET, HeatCanvas, palette_table
from .sizing import own_width
from .binding import event_point, tip

SIZE = 380        # until the browser sizes it to the output column (sizing.fit_to_screen)
PLANE = SIZE - INSET      # the plane's figure: the heat canvas's ticks stand beside it
NETWORK_CAPTION = "the network's prediction"


PALETTE_NAMES = {"standard": "Colours: standard",              # the palette menu
                 "okabe_ito": "Colours: colour-blind safe"}
MARKS = {"circle": "●", "triangle": "▲", "square": "■", "diamond": "◆",
         "inverted_triangle": "▼"}


def two_class_scale(colours: theme.Colours = theme.PALETTES["standard"]) -> str:
    """The colour key of the −1..+1 output (and the points' shapes, where they differ)."""
    low, high = "−1", "+1"
    if colours.markers[0] != colours.markers[1]:       # and the points' shapes
        low, high = f"{MARKS[colours.markers[1]]} −1", f"+1 {MARKS[colours.markers[0]]}"
    return (f'<div class="pg-scale" title="The colour of each spot is the network\'s output '
            f'there: orange for −1, blue for +1 (both palettes), pale where it is unsure '
            f'(near 0)"><div class="pg-scale-bar" style="background:linear-gradient('
            f'to right,{colours.negative},{theme.MIDDLE},{colours.positive})"></div>'
            f'<span>{low}</span><span>0</span><span>{high}</span></div>')


def class_scale(k: int, colours: theme.Colours = theme.PALETTES["standard"]) -> str:
    """The colour key of K classes: a swatch per class, and what paleness means."""
    swatch = ('<span style="display:inline-block;width:11px;height:11px;border-radius:2px;'
              'vertical-align:-1px;margin:0 2px 0 6px;background:{}"></span>')
    same = len(set(colours.markers[:k])) == 1
    swatches = " ".join(swatch.format(c) + ("" if same else MARKS[m]) + str(i)
                        for i, (c, m) in enumerate(zip(colours.classes[:k], colours.markers)))
    return (f'<div class="pg-class-scale" style="font-size:11px;color:#555" title="Each spot '
            f'has the colour of the class the network finds most likely there; the paler, '
            f'the less sure it is (the probability of that class, from 1/{k} to 1)">'
            f'class {swatches} · pale: unsure</div>')


def _points(X, y, marker=None):
    if marker is None:
        marker = ["circle"] * len(y)
    return {"x1": X[:, 0], "x2": X[:, 1], "y": y, "marker": marker}


class OutputPlot(pn.viewable.Viewer):
    """Builds its Bokeh figures once; ``update()`` only replaces source data. The plane's
    picture (the network's output, or one neuron's) is a HeatCanvas under the plane's
    figure, which draws the points over it; a 1-D data set shows a figure of its own."""

    run = param.ClassSelector(class_=Run)
    display = param.ClassSelector(class_=Display, doc="The page's display options.")

    def __init__(self, run: Run, display: Display | None = None, **params):
        super().__init__(run=run, display=display or Display(), **params)
        lo, hi = DOMAIN
        self.train_pts = ColumnDataSource(_points(np.zeros((0, 2)), np.zeros(0)))
        self.test_pts = ColumnDataSource(_points(np.zeros((0, 2)), np.zeros(0)))
        # the curve figure's points are its own, filled while it is shown: a hidden plot
        # with axes whose data change measures its axes again and lays the whole page out
        # again (about 100 ms a data-set click in the browser, measured)
        self.train_pts_1d = ColumnDataSource({"x1": [], "y": []})
        self.test_pts_1d = ColumnDataSource({"x1": [], "y": []})
        self.colours = theme.PALETTES[self.display.palette]
        self.curve = ColumnDataSource({"x": [], "y": []})
        # the picture's colours for its codes 0..255 (the canvas gets them as a table)
        self.mapper = LinearColorMapper(palette=theme.PALETTE, low=0, high=255)
        self.point_mapper = LinearColorMapper(palette=theme.PALETTE, low=-1, high=1)

        # no tools: a drag would pan the points off the picture under them, and Bokeh's
        # default tools are 13 models a figure that a page builds for nothing
        common = dict(toolbar_location=None, tools="", x_range=(lo, hi),
                      css_classes=["pg-output-plot"])
        # the plane: its data range is exactly the figure (no axes, no borders), which lies
        # transparent over the canvas that shows the picture
        f = figure(width=PLANE, height=PLANE, y_range=(lo, hi), min_border=0,
                   x_axis_type=None, y_axis_type=None, outline_line_color=None,
                   background_fill_alpha=0, border_fill_alpha=0, **common)
        fill = {"field": "y", "transform": self.point_mapper}
        f.scatter("x1", "x2", source=self.train_pts, size=6, fill_color=fill, marker="marker",
                  line_color="white", line_width=1, legend_label="train")
        self.test_glyph = f.scatter("x1", "x2", source=self.test_pts, size=6, marker="marker",
                                    fill_color=None, line_color=fill, line_width=1.6,
                                    legend_label="test")
        self.highlight_src = ColumnDataSource({"x1": [], "x2": []})
        f.scatter("x1", "x2", source=self.highlight_src, size=13, fill_color=None,
                  line_color=theme.HIGHLIGHT, line_width=2.2)
        self._style(f)
        self.fig2d = f
        self.on_click = None        # callback(x, y, erase) for clicks on the plot

        g = figure(width=SIZE, height=SIZE, y_range=(-2, 2), match_aspect=True,
                   min_border_left=30, min_border_bottom=20, min_border_right=6,
                   min_border_top=6, **common)
        g.scatter("x1", "y", source=self.train_pts_1d, size=5, color=theme.BLUE, alpha=0.7,
                  legend_label="train")
        self.test_glyph_1d = g.scatter("x1", "y", source=self.test_pts_1d, size=5,
                                       fill_color=None, line_color=theme.ORANGE,
                                       legend_label="test")
        g.line("x", "y", source=self.curve, line_width=3, color="#222222",
               legend_label="network")
        self._style(g)
        theme.add_save_button(g, "playground-curve")
        self.fig1d = g
        for fig in (f, g):
            # a click that follows the last within Bokeh's double-tap time comes as a
            # DoubleTap instead of a Tap: each is a point of its own, none is lost
            fig.on_event(Tap, self._tapped)
            fig.on_event(DoubleTap, self._tapped)

        self.plane = HeatCanvas()
        self.plane_box = self.plane.stack(f, margin=0)
        self.plane_pane = self.plane_box[1]
        self.curve_pane = pn.pane.Bokeh(g, margin=0)
        # the curve's figure goes in the first time the data are 1-D (``update``): a page
        # with 2-D data, as most are, has none of its 51 models to build in the browser
        # (about 0.1 s of a new page's main thread: docs/performance.md)
        self.curve_box = pn.Column(margin=0, visible=False)
        self.caption = pn.pane.HTML(margin=(2, 5, 0, 5))
        self.set_caption(NETWORK_CAPTION)
        # the colour scale of the heatmap: −1 orange, 0 grey, +1 blue (or the K classes)
        self.scale = pn.pane.HTML(two_class_scale(self.colours), margin=(0, 5),
                                  sizing_mode="stretch_width")
        self._classes = None          # the class colours the points and heatmap use now
        self._showing_classes = False
        shown = self.display.param
        self.show_test_toggle = theme.checkbox(shown.show_test, "Show test data")
        self.discretize_toggle = theme.checkbox(shown.discretize, "Discretize output")
        self.palette_select = pn.widgets.Select(
            options={v: k for k, v in PALETTE_NAMES.items()}, width=200, height=28,
            margin=0, value=self.display.palette, description=shown.palette.doc)
        self.palette_select.param.watch(
            lambda e: setattr(self.display, "palette", e.new), "value")
        self.toggles = pn.Row(tip(self.show_test_toggle, shown.show_test.doc),
                              tip(self.discretize_toggle, shown.discretize.doc), margin=0)
        self._data_version = None
        self.display.param.watch(lambda *e: self._apply_toggles(),
                                 ["show_test", "discretize", "palette"])
        self._apply_toggles()
        self.update()

    @staticmethod
    def _style(f):
        f.axis.axis_label_text_font_size = "11px"
        f.grid.visible = False
        f.legend.location = "top_right"
        f.legend.label_text_font_size = "10px"
        f.legend.background_fill_alpha = 0.6
        f.legend.click_policy = "hide"

    @property
    def show_test(self) -> bool:
        return self.display.show_test

    @property
    def discretize(self) -> bool:
        return self.display.discretize

    def _apply_toggles(self):
        self.test_glyph.visible = self.show_test
        self.test_glyph_1d.visible = self.show_test
        if self.palette_select.value != self.display.palette:
            self.palette_select.value = self.display.palette
        colours = theme.PALETTES[self.display.palette]
        if colours is not self.colours:
            self.colours = colours
            k, self._classes = self._classes, None
            if k is not None:
                self._set_classes(k)
                self._show_points()
        self._set_palette(self._showing_classes)

    def _set_palette(self, classes: bool):
        """The heatmap's palette: K-class colour codes, or the −1..+1 scale."""
        self._showing_classes = classes
        c = self.colours
        if classes:
            palette = c.class_discrete if self.discretize else c.class_scale
        else:
            palette = c.discrete if self.discretize else c.scale
        if list(self.mapper.palette) != palette or not self.plane.palette:
            self.mapper.palette = palette
            self.plane.palette = palette_table(palette)     # the canvas's 256 colours

    def _set_classes(self, k: int):
        """Points, colour scale and heatmap for K classes (k >= 3) or for two / none."""
        if k == self._classes:
            return
        self._classes = k
        c = self.colours
        if k > 2:
            self.point_mapper.update(palette=list(c.classes[:k]), low=-0.5, high=k - 0.5)
            self.scale.object = class_scale(k, c)
        else:
            self.point_mapper.update(palette=c.scale, low=-1, high=1)
            self.scale.object = two_class_scale(c)

    def _markers(self, y) -> list:
        """Each point's shape: its class's (the same for all in the standard palette)."""
        run, shapes = self.run, self.colours.markers
        if len(set(shapes)) == 1 or not run.classification:
            return [shapes[0]] * len(y)
        if run.multiclass:
            return [shapes[min(max(int(v), 0), len(shapes) - 1)] for v in y]
        return [shapes[0] if v > 0 else shapes[1] for v in y]

    def _show_points(self):
        run = self.run
        self.train_pts.data = _points(run.X_train, run.y_train, self._markers(run.y_train))
        self.test_pts.data = _points(run.X_test, run.y_test, self._markers(run.y_test))
        if run.one_d:
            self.train_pts_1d.data = {"x1": run.X_train[:, 0], "y": run.y_train}
            self.test_pts_1d.data = {"x1": run.X_test[:, 0], "y": run.y_test}

    def _tapped(self, event):
        point = event_point(event)
        if self.on_click is not None and point is not None:
            erase = bool((getattr(event, "modifiers", None) or {}).get("shift"))
            self.on_click(*point, erase)

    def set_caption(self, text: str):
        html_text = f'<div class="pg-caption">{text}</div>'
        if self.caption.object != html_text:
            self.caption.object = html_text

    def show_grid(self, grid, caption: str):
        """Show another (GRID_RES, GRID_RES) picture in the heatmap (e.g. one neuron's),
        values on the label scale, with a caption saying what it is; it travels as uint8
        colour codes."""
        self.set_caption(caption)
        self._set_palette(False)
        self.plane.show(colour_codes(grid))

    def show_highlight(self, X):
        """Ring the points X: (n, 2) (e.g. one cell of the confusion matrix); n = 0 clears."""
        wire.set_columns(self.highlight_src, {"x1": X[:, 0], "x2": X[:, 1]})

    def update(self):
        """Push the run's current output (and its data, when they changed) to the plot."""
        run = self.run
        if self._data_version != run.data_version:
            self._data_version = run.data_version
            self._set_classes(run.classes)
            self._show_points()
            if self.curve_box.visible != run.one_d:
                if run.one_d and not self.curve_box.objects:
                    self.curve_box.objects = [self.curve_pane]
                self.curve_box.visible = run.one_d
                self.plane_box.visible = not run.one_d
        if run.one_d:
            self.set_caption("the network's curve")
            x, y = run.curve()
            wire.set_columns(self.curve, {"x": x, "y": y})
        else:
            self.set_caption(NETWORK_CAPTION)
            self._set_palette(run.multiclass)
            self.plane.show(run.decision_codes())

    def install(self, doc) -> None:
        """Under a server: the picture is drawn as soon as the page is ready."""
        self.plane.install(doc)

    @property
    def pane(self):
        """The Bokeh pane shown now: the plane's figure (over its canvas) or the curve's."""
        return self.curve_pane if self.curve_box.visible else self.plane_pane

    def codes(self):
        """The colour codes of the picture shown on the plane: (GRID_RES, GRID_RES) uint8,
        row 0 at the bottom."""
        return self.plane.shown()

    def __panel__(self):
        return pn.Column(self.plane_box, self.curve_box, self.scale, self.toggles,
                         sizing_mode="stretch_width", margin=0,
                         stylesheets=[own_width("100%")])
