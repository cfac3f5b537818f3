"""The Gradient descent tab: one weight, two weights, the real network's landscape, and the
learning rate (finder, schedules, parallel runs)."""
from __future__ import annotations

import concurrent.futures
import time

import numpy as np
import panel as pn
import param
from bokeh.models import ColumnDataSource, LinearColorMapper, Span
from bokeh.plotting import figure

from ..engine import lr as lr_engine
from ..engine import parallel
from ..state.descent import run_landscape, run_lr_finder
from ..state.parallel import ParallelRuns
from ..state.run import LEARNING_RATES, Run
from . import scheduler, theme
from .binding import link, tip, unlinked
from .cards import lab_layout
from .descent_views import CONTOUR_PALETTE, OneWeightView, RaceView
from .learning_views import PLAY_TIP, play_button, sync_play_label
from .neuron_views import small_figure

INTRO = ("Training is walking downhill on the loss. Start with one weight, where you can see "
         "the whole error curve, then race five optimizers over two weights, then look at the "
         "real network's landscape.<br>Last, the learning rate: find a good one, change it "
         "as training goes, and train 16 copies at once to compare.")

SECTIONS = (   # key, title, two-line explanation, card width
    ("one", "1. One weight",
     "Five observations of weight and price; the model is price = W · weight. The right plot "
     "is the error for every W: each step moves W against the slope (the red tangent).", 720),
    ("race", "2. Two weights: the optimizer race",
     "The same start, five optimizers (optax). Pick a surface: in the long valley momentum "
     "builds speed; at the saddle, see who escapes. Click the plot to move the start.", 800),
    ("landscape", "3. The real network's landscape",
     "The playground's network has hundreds of weights. Here is its loss on a plane through "
     "its current weights, with the path training took; the readout says how faithful the "
     "plane is.", 720),
    ("finder", "4a. Learning-rate finder",
     f"From a copy of the network, train {lr_engine.LR_FIND_STEPS:,} minibatches while "
     f"raising the rate from {lr_engine.LR_FIND_START:g} to {lr_engine.LR_FIND_END:g}, and "
     "plot the loss. Pick a rate about ten times below the minimum.", 720),
    ("schedule", "4b. Learning-rate schedules",
     "Lower the rate as training goes (step decay, cosine), restart it (SGDR) or warm up and "
     "cool down (one-cycle); cosine and one-cycle then keep "
     f"{lr_engine.SCHEDULE_FLOOR * 100:g} % of the rate. The playground trains with the "
     "schedule chosen here.", 720),
    ("parallel", "4c. Parallel runs",
     "Train up to 16 copies of the playground's network at once, across learning rates or "
     "seeds: one compiled program trains all of them together.", 900),
)

# Long computations run here, one at a time per process, off the server's event loop.
WORKER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="descent")


class Job:
    """One background computation at a time for a view (a busy guard)."""

    def __init__(self):
        self.future = None

    @property
    def busy(self) -> bool:
        return self.future is not None and not self.future.done()

    def start(self, fn, *args) -> bool:
        if self.busy:
            return False
        self.future = WORKER.submit(fn, *args)
        return True

    def take(self, spinner=None, readout=None):
        """The result once done (once), else None. The spinner is hidden then; a failure
        is shown in ``readout`` (and None returned)."""
        if self.future is None or not self.future.done():
            return None
        f, self.future = self.future, None
        if spinner is not None:
            spinner.visible = False
        exc = f.exception()
        if exc is not None:
            if readout is not None:
                readout.object = f'<div class="pg-status pg-status-danger">{exc}</div>'
            return None
        return f.result()


def _spinner():
    return pn.indicators.LoadingSpinner(value=True, size=24, visible=False, margin=(8, 5),
                                        color="primary")


class LandscapeView(pn.viewable.Viewer):
    """The loss on a plane through the current weights, with the trajectory projected."""

    run = param.ClassSelector(class_=Run)
    directions = param.Selector(default="pca", objects=["pca", "random"], doc=(
        "pca: the plane in which the weights moved most so far (principal components of the "
        "trajectory). random: two random directions, each neuron's part rescaled to the size "
        "of its weights (filter normalisation, Li et al. 2018)."))

    def __init__(self, run: Run | None = None, **params):
        super().__init__(run=run, **params)
        self.pick = pn.widgets.RadioButtonGroup.from_param(
            self.param.directions, options={"trajectory plane (PCA)": "pca",
                                            "random directions": "random"},
            color="light", description=self.param.directions.doc)
        self.compute = pn.widgets.Button(label="Compute landscape", color="primary", width=160,
                                         description="Evaluate the loss on a 41×41 grid "
                                                     "around the current weights.")
        self.compute.on_click(lambda e: self._start())
        self.spinner = _spinner()
        self.job = Job()
        self.image = ColumnDataSource({"image": [], "x": [], "y": [], "dw": [], "dh": []})
        self.path = ColumnDataSource({"x": [], "y": []})
        self.now = ColumnDataSource({"x": [], "y": []})
        self.readout = pn.pane.HTML(margin=(0, 8), width=300)
        self.mapper = LinearColorMapper(palette=CONTOUR_PALETTE)
        f = figure(width=380, height=360, toolbar_location=None, tools="",
                   x_axis_label="direction 1", y_axis_label="direction 2")
        f.image("image", x="x", y="y", dw="dw", dh="dh", source=self.image,
                color_mapper=self.mapper)
        theme.fit_ranges_to_data(f)
        f.line("x", "y", source=self.path, color=theme.ORANGE, line_width=2)
        f.scatter("x", "y", source=self.path, color=theme.ORANGE, size=4)
        f.scatter("x", "y", source=self.now, color="#ffd700", marker="star", size=16,
                  line_color="#222")
        self.fig = theme.add_save_button(f, "loss-landscape")
        self.readout.object = ('<div class="pg-readout">Train the network in the Playground '
                               "tab for a while, then press <b>Compute landscape</b>.</div>")

    MIN_POINTS = 3          # a trajectory of fewer points spans no plane

    def bind(self, run: Run) -> None:
        """The run whose network the landscape is of (a lab made ahead of its page)."""
        self.run = run

    def _start(self):
        points = len(self.run.trajectory_array())
        if self.directions == "pca" and points < self.MIN_POINTS:
            self.readout.object = (
                f'<div class="pg-status pg-status-warning">The path so far has {points} '
                "point(s): train the network in the Playground tab for a while first, or "
                "pick random directions.</div>")
            return
        if self.job.start(run_landscape, self.run, self.directions):
            self.spinner.visible = True
            self.readout.object = '<div class="pg-readout">Computing 41 × 41 losses…</div>'

    def tick(self):
        out = self.job.take(self.spinner, self.readout)
        if out is None:
            return
        a, b = out.alphas, out.betas
        loss = np.log10(np.maximum(out.loss, 1e-6))
        self.mapper.low, self.mapper.high = float(np.nanmin(loss)), float(np.nanmax(loss))
        self.image.data = {"image": [loss], "x": [a[0]], "y": [b[0]], "dw": [a[-1] - a[0]],
                           "dh": [b[-1] - b[0]]}
        self.fig.x_range.start, self.fig.x_range.end = float(a[0]), float(a[-1])
        self.fig.y_range.start, self.fig.y_range.end = float(b[0]), float(b[-1])
        self.path.data = {"x": out.path[:, 0], "y": out.path[:, 1]}
        self.now.data = {"x": [0.0], "y": [0.0]}
        kind = "the trajectory's plane (PCA)" if out.directions == "pca" else \
            "two random filter-normalised directions"
        centre = out.loss[len(b) // 2, len(a) // 2]
        self.readout.object = (
            f'<div class="pg-readout">Plane: {kind}.<br>Colour: log₁₀ of the training loss '
            f"(dark = high). Star: the weights now (loss {centre:.4f}). Orange: the path "
            f"training took, projected.<br>This plane explains <b class='pg-explained'>"
            f"{out.explained:.1%}</b> of the path's movement"
            + (" — the rest happens in other directions, so read the picture with care."
               if out.explained < 0.9 else ".") + "</div>")

    def __panel__(self):
        return pn.Column(pn.Row(self.pick, self.compute, self.spinner),
                         pn.Row(self.fig, self.readout))


class FinderView(pn.viewable.Viewer):
    """fast.ai's LR finder on a copy of the network, five seeds at once."""

    run = param.ClassSelector(class_=Run)

    def __init__(self, run: Run | None = None, **params):
        super().__init__(run=run, **params)
        self.go = pn.widgets.Button(label="Run the finder", color="primary", width=140,
                                    description=f"{lr_engine.LR_FIND_STEPS:,} minibatches with "
                                                "a rising learning rate, from a copy of the "
                                                "current weights, for 5 seeds at once.")
        self.use = pn.widgets.Button(label="Use it", width=90, disabled=True,
                                     description="Set the playground's learning rate to the "
                                                 "suggestion (the nearest choice in its menu).")
        self.go.on_click(lambda e: self._start())
        self.use.on_click(lambda e: self._use())
        self.spinner = _spinner()
        self.job = Job()
        self.result = None
        self.band = ColumnDataSource({"lr": [], "low": [], "high": []})
        self.mean = ColumnDataSource({"lr": [], "loss": []})
        self.seeds = ColumnDataSource({"xs": [], "ys": []})
        self.readout = pn.pane.HTML(margin=(0, 8), width=300)
        f = small_figure(380, 260, x_axis_type="log", x_axis_label="learning rate",
                         y_axis_label="loss (smoothed)")
        f.varea("lr", "low", "high", source=self.band, color=theme.BLUE, alpha=0.2,
                legend_label="5 seeds: min–max")
        f.multi_line("xs", "ys", source=self.seeds, color=theme.BLUE, alpha=0.25)
        f.line("lr", "loss", source=self.mean, color=theme.BLUE, line_width=2.5,
               legend_label="mean")
        self.suggest_span = Span(location=1e-3, dimension="height", line_color="#2e7d32",
                                 line_width=2, visible=False)
        self.min_span = Span(location=1e-2, dimension="height", line_color="#888",
                             line_dash="dashed", visible=False)
        f.add_layout(self.suggest_span)
        f.add_layout(self.min_span)
        f.legend.location = "top_left"
        f.legend.label_text_font_size = "10px"
        self.fig = theme.add_save_button(f, "lr-finder")
        self.readout.object = '<div class="pg-readout">Press <b>Run the finder</b>.</div>'

    def bind(self, run: Run) -> None:
        """The run whose network the finder copies (a lab made ahead of its page)."""
        self.run = run

    def _start(self):
        if self.job.start(run_lr_finder, self.run):
            self.spinner.visible = True
            self.use.disabled = True
            self.readout.object = '<div class="pg-readout">Training 5 copies…</div>'

    def _use(self):
        if self.result is not None:
            self.run.learning_rate = lr_engine.nearest_choice(self.result.suggestion,
                                                              LEARNING_RATES)
            self.readout.object = self.readout.object.replace(
                "</div>", f"<br>Learning rate set to <b class='pg-lr-used'>"
                          f"{self.run.learning_rate:g}</b>.</div>")

    def tick(self):
        out = self.job.take(self.spinner, self.readout)
        if out is not None:
            self.draw_result(out)

    def draw_result(self, r: lr_engine.LRFinderResult):
        """Draw a finder's result, say what it suggests, and enable "Use it" if anything."""
        self.result = r
        ok = np.isfinite(r.mean)
        self.mean.data = {"lr": r.lrs[ok], "loss": r.mean[ok]}
        band = np.isfinite(r.low) & np.isfinite(r.high)
        self.band.data = {"lr": r.lrs[band], "low": r.low[band], "high": r.high[band]}
        xs, ys = [], []
        for s in r.smoothed:
            good = np.isfinite(s)
            xs.append(r.lrs[good])
            ys.append(s[good])
        self.seeds.data = {"xs": xs, "ys": ys}
        finite = r.mean[ok]
        if finite.size:
            lo, hi = float(finite.min()), float(np.percentile(finite, 95))
            self.fig.y_range.start, self.fig.y_range.end = lo - 0.05 * (hi - lo), hi * 1.05
        self.suggest_span.location, self.suggest_span.visible = r.suggestion, True
        self.min_span.location, self.min_span.visible = r.lr_at_minimum, True
        stopped = int(np.max(r.recorded))
        end = (f"Stopped after {stopped} of {len(r.lrs)} minibatches, when the loss passed 4× "
               "its best." if stopped < len(r.lrs) else
               f"Ran all {len(r.lrs)} minibatches (the loss never passed 4× its best).")
        self.readout.object = (
            f'<div class="pg-readout">Lowest loss at lr ≈ {r.lr_at_minimum:.2g} (grey dashed). '
            f"Suggested: <b class='pg-lr-suggestion'>{r.suggestion:.2g}</b> (green), one order "
            f"of magnitude below the minimum, where the loss still falls steeply (steepest "
            f"descent at {r.lr_steepest:.2g}). {end}"
            + ("" if r.falls else "<br><b>The loss hardly falls</b> within these minibatches, "
                                  "so there is nothing to suggest: this network learns slowly "
                                  "at any rate here, or has already learned what it can. Try "
                                  "it after a reset, on another data set, or with Adam.")
            + "</div>")
        self.use.disabled = not r.falls       # no suggestion worth using from a flat curve

    def __panel__(self):
        return pn.Column(pn.Row(self.go, self.use, self.spinner),
                         pn.Row(self.fig, self.readout))


class ScheduleView(pn.viewable.Viewer):
    """The playground's learning-rate schedule: its settings, a preview and the rate now."""

    run = param.ClassSelector(class_=Run)
    HEADROOM = 0.1      # the preview's y axis ends 10 % above the schedule's highest rate

    def __init__(self, run: Run | None = None, **params):
        super().__init__(**params)
        p = Run.param            # the widgets are made before the run they show (``bind``)
        self.widgets = [
            unlinked(pn.widgets.Select, p.schedule, width=170, options={
                lr_engine.SCHEDULE_TITLES[n]: n for n in lr_engine.SCHEDULES}),
            unlinked(pn.widgets.IntInput, p.schedule_epochs, label="period (epochs)",
                     width=120),
            unlinked(pn.widgets.IntInput, p.cycle_mult, label="cycle × (SGDR)", width=110),
            unlinked(pn.widgets.FloatInput, p.step_factor, label="factor (step)", width=110,
                     step=0.1)]
        self.curve = ColumnDataSource({"epoch": [], "lr": []})
        self.now = Span(location=0, dimension="height", line_color=theme.TEST_COLOR,
                        line_width=2)
        f = small_figure(420, 200, x_axis_label="epoch", y_axis_label="learning rate",
                         y_range=(0.0, 1.0))
        f.line("epoch", "lr", source=self.curve, color=theme.BLUE, line_width=2)
        f.add_layout(self.now)
        self.fig = theme.add_save_button(f, "lr-schedule")
        self.readout = pn.pane.HTML(margin=(0, 8))
        self._shown = None
        self._dirty = True
        if run is not None:
            self.bind(run)

    PARAMS = ("schedule", "schedule_epochs", "cycle_mult", "step_factor")

    def bind(self, run: Run) -> None:
        """The widgets tied to ``run``'s schedule both ways, the preview redrawn as it
        changes (a value the run refuses is said in the readout, the widget showing the
        value in force)."""
        self.run = run
        for widget, name in zip(self.widgets, self.PARAMS):
            link(widget, run, name, self._refused)
        run.param.watch(lambda *e: setattr(self, "_dirty", True),
                        [*self.PARAMS, "learning_rate"])

    def _refused(self, reason: str) -> None:
        self.readout.object = f'<div class="pg-status pg-status-warning">{reason}</div>'

    def tick(self):
        r = self.run
        if self._dirty:
            self._dirty = False
            n = max(300, 3 * r.schedule_epochs) if r.schedule != "sgdr" else \
                r.schedule_epochs * (1 + r.cycle_mult + r.cycle_mult ** 2)
            epochs = np.arange(min(n, 5000))
            lrs = r.learning_rates(epochs)
            self.curve.data = {"epoch": epochs, "lr": lrs}
            # from 0 to the schedule's top and a little more (a flat line too)
            self.fig.y_range.start = 0.0
            self.fig.y_range.end = float(np.max(lrs)) * (1.0 + self.HEADROOM)
        shown = (r.epoch, r.current_lr(), r.schedule)
        if shown != self._shown:
            self._shown = shown
            self.now.location = r.epoch
            self.readout.object = (f'<div class="pg-readout">epoch {r.epoch}: the playground '
                                   f"trains with learning rate <b class='pg-lr-now'>"
                                   f"{shown[1]:.4g}</b> "
                                   f"({lr_engine.SCHEDULE_TITLES[r.schedule]}).</div>")

    def __panel__(self):
        return pn.Column(pn.Row(*self.widgets), self.readout, self.fig)


class ParallelView(pn.viewable.Viewer):
    """N copies of the playground's network trained at once: their boundaries and curves."""

    run = param.ClassSelector(class_=Run)
    THUMB = 86

    def __init__(self, run: Run | None = None, **params):
        super().__init__(run=run, **params)
        self.sweep = ParallelRuns(run)
        self.turn = scheduler.Turn()          # its training under the server's fair share
        p = self.sweep.param
        self.over = pn.widgets.RadioButtonGroup.from_param(
            p.over, options={"learning rates": "learning_rate", "seeds": "seed"},
            color="light", description=p.over.doc)
        self.copies = pn.widgets.IntSlider.from_param(p.copies, width=150)
        self.lr_min = pn.widgets.FloatInput.from_param(p.lr_min, label="from lr", width=90)
        self.lr_max = pn.widgets.FloatInput.from_param(p.lr_max, label="to lr", width=90)
        self.play = sync_play_label(play_button())
        self.reset_btn = pn.widgets.Button(label="Reset", width=70,
                                           description="Every copy back to its first weights.")
        self.reset_btn.on_click(lambda e: (self.sweep.reset(), self._touch()))
        self.status = pn.pane.HTML(margin=(0, 8))
        self.curves = ColumnDataSource({"xs": [], "ys": [], "color": []})
        f = small_figure(330, 260, x_axis_label="epoch", y_axis_label="training loss",
                         y_axis_type="log")
        f.multi_line("xs", "ys", source=self.curves, color="color", line_width=1.5)
        self.curve_fig = theme.add_save_button(f, "parallel-runs")
        self.grid_fig = self._grid_figure()
        self._dirty = True
        self.sweep.param.watch(lambda *e: self._touch(), ["over", "copies", "lr_min", "lr_max"])

    COLS = 4                       # copies side by side in the grid of pictures
    TITLE_PX = 16                  # each picture's title, above it

    def _grid_figure(self):
        """The copies' pictures: one figure, each copy a THUMB-pixel square with its title
        above it, COLS to a row (one figure of a few models, not MAX_COPIES figures: these
        made the Gradient-descent tab 400 models and a second heavier to open).
        ``pictures``: image, x, y of each shown copy; ``titles``: x, y, text."""
        cols = self.COLS
        rows = -(-parallel.MAX_COPIES // cols)
        cell_h = (self.THUMB + self.TITLE_PX) / self.THUMB      # in picture widths
        self.pictures = ColumnDataSource({"image": [], "x": [], "y": []})
        self.titles = ColumnDataSource({"x": [], "y": [], "text": []})
        self.mapper = LinearColorMapper(palette=theme.PALETTE, low=-1, high=1)
        f = figure(width=cols * self.THUMB, height=rows * (self.THUMB + self.TITLE_PX),
                   toolbar_location=None, tools="", x_range=(0, cols),
                   y_range=(0, rows * cell_h), x_axis_location=None, y_axis_location=None,
                   min_border=0, outline_line_color=None, margin=0)
        f.grid.visible = False
        f.image("image", x="x", y="y", dw=0.96, dh=0.96, source=self.pictures,
                color_mapper=self.mapper)
        f.text("x", "y", "text", source=self.titles, text_font_size="9px",
               text_align="center", text_baseline="bottom", text_color="#333")
        self._cell = (rows, cell_h)
        return f

    def bind(self, run: Run) -> None:
        """The run whose network the copies are of (a lab made ahead of its page)."""
        self.run = run
        self.sweep.bind(run)
        self._dirty = True

    def _place(self, k: int) -> tuple[float, float]:
        """Where copy k's picture starts (its lower left corner), row by row from the top."""
        rows, cell_h = self._cell
        r, c = divmod(k, self.COLS)
        return c + 0.02, (rows - 1 - r) * cell_h + 0.02

    def _touch(self):
        self._dirty = True

    def _picture(self, grid):
        """A copy's decision grid as its picture shows it: the output on the −1..+1 scale,
        or the most likely of K classes in the class colours."""
        mapper = self.mapper
        k = self.run.classes
        if k > 2:
            colours = list(theme.CLASS_COLOURS[:k])
            if list(mapper.palette) != colours:
                mapper.update(palette=colours, low=-0.5, high=k - 0.5)
            return grid
        if list(mapper.palette) != theme.PALETTE:
            mapper.update(palette=theme.PALETTE, low=-1, high=1)
        return np.tanh(grid)

    def tick(self):
        # the event loop never waits for the copies' training: an epoch launched at one
        # frame is drawn at the first frame after it has computed (other pages' frames
        # meanwhile), and the next one is launched then
        now = time.perf_counter()
        if self.sweep.pending:
            if self.sweep.settle(wait=False):
                self.turn.finish(now)
                self._dirty = True
            elif not self.sweep.pending:      # dropped: the set-up changed meanwhile
                self.turn.finish(now)
        elif self.play.value and self.turn.may_start(now):   # its share, when others train
            self.turn.start(now)
            if self.sweep.launch(1) is None:
                self.turn.finish(now)
                self.status.object = '<div class="pg-readout">Compiling the program for ' \
                                     'this set-up (a few seconds)…</div>'
                return
        elif not self.play.value:
            self.turn.idle()
        if self._dirty:
            self._dirty = False
            self._draw()

    def _draw(self):
        s = self.sweep
        if not s.ready():
            self.status.object = '<div class="pg-readout">Compiling…</div>'
            self._dirty = True
            return
        m = s.metrics()
        grids = s.grids()
        values = m["values"]
        shown = range(min(s.copies, len(grids)))
        places = [self._place(k) for k in shown]
        self.pictures.data = {"image": [self._picture(grids[k]) for k in shown],
                              "x": [x for x, _ in places], "y": [y for _, y in places]}
        labels = [(f"lr {values[k]:.2g}" if s.over == "learning_rate" else f"seed {values[k]}")
                  + (" ✗ diverged" if m["diverged"][k] else f" · {m['train_loss'][k]:.3f}")
                  for k in shown]
        self.titles.data = {"x": [x + 0.48 for x, _ in places],
                            "y": [y + 0.98 for _, y in places], "text": labels}
        c = s.curves()
        colors = [theme.blend(theme.ORANGE, theme.BLUE, k / max(s.copies - 1, 1))
                  for k in range(s.copies)]
        loss = c["train_loss"].reshape(len(c["epoch"]), -1) if len(c["epoch"]) else None
        self.curves.data = {"xs": [c["epoch"]] * s.copies if loss is not None else [],
                            "ys": [np.maximum(loss[:, k], 1e-6) for k in range(s.copies)]
                            if loss is not None else [],
                            "color": colors if loss is not None else []}
        best = int(np.nanargmin(np.where(m["diverged"], np.inf, m["train_loss"])))
        self.status.object = (f'<div class="pg-readout">epoch <b class="pg-parallel-epoch">'
                              f"{s.epoch}</b> · {s.copies} copies in one program · best: "
                              f"{'lr ' + format(values[best], '.2g') if s.over == 'learning_rate' else 'seed ' + str(values[best])}"
                              f" (loss {m['train_loss'][best]:.4f})</div>")

    def __panel__(self):
        return pn.Column(pn.Row(self.over, tip(self.copies, self.sweep.param.copies.doc),
                                self.lr_min, self.lr_max),
                         pn.Row(tip(self.play, PLAY_TIP), self.reset_btn, self.status),
                         pn.Row(self.grid_fig, self.curve_fig))


class DescentLab(pn.viewable.Viewer):
    """The tab: six cards; ``tick`` advances and redraws them on the page's frame."""

    def __init__(self, run: Run | None = None, **params):
        super().__init__(**params)
        self.one = OneWeightView()
        self.race = RaceView()
        self.landscape = LandscapeView()
        self.finder = FinderView()
        self.schedule = ScheduleView()
        self.parallel = ParallelView()
        self._layout = lab_layout(self, INTRO, SECTIONS)
        if run is not None:
            self.bind(run)

    def bind(self, run: Run) -> None:
        """The lab tied to the page's run (once): the landscape, the finder, the schedule
        and the parallel copies are of its network. Made without one, the lab is made
        ahead of its page, alike for every page (``app.SPARE_LABS``)."""
        for view in (self.landscape, self.finder, self.schedule, self.parallel):
            view.bind(run)

    def tick(self):
        for view in (self.one, self.race, self.landscape, self.finder, self.schedule,
                     self.parallel):
            view.tick()

    def __panel__(self):
        return self._layout
