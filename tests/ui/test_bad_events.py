"""Refused edits leave the editors showing the value in use; taps and pans with NaN or
infinite coordinates are ignored (no error, no change)."""
from __future__ import annotations

import math

import numpy as np
import panel as pn
import pytest
from bokeh.events import Pan, PanStart, Tap

from playground import Run
from playground.state import network
from playground.ui.conv_lab import ConvLabView
from playground.ui.digits_lab import DigitsLab
from playground.ui.network_view import NetworkDiagram
from playground.ui.output_panel import OutputPlot
from playground.ui.userdata_panel import OwnDataPanel

BAD = [(math.nan, 1.0), (1.0, math.nan), (math.inf, 0.0), (0.0, -math.inf),
       (math.nan, math.nan), (1e308, 1e308), (None, 1.0)]


# ------------------------------------------------------------------- kernel editor
def test_kernel_editor_shows_the_weight_in_use_after_a_refusal():
    view = ConvLabView()
    assert pn.panel(view).get_root() is not None
    box = view.kernel_inputs[0][0]
    in_use = float(view.model.kernel()[0, 0])
    box.value = 1e308
    assert box.value == in_use and float(view.model.kernel()[0, 0]) == in_use
    assert "Not set" in view.kernel_note.object and "stays" in view.kernel_note.object
    box.value = None                                  # an emptied box
    assert box.value == in_use
    view.kernel_inputs[1][1].value = 2.5              # a later valid edit
    assert float(view.model.kernel()[1, 1]) == 2.5
    assert "Not set" not in view.kernel_note.object
    k = view.model.kernel()
    assert all(view.kernel_inputs[r][c].value == float(k[r, c])
               for r in range(k.shape[0]) for c in range(k.shape[1]))


# ------------------------------------------------------------------- weight editor
@pytest.fixture
def diagram():
    run = Run(seed=2)
    run.tier = "exact"
    run.train(2)
    view = NetworkDiagram(run)
    assert pn.panel(view).get_root() is not None
    return view


def test_weight_editor_shows_the_weight_in_use_after_a_refusal(diagram):
    view, run = diagram, diagram.run
    view.open_editor(("weight", 1, 0, 0))
    in_use = float(network.layer_weights(run)["W"][1][0, 0])
    view.value.value = 1001.0
    view.set_button.clicks += 1
    assert view.value.value == pytest.approx(in_use, abs=1e-4)
    label = view.editor_label.object
    assert "not set" in label and "1000" in label and "got" not in label
    view.value.value = 0.5                            # a later valid Set
    view.set_button.clicks += 1
    assert float(network.layer_weights(run)["W"][1][0, 0]) == 0.5
    assert "not set" not in view.editor_label.object and "set to 0.5" in view.editor_label.object
    assert view.value.value == 0.5


# -------------------------------------------------------------- non-finite events
@pytest.mark.parametrize("x,y", BAD)
def test_bad_taps_on_the_big_plot_are_ignored(x, y):
    run = Run()
    plot = OutputPlot(run)
    clicks, errors = [], []
    own = OwnDataPanel(run, errors.append, lambda t: None)
    plot.on_click = lambda *a: (clicks.append(a), own.click(*a))
    before = run.data_version
    plot._tapped(Tap(plot.fig2d, x=x, y=y))
    if x is not None and y is not None and math.isfinite(x) and math.isfinite(y):
        return                                        # 1e308: a finite click, clamped
    assert clicks == [] and errors == [] and run.data_version == before


@pytest.mark.parametrize("x,y", BAD)
def test_bad_taps_on_the_paint_grid_are_ignored(x, y):
    view = ConvLabView()
    view.model.source = "paint"
    view.update()
    before = view.model.image().copy()
    view._tap(Tap(view.input_plot.fig, x=x, y=y))
    assert np.array_equal(view.model.image(), before)


@pytest.fixture(scope="module")
def digits():
    return DigitsLab()


@pytest.mark.parametrize("event", [Tap, PanStart, Pan])
@pytest.mark.parametrize("x,y", BAD)
def test_bad_strokes_on_the_draw_pad_are_ignored(digits, event, x, y):
    digits.pad_cells[:] = 0
    digits._paint(event(digits.pad.fig, x=x, y=y))
    assert digits.pad_cells.sum() == 0
    digits._tap_matrix(Tap(digits.pad.fig, x=x, y=y))       # the confusion matrix too


@pytest.mark.parametrize("x,y", BAD)
def test_bad_taps_on_the_network_diagram_are_ignored(diagram, x, y):
    diagram._on_tap(Tap(diagram.figure, x=x, y=y))
    assert diagram._target is None and diagram.selected_neuron is None


# ------------------------------------------------------------------------ uploads
def test_a_file_refused_in_the_browser_gets_a_message_naming_the_limit():
    from playground.ui.uploads import UploadGuard
    said = []
    guard = UploadGuard({".csv": 1_000_000, ".json": 100_000}, said.append)
    guard.report.tags = ["points.csv", 16_252_928, ".csv", 1]
    guard.report.tags = ["setup.json", 250_000, ".json", 2]
    guard.report.tags = ["empty.csv", 0, ".csv", 3]
    guard.report.tags = ["<b>", "x", ".csv", 4]                  # not a report: ignored
    assert said == ["That file was not used: points.csv is 16.3 MB; a CSV file may be at "
                    "most 1 MB.",
                    "That file was not used: setup.json is 250 kB; a set-up file (.json) may "
                    "be at most 100 kB.",
                    "That file was not used: empty.csv is empty."]


def test_a_large_csv_that_reaches_the_server_is_refused_naming_the_limit():
    errors = []
    run = Run(dataset="xor")
    panel = OwnDataPanel(run, errors.append, lambda t: None)
    panel.upload.value = b"x1,x2,label\n" + b"1,2,1\n" * 400_000
    assert len(errors) == 1 and "may be at most 1 MB" in errors[0]
    assert run.dataset == "xor"
    panel.upload.value = b""
    assert errors[-1] == "That file was not used: the file is empty"
