"""The network diagram as tables, for screen readers and anyone who wants the numbers: one
table per layer, a row per neuron with its bias and the weight from every node before it.

Hidden until "Show as table" is pressed; while shown it follows the network: at once when
the architecture changes, and at most once a second while training.

    table = DiagramTable(run)
    layout = pn.Column(diagram, table)
    table.update()        # on every full frame
    table.flush()         # on every frame: a table that waited for its second
"""
from __future__ import annotations

import html
import math
import time

import panel as pn
import param

from ..state.describe import WeightTable, weight_tables
from ..state.run import Run
from .binding import tooltip_below
from .frames import LiveHTML

INTERVAL_S = 1.0        # while training, the table changes at most this often
SHOW, HIDE = "Show as table", "Hide the table"


def _cell(v: float) -> str:
    return f"{v:.3f}" if math.isfinite(v) else "—"


def table_html(t: WeightTable) -> str:
    """One layer as an accessible HTML table (caption, column and row headers)."""
    n = len(t.biases)
    if t.output:
        title = "The output" if n == 1 else f"The output: {n} neurons, one per class"
        what = ("one row per output neuron: its bias and the weight from each node of the "
                "layer before it")
    else:
        title = f"Hidden layer {t.layer + 1}: {n} {'neuron' if n == 1 else 'neurons'}, " \
                f"{t.activation}"
        what = "one row per neuron: its bias and the weight from each node before it"
    head = "".join(f'<th scope="col">from {html.escape(name)}</th>' for name in t.inputs)
    rows = []
    for j in range(n):
        label = html.escape(t.units[j])
        cells = "".join(f"<td>{_cell(float(w))}</td>" for w in t.weights[:, j])
        rows.append(f'<tr><th scope="row">{label}</th><td>{_cell(float(t.biases[j]))}</td>'
                    f"{cells}</tr>")
    return (f'<table class="pg-table pg-weights"><caption>{html.escape(title)} ({what})'
            f'</caption><thead><tr><th scope="col">Neuron</th><th scope="col">bias</th>'
            f'{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def tables_html(tables: list[WeightTable], epoch: int) -> str:
    inputs = ", ".join(tables[0].inputs) if tables else ""
    hidden = [len(t.biases) for t in tables if not t.output]
    shape = (f"{len(hidden)} hidden {'layer' if len(hidden) == 1 else 'layers'} of "
             f"{', '.join(map(str, hidden))} {'neuron' if hidden == [1] else 'neurons'}"
             if hidden else "no hidden layer")
    n_weights = sum(t.weights.size for t in tables)
    intro = (f'<div class="pg-note">The network at epoch {epoch:,}: inputs '
             f'{html.escape(inputs)}; {shape}; one output. {n_weights} weights. Positive '
             f'weights are drawn blue in the diagram, negative ones orange.</div>')
    return ('<div class="pg-weights-tables" role="region" aria-label="The network as tables">'
            + intro + "".join(table_html(t) for t in tables) + "</div>")


class DiagramTable(pn.viewable.Viewer):
    """A "Show as table" button and, while the tables are shown, the network's weights."""

    run = param.ClassSelector(class_=Run)

    def __init__(self, run: Run, clock=time.monotonic, **params):
        super().__init__(run=run, **params)
        self.clock = clock
        self.toggle = pn.widgets.Button(
            label=SHOW, width=120, margin=(2, 5), color="light",
            description=tooltip_below("Show the network as tables: every layer's neurons, "
                                      "their biases and the weights into them (updated "
                                      "once a second while training)."))
        self.tables = LiveHTML("", visible=False, margin=(0, 5), sizing_mode="stretch_width")
        self.stale = True
        self.last = -math.inf
        self._shape = None
        self.toggle.on_click(lambda e: self.show(not self.shown))

    @property
    def shown(self) -> bool:
        return bool(self.tables.visible)

    def show(self, shown: bool):
        """Show or hide the tables; the button says what a press will do."""
        self.tables.visible = bool(shown)
        self.toggle.label = HIDE if shown else SHOW
        if shown:
            self.last = -math.inf
            self.update()

    def update(self):
        """The run changed: redraw now if the network's shape changed or a second has
        passed, else at the next ``flush`` after that."""
        self.stale = True
        self.flush()

    def flush(self):
        if not (self.stale and self.shown):
            return
        shape = (tuple(self.run.features), tuple(self.run.hidden))
        now = self.clock()
        if shape == self._shape and now - self.last < INTERVAL_S:
            return
        self.stale = False
        self.last, self._shape = now, shape
        self.tables.show(tables_html(weight_tables(self.run), self.run.epoch))

    def __panel__(self):
        return pn.Column(self.toggle, self.tables, margin=0, sizing_mode="stretch_width")
