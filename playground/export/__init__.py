"""Export and import a run: its set-up as JSON, its weights as .npz, and a standalone
training script. Headless (no panel/bokeh): the page offers these as downloads/uploads.

    text = settings_to_json(run)          # the set-up, pretty JSON
    run2 = run_from_json(text)            # a fresh run with that set-up (epoch 0)
    data = weights_npz(run)               # W0, b0, W1, b1, ... (output layer last) + facts
    load_weights_npz(data, run2)          # the same weights in a run of the same network
    code = python_script(run)             # numpy + jax + optax only; replays the training

Everything read from outside is validated and refused with a ``ValueError`` whose message
names the field and never echoes hostile text (safe to show on the page as is).

One module a job:

    settings.py     the set-up as JSON, and the messages that refuse a file
    weights.py      the weights as .npz
    script.py       the script of a run: standalone.py with the run's set-up block
    standalone.py   the script's code, a real module with a small example set-up at its
                    top (``python -m playground.export.standalone`` trains the example)
"""
from __future__ import annotations

from .script import (SETUP_BEGIN, SETUP_END, float_text, python_script, script_filename,
                     script_problem, setup_block, template_parts)
from .settings import (FORMAT, MAX_JSON_BYTES, VERSION, apply_settings, display_from_json,
                       epoch_from_json, run_from_json, settings_filename, settings_from_json, settings_to_json)
from .weights import (MAX_NPZ_BYTES, load_weights_npz, read_weights_npz, run_from_npz,
                      weights_filename, weights_npz)

__all__ = ["FORMAT", "MAX_JSON_BYTES", "MAX_NPZ_BYTES", "SETUP_BEGIN", "SETUP_END", "VERSION",
           "apply_settings", "display_from_json", "epoch_from_json", "float_text", "load_weights_npz",
           "python_script", "read_weights_npz", "run_from_json", "run_from_npz",
           "script_filename", "script_problem", "settings_filename", "settings_from_json",
           "settings_to_json", "setup_block", "template_parts", "weights_filename",
           "weights_npz"]
