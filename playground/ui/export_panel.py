"""Export and import: the set-up (JSON), the trained weights (.npz), a Python script."""
from __future__ import annotations

import io

import panel as pn
import param

from .. import export
from ..state.display import Display
from ..state.run import Run


class ExportPanel(pn.viewable.Viewer):
    """Download buttons and file pickers; ``loaded`` counts successful imports."""

    run = param.ClassSelector(class_=Run)
    loaded = param.Integer(default=0, doc="Incremented after each successful import.")

    def __init__(self, run: Run, on_error, on_info, display: Display | None = None, **params):
        super().__init__(run=run, **params)
        self.display = display or Display()        # saved with the set-up, and opened
        self._on_error, self._on_info = on_error, on_info
        # each file is made, and named, when it is clicked: the name says the epoch it holds
        self.settings_dl = self._download(
            export.settings_filename, lambda: io.StringIO(export.settings_to_json(run, self.display.values())),
            label="Set-up (.json)",
            description="Save the whole set-up as a file, to open it again later.")
        self.weights_dl = self._download(
            export.weights_filename, lambda: io.BytesIO(export.weights_npz(run)),
            label="Weights (.npz)",
            description="Save the trained weights and biases (numpy .npz, one array per layer).")
        self.script_dl = self._download(
            export.script_filename, lambda: io.StringIO(export.python_script(run)),
            label="Python script",
            description="A standalone script (numpy, JAX, optax) that recreates this data and "
                        "network and trains it to the same numbers.")
        self.script_note = pn.pane.HTML(margin=(0, 5), width=222)
        run.param.watch(lambda *e: self._script_ready(), ["data_version"])
        self._script_ready()
        self.settings_in = pn.widgets.FileInput(
            accept=".json", width=222, description="Open a saved set-up (.json).")
        self.weights_in = pn.widgets.FileInput(
            accept=".npz", width=222, description="Load saved weights (.npz) and their set-up.")
        self.settings_in.param.watch(lambda e: self._import(e, self._load_settings), "value")
        self.weights_in.param.watch(lambda e: self._import(e, self._load_weights), "value")

    def _download(self, name, make, **params) -> pn.widgets.FileDownload:
        """A download button whose file is made by ``make()`` at the click and named then
        by ``name(run)`` (the data set and epoch of that moment)."""
        def made():
            button.filename = name(self.run)      # the button reads it after this returns
            return make()

        button = pn.widgets.FileDownload(callback=made, filename=name(self.run), width=108, margin=(5, 4),
                                         color="light", **params)
        return button

    def _script_ready(self):
        """No script without training points: the button is off and says why."""
        problem = export.script_problem(self.run)
        self.script_dl.disabled = problem is not None
        self.script_note.object = ("" if problem is None else
                                   f'<div class="pg-readout">Python script: {problem}.</div>')

    def _load_settings(self, data):
        options = export.display_from_json(data)      # checks the whole file first
        export.apply_settings(self.run, export.settings_from_json(data))
        self.display.param.update(**options)
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
            event.obj.clear()

    def __panel__(self):
        return pn.Column(
            pn.pane.HTML('<div class="pg-section-title">Export</div>', margin=(6, 5, 0, 5)),
            pn.Row(self.settings_dl, self.weights_dl, margin=0),
            pn.Row(self.script_dl, margin=0), self.script_note,
            pn.pane.HTML('<div class="pg-readout">Open a set-up or weights:</div>',
                         margin=(4, 5, 0, 5)),
            self.settings_in, self.weights_in, width=232, margin=0)
