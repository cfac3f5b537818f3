"""The parameter table <-> URL query round trip, hostile links, and the presets."""
import math

import numpy as np
import pytest

from playground import Run
from playground.state import urlstate
from playground.ui.links import PAGE
from playground.state.presets import PRESETS


def test_table_is_the_runs_parameter_list():
    assert list(urlstate.TABLE) == Run.setting_names()
    assert urlstate.to_query(Run().settings()) == {}          # defaults make a bare link
    assert {"schedule", "schedule_epochs", "cycle_mult", "step_factor"} <= set(urlstate.TABLE)
    query = urlstate.to_query(Run(schedule="cosine").settings())
    assert query == {"schedule": "cosine"}                    # only what differs


@pytest.mark.parametrize("settings", [
    dict(dataset="xor", hidden=[8, 3], learning_rate=0.1, features=["x1", "x1x2"]),
    dict(dataset="sine", hidden=[], features=["x1", "sin_x1"], optimizer="adam", noise=25.0),
    dict(dataset="spiral", hidden=[16] * 8, activation="gelu", regularization="l2",
         reg_rate=0.003, batch_size=64, train_ratio=0.3, seed=12345, stop_epoch=500,
         patience=40, loss="cross_entropy"),
    dict(dataset="xor", schedule="sgdr", schedule_epochs=7, cycle_mult=3, learning_rate=0.3),
    dict(schedule="step", schedule_epochs=5, step_factor=0.25),
])
def test_round_trip_gives_the_same_setup_and_the_same_numbers(settings):
    run = Run(**settings)
    search = urlstate.to_search(run.settings(), page=PAGE)
    parsed, view, notices = urlstate.from_query(search, PAGE)
    assert notices == [] and view == urlstate.View()
    again = Run()
    assert urlstate.apply(again, parsed) == []
    assert again.settings() == run.settings()
    run.train(20)
    again.train(20)
    assert again.metrics() == run.metrics()                   # same seed, same numbers


HOSTILE = {
    "learning_rate": ["abc", "-1", "0", "nan", "inf", "1e400", "11", ""],
    "hidden": ["-3", "4,0", "17", "1.5", ",".join(["1"] * 100), "a,b", "4;2"],
    "batch_size": ["0", "65", "1e9", "3.5", "ten"],
    "dataset": ["<script>alert(1)</script>", "circles", "", "CIRCLE"],
    "features": ["x9", "x1,<b>", "__class__"],
    "seed": ["-1", "1e30", "0x10"],
    "noise": ["51", "-5", "nan"],
    "train_ratio": ["0", "0.95", "5"],
    "activation": ["softmax", "relu;drop"],
    "stop_epoch": ["-1", "1e12"],
    "schedule": ["warm", "<b>cosine</b>", "COSINE", ""],
    "schedule_epochs": ["0", "-5", "2.5", "1e9", "nan"],
    "cycle_mult": ["0", "5", "1.5", "two"],
    "step_factor": ["0", "1.5", "-0.5", "inf"],
}


@pytest.mark.parametrize("key,text", [(k, t) for k, ts in HOSTILE.items() for t in ts])
def test_hostile_values_fall_back_with_a_notice(key, text):
    settings, view, notices = urlstate.from_query({key: [text]}, PAGE)
    assert key not in settings
    assert len(notices) == 1 and notices[0].startswith(f"{key}=")
    assert "using" in notices[0]
    run = Run()
    urlstate.apply(run, settings)
    assert run.settings() == Run().settings()


# One bad value for every URL key (each with a ':' and one without), and what the notice must
# say is allowed.
BAD = {
    "problem": ["xyz", "clas:sification"],
    "dataset": ["foo", "a:b"], "noise": ["51", "1:2"], "train_ratio": ["0.95", "x:0.5"],
    "n_samples": ["5", "5:5"], "seed": ["-1", "1:0"], "features": ["x9", "x1,a:b"],
    "hidden": ["99", "4:2"], "activation": ["bogus", "re:lu"], "activations": ["foo", "relu,x:y"],
    "dropout": ["0.95", "0.5:1"], "learning_rate": ["abc", "a:b:c"],
    "schedule": ["warm", "cos:ine"], "schedule_epochs": ["0", "1:5"], "cycle_mult": ["5", "2:3"],
    "step_factor": ["0", "0:5"], "batch_size": ["65", "1:0"], "optimizer": ["x", "ad:am"],
    "loss": ["foo", "mse:x"], "regularization": ["l3", "l:2"], "reg_rate": ["11", "0:1"],
    "stop_epoch": ["1e12", "1:1"], "patience": ["-1", "1:0"],
}
INTERNALS = ("parameter", "Run.", "Selector", "Integer", "Number", "List", "'", '"', "\\x",
             "does not accept", "not valid", "None", "got ")


def test_the_bad_values_cover_every_url_key():
    assert set(BAD) == set(urlstate.TABLE)


@pytest.mark.parametrize("key,text", [(k, t) for k, ts in BAD.items() for t in ts])
def test_every_notice_speaks_to_a_student(key, text):
    settings, _, notices = urlstate.from_query({key: [text]}, PAGE)
    assert settings == {} and len(notices) == 1
    notice = notices[0]
    assert notice.startswith(f"{key}={text} ")                 # the key and the value, as typed
    for word in INTERNALS:
        assert word not in notice, (word, notice)
    p = Run.param[key]
    default = urlstate.TABLE[key].format(urlstate.DEFAULTS[key]) or "none"
    assert notice.endswith(f"; using {default}")
    allowed = notice.split("; ")[-2]                           # what is allowed, in words
    if key in urlstate.CHOICE_NOUNS:                           # every choice is named
        objects = [o for o in getattr(p, "objects", None) or Run.param.activation.objects
                   if o != "own"]
        assert all(o in allowed for o in objects), allowed
    elif key in ("hidden", "dropout"):
        assert "at most 8 layers" in allowed
    else:                                                      # a number: its range
        lo, hi = p.bounds
        assert urlstate._number_text(lo) in allowed and urlstate._number_text(hi) in allowed
    assert urlstate.SETTING_NAMES[key] in notice or key in urlstate.CHOICE_NOUNS
    assert len(notice) < 300


@pytest.mark.parametrize("query,expected", [
    ("?dataset=foo", "dataset=foo is not a data set here; choose circle, xor, gauss, spiral, "
                     "moons, blobs3, blobs4, blobs5, spiral3, pinwheel, plane, multigauss or "
                     "sine; using circle"),
    ("?problem=xyz", "problem=xyz is not a problem type here; choose classification or "
                     "regression; using classification"),
    ("?learning_rate=abc", "learning_rate=abc is not a number; the learning rate takes a "
                           "number above 0, up to 10; using 0.03"),
    ("?learning_rate=a:b:c", "learning_rate=a:b:c is not a number; the learning rate takes a "
                             "number above 0, up to 10; using 0.03"),
    ("?hidden=99", "hidden=99 has a layer of 99 neurons; the hidden layers take 1 to 16 "
                   "neurons each, at most 8 layers, separated by commas (e.g. 4,2); using 4,2"),
    ("?activation=bogus", "activation=bogus is not an activation here; choose relu, tanh, "
                          "sigmoid, linear, leaky_relu, elu, gelu or sine; using tanh"),
    ("?noise=51", "noise=51 is out of range; Noise (%) takes a number from 0 to 50; using 0"),
    ("?batch_size=", "batch_size= is empty; the batch size takes a whole number from 1 to 64; "
                     "using 10"),
    ("?tab=x:y", "tab=x:y is not a tab here; choose playground, neurons, descent, convolution "
                 "or digits; showing playground"),
])
def test_notices_read_as_sentences(query, expected):
    assert urlstate.from_query(query, PAGE)[2] == [expected]


def test_many_unknown_keys_make_one_short_notice():
    query = {f"key{i}": ["1"] for i in range(5000)}
    settings, _, notices = urlstate.from_query(query, PAGE)
    assert settings == {}
    assert notices == ["key0, key1, key2 and 4,997 more are not settings here; ignored"]
    hide = ",".join(f"c{i}" for i in range(1000))
    notices = urlstate.from_query({"hide": [hide]}, PAGE)[2]
    assert len(notices) == 1 and "c0, c1, c2 and 997 more" in notices[0]


def test_every_key_wrong_at_once_stays_bounded():
    query = {k: ["<b>" + "z" * 300] for k in urlstate.TABLE}
    query.update({f"x{i}": ["1"] for i in range(100)}, preset=["nope"], tab=["nope"])
    _, _, notices = urlstate.from_query(query, PAGE)
    text = "; ".join(notices)
    assert len(text) <= urlstate.MAX_NOTICES_LENGTH + 100
    assert notices[-1].startswith("and ") and notices[-1].endswith("more problems in this link")


def test_values_are_shown_printable_and_bounded():
    notice = urlstate.from_query({"dataset": ["a\x00b\n" + "c" * 100]}, PAGE)[2][0]
    assert notice.startswith("dataset=a?b?" + "c" * 36 + "… is not a data set here")
    notice = urlstate.from_query({b"\xff" * 3: [b"1"]}, PAGE)[2][0]
    assert notice == "\ufffd\ufffd\ufffd is not a setting here; ignored"


def test_apply_explains_a_value_the_run_refuses():
    run = Run()
    notices = urlstate.apply(run, {"noise": 99, "dataset": "xor"})
    assert notices == ["noise=99 could not be used with the rest of this set-up; Noise (%) "
                       "takes a number from 0 to 50; kept 0"]
    assert run.dataset == "xor" and run.noise == 0


def test_unknown_keys_long_values_and_bytes():
    settings, _, notices = urlstate.from_query({"bogus": ["1"], b"x" * 5000: [b"y"],
                                                "dataset": [b"xor"], "noise": ["1" * 500]},
                                               PAGE)
    assert settings == {"dataset": "xor"}
    assert len(notices) == 2                  # the unknown keys share one notice
    assert notices[1] == "bogus and " + "x" * 40 + "… are not settings here; ignored"
    assert all(len(n) < 300 for n in notices)


def test_view_options_and_presets():
    settings, view, notices = urlstate.from_query(
        "?preset=fit-sine&hide=features,optimizer,nonsense&projector=1&learning_rate=0.003",
        PAGE)
    assert view.hide == ("features", "optimizer") and view.projector
    assert view.preset == "fit-sine"
    assert settings["dataset"] == "sine" and settings["learning_rate"] == 0.003
    assert notices == ["hide: a link cannot hide nonsense; it can hide data, features, layers, "
                       "learning_rate, activation, optimizer, loss, regularization, batch_size, "
                       "noise, ratio, speed, stop, presets or export"]
    assert "hide=features,optimizer" in urlstate.to_search({}, view, PAGE)
    _, _, notices = urlstate.from_query("?preset=nope", PAGE)
    assert notices == ["preset=nope is not a lesson here; choose xor-linear, circle-features, "
                       "spiral-depth, lr-too-high, overfitting, logistic-regression, softmax "
                       "or fit-sine; "
                       "no lesson opened"]


@pytest.mark.parametrize("query,key,expected,notice", [
    ("?dataset=plane&loss=cross_entropy", "loss", "mse",
     "loss=cross_entropy needs a data set with classes, and plane is a regression data "
     "set; using mse"),
    ("?dataset=sine&features=x2", "features", ["x1"],
     "features=x2 has x2, which the 1-D data set sine cannot use (1-D data have only x1, "
     "x1_sq and sin_x1); using x1"),
    ("?dataset=sine&features=x1,x2,sin_x1", "features", ["x1", "sin_x1"],
     "features=x1,x2,sin_x1 has x2, which the 1-D data set sine cannot use (1-D data have "
     "only x1, x1_sq and sin_x1); using x1,sin_x1"),
    ("?preset=fit-sine&features=x2", "features", ["x1"], "features=x2 has x2, which"),
])
def test_conflicting_link_values_are_changed_with_a_notice(query, key, expected, notice):
    settings, _, notices = urlstate.from_query(query, PAGE)
    assert len(notices) == 1 and notices[0].startswith(notice), notices
    run = Run()
    assert urlstate.apply(run, settings) == []
    assert getattr(run, key) == expected


def test_features_named_twice_are_refused_in_a_link_as_in_a_file():
    settings, _, notices = urlstate.from_query("?features=x1,x1,x1", PAGE)
    assert settings == {}
    assert notices[0].startswith("features=x1,x1,x1 has x1 twice; ")
    assert notices[0].endswith("; using x1,x2")


# ---------------------------------------------------------------- presets teach
def _train(settings, epochs, chunk=50):
    run = Run(**settings)
    run.tier = "exact"
    for _ in range(epochs // chunk):
        run.train(chunk)
    return run


def test_every_preset_is_a_valid_setup_with_two_lines_of_text():
    for key, preset in PRESETS.items():
        Run(**preset.settings)
        assert len(preset.title) < 45 and 60 < len(preset.try_this) < 260, key
    assert len(PRESETS) == 8


def test_preset_linear_xor_stays_near_chance_and_the_circle_features_win():
    assert _train(PRESETS["xor-linear"].settings, 200).metrics()["test_accuracy"] < 0.7
    assert _train(PRESETS["circle-features"].settings, 150).metrics()["test_accuracy"] >= 0.95


def test_preset_too_high_learning_rate_diverges():
    run = _train(PRESETS["lr-too-high"].settings, 100)
    assert run.status == "diverged"


def test_preset_overfitting_test_loss_turns_up_while_train_falls():
    run = _train(PRESETS["overfitting"].settings, 200, chunk=10)
    h = run.history
    best = int(np.argmin(h["test_loss"]))
    assert h["test_loss"][-1] > 1.2 * h["test_loss"][best]
    assert h["train_loss"][-1] < h["train_loss"][best]


def test_presets_logistic_and_sine_and_spiral_learn():
    assert _train(PRESETS["logistic-regression"].settings, 100).metrics()["test_accuracy"] >= 0.95
    sine = _train(PRESETS["fit-sine"].settings, 200)
    assert sine.metrics()["test_loss"] < 0.01
    spiral = _train(PRESETS["spiral-depth"].settings, 300)
    assert spiral.metrics()["test_accuracy"] >= 0.85
    assert all(math.isfinite(v) for v in spiral.metrics().values())


def test_stop_conditions():
    run = Run(stop_epoch=25)
    for _ in range(5):
        run.train(10)
    assert run.epoch == 25 and run.status == "stopped" and "limit" in run.message
    run.stop_epoch = 40
    run.train(100)
    assert run.epoch == 40
    over = Run(**{**PRESETS["overfitting"].settings, "patience": 30})
    for _ in range(60):
        over.train(10)
        if over.status == "stopped":
            break
    assert over.status == "stopped" and "not improved" in over.message
    stopped_at = over.epoch
    over.train(10)                   # going on is allowed: patience counts afresh
    assert over.epoch == stopped_at + 10 and over.status == "trained"


def test_per_layer_activations_round_trip_and_global_reset():
    run = Run(hidden=[4, 3, 2], activation="sigmoid")
    run.set_layer_activation(0, "gelu")
    assert run.arch.activations == ("gelu", "sigmoid", "sigmoid")
    settings, _, notices = urlstate.from_query(urlstate.to_search(run.settings(), page=PAGE), PAGE)
    again = Run()
    urlstate.apply(again, settings)
    assert notices == [] and again.arch.activations == run.arch.activations
    again.activation = "relu"                  # the global picker sets every layer
    assert again.activations == [] and again.arch.activations == ("relu",) * 3
    with pytest.raises(ValueError, match="layer"):
        again.set_layer_activation(3, "tanh")


# ------------------------------------------- one validator for links and set-up files
def _file(settings) -> bool:
    """Does a set-up file with these settings open?"""
    import json

    from playground import export
    try:
        export.settings_from_json(json.dumps({"format": "neural-network-playground",
                                              "version": 1, "settings": settings}))
    except ValueError:
        return False
    return True


def _link(settings) -> bool:
    """Does a link with these settings open them all, with no notice?"""
    query = {k: [urlstate.TABLE[k].format(v)] for k, v in settings.items()}
    parsed, _, notices = urlstate.from_query(query, PAGE)
    return not notices and parsed == settings


SAME_SETUPS = [
    ({"features": ["x1", "x1", "x1"]}, False), ({"features": []}, False),
    ({"features": ["x2", "x1x2"]}, True), ({"hidden": [0]}, False), ({"hidden": []}, True),
    ({"hidden": [16] * 8}, True), ({"hidden": [16] * 9}, False), ({"hidden": [17]}, False),
    ({"dropout": [0.5, 0.25]}, True), ({"dropout": [0.95]}, False), ({"dropout": [0.9]}, True),
    ({"activations": ["relu", "gelu"]}, True), ({"activations": ["relu"] * 9}, False),
    ({"dataset": "plane", "loss": "cross_entropy"}, False),
    ({"dataset": "xor", "loss": "cross_entropy"}, True),
    ({"dataset": "sine", "features": ["x2"]}, False),
    ({"dataset": "sine", "features": ["x1", "sin_x1"]}, True),
    ({"noise": 50}, True), ({"noise": 51}, False), ({"learning_rate": 0}, False),
    ({"learning_rate": 10}, True), ({"train_ratio": 0.1}, True), ({"train_ratio": 0.05}, False),
    ({"seed": 2**31 - 1}, True), ({"seed": 2**31}, False), ({"batch_size": 64}, True),
    ({"batch_size": 65}, False), ({"step_factor": 0.01}, True), ({"cycle_mult": 5}, False),
]


@pytest.mark.parametrize("settings,ok", SAME_SETUPS)
def test_a_link_and_a_file_accept_and_refuse_the_same_setups(settings, ok):
    assert _link(settings) == ok
    assert _file(settings) == ok


def test_without_a_page_a_link_opens_no_tab_and_hides_nothing():
    """The state layer alone knows no tabs or controls: the UI passes them (PAGE)."""
    settings, view, notices = urlstate.from_query("?tab=digits&hide=data&dataset=xor")
    assert settings == {"dataset": "xor"}
    assert view.tab == "" and view.hide == ()
    assert notices == ["hide: a link cannot hide data; nothing is hidden",
                       "tab=digits is not a tab here; ignored"]
    assert urlstate.to_search({}, urlstate.View(tab="digits")) == "?tab=digits"
    assert urlstate.to_search({}, urlstate.View(tab="playground"), PAGE) == ""
