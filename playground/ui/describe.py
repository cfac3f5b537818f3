"""The playground's plots in words, for screen readers: one polite live region that says
what the output shows (epoch, losses, accuracy, the shape of the boundary), rewritten at
most once a second, and a label on every plot of a page.

    summary = PlotSummary(run)
    layout = pn.Column(..., summary.pane)
    summary.update()          # on every full frame: marks the words stale, writes if due
    summary.flush()           # on every frame: writes stale words once a second has passed
    label_plots(viewable)     # role and aria-label on every Bokeh plot inside

The numbers come from ``playground.state.describe``; this module only words them.
"""
from __future__ import annotations

import math
import time

import panel as pn
from bokeh.models import Div, Plot

from ..state.describe import Boundary, ClassArea, Facts, plot_facts
from ..state.run import OWN, Run
from .data_panel import DATASET_LABELS

INTERVAL_S = 1.0        # the live region changes at most this often

# a box that screen readers read and nobody sees (the usual "visually hidden" recipe, its
# text wrapped in place rather than on one long line; display: none or visibility: hidden
# would hide it from screen readers too)
VISUALLY_HIDDEN = {"position": "absolute", "width": "1px", "height": "1px", "padding": "0",
                   "margin": "0", "overflow": "hidden", "clip": "rect(0, 0, 0, 0)",
                   "clip-path": "inset(50%)", "white-space": "normal", "border": "0"}

# the playground's plots, by the CSS class each carries
PLOT_LABELS = {
    "pg-output-plot": ("The network's prediction over the plane, blue for +1 and orange "
                       "for −1, with the data points on top. Its description is read out "
                       "as training goes."),
    "pg-loss-plot": "The training and test loss over the epochs.",
    "pg-accuracy-plot": "The training and test accuracy over the epochs, from 0 to 100 %.",
    "pg-diagram": ("The network as a diagram: inputs on the left, hidden layers, the output "
                   "on the right. Use the Show as table button below it to read the "
                   "weights."),
}


def _number(v: float) -> str:
    return f"{v:.3g}" if abs(v) >= 0.001 or v == 0 else f"{v:.1e}"


def _percent(v: float) -> str:
    return f"{v * 100:.0f} %"


def boundary_text(b: Boundary) -> str:
    """One sentence on the shape of a decision boundary."""
    if b.blue_regions == 0:
        return "The network predicts orange (−1) everywhere."
    if b.orange_regions == 0:
        return "The network predicts blue (+1) everywhere."
    share = f"Blue covers {_percent(b.blue_share)} of the plane."
    if b.blue_regions == 1 and b.orange_regions == 1:
        if b.blue_enclosed == 1:
            return ("The network separates the two classes with a closed curve: blue "
                    "inside, orange outside. " + share)
        if b.orange_enclosed == 1:
            return ("The network separates the two classes with a closed curve: orange "
                    "inside, blue outside. " + share)
        return "One boundary divides the plane into a blue side and an orange side. " + share
    regions = (f"The boundary splits the plane into {b.blue_regions} blue "
               f"{'region' if b.blue_regions == 1 else 'regions'} and {b.orange_regions} "
               f"orange {'region' if b.orange_regions == 1 else 'regions'}")
    closed = []
    if b.blue_enclosed:
        closed.append(f"{b.blue_enclosed} blue {'island' if b.blue_enclosed == 1 else 'islands'}")
    if b.orange_enclosed:
        closed.append(f"{b.orange_enclosed} orange "
                      f"{'island' if b.orange_enclosed == 1 else 'islands'}")
    return regions + (f", with {' and '.join(closed)} closed inside the other colour. "
                      if closed else ". ") + share


def classes_text(areas: tuple[ClassArea, ...]) -> str:
    """One sentence on where each of K classes is predicted."""
    parts = []
    for k, a in enumerate(areas):
        if a.regions == 0:
            parts.append(f"class {k} nowhere")
            continue
        where = f"{a.regions} {'region' if a.regions == 1 else 'regions'}"
        if a.enclosed:
            where += f", {a.enclosed} of them closed inside other classes"
        parts.append(f"class {k} on {_percent(a.share)} ({where})")
    return "The network predicts " + "; ".join(parts) + "."


def summary_text(f: Facts) -> str:
    """What the playground's output shows, in a few sentences."""
    data = "your own" if f.dataset == OWN else DATASET_LABELS.get(f.dataset, f.dataset)
    parts = [f"{data} data, {f.n_train} training and {f.n_test} test points.",
             f"Epoch {f.epoch:,}."]
    if f.status == "diverged":
        parts.append("Training diverged: the loss grew without bound. Lower the learning "
                     "rate and reset.")
        return " ".join(parts)
    has_test = not math.isnan(f.test_loss)
    loss = (f"Test loss {_number(f.test_loss)}, training loss {_number(f.train_loss)}"
            if has_test else f"Training loss {_number(f.train_loss)}, no test points")
    if f.classification and not math.isnan(f.train_accuracy):
        acc = f.test_accuracy if has_test else f.train_accuracy
        loss += f", {'test' if has_test else 'training'} accuracy {_percent(acc)}"
    parts.append(loss + ".")
    if f.boundary is not None:
        parts.append(boundary_text(f.boundary))
    elif f.class_areas is not None:
        parts.append(f"{f.classes} classes. " + classes_text(f.class_areas))
    elif f.one_d and f.output_range is not None:
        n = f.zero_crossings or 0
        parts.append(f"The fitted curve runs between {_number(f.output_range[0])} and "
                     f"{_number(f.output_range[1])} and crosses zero {n} "
                     f"{'time' if n == 1 else 'times'}.")
    elif f.output_range is not None:
        parts.append(f"The output ranges from {_number(f.output_range[0])} (orange) to "
                     f"{_number(f.output_range[1])} (blue) over the plane.")
    return " ".join(parts)


class PlotSummary(pn.viewable.Viewer):
    """A visually hidden live region with the words for the playground's output."""

    def __init__(self, run: Run, clock=time.monotonic, **params):
        super().__init__(**params)
        self.run = run
        self.clock = clock
        self.text = ""
        self.stale = True
        self.last = -math.inf             # when the words last changed (clock seconds)
        self.div = Div(text="", render_as_text=True, styles=VISUALLY_HIDDEN, width=1,
                       height=1, css_classes=["pg-plot-summary"],
                       html_attributes={"role": "status", "aria-live": "polite",
                                        "aria-atomic": "true"})
        self.pane = pn.pane.Bokeh(self.div, margin=0)
        self.flush()

    def update(self):
        """The run changed: the words are rewritten now, or once INTERVAL_S has passed."""
        self.stale = True
        self.flush()

    def flush(self):
        """Write stale words if the last change is INTERVAL_S old (call it every frame)."""
        if not self.stale:
            return
        now = self.clock()
        if now - self.last < INTERVAL_S:
            return
        self.stale = False
        text = summary_text(plot_facts(self.run))
        if text != self.text:
            self.text = text
            self.div.text = text
            self.last = now

    def install(self, doc) -> None:
        """Under a server the words are a root of the page's document of their own, not a
        part of its layout: Bokeh lays out a Div's whole root again whenever its text
        changes (24 ms for the playground's page, once a second while training; measured in
        docs/performance.md). Visually hidden, the region reads the same anywhere."""
        doc.add_root(self.div)

    def __panel__(self):
        return self.pane


def plot_label(plot: Plot) -> str:
    """Words for a plot: its page label (PLOT_LABELS, by CSS class), else its title, else
    its axes."""
    for cls in plot.css_classes:
        if cls in PLOT_LABELS:
            return PLOT_LABELS[cls]
    title = getattr(plot.title, "text", "") if plot.title is not None else ""
    axes = [a.axis_label for a in (*plot.below, *plot.left)
            if getattr(a, "axis_label", None)]
    if title and len(axes) == 2:
        return f"Plot: {title} ({axes[1]} against {axes[0]})."
    if title:
        return f"Plot: {title}."
    if len(axes) == 2:
        return f"Plot of {axes[1]} against {axes[0]}."
    if axes:
        return f"Plot over {axes[0]}."
    return "Plot."


def label_plot(plot: Plot) -> bool:
    """Give a Bokeh plot a role and an aria-label, unless it has a label already. A plot
    with a toolbar is a figure (its buttons stay reachable), any other an image. True if
    it was labelled now."""
    attrs = dict(plot.html_attributes)
    if "aria-label" in attrs:
        return False
    interactive = plot.toolbar_location is not None and any(
        getattr(t, "visible", True) for t in plot.toolbar.tools)
    attrs.update({"role": "figure" if interactive else "img", "aria-label": plot_label(plot)})
    plot.html_attributes = attrs
    return True


def plots_in(viewable, extra=()) -> list:
    """Every Bokeh plot inside a Panel object, and the plots in ``extra`` (e.g. one that a
    Viewer swaps in later)."""
    plots = list(extra)
    for pane in viewable.select(pn.pane.Bokeh):
        obj = pane.object
        if isinstance(obj, Plot):       # a plot holds no other plot: no walk through its
            plots.append(obj)           # models (a tenth of a page's build)
        elif obj is not None:
            plots.extend(obj.select({"type": Plot}))
    return plots


def shown_as_is(viewable) -> list:
    """The Bokeh models that the Bokeh panes inside a Panel object show as they are."""
    return [p.object for p in viewable.select(pn.pane.Bokeh) if p.object is not None]


def label_plots(viewable, extra=()) -> int:
    """Label every Bokeh plot inside a Panel object (and the plots in ``extra``). Returns
    how many were labelled now."""
    return sum(label_plot(p) for p in plots_in(viewable, extra))
