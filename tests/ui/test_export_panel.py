"""The export buttons without a server: a download is made, and named, at the click."""
from __future__ import annotations

import base64
import io
import json

import numpy as np
import panel as pn

from playground.state.run import Run
from playground.ui.export_panel import ExportPanel


def click(button: pn.widgets.FileDownload) -> bytes:
    """What a click in the browser does on the server; returns the bytes it sends."""
    button._clicks += 1
    return base64.b64decode(button.data.split(",", 1)[1])


def test_each_download_is_named_for_the_epoch_it_holds():
    run = Run(dataset="xor", hidden=[3])
    panel = ExportPanel(run, on_error=print, on_info=print)
    assert pn.panel(panel).get_root() is not None
    for epochs in (0, 140):                   # trained between rendering and the clicks
        run.train(epochs - run.epoch)
        weights = click(panel.weights_dl)
        assert panel.weights_dl.filename == f"playground_xor_epoch{epochs}.npz"
        assert int(np.load(io.BytesIO(weights))["epoch"]) == epochs
        script = click(panel.script_dl).decode()
        assert panel.script_dl.filename == f"playground_xor_epoch{epochs}.py"
        assert panel.script_dl.filename in script
        setup = json.loads(click(panel.settings_dl))
        assert setup["epoch"] == epochs and panel.settings_dl.filename == "playground_xor.json"
    run.dataset = "circle"                    # a new data set: the names follow at the click
    click(panel.weights_dl)
    assert panel.weights_dl.filename == "playground_circle_epoch0.npz"


def test_no_points_no_script_and_the_button_says_why():
    run = Run()
    panel = ExportPanel(run, on_error=print, on_info=print)
    assert pn.panel(panel).get_root() is not None
    assert not panel.script_dl.disabled and panel.script_note.object == ""
    run.clear_points()
    assert panel.script_dl.disabled
    assert "no training points" in panel.script_note.object
    run.add_point(1.0, 1.0, 1.0)              # one point: all training, no test set
    assert not panel.script_dl.disabled and panel.script_note.object == ""
    script = click(panel.script_dl).decode()
    assert "X_TEST = np.zeros((0, 2), np.float32)" in script
