"""The Digits CNN tab: a CNN (or an MLP) trained live on 8×8 handwritten digits, with its
filters, feature maps, confusion matrix, augmentation preview and a pad to draw on."""
from __future__ import annotations

import concurrent.futures
import html
import time

import numpy as np
import panel as pn
import param
from bokeh.events import Pan, PanStart, Tap
from bokeh.models import ColumnDataSource, LinearColorMapper, Range1d
from bokeh.plotting import figure

from ..state.digits import PAD_SIDE, DigitsRun, describe, ink_stroke, pad_to_digit
from . import scheduler, theme
from .binding import event_point, tip
from .cards import tab_intro
from .learning_views import PLAY_TIP, play_button, sync_play_label
from .neuron_views import small_figure
from .parts import AFTER_CARD

INTRO = ("A convolutional network learns its own kernels. Train one on 1,797 handwritten digits "
         "(8×8 pixels, a quarter held out for testing) and watch its first-layer filters "
         "change.<br>Then look inside: feature maps of a test image, the digits it confuses, "
         "and your own drawing. Any learned filter can be opened in the Convolution tab.")
GREYS = [f"#{v:02x}{v:02x}{v:02x}" for v in range(255, -1, -1)]
# Training epochs run here, off the server's event loop; one at a time per process, so a
# class training at once shares the CPU fairly and the pages stay responsive.
TRAINER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="digits")
PAD = PAD_SIDE          # the drawing pad's cells (2×2 of them make one digit pixel)


def mosaic(images: np.ndarray, ncols: int, gap: int = 1) -> np.ndarray:
    """Tile (n, h, w) pictures, each scaled to 0..1, into one picture (rows top first),
    NaN in the gaps: one image glyph shows them all."""
    n, h, w = images.shape
    rows = -(-n // ncols)
    out = np.full((rows * (h + gap) - gap, ncols * (w + gap) - gap), np.nan)
    for k, img in enumerate(images):
        lo, hi = float(np.min(img)), float(np.max(img))
        r, c = divmod(k, ncols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = \
            (img - lo) / (hi - lo) if hi > lo else 0.0
    return out


class Picture:
    """A figure showing one 2-D array (a mosaic or a single image), row 0 at the top."""

    def __init__(self, width, height, title="", palette=GREYS, low=0.0, high=1.0):
        self.source = ColumnDataSource({"image": [], "dw": [], "dh": []})
        f = figure(width=width, height=height, title=title, toolbar_location=None, tools="",
                   x_range=Range1d(0, 1), y_range=Range1d(0, 1))
        f.image("image", x=0, y=0, dw="dw", dh="dh", source=self.source,
                color_mapper=LinearColorMapper(palette=palette, low=low, high=high,
                                               nan_color="#ffffff"))
        f.axis.visible = False
        f.grid.visible = False
        f.title.text_font_size = "11px"
        f.min_border = 2
        self.fig = f

    def show(self, a: np.ndarray):
        rows, cols = a.shape
        self.source.data = {"image": [np.flipud(a)], "dw": [cols], "dh": [rows]}
        self.fig.x_range.start, self.fig.x_range.end = 0, cols
        self.fig.y_range.start, self.fig.y_range.end = 0, rows


class DigitsLab(pn.viewable.Viewer):
    """The tab. ``tick`` starts the next epoch in the trainer thread and redraws after it."""

    run = param.ClassSelector(class_=DigitsRun)
    test_index = param.Integer(0, bounds=(0, 449), doc=(
        "Which held-out test image to look inside."))

    def __init__(self, run: DigitsRun | None = None, on_use_filter=None, **params):
        super().__init__(run=run or DigitsRun(), **params)
        self.on_use_filter = on_use_filter
        r = self.run
        p = r.param
        self.widgets = {
            "model": pn.widgets.RadioButtonGroup.from_param(
                p.model, options={"CNN": "cnn", "MLP": "mlp"}, color="light",
                description=p.model.doc),
            **{n: pn.widgets.Select.from_param(p[n], width=95)
               for n in ("filters1", "filters2", "kernel_size", "hidden", "batch_size",
                         "optimizer")},
            **{n: pn.widgets.FloatInput.from_param(p[n], width=95, step=s)
               for n, s in (("learning_rate", 0.001), ("dropout", 0.05),
                            ("augment_shift", 0.5), ("augment_rotate", 5.0))},
            "seed": pn.widgets.IntInput.from_param(p.seed, width=95)}
        self.play = sync_play_label(play_button())
        self.reset_btn = pn.widgets.Button(label="Reset", width=70,
                                           description="New random weights (same seed).")
        self.reset_btn.on_click(lambda e: self._reset())
        self.progress = pn.indicators.Progress(value=-1, width=120, visible=False,
                                               margin=(14, 5))
        self.readout = pn.pane.HTML(margin=(0, 8))
        self.curves = ColumnDataSource({"epoch": [], "train_loss": [], "test_loss": [],
                                        "test_accuracy": []})
        self.loss_fig = small_figure(300, 180, x_axis_label="epoch", y_axis_label="loss")
        self.loss_fig.line("epoch", "train_loss", source=self.curves, color=theme.TRAIN_COLOR,
                           line_width=2, legend_label="train")
        self.loss_fig.line("epoch", "test_loss", source=self.curves, color=theme.TEST_COLOR,
                           line_width=2, legend_label="test")
        self.acc_fig = small_figure(300, 180, x_axis_label="epoch",
                                    y_axis_label="test accuracy", y_range=(0, 1.01))
        self.acc_fig.line("epoch", "test_accuracy", source=self.curves, color=theme.BLUE,
                          line_width=2)
        self.filters = Picture(330, 170, "first-layer filters (dark = large weight)")
        self.filter_pick = pn.widgets.IntInput(value=0, start=0, end=r.filters1 - 1,
                                               label="filter", width=80,
                                               description="Which first-layer filter to open.")
        self.use_filter = pn.widgets.Button(label="Open in Convolution lab", width=180,
                                            description="Put this learned 3×3 (or 5×5) "
                                                        "filter into the Convolution tab's "
                                                        "kernel and slide it over an image.")
        self.use_filter.on_click(lambda e: self._use_filter())
        self.test_image = Picture(120, 120, "test image")
        self.maps1 = Picture(300, 160, "layer 1 feature maps (8×8)")
        self.maps2 = Picture(300, 160, "layer 2 feature maps (4×4)")
        self.test_pick = pn.widgets.IntSlider.from_param(self.param.test_index,
                                                         label="test image", width=200)
        self.test_label = pn.pane.HTML(margin=(0, 8))
        self.matrix = ColumnDataSource({"x": [], "y": [], "n": [], "color": [], "text": []})
        self.matrix_fig = self._matrix_figure()
        self.mistakes = Picture(300, 120, "click a cell: its test images")
        self.mistakes_text = pn.pane.HTML(margin=(0, 8))
        self.pad_cells = np.zeros((PAD, PAD))
        self._stroke = None                   # the last point of the stroke being drawn
        self.pad = Picture(200, 200, "draw a digit here (drag)", palette=GREYS)
        self._pad_events()
        self.clear_pad = pn.widgets.Button(label="Clear", width=70,
                                           description="Wipe the drawing pad.")
        self.clear_pad.on_click(lambda e: self._clear_pad())
        self.probs = ColumnDataSource({"digit": [str(d) for d in range(10)], "p": [0.0] * 10,
                                       "color": [theme.BLUE_LIGHT] * 10})
        self.prob_fig = self._prob_figure()
        self.pad_maps = Picture(300, 160, "layer 1 maps of your drawing")
        self.pad_text = pn.pane.HTML(margin=(0, 8))
        self.aug = Picture(330, 175, "originals (columns 1 and 6) and random copies")
        self.aug_btn = pn.widgets.Button(label="New random copies", width=150,
                                         description="Draw other random shifts and rotations.")
        self.aug_btn.on_click(lambda e: self._augment(new=True))
        self._aug_draw = 0
        self._job = None
        self.turn = scheduler.Turn()          # its epochs under the server's fair share
        self._shown_preparing = None
        self._dirty = {"all"}
        self._selected_cell = None
        r.param.watch(lambda *e: self._touch("all"), [*r.setting_names()])
        self.param.watch(lambda *e: self._touch("maps"), ["test_index"])
        self._layout = self._build()

    # --------------------------------------------------------------- components
    def _matrix_figure(self):
        f = figure(width=300, height=300, toolbar_location=None, tools="tap",
                   x_range=[str(d) for d in range(10)], y_range=[str(d) for d in range(9, -1, -1)],
                   x_axis_label="predicted", y_axis_label="true digit")
        f.rect("x", "y", 1, 1, source=self.matrix, fill_color="color", line_color="#fff",
               nonselection_fill_alpha=1.0, nonselection_line_alpha=1.0,
               selection_line_color="#222", selection_line_width=2)
        f.text("x", "y", text="text", source=self.matrix, text_align="center",
               text_baseline="middle", text_font_size="10px", nonselection_text_alpha=1.0)
        f.on_event(Tap, self._tap_matrix)
        f.grid.visible = False
        return f

    def _prob_figure(self):
        f = figure(width=260, height=170, toolbar_location=None, tools="",
                   x_range=[str(d) for d in range(10)], y_range=(0, 1.02),
                   x_axis_label="digit", y_axis_label="probability")
        f.vbar("digit", top="p", width=0.8, source=self.probs, color="color")
        f.grid.visible = False
        return f

    def _pad_events(self):
        f = self.pad.fig
        f.x_range = Range1d(0, PAD, bounds=(0, PAD))
        f.y_range = Range1d(0, PAD, bounds=(0, PAD))
        f.toolbar_location = None
        from bokeh.models import PanTool
        pan = PanTool(dimensions="both")
        f.add_tools(pan)
        f.toolbar.active_drag = pan
        for event in (Tap, PanStart, Pan):
            f.on_event(event, self._paint)
        self.pad.show(self.pad_cells)

    # ------------------------------------------------------------------ actions
    def _touch(self, *what):
        self._dirty.update(what)

    def _reset(self):
        self.play.value = False
        self.run.reset()
        self._touch("all")

    def _use_filter(self):
        if self.run.preparing:               # its filters do not exist yet
            return
        k = int(self.filter_pick.value)
        f = self.run.filters()
        if self.run.model != "cnn" or not 0 <= k < len(f):
            self.readout.object = ('<div class="pg-status pg-status-warning">Only the CNN '
                                   "has convolution filters.</div>")
            return
        if self.on_use_filter is not None:
            self.on_use_filter(np.asarray(f[k], float), k)

    def _tap_matrix(self, event):
        point = event_point(event)
        if point is None:
            return
        col, row = int(np.clip(np.floor(point[0]), 0, 9)), 9 - int(np.clip(np.floor(point[1]), 0, 9))
        self._selected_cell = (row, col)
        self._touch("mistakes")

    def _paint(self, event):
        point = event_point(event)
        if point is None or not (-2 < point[0] < PAD + 2 and -2 < point[1] < PAD + 2):
            self._stroke = None
            return
        # a drag continues its stroke from the last point; a tap or a new drag starts one
        start = self._stroke if isinstance(event, Pan) else None
        ink_stroke(self.pad_cells, start, point)      # a 2×2 brush, as thick as a pen's
        self._stroke = point
        self._touch("pad")

    def _clear_pad(self):
        self.pad_cells[:] = 0
        self._touch("pad")

    def drawing(self) -> np.ndarray:
        """The pad as a digit image (see ``pad_to_digit``)."""
        return pad_to_digit(self.pad_cells)

    def _augment(self, new=False):
        if new:
            self._aug_draw += 1
        prev = self.run.augmented_preview(n=10, copies=4, draw=self._aug_draw)
        tiles = np.concatenate([prev["images"][:, None], prev["augmented"]], 1)
        self.aug.show(mosaic(tiles.reshape(-1, 8, 8), ncols=10))   # two digits per row

    # --------------------------------------------------------------------- frame
    def tick(self):
        """Start the next epoch when playing; draw what changed."""
        job = self._job
        now = time.perf_counter()
        if job is not None and job.done():
            self._job = None
            self.turn.finish(now)
            exc = job.exception()
            if exc is not None:
                self.play.value = False
                self.readout.object = f'<div class="pg-status pg-status-danger">{exc}</div>'
            self._touch("training")
        if self.run.preparing or not self.run.programs_ready():   # compiling elsewhere
            self.progress.visible = True
            text = self.run.message if self.run.preparing else (
                f"Preparing the {describe(self.run.spec)} for batch size "
                f"{self.run.batch_size}: compiling its programs for this server. A few "
                "seconds…")
            if self._shown_preparing != text:
                self._shown_preparing = text
                self.readout.object = (f'<div class="pg-status pg-status-info">'
                                       f'{html.escape(text)}</div>')
            self._dirty.add("all")            # drawn in full once it is ready
            return
        self._shown_preparing = None
        # the pictures' small computations (predictions, feature maps) run on the device
        # that trains: drawn between epochs, never behind one, so the event loop (every
        # page's frames) never waits for an epoch. The pad's ink shows at once.
        if self._dirty and self._job is None:
            self._draw()
        elif "pad" in self._dirty:
            self.pad.show(self.pad_cells)
        if self.play.value and self._job is None:
            if self.run.status == "diverged":
                self.play.value = False
            elif self.turn.may_start(now):    # its share of the server, when others train
                self.turn.start(now)
                self._job = TRAINER.submit(self.run.train, 1)
        elif not self.play.value and self._job is None:
            self.turn.idle()
        self.progress.visible = self._job is not None

    def _draw(self):
        what, self._dirty = self._dirty, set()
        everything = "all" in what
        r = self.run
        if everything or "training" in what:
            h = r.history
            self.curves.data = {k: list(h[k]) for k in self.curves.data}
            m = r.metrics()
            self.readout.object = (
                f'<div class="pg-readout">epoch <b class="pg-digits-epoch">{r.epoch}</b> · '
                f"test accuracy <b class='pg-digits-acc'>{m['test_accuracy']:.1%}</b> · "
                f"train loss {m['train_loss']:.4f} · test loss {m['test_loss']:.4f}"
                + (f"<br>{r.message}" if r.message else "")
                + ("<br>Sharing the server: other pages are training too, so this tab "
                   "trains in turns." if self.turn.waited else "") + "</div>")
            f = r.filters()
            if r.model == "cnn":
                self.filters.show(mosaic(f, ncols=8))
                self.filters.fig.title.text = (f"first-layer filters ({len(f)} of "
                                               f"{f.shape[1]}×{f.shape[2]})")
            else:
                self.filters.show(mosaic(f[:32], ncols=8))
                self.filters.fig.title.text = "first 32 hidden neurons' weights (8×8)"
            self.filter_pick.end = max(len(f) - 1, 0)
            self.use_filter.disabled = r.model != "cnn"
            self._draw_matrix()
            what |= {"maps", "mistakes", "pad"}
        if everything:
            self._augment()
        if "maps" in what:
            self._draw_maps()
        if "mistakes" in what:
            self._draw_mistakes()
        if "pad" in what:
            self._draw_pad()

    def _draw_matrix(self):
        conf = self.run.confusion()
        counts = conf["counts"]
        xs, ys, ns, colors, texts = [], [], [], [], []
        top = max(int(counts.max()), 1)
        for t in range(10):
            for p in range(10):
                n = int(counts[t, p])
                xs.append(str(p))
                ys.append(str(t))
                ns.append(n)
                base = theme.BLUE if t == p else theme.TEST_COLOR
                colors.append(theme.blend("#ffffff", base, min(1.0, (n / top) ** 0.5))
                              if n else "#f7f7f7")
                texts.append(str(n) if n else "")
        self.matrix.data = {"x": xs, "y": ys, "n": ns, "color": colors, "text": texts}
        self._conf = conf

    def _draw_maps(self):
        r = self.run
        x_test, y_test = r.split.x_test, r.split.y_test
        i = min(self.test_index, len(x_test) - 1)
        image = x_test[i]
        self.test_image.show(image / 16.0)
        pred = int(r.predict(image[None])[0])
        self.test_label.object = (f'<div class="pg-readout">true {int(y_test[i])}, predicted '
                                  f"<b>{pred}</b></div>")
        if r.model == "cnn":
            m1, m2 = r.feature_maps(image)
            self.maps1.show(mosaic(m1[:32], ncols=8))
            self.maps2.show(mosaic(m2[:32], ncols=8))
        self.maps1.fig.visible = self.maps2.fig.visible = r.model == "cnn"

    def _draw_mistakes(self):
        cell = self._selected_cell
        if cell is None or not hasattr(self, "_conf"):
            self.mistakes_text.object = "<small>Click a cell of the matrix.</small>"
            return
        t, p = cell
        idx = list(self._conf["indices"][t][p])[:24]
        kind = "correct" if t == p else "mistaken"
        self.mistakes_text.object = (f'<div class="pg-readout pg-cell">true {t}, predicted {p}: '
                                     f"<b>{len(self._conf['indices'][t][p])}</b> {kind} test "
                                     "images (up to 24 shown)</div>")
        if idx:
            self.mistakes.show(mosaic(self.run.split.x_test[idx], ncols=8))
        else:
            self.mistakes.show(np.full((8, 8), np.nan))

    def _draw_pad(self):
        self.pad.show(self.pad_cells)
        img = self.drawing()
        if img.max() == 0:
            self.probs.data = {**self.probs.data, "p": [0.0] * 10}
            self.pad_text.object = "<small>Draw a digit in the pad.</small>"
            return
        p = self.run.predict_proba(img[None])[0]
        best = int(np.argmax(p))
        self.probs.data = {"digit": [str(d) for d in range(10)], "p": [float(v) for v in p],
                           "color": [theme.BLUE if d == best else theme.BLUE_LIGHT
                                     for d in range(10)]}
        self.pad_text.object = (f'<div class="pg-readout">the network says <b class='
                                f"'pg-pad-digit'>{best}</b> ({p[best]:.0%})</div>")
        if self.run.model == "cnn":
            self.pad_maps.show(mosaic(self.run.feature_maps(img)[0][:32], ncols=8))
        self.pad_maps.fig.visible = self.run.model == "cnn"

    # -------------------------------------------------------------------- layout
    def _build(self):
        w = self.widgets
        settings = pn.Column(
            w["model"],
            pn.Row(w["filters1"], w["filters2"], w["kernel_size"], w["hidden"]),
            pn.Row(w["learning_rate"], w["batch_size"], w["optimizer"], w["dropout"]),
            pn.Row(w["augment_shift"], w["augment_rotate"], w["seed"]))
        train_card = pn.Column(
            pn.pane.HTML('<div class="pg-section-title">1. Train</div>', margin=(0, 5)),
            settings, pn.Row(tip(self.play, PLAY_TIP), self.reset_btn, self.progress),
            # the curves (empty until it trains) come just after the card (AFTER_CARD)
            self.readout, pn.Row(self.loss_fig, self.acc_fig, css_classes=[AFTER_CARD]))
        filter_card = pn.Column(
            pn.pane.HTML('<div class="pg-section-title">2. Learned filters</div>'
                         '<p class="pg-explain">Each small square is one kernel of the first '
                         "layer. They start as noise and turn into edge and stroke detectors."
                         "</p>", margin=(0, 5), width=340),
            self.filters.fig, pn.Row(self.filter_pick, self.use_filter))
        maps_card = pn.Column(
            pn.pane.HTML('<div class="pg-section-title">3. Inside the network</div>'
                         '<p class="pg-explain">A test image and what each filter finds in it '
                         "(layer 1), then the second layer's maps after pooling.</p>",
                         margin=(0, 5), width=440),
            pn.Row(tip(self.test_pick, self.param.test_index.doc), self.test_label),
            pn.Row(self.test_image.fig, pn.Column(self.maps1.fig, self.maps2.fig)))
        conf_card = pn.Column(
            pn.pane.HTML('<div class="pg-section-title">4. Confusion matrix</div>'
                         '<p class="pg-explain">Rows: the true digit; columns: the network\'s '
                         "answer. Click a cell to see its images.</p>", margin=(0, 5),
                         width=320),
            self.matrix_fig, self.mistakes_text, self.mistakes.fig)
        pad_card = pn.Column(
            pn.pane.HTML('<div class="pg-section-title">5. Draw a digit</div>'
                         '<p class="pg-explain">Drag in the pad (mouse or finger). It is '
                         "shrunk to 8×8 pixels like the training digits.</p>", margin=(0, 5),
                         width=480),
            pn.Row(pn.Column(self.pad.fig, self.clear_pad),
                   pn.Column(self.prob_fig, self.pad_text, self.pad_maps.fig)))
        aug_card = pn.Column(
            pn.pane.HTML('<div class="pg-section-title">6. Augmentation</div>'
                         '<p class="pg-explain">Each epoch the training images are shifted and '
                         "rotated a little at random, so the network sees more variety. No "
                         "flips: a mirrored 2, 3 or 7 is no longer that digit.</p>",
                         margin=(0, 5), width=340),
            self.aug.fig, self.aug_btn)
        cards = [pn.Column(c, css_classes=["pg-card", f"pg-digits-{k}"], margin=(6, 4),
                           styles={"padding": "8px"})
                 for k, c in (("train", train_card), ("filters", filter_card),
                              ("maps", maps_card), ("confusion", conf_card), ("pad", pad_card),
                              ("augment", aug_card))]
        return pn.Column(
            tab_intro(INTRO),
            pn.FlexBox(*cards, flex_wrap="wrap", sizing_mode="stretch_width"),
            sizing_mode="stretch_width")

    def __panel__(self):
        return self._layout
