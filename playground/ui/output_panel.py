"""OUTPUT: the decision-boundary heatmap (2-D) or the fitted curve (1-D), with the data."""
from __future__ import annotations

import numpy as np
import panel as pn
import param
from bokeh.events import DoubleTap, Tap
from bokeh.models import ColumnDataSource, LinearColorMapper
from bokeh.plotting import figure

from ..state.network import colour_codes
from ..state.run import DOMAIN, Run
from . import theme
from ..server import wire
from .sizing import own_width
from .binding import event_point, tip

SIZE = 380        # until the browser sizes it to the output column (sizing.fit_to_screen)
NETWORK_CAPTION = "the network's prediction"


TWO_CLASS_SCALE = (
    f'<div class="pg-scale" title="The colour of each spot is the network\'s output '
    f'there: orange for −1, blue for +1, pale where it is unsure (near 0)">'
    f'<div class="pg-scale-bar" style="background:linear-gradient(to right,'
    f'{theme.ORANGE},{theme.MIDDLE},{theme.BLUE})"></div>'
    f'<span>−1</span><span>0</span><span>+1</span></div>')


def class_scale(k: int) -> str:
    """The colour key of K classes: a swatch per class, and what paleness means."""
    swatch = ('<span style="display:inline-block;width:11px;height:11px;border-radius:2px;'
              'vertical-align:-1px;margin:0 2px 0 6px;background:{}"></span>')
    swatches = " ".join(swatch.format(c) + str(i) for i, c in enumerate(theme.CLASS_COLOURS[:k]))
    return (f'<div class="pg-class-scale" style="font-size:11px;color:#555" title="Each spot '
            f'has the colour of the class the network finds most likely there; the paler, '
            f'the less sure it is (the probability of that class, from 1/{k} to 1)">'
            f'class {swatches} · pale: unsure</div>')


def _points(X, y):
    return {"x1": X[:, 0], "x2": X[:, 1], "y": y}


class OutputPlot(pn.viewable.Viewer):
    """Builds its Bokeh figures once; ``update()`` only replaces source data."""

    run = param.ClassSelector(class_=Run)
    show_test = param.Boolean(default=False, doc="Also draw the held-out test points (outlined).")
    discretize = param.Boolean(default=False, doc=(
        "Colour each spot only by the predicted class (sign of the output, or the most "
        "likely of K classes) instead of the network's confidence."))

    def __init__(self, run: Run, **params):
        super().__init__(run=run, **params)
        lo, hi = DOMAIN
        self.image = ColumnDataSource({"image": [np.zeros((2, 2), np.uint8)]})
        self.train_pts = ColumnDataSource(_points(np.zeros((0, 2)), np.zeros(0)))
        self.test_pts = ColumnDataSource(_points(np.zeros((0, 2)), np.zeros(0)))
        self.curve = ColumnDataSource({"x": [], "y": []})
        self.mapper = LinearColorMapper(palette=theme.PALETTE, low=0, high=255)  # colour codes
        self.point_mapper = LinearColorMapper(palette=theme.PALETTE, low=-1, high=1)

        common = dict(width=SIZE, height=SIZE, toolbar_location=None, x_range=(lo, hi),
                      match_aspect=True, min_border_left=30,
                      min_border_bottom=20, min_border_right=6, min_border_top=6,
                      css_classes=["pg-output-plot"])
        f = figure(y_range=(lo, hi), **common)
        self.heatmap = f.image(image="image", source=self.image, x=lo, y=lo, dw=hi - lo, dh=hi - lo,
                               color_mapper=self.mapper, level="image", global_alpha=0.75)
        fill = {"field": "y", "transform": self.point_mapper}
        f.scatter("x1", "x2", source=self.train_pts, size=6, fill_color=fill,
                  line_color="white", line_width=1, legend_label="train")
        self.test_glyph = f.scatter("x1", "x2", source=self.test_pts, size=6,
                                    fill_color=None, line_color=fill, line_width=1.6,
                                    legend_label="test")
        self.highlight_src = ColumnDataSource({"x1": [], "x2": []})
        f.scatter("x1", "x2", source=self.highlight_src, size=13, fill_color=None,
                  line_color=theme.HIGHLIGHT, line_width=2.2)
        self._style(f)
        theme.add_save_button(f, "playground-output")
        self.fig2d = f
        self.on_click = None        # callback(x, y, erase) for clicks on the plot

        g = figure(y_range=(-2, 2), **common)
        g.scatter("x1", "y", source=self.train_pts, size=5, color=theme.BLUE, alpha=0.7,
                  legend_label="train")
        self.test_glyph_1d = g.scatter("x1", "y", source=self.test_pts, size=5,
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

        self.pane = pn.pane.Bokeh(f, margin=0)
        self.caption = pn.pane.HTML(margin=(2, 5, 0, 5))
        self.set_caption(NETWORK_CAPTION)
        # the colour scale of the heatmap: −1 orange, 0 grey, +1 blue (or the K classes)
        self.scale = pn.pane.HTML(TWO_CLASS_SCALE, margin=(0, 5), sizing_mode="stretch_width")
        self._classes = None          # the class colours the points and heatmap use now
        self._showing_classes = False
        self.show_test_toggle = theme.checkbox(self.param.show_test, "Show test data")
        self.discretize_toggle = theme.checkbox(self.param.discretize, "Discretize output")
        self.toggles = pn.Row(tip(self.show_test_toggle, self.param.show_test.doc),
                              tip(self.discretize_toggle, self.param.discretize.doc), margin=0)
        self._data_version = None
        self.param.watch(lambda *e: self._apply_toggles(), ["show_test", "discretize"])
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

    def _apply_toggles(self):
        self.test_glyph.visible = self.show_test
        self.test_glyph_1d.visible = self.show_test
        self._set_palette(self._showing_classes)

    def _set_palette(self, classes: bool):
        """The heatmap's palette: K-class colour codes, or the −1..+1 scale."""
        self._showing_classes = classes
        if classes:
            palette = theme.CLASS_DISCRETE_PALETTE if self.discretize else theme.CLASS_PALETTE
        else:
            palette = theme.DISCRETE_PALETTE if self.discretize else theme.PALETTE
        if list(self.mapper.palette) != palette:
            self.mapper.palette = palette

    def _set_classes(self, k: int):
        """Points, colour scale and heatmap for K classes (k >= 3) or for two / none."""
        if k == self._classes:
            return
        self._classes = k
        if k > 2:
            self.point_mapper.update(palette=list(theme.CLASS_COLOURS[:k]), low=-0.5,
                                     high=k - 0.5)
            self.scale.object = class_scale(k)
        else:
            self.point_mapper.update(palette=theme.PALETTE, low=-1, high=1)
            self.scale.object = TWO_CLASS_SCALE

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
        wire.set_columns(self.image, {"image": [colour_codes(grid)]})

    def show_highlight(self, X):
        """Ring the points X: (n, 2) (e.g. one cell of the confusion matrix); n = 0 clears."""
        wire.set_columns(self.highlight_src, {"x1": X[:, 0], "x2": X[:, 1]})

    def update(self):
        """Push the run's current output (and its data, when they changed) to the plot."""
        run = self.run
        if self._data_version != run.data_version:
            self._data_version = run.data_version
            self._set_classes(run.classes)
            self.train_pts.data = _points(run.X_train, run.y_train)
            self.test_pts.data = _points(run.X_test, run.y_test)
            fig = self.fig1d if run.one_d else self.fig2d
            if self.pane.object is not fig:       # re-rendering the same figure loses events
                self.pane.object = fig
        if run.one_d:
            self.set_caption("the network's curve")
            x, y = run.curve()
            wire.set_columns(self.curve, {"x": x, "y": y})
        else:
            self.set_caption(NETWORK_CAPTION)
            self._set_palette(run.multiclass)
            wire.set_columns(self.image, {"image": [run.decision_codes()]})

    def __panel__(self):
        return pn.Column(self.pane, self.scale, self.toggles, sizing_mode="stretch_width",
                         margin=0, stylesheets=[own_width("100%")])
