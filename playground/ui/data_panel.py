"""DATA column: which data set, how noisy, how much is held out, batch size."""
from __future__ import annotations

import panel as pn
import param

from ..engine import datasets
from ..state.run import Run
from . import theme
from .binding import link, tip
from .labels import DATASET_LABELS
from .thumbnails import dataset_thumbnail

DATASET_TIPS = {
    "circle": "Two classes: a disc inside a ring. Not linearly separable — try the X₁², X₂² features.",
    "xor": "Two classes in opposite quadrants. A line cannot split them; a hidden layer can.",
    "gauss": "Two blobs. A single straight line separates them: the easiest problem.",
    "spiral": "Two interleaved spirals: needs depth (several hidden layers) or sin features.",
    "moons": "Two interleaving half-moons: a gently curved boundary.",
    "blobs3": "Three classes in three Gaussian blobs: one output neuron per class and a "
              "softmax. Straight borders are enough.",
    "blobs4": "Four classes in four Gaussian blobs: four output neurons, a softmax picks the "
              "most likely class.",
    "blobs5": "Five classes in five Gaussian blobs around a circle.",
    "spiral3": "Three interleaved spiral arms, one per class: needs hidden layers.",
    "pinwheel": "Five curved arms, one per class: the borders bend with the arms.",
    "plane": "Regression: the target rises steadily across the plane (a linear function).",
    "multigauss": "Regression: six bumps up and down — a wiggly surface to fit.",
    "sine": "Regression in 1-D: fit y = sin(x) from noisy samples.",
}


COLUMN_WIDTH = 232     # the data column: four tiles across
SLIDER_WIDTH = 190
PROBLEM_LABELS = {"Classification": "classification", "Regression": "regression"}


class DataPanel(pn.viewable.Viewer):
    """Dataset tiles, noise, train/test split, batch size and regenerate."""

    run = param.ClassSelector(class_=Run)

    def __init__(self, run: Run, on_error, **params):
        super().__init__(run=run, **params)
        self._tiles = {}
        for name in datasets.DATASETS:
            b = pn.widgets.Button(label=DATASET_LABELS[name], description=DATASET_TIPS[name],
                                  stylesheets=[theme.thumb_button_css(dataset_thumbnail(name))],
                                  margin=(1, 2))
            b.on_click(lambda e, n=name: setattr(run, "dataset", n))
            self._tiles[name] = b
        # one box of tiles per problem type: the menu shows the chosen one's. A box gets its
        # tiles the first time it is shown (``_highlight``): a new page does not build the
        # other problem's hidden tiles
        self.tile_boxes = {problem: pn.GridBox(ncols=4, margin=0)
                           for problem in datasets.PROBLEM_DATASETS}
        run.param.watch(lambda *e: self._highlight(), ["dataset", "problem"])
        self.problem = link(pn.widgets.RadioButtonGroup(
            options=PROBLEM_LABELS, width=220, margin=(2, 4),
            stylesheets=[".bk-btn { font-size: 12px; padding: 4px 2px; }"],
            description=Run.param.problem.doc), run, "problem", on_error)
        self._highlight()
        self.ratio = link(pn.widgets.IntSlider(
            label="Training data (%)", start=10, end=90, step=10, width=SLIDER_WIDTH),
            run, "train_ratio", on_error,
            to_param=lambda v: v / 100, to_widget=lambda v: int(round(v * 100)))
        self.noise = link(pn.widgets.IntSlider(label="Noise (%)", start=0, end=50, step=5,
                                               width=SLIDER_WIDTH),
                          run, "noise", on_error, to_param=float, to_widget=int)
        self.batch = link(pn.widgets.IntSlider(label="Batch size", start=1, end=64,
                                               width=SLIDER_WIDTH),
                          run, "batch_size", on_error)
        self.regenerate = pn.widgets.Button(
            label="↻ Regenerate", color="light", margin=(2, 10),
            description="Draw a fresh random sample of the same data set (new seed).")
        self.regenerate.on_click(lambda e: setattr(run, "seed", (run.seed + 1) % 2**31))

        doc = Run.param
        self.ratio_row = tip(self.ratio, doc.train_ratio.doc)
        self.noise_row = tip(self.noise, doc.noise.doc)
        self.batch_row = tip(self.batch, doc.batch_size.doc)

    def _highlight(self):
        for name, b in self._tiles.items():
            b.styles = (theme.CHOSEN_STYLES if name == self.run.dataset
                        else theme.UNCHOSEN_STYLES)
        for problem, box in self.tile_boxes.items():
            shown = problem == self.run.problem
            if shown and not box.objects:
                box.objects = [self._tiles[n] for n in datasets.PROBLEM_DATASETS[problem]]
            box.visible = shown

    def __panel__(self):
        title = pn.pane.HTML('<div class="pg-section-title" title="Which data set do you '
                             'want to use?">Data</div>', margin=(0, 5))
        return pn.Column(title, self.problem, *self.tile_boxes.values(), self.ratio_row,
                         self.noise_row, self.batch_row, self.regenerate, width=COLUMN_WIDTH,
                         margin=0)
