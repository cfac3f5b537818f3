"""The page for keyboard and screen-reader users, without a browser: the words of the live
region and how often they change, labels on the plots, the keys' actions, the network as
tables, and the focus ring's styles."""
from __future__ import annotations

import math
import re

import numpy as np
import panel as pn
import pytest
from bokeh.models import Plot
from bokeh.plotting import figure

from playground import Run
from playground.state import describe as facts_of
from playground.state.describe import Boundary, ClassArea, Facts
from playground.ui import PlaygroundApp, a11y, describe
from playground.ui.controls import TrainingControls
from playground.ui.diagram_table import DiagramTable, table_html
from playground.ui.keyboard import HELP_HTML, KEYS_JS, Keyboard


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def facts(**kw) -> Facts:
    base = dict(epoch=120, dataset="circle", classification=True, classes=2, one_d=False,
                status="trained", train_loss=0.032, test_loss=0.041, train_accuracy=0.99,
                test_accuracy=0.97, n_train=250, n_test=250,
                boundary=Boundary(0.2, 1, 1, 1, 0), class_areas=None, output_range=(-1, 1),
                zero_crossings=None)
    return Facts(**{**base, **kw})


# ------------------------------------------------------------------ the words
def test_the_summary_says_epoch_losses_accuracy_and_shape():
    text = describe.summary_text(facts())
    assert text == ("Circle data, 250 training and 250 test points. Epoch 120. Test loss "
                    "0.041, training loss 0.032, test accuracy 97 %. The network separates "
                    "the two classes with a closed curve: blue inside, orange outside. Blue "
                    "covers 20 % of the plane.")


@pytest.mark.parametrize("b,words", [
    (Boundary(0.8, 1, 1, 0, 1), "closed curve: orange inside, blue outside"),
    (Boundary(0.5, 1, 1, 0, 0), "One boundary divides the plane into a blue side"),
    (Boundary(0.5, 2, 2, 0, 0), "2 blue regions and 2 orange regions."),
    (Boundary(0.3, 3, 1, 2, 0), "with 2 blue islands closed inside the other colour"),
    (Boundary(0.0, 0, 1, 0, 0), "predicts orange (−1) everywhere"),
    (Boundary(1.0, 1, 0, 0, 0), "predicts blue (+1) everywhere"),
])
def test_every_shape_of_boundary_has_its_words(b, words):
    assert words in describe.boundary_text(b)


def test_diverged_no_test_points_regression_curve_and_classes():
    assert "diverged" in describe.summary_text(facts(status="diverged")).lower()
    assert "Test loss" not in describe.summary_text(facts(status="diverged"))
    no_test = describe.summary_text(facts(test_loss=math.nan, test_accuracy=math.nan,
                                          n_test=0, dataset="own"))
    assert "your own data" in no_test and "no test points" in no_test
    assert "training accuracy 99 %" in no_test
    reg = describe.summary_text(facts(classification=False, classes=0, boundary=None,
                                      train_accuracy=math.nan, test_accuracy=math.nan,
                                      dataset="plane", output_range=(-0.83, 0.91)))
    assert "accuracy" not in reg and "ranges from -0.83 (orange) to 0.91 (blue)" in reg
    sine = describe.summary_text(facts(classification=False, classes=0, boundary=None,
                                       one_d=True, dataset="sine", zero_crossings=3,
                                       output_range=(-1.0, 0.98)))
    assert "crosses zero 3 times" in sine
    k = describe.summary_text(facts(classes=3, boundary=None, class_areas=(
        ClassArea(0.5, 1, 0), ClassArea(0.3, 2, 1), ClassArea(0.2, 0, 0))))
    assert ("3 classes. The network predicts class 0 on 50 % (1 region); class 1 on 30 % "
            "(2 regions, 1 of them closed inside other classes); class 2 nowhere.") in k


def test_the_live_region_changes_at_most_once_a_second():
    run = Run()
    clock = Clock()
    s = describe.PlotSummary(run, clock=clock)
    attrs = s.div.html_attributes
    assert attrs["aria-live"] == "polite" and attrs["role"] == "status"
    assert s.div.styles["position"] == "absolute"          # read out, not seen
    assert s.div.visible is not False
    first = s.div.text
    assert first.startswith("Circle data") and "Epoch 0." in first
    run.train(3)
    clock.t += 0.5
    s.update()                                  # too soon: waits
    assert s.div.text == first and s.stale
    clock.t += 0.4
    s.flush()
    assert s.div.text == first
    clock.t += 0.2                              # a second after the last change
    s.flush()
    assert "Epoch 3." in s.div.text and not s.stale
    assert s.div.text == describe.summary_text(facts_of.plot_facts(run))
    clock.t += 5
    s.update()                                  # nothing new: the words stay, not re-sent
    assert s.last == clock.t - 5


# ------------------------------------------------------------------ the plots' labels
def test_plots_get_a_role_and_a_label():
    titled = figure(title="Feature map", toolbar_location=None, tools="")
    axes = figure(x_axis_label="epoch", y_axis_label="loss", toolbar_location=None, tools="")
    saved = figure(toolbar_location="right", tools="save")
    diagram = figure(css_classes=["pg-diagram"], toolbar_location=None, tools="")
    own = figure(toolbar_location=None, tools="")
    own.html_attributes = {"aria-label": "mine"}
    layout = pn.Column(titled, pn.Row(axes, saved), own)
    assert describe.label_plots(layout, extra=[diagram]) == 4
    assert titled.html_attributes == {"role": "img", "aria-label": "Plot: Feature map."}
    assert axes.html_attributes["aria-label"] == "Plot of loss against epoch."
    assert saved.html_attributes["role"] == "figure"        # its save button stays reachable
    assert "Show as table" in diagram.html_attributes["aria-label"]
    assert own.html_attributes == {"aria-label": "mine"}
    assert describe.label_plots(layout) == 0                # labelled once


@pytest.fixture(scope="module")
def app():
    a = PlaygroundApp()
    pn.panel(a).get_root()
    a.stop()
    yield a
    a.stop()


def test_every_plot_of_every_tab_is_labelled(app):
    from playground.ui.links import TABS
    for name in TABS[1:]:
        app.lab(name)
    plots = [p for pane in app._layout.select(pn.pane.Bokeh) if pane.object is not None
             for p in pane.object.select({"type": Plot})]
    plots += [app.output.fig1d]
    assert len(plots) > 25
    missing = [p for p in plots if not p.html_attributes.get("aria-label")]
    assert not missing, [p.title.text if p.title else p for p in missing]
    assert all(p.html_attributes["role"] in ("img", "figure") for p in plots)
    assert "prediction over the plane" in app.output.fig2d.html_attributes["aria-label"]
    # the loss curve is a canvas in a Div: the browser names the canvas with this label
    assert "loss over the epochs" in app.loss.curve.label


# ------------------------------------------------------------------ the keys
def test_keys_press_the_same_buttons_as_the_mouse():
    run = Run()
    controls = TrainingControls(run)
    steps = []
    controls.step.on_click(lambda e: steps.append(1))
    keys = Keyboard({"play": controls.play, "step": controls.step, "reset": controls.reset})
    assert keys.press("play") and controls.playing
    assert keys.press("play") and not controls.playing
    assert keys.press("step") and steps == [1] and controls.step.clicks == 1
    assert keys.press("reset") and controls.reset.clicks == 1
    assert keys.pressed == ["play", "play", "step", "reset"]
    controls.step.disabled = True
    assert not keys.press("step") and steps == [1]
    keys.active = False                          # another tab: the keys do nothing
    assert keys.state.tags == [0]
    assert not keys.press("play") and not controls.playing
    keys.active = True
    assert not keys.press("launch") and keys.pressed[-1] == "reset"


def test_question_mark_shows_the_help_and_escape_closes_it():
    keys = Keyboard({})
    assert not keys.help.visible and keys.button.label == "Keyboard"
    assert keys.press("help") and keys.help.visible and keys.button.label == "Hide keys"
    assert keys.press("close") and not keys.help.visible
    assert not keys.press("close")               # nothing to close
    keys.button.clicks += 1                      # the Keyboard button does the same
    assert keys.help.visible
    keys.button.clicks += 1
    assert not keys.help.visible and keys.button.label == "Keyboard"
    for key in ("Space", "R", "?", "Esc", "→"):
        assert key in HELP_HTML
    assert keys.button.description.content and "?" in keys.button.description.content


def test_what_the_browser_sends_is_checked():
    controls = TrainingControls(Run())
    keys = Keyboard({"play": controls.play})
    for tags in ([], [1], None, [1, "rm -rf"], [1, 5], "play", {"a": 1}, [2, "help"]):
        keys._key("tags", [], tags)
    assert keys.pressed == ["help"] and not controls.playing
    keys._key("tags", [], [3, "play"])
    assert controls.playing


def test_the_key_script_guards_typing_and_scrolling():
    js = KEYS_JS
    assert "window._pg_keys" in js                       # installed once per page
    assert 'tag === "SELECT"' in js and "TEXTAREA" in js and "isContentEditable" in js
    assert "e.preventDefault()" in js and 'e.key === " "' in js
    assert "ctrlKey" in js and "metaKey" in js          # Ctrl+R still reloads
    assert "state.tags[0] === 1" in js                   # only on the playground tab


def test_the_app_turns_the_keys_off_on_other_tabs(app):
    assert app.keys.active
    app.tabs.active = 2
    assert not app.keys.active and app.active_tab == "descent"
    app.tabs.active = 0
    assert app.keys.active
    assert app.keys.press("step") and app.run.epoch == 1
    assert app.keys.press("reset") and app.run.epoch == 0


# ------------------------------------------------------------------ the diagram as tables
def test_the_network_as_tables():
    run = Run(hidden=[3, 2])
    clock = Clock()
    t = DiagramTable(run, clock=clock)
    assert not t.tables.visible and t.tables.object == ""
    t.update()
    assert t.tables.object == ""                 # hidden: nothing computed
    t.toggle.clicks += 1
    html = t.tables.object
    assert t.tables.visible and html.count("<table") == 3 and html.count("<caption>") == 3
    assert 'scope="col">from X₁</th>' in html and 'scope="row">neuron 3</th>' in html
    assert "Hidden layer 1: 3 neurons, tanh" in html and "2 hidden layers of 3, 2 neurons" in html
    w = facts_of.weight_tables(run)
    assert f"<td>{w[1].weights[2, 1]:.3f}</td>" in html
    assert f"<td>{w[2].biases[0]:.3f}</td>" in html
    run.train(2)
    clock.t += 0.5
    t.update()
    assert t.tables.object == html and t.stale   # training: at most once a second
    clock.t += 0.6
    t.flush()
    assert t.tables.object != html and "epoch 2" in t.tables.object
    run.hidden = [4]                             # a new network: at once
    clock.t += 0.1
    t.update()
    assert "Hidden layer 1: 4 neurons" in t.tables.object and t.tables.object.count("<table") == 2
    assert t.toggle.label == "Hide the table"
    t.toggle.clicks += 1
    assert not t.tables.visible and t.toggle.label == "Show as table"


def test_a_table_escapes_and_marks_missing_numbers():
    table = facts_of.WeightTable(layer=0, output=True, activation="", inputs=["<b>"],
                                 units=["the output"], weights=np.array([[np.nan]]),
                                 biases=np.array([0.5]))
    html = table_html(table)
    assert "&lt;b&gt;" in html and "<td>—</td>" in html and "<td>0.500</td>" in html


def test_the_app_shows_the_table_under_the_diagram(app):
    app.diagram_table.show(True)
    app.refresh()
    assert "pg-weights" in app.diagram_table.tables.object
    app.diagram_table.show(False)


# ------------------------------------------------------------------ styles
def test_the_focus_ring_reaches_every_widget(app):
    assert a11y.A11Y_CSS in pn.config.raw_css       # Panel adds raw_css inside each widget
    assert re.search(r":focus-visible.*outline: 3px solid", a11y.A11Y_CSS, re.S)
    assert "!important" in a11y.A11Y_CSS            # over Bokeh's own :focus rules


# ------------------------------------------------------------------ names for every control
def test_a_label_from_a_tooltip():
    assert a11y.label_from_tooltip("Dropout in layer 1: while training, switch") == \
        "Dropout in layer 1"
    assert a11y.label_from_tooltip("Activation of layer 2 only (the menu above)") == \
        "Activation of layer 2 only"
    assert a11y.label_from_tooltip("Select and copy this link.") == "Select and copy this link"
    assert a11y.label_from_tooltip(None) == ""


def test_every_input_of_every_tab_has_a_label(app):
    from playground.ui.links import TABS
    for name in TABS[1:]:
        app.lab(name)
    inputs = [w for w in app._layout.select(pn.widgets.Widget)
              if any(c.__name__ in a11y.LABELLED for c in type(w).__mro__)]
    assert len(inputs) > 30
    unnamed = [repr(w) for w in inputs if not w.label]
    assert not unnamed, unnamed
    hidden = [w for w in inputs if a11y.HIDDEN_LABEL_CSS in w.stylesheets]
    assert any("layer 1" in w.label for w in hidden)              # the layers' own menus
    assert any(w.label.startswith("Kernel weight, row 1") for w in hidden)
    # a control that shows its label keeps it as it is
    assert app.lessons.menu.label == "Lessons"
    assert a11y.HIDDEN_LABEL_CSS not in app.lessons.menu.stylesheets


def test_the_page_script_names_what_bokeh_leaves_unnamed():
    js = a11y.NAMES_JS
    for part in ('[role="slider"]', ".bk-spin-btn", 'input[type="checkbox"]', '"tablist"',
                 '"aria-selected"', '"main"', "window._pg_names"):
        assert part in js
