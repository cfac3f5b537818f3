"""Export and import: the set-up (JSON), the trained weights (.npz), a Python script."""
from __future__ import annotations

import io

import panel as pn
import param

from .. import export
from ..state.run import Run


class ExportPanel(pn.viewable.Viewer):
    """Download buttons and file pickers; ``loaded`` counts successful imports."""

    run = param.ClassSelector(class_=Run)
    loaded = param.Integer(default=0, doc="Incremented after each successful import.")

    def __init__(self, run: Run, on_error, on_info, **params):
        super().__init__(run=run, **params)
        self._on_error, self._on_info = on_error, on_info
        self.settings_dl = pn.widgets.FileDownload(
            callback=lambda: io.StringIO(export.settings_to_json(run)), label="Set-up (.json)",
            filename="playground-setup.json", width=140, color="light",
            description="Save the whole set-up as a file, to open it again later.")
        self.weights_dl = pn.widgets.FileDownload(
            callback=lambda: io.BytesIO(export.weights_npz(run)), label="Weights (.npz)",
            filename="playground-weights.npz", width=140, color="light",
            description="Save the trained weights and biases (numpy .npz, one array per layer).")
        self.script_dl = pn.widgets.FileDownload(
            callback=lambda: io.StringIO(export.python_script(run)), label="Python script",
            filename="playground_run.py", width=140, color="light",
            description="A standalone script (numpy, JAX, optax) that recreates this data and "
                        "network and trains it to the same numbers.")
        self.settings_in = pn.widgets.FileInput(
            accept=".json", width=140, description="Open a saved set-up (.json).")
        self.weights_in = pn.widgets.FileInput(
            accept=".npz", width=140, description="Load saved weights (.npz) and their set-up.")
        self.settings_in.param.watch(lambda e: self._import(e, self._load_settings), "value")
        self.weights_in.param.watch(lambda e: self._import(e, self._load_weights), "value")
        run.param.watch(lambda e: self._names(), ["dataset"])
        self._names()

    def _names(self):
        self.settings_dl.filename = export.settings_filename(self.run)
        self.weights_dl.filename = export.weights_filename(self.run)
        self.script_dl.filename = export.script_filename(self.run)

    def _load_settings(self, data):
        export.apply_settings(self.run, export.settings_from_json(data))
        return "Set-up opened."

    def _load_weights(self, data):
        export.load_weights_npz(data, self.run, with_settings=True)
        return f"Weights loaded (epoch {self.run.epoch:,})."

    def _import(self, event, load):
        if event.new is None:
            return
        try:
            note = load(event.new)
        except ValueError as exc:
            self._on_error(f"Could not open that file: {exc}")
        else:
            self.loaded += 1
            self._on_info(note)
        finally:
            event.obj.value = None        # the same file can be chosen again

    def __panel__(self):
        return pn.Column(
            pn.pane.HTML('<div class="pg-section-title">Export</div>', margin=(6, 5, 0, 5)),
            pn.Row(self.settings_dl, self.weights_dl, margin=0),
            pn.Row(self.script_dl, margin=0),
            pn.pane.HTML('<div class="pg-readout">Open a set-up or weights:</div>',
                         margin=(4, 5, 0, 5)),
            pn.Row(self.settings_in, self.weights_in, margin=0), width=300)
