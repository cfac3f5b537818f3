"""The set-up as JSON: the round trip, partial files, the page's run, and hostile files
refused with a clear message."""
import json

import pytest

from playground import Run, export

from .common import XOR_ADAM, exact_run, per_layer, settings_file


# ------------------------------------------------------------------ settings JSON
def test_settings_json_round_trip_trains_to_identical_metrics():
    run = exact_run(**XOR_ADAM, hidden=[3], learning_rate=0.1, seed=7, noise=10.0)
    run.train(12)
    text = export.settings_to_json(run)
    doc = json.loads(text)
    assert doc["format"] == "neural-network-playground" and doc["version"] == 1
    assert doc["epoch"] == 12 and "\n  " in text                 # pretty
    assert export.settings_from_json(text) == run.settings()
    assert export.settings_from_json(text.encode()) == run.settings()   # FileInput bytes
    assert export.epoch_from_json(text) == 12

    again = export.run_from_json(text)
    again.tier = "exact"
    assert again.settings() == run.settings() and again.epoch == 0
    fresh = exact_run(**run.settings())
    assert again.train(12) == fresh.train(12) == run.metrics()


def test_partial_settings_keep_the_defaults():
    text = json.dumps({"format": "neural-network-playground", "version": 1,
                       "settings": {"dataset": "xor", "hidden": []}})
    assert export.settings_from_json(text) == {"dataset": "xor", "hidden": []}
    run = export.run_from_json(text)
    assert run.dataset == "xor" and run.hidden == [] and run.learning_rate == 0.03


def test_apply_settings_gives_a_bound_run_the_files_setup():
    run = Run(features=["x1", "x2", "x1x2"], learning_rate=0.3)
    run.dataset = "sine"                         # the run remembers its 2-D features
    run.train(3)
    wanted = Run(dataset="circle", features=["x1"], hidden=[2]).settings()
    text = json.dumps({"format": "neural-network-playground", "version": 1,
                       "settings": wanted})
    export.apply_settings(run, export.settings_from_json(text))
    assert run.settings() == wanted and run.epoch == 0 and run.status == "ready"


def test_replay_reaches_the_exported_epoch():
    run = exact_run()
    run.train(5)
    again = export.run_from_json(export.settings_to_json(run), replay=True)
    assert again.epoch == 5
    assert again.metrics()["test_loss"] == pytest.approx(run.metrics()["test_loss"], abs=1e-5)


HOSTILE_JSON = [
    ("garbage", "this is not json", "file: not valid JSON"),
    ("empty", "", "file: not valid JSON"),
    ("list", "[1, 2, 3]", "file: expected a JSON object"),
    ("string", '"neural-network-playground"', "file: expected a JSON object"),
    ("no format", json.dumps({"version": 1, "settings": {}}), "format:"),
    ("wrong format", settings_file(format="tensorflow-playground"), "format:"),
    ("format script", settings_file(format="<script>alert(1)</script>"), "format:"),
    ("no version", json.dumps({"format": "neural-network-playground", "settings": {}}),
     "version:"),
    ("future version", settings_file(version=2), "version:"),
    ("unknown top key", settings_file(extra=1), "file: unknown key"),
    ("settings list", settings_file(settings=[1]), "settings:"),
    ("negative epoch", settings_file(epoch=-1), "epoch:"),
    ("unknown setting", settings_file({"colour": "red"}), "settings: unknown setting"),
    ("script key", settings_file({"<script>alert(1)</script>": 1}),
     "settings: unknown setting"),
    ("hidden zero", settings_file({"hidden": [0]}), "hidden:"),
    ("hidden 17", settings_file({"hidden": [17]}), "hidden:"),
    ("hidden float", settings_file({"hidden": [4, 2.5]}), "hidden:"),
    ("hidden bool", settings_file({"hidden": [True]}), "hidden:"),
    ("hidden too deep", settings_file({"hidden": [1] * 9}), "hidden:"),
    ("hidden text", settings_file({"hidden": "4,2"}), "hidden:"),
    ("learning rate text", settings_file({"learning_rate": "abc"}), "learning_rate:"),
    ("learning rate zero", settings_file({"learning_rate": 0}), "learning_rate:"),
    ("learning rate huge", settings_file({"learning_rate": 1e300}), "learning_rate:"),
    ("noise overflow", settings_file({"noise": 1}).replace('"noise": 1', '"noise": 1e999'),
     "noise:"),
    ("nan", settings_file({"noise": 1}).replace('"noise": 1', '"noise": NaN'),
     "file: not valid JSON"),
    ("infinity", settings_file({"noise": 1}).replace('"noise": 1', '"noise": -Infinity'),
     "file: not valid JSON"),
    ("seed huge", settings_file({"seed": 10 ** 40}), "seed:"),
    ("seed 5000 digits",
     settings_file({"seed": 1}).replace('"seed": 1', '"seed": ' + "9" * 5000), "seed:"),
    ("seed negative", settings_file({"seed": -1}), "seed:"),
    ("batch float", settings_file({"batch_size": 3.0}), "batch_size:"),
    ("batch bool", settings_file({"batch_size": True}), "batch_size:"),
    ("batch too big", settings_file({"batch_size": 65}), "batch_size:"),
    ("ratio", settings_file({"train_ratio": 0.95}), "train_ratio:"),
    ("samples", settings_file({"n_samples": 100000}), "n_samples:"),
    ("dataset script", settings_file({"dataset": "<script>alert(1)</script>"}), "dataset:"),
    ("dataset null", settings_file({"dataset": None}), "dataset:"),
    ("feature script", settings_file({"features": ["x1", "<img src=x onerror=alert(1)>"]}),
     "features:"),
    ("features empty", settings_file({"features": []}), "features:"),
    ("features text", settings_file({"features": "x1"}), "features:"),
    ("activation", settings_file({"activation": "softmax"}), "activation:"),
    ("stop epoch", settings_file({"stop_epoch": -5}), "stop_epoch:"),
    ("cross entropy on regression",
     settings_file({"dataset": "plane", "loss": "cross_entropy"}), "loss"),
    ("2-D feature on 1-D data", settings_file({"dataset": "sine", "features": ["x2"]}),
     "features"),
    ("duplicate key", '{"format": "neural-network-playground", "format": "x"}', "twice"),
    ("deep nesting", "[" * 40_000 + "]" * 40_000, "file: not valid JSON"),
    ("too large", settings_file({"dataset": "xor"}) + " " * 100_001, "file: too large"),
]


@pytest.mark.parametrize("text,field", [(t, f) for _, t, f in HOSTILE_JSON],
                         ids=[name for name, _, _ in HOSTILE_JSON])
def test_malformed_settings_are_refused_with_a_clear_message(text, field):
    with pytest.raises(ValueError) as info:
        export.settings_from_json(text)
    message = str(info.value)
    assert field in message
    assert "<" not in message and ">" not in message          # never echoes markup
    assert "Traceback" not in message and "\n" not in message and len(message) < 500
    exc = info.value                                          # no chained traceback either
    assert exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__)


def test_bytes_that_are_not_utf8_are_refused():
    with pytest.raises(ValueError, match="UTF-8"):
        export.settings_from_json(b"\xff\xfe{")
    with pytest.raises(ValueError, match="too large"):
        export.settings_from_json(b" " * 100_001)


@per_layer
@pytest.mark.parametrize("value", [["softmax"], ["<script>alert(1)</script>"], "relu",
                                   [1], ["relu"] * 9])
def test_bad_per_layer_activations_are_refused(value):
    with pytest.raises(ValueError, match="^activations:") as info:
        export.settings_from_json(settings_file({"activations": value}))
    assert "<" not in str(info.value)


def test_a_setup_with_own_points_opens_again():
    run = Run()
    run.clear_points()
    for x in (-1.0, 0.0, 1.0, 2.0):
        run.add_point(x, x, 1.0 if x > 0 else -1.0)
    run.set_layer_dropout(0, 0.3)
    assert export.settings_from_json(export.settings_to_json(run)) == run.settings()


def test_many_unknown_settings_make_a_short_message():
    with pytest.raises(ValueError) as info:
        export.settings_from_json(settings_file({f"k{i}": 1 for i in range(5000)}))
    assert "'k0', 'k1', 'k2' and 4,997 more" in str(info.value)
    assert len(str(info.value)) < 500
    with pytest.raises(ValueError, match="and 4,997 more") as info:
        export.settings_from_json(settings_file(**{f"k{i}": 1 for i in range(5000)}))
    assert len(str(info.value)) < 500


@pytest.mark.parametrize("settings,message", [
    ({"activations": ["re:lu"]}, "activations: ['re:lu'] has re:lu, which is not an activation"),
    ({"dataset": "a:b"}, "dataset: 'a:b' is not a data set here; choose circle"),
    ({"dropout": [0.95]}, "dropout: [0.95] has a rate of 0.95; the dropout of each layer takes"),
])
def test_file_messages_stay_readable_with_a_colon(settings, message):
    with pytest.raises(ValueError) as info:
        export.settings_from_json(settings_file(settings))
    assert str(info.value).startswith(message), str(info.value)
