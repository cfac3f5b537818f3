"""Lessons menu, links (URL state), teacher mode and stop conditions through the page."""
import re

import numpy as np
import panel as pn
import pytest

from playground.state import urlstate
from playground.ui.links import PAGE
from playground.engine import mlp
from playground.state.presets import PRESETS
from playground.state.run import LEARNING_RATES
from playground.ui import PlaygroundApp


def build(query=None):
    app = PlaygroundApp(query=query)
    pn.panel(app).get_root()
    return app


def test_lesson_menu_opens_the_preset_on_top_of_the_defaults():
    app = build()
    app.run.learning_rate = 1.0                    # something the lesson must undo
    app.run.train(3)
    app.lessons.menu.value = "circle-features"
    run = app.run
    assert run.features == ["x1_sq", "x2_sq"] and run.hidden == []
    assert run.learning_rate == PRESETS["circle-features"].settings["learning_rate"]
    assert run.epoch == 0
    assert "X₁²" in app.lessons.try_this.object
    assert app.lessons.banner.visible and "Lesson: Feature engineering" in app.lessons.banner.object
    assert "features=x1_sq,x2_sq" in app.lessons.link_text
    for key, preset in PRESETS.items():           # every panel follows every lesson
        app.lessons.menu.value = key
        assert len(app.network.shown_layers) == len(app.run.hidden), key
        assert app.run.hidden == preset.settings.get("hidden", [4, 2]), key
        assert app.controls.message_kind != "danger", (key, app.controls.message) and "hidden=&" in app.lessons.link_text


# What a lesson's text may say about its set-up (title, and the sentences of its task that
# describe what is on screen), and what the run must then have.
_COUNT = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
_linear = lambda r: r.hidden == [] and set(r.features) <= {"x1", "x2"}
_acts = lambda name: lambda r, m: r.activation == name and set(r.layer_activations()) <= {name}
CLAIMS = {
    r"\bno hidden layer\b|\blinear model\b|\bone neuron\b": lambda r, m: r.hidden == [],
    r"\b(\w+) layers of (\d+) neurons\b":
        lambda r, m: r.hidden == [int(m[2])] * _COUNT.get(m[1].lower(), 0),
    r"\bX₁² and X₂²": lambda r, m: r.features == ["x1_sq", "x2_sq"],
    r"\bstraight line\b": lambda r, m: _linear(r),
    r"\blogistic regression\b": lambda r, m: _linear(r) and r.loss == "cross_entropy"
                                          and r.activation == "sigmoid",
    r"\bsigmoid\b": lambda r, m: _acts("sigmoid")(r, m)
                               and mlp.OUTPUTS[r.arch.output] == "sigmoid_bce",
    r"\btanh\b": _acts("tanh"), r"\bReLU\b": _acts("relu"),
    r"\bcross-entropy\b": lambda r, m: r.loss == "cross_entropy",
    r"\bsoftmax\b": lambda r, m: mlp.OUTPUTS[r.arch.output] == "softmax_ce",
    r"\b(\w+) classes\b": lambda r, m: r.classes == _COUNT.get(m[1].lower(), 0),
    r"\bXOR\b": lambda r, m: r.dataset == "xor",
    r"\bcircle\b": lambda r, m: r.dataset == "circle",
    r"\bspiral\b": lambda r, m: r.dataset == "spiral",
    r"\bsine\b": lambda r, m: r.dataset == "sine",
    r"\bnois[ey]\b": lambda r, m: r.noise >= 25,
    r"\bfew (noisy )?(training )?points\b": lambda r, m: len(r.y_train) <= 100,
    r"\bbig network\b": lambda r, m: sum(r.hidden) >= 32,
    r"\btoo high a learning rate\b|\bdiverges\b":
        lambda r, m: r.learning_rate == max(LEARNING_RATES),
}
# sentences that tell the learner what to change next describe another set-up
_SUGGESTION = re.compile(r"^(Now|Try|Then|Switch|Remove)\b")


def claims(preset):
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", preset.try_this)
                 if not _SUGGESTION.match(s)]
    text = " ".join([preset.title, *sentences])
    return [(pattern, m) for pattern in CLAIMS for m in re.finditer(pattern, text, re.I)]


def test_every_lesson_sets_what_its_text_says_and_every_menu_shows_it():
    app = build()
    for key, preset in PRESETS.items():
        app.run.activation = "relu"                # something each lesson must put right
        app.lessons.menu.value = key
        run = app.run
        for name, value in preset.settings.items():        # nothing adjusted away
            assert getattr(run, name) == value, (key, name)
        found = claims(preset)
        assert len(found) >= 2, (key, found)
        for pattern, m in found:
            assert CLAIMS[pattern](run, m), (key, m[0], run.settings())
        menus = dict(zip(("learning_rate", "activation", "optimizer", "loss",
                          "regularization"), app.hyper.widgets))
        for name, menu in menus.items():
            assert menu.value == getattr(run, name), (key, name)
        shown = app.network.shown_layers                                 # one per layer
        pickers = [w for c in shown for w in c.select(pn.widgets.Select)
                   if isinstance(w.value, str)]
        assert [p.value for p in pickers] == run.layer_activations(), key
    logistic = PRESETS["logistic-regression"].settings
    assert (logistic["activation"], logistic["loss"], logistic["hidden"]) == (
        "sigmoid", "cross_entropy", [])


def test_link_opens_the_setup_and_hides_controls():
    app = build("?preset=fit-sine&hide=features,optimizer,stop&projector=1")
    assert app.run.dataset == "sine" and app.run.optimizer == "adam"
    assert not app.network.features_column.visible
    assert not app.hyper.widgets[2].visible              # optimizer
    assert not app.lessons.stop_epoch.visible and not app.lessons.patience.visible
    assert app.hyper.widgets[0].visible                  # learning rate stays
    from playground.ui.app import PROJECTOR_OUTPUT_WIDTH    # a bigger share of the screen
    assert PROJECTOR_OUTPUT_WIDTH in app.output_column.stylesheets[0]
    assert app.controls.message == ""
    assert "hide=features,optimizer,stop" in app.lessons.link_text


def test_bad_link_values_fall_back_with_a_visible_notice():
    app = build({"learning_rate": [b"<script>"], "hidden": [b"4,0"], "dataset": [b"xor"]})
    assert app.run.dataset == "xor" and app.run.learning_rate == 0.03
    assert app.run.hidden == [4, 2]
    assert app.controls.message_kind == "warning"
    assert "learning_rate" in app.controls.message and "hidden" in app.controls.message
    assert "<script>" not in app.controls.status.object          # escaped


def test_link_of_a_trained_setup_reproduces_its_numbers():
    app = build("?dataset=xor&hidden=5,3&learning_rate=0.1&seed=7")
    app.run.tier = "exact"
    app.run.train(30)
    settings, view, notices = urlstate.from_query(app.lessons.link_text.split("?", 1)[1], PAGE)
    other = build("?" + app.lessons.link_text.split("?", 1)[1])
    other.run.tier = "exact"
    other.run.train(30)
    assert other.run.metrics() == app.run.metrics()


def test_stop_condition_pauses_playing_with_a_note():
    app = build("?stop_epoch=6")
    app.controls.speed = 4
    app.controls.playing = True
    for _ in range(4):
        app.tick()
    assert app.run.epoch == 6 and app.run.status == "stopped"
    assert app.controls.playing is False
    assert "limit" in app.controls.message and app.controls.message_kind == "info"
    app.lessons.stop_epoch.value = 0                   # lifting the limit lets it go on
    app.controls.playing = True
    app.tick()                          # launches 4 epochs; the next frame shows them
    app.tick()
    assert app.run.epoch == 10


def test_confusion_cell_click_highlights_its_points():
    app = build("?dataset=xor&noise=40&hidden=2")
    app.run.tier = "exact"
    app.run.train(10)
    app.refresh()
    counts = app.confusion.source.data["count"]
    assert sum(counts) == len(app.run.y_test)
    app.confusion.source.selected.indices = [1]        # blue points called orange
    X = app.output.highlight_src.data["x1"]
    assert len(X) == counts[1]
    c = app.run.confusion("test")
    assert list(X) == list(c["X"][c["cell"] == 1][:, 0])
    app.confusion.split_select.value = "train"
    assert sum(app.confusion.source.data["count"]) == len(app.run.y_train)
    assert len(app.output.highlight_src.data["x1"]) == app.confusion.source.data["count"][1]
    app.confusion.source.selected.indices = []
    assert len(app.output.highlight_src.data["x1"]) == 0
    app.run.dataset = "sine"
    app.refresh()
    assert not app.confusion_box.visible and not app.loss.acc_pane.visible


def activation_pickers(app):
    """The activation menus of the layers on the page (one column per hidden layer)."""
    return [w for c in app.network.shown_layers for w in c.select(pn.widgets.Select)
            if isinstance(w.value, str)]


def test_per_layer_activation_pickers():
    app = build("?hidden=4,3")
    pickers = activation_pickers(app)
    assert [p.value for p in pickers] == ["tanh", "tanh"]
    pickers[1].value = "relu"
    assert app.run.arch.activations == ("tanh", "relu")
    assert "activations=tanh,relu" in app.lessons.link_text
    app.hyper.widgets[1].value = "sigmoid"            # the global menu sets all layers
    assert app.run.arch.activations == ("sigmoid", "sigmoid")
    assert [p.value for p in activation_pickers(app)] == ["sigmoid"] * 2


def test_export_and_import_through_the_page():
    app = build("?dataset=xor&hidden=5")
    app.run.train(12)
    setup = app.export.settings_dl.callback().getvalue()
    weights = app.export.weights_dl.callback().getvalue()
    script = app.export.script_dl.callback().getvalue()
    assert '"dataset": "xor"' in setup and "def main" in script and weights[:2] == b"PK"
    other = build()
    other.controls.playing = True
    other.export.settings_in.value = setup.encode()
    assert other.run.dataset == "xor" and other.run.hidden == [5]
    assert other.controls.playing is False and other.controls.message_kind == "info"
    other.export.weights_in.value = weights
    assert other.run.epoch == 12
    assert other.run.metrics()["test_loss"] == pytest.approx(app.run.metrics()["test_loss"])
    other.export.settings_in.value = b"{not json"
    assert other.controls.message_kind == "danger" and "Could not open" in other.controls.message
    assert other.export.settings_in.value is None
    assert other.run.dataset == "xor"                      # nothing already done is lost


def test_clicks_add_and_erase_points_and_uploads_are_checked():
    app = build("?dataset=gauss")
    n = len(app.run.y_train)
    app.own_data.mode.value = "orange"
    app.output.on_click(4.0, 4.0, False)
    assert app.run.dataset == "own" and len(app.run.y_train) == n + 1
    assert app.run.y_train[-1] == -1.0
    app.refresh()
    assert len(app.output.train_pts.data["x1"]) == n + 1
    app.output.on_click(4.0, 4.0, True)                    # shift-click erases
    assert len(app.run.y_train) == n
    app.own_data.upload.value = b"a,b\n1,2\n"
    assert app.controls.message_kind == "danger" and "not used" in app.controls.message
    assert len(app.run.y_train) == n                       # nothing already done is lost
    rows = "\n".join(f"{i},{(i * 7) % 11},{i % 2}" for i in range(40))
    app.own_data.upload.value = f"x1,x2,label\n{rows}\n".encode()
    assert len(app.run.y_train) + len(app.run.y_test) == 40
    assert "40 rows" in app.own_data.note.object and app.controls.message_kind == "info"
    assert app.own_data.upload.value is None


def test_dropout_pickers_and_crossed_out_neurons():
    app = build("?hidden=6,4")
    drops = [w for c in app.network.shown_layers for w in c.select(pn.widgets.Select)
             if isinstance(w.value, float)]
    assert [d.value for d in drops] == [0.0, 0.0]
    drops[0].value = 0.5
    assert app.run.dropout == [0.5, 0.0] and "dropout=0.5,0" in app.lessons.link_text
    assert len(app.diagram.dropped.data["x"]) == 0          # nothing dropped before training
    now = iter(np.arange(0.0, 20.0, 0.1))    # frames far enough apart (FULL_FRAME_MS) that
    app.clock = lambda: float(next(now))                     # each draws the diagram
    app.controls.playing = True
    app.tick()                          # launches an epoch; the next frame shows it
    app.tick()
    n = len(app.diagram.dropped.data["x"])
    assert 0 < n <= 6                                        # only layer 1 drops neurons
