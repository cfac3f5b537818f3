"""The Panel Viewers without a server or a browser: render them, drive them, read the
Bokeh sources they feed."""
from __future__ import annotations

import math

import time

import numpy as np
import panel as pn
import pytest

from playground.state.network import colour_codes
from playground.state.run import DIVERGED_MESSAGE, GRID_RES
from playground.ui import PlaygroundApp, scheduler, theme
from playground.ui.app import FULL_FRAME_MS
from playground.ui.loss_panel import LossCurve

ONE_D_OPTIONS = {"X₁": "x1", "X₁²": "x1_sq", "sin(X₁)": "sin_x1"}


@pytest.fixture(scope="module")
def _compiled():
    """The first PlaygroundApp compiles the JAX programs (seconds); later ones are cheap."""
    PlaygroundApp().stop()


@pytest.fixture
def app(_compiled):
    a = PlaygroundApp()
    root = pn.panel(a).get_root()          # renders every Viewer into Bokeh models
    assert root is not None
    a.stop()            # no periodic callback behind the test's back: the test calls tick()
    # computing alone: pages of earlier tests that computed in the last ACTIVE_S seconds
    # would otherwise count as sharing the CPU, and the first launch would be one epoch
    a.pace.share = scheduler.ComputeShare()
    yield a
    a.stop()


def image(app) -> np.ndarray:
    return app.output.codes()


def press(button):
    """What a click in the browser does on the server: one more click."""
    button.clicks += 1


# ------------------------------------------------------------------ building, refresh
def test_app_builds_and_refresh_pushes_the_run(app):
    img0 = image(app)
    assert img0.shape == (GRID_RES, GRID_RES) == (100, 100)
    assert img0.dtype == np.uint8          # colour codes: a quarter of float32's bytes
    np.testing.assert_array_equal(img0, colour_codes(app.run.decision_grid()))
    assert (app.output.mapper.low, app.output.mapper.high) == (0, 255)
    assert app.output.pane.object is app.output.fig2d
    assert list(app.loss.source.data["epoch"]) == [0]

    app.run.train(5)
    app.refresh()
    img1 = image(app)
    assert img1.shape == (100, 100) and np.isfinite(img1).all()
    assert not np.array_equal(img0, img1), "the heatmap did not change after training"
    assert app.loss.source.data["epoch"][-1] == 5
    assert "Test loss" in app.loss.readout.object

    pts = app.output.train_pts.data
    np.testing.assert_array_equal(pts["x1"], app.run.X_train[:, 0])
    np.testing.assert_array_equal(pts["x2"], app.run.X_train[:, 1])
    np.testing.assert_array_equal(pts["y"], app.run.y_train)
    tst = app.output.test_pts.data
    np.testing.assert_array_equal(tst["x1"], app.run.X_test[:, 0])
    assert len(pts["x1"]) + len(tst["x1"]) == app.run.n_samples
    assert "000,005" in app.controls.epoch.object


# ------------------------------------------------------------------------ the loop
def test_tick_trains_speed_epochs_only_when_playing(app):
    run, controls = app.run, app.controls
    frame = iter(range(10**6))              # frames on time, 60 a second (read once a frame)
    app.clock = lambda: next(frame) * scheduler.PERIODS_MS[0] / 1e3
    controls.speed = 3
    controls.playing = True
    assert controls.play.label == "Pause"
    e0 = run.epoch
    app.tick()                  # launches 3 epochs: JAX computes them until the next frame
    assert run.epoch == e0 and run.pending
    app.tick()                  # shows them and launches 3 more
    assert run.epoch == e0 + 3
    app.tick()
    assert run.epoch == e0 + 6
    assert app.loss.source.data["epoch"][-1] == run.epoch

    controls.playing = False
    assert controls.play.label == "Play"
    app.tick()          # shows the last launch (and a light frame's diagram, if any)
    assert run.epoch == e0 + 9 and not run.pending
    frames = app.frames
    app.tick()
    app.tick()
    assert run.epoch == e0 + 9
    assert app.frames == frames, "a paused, unchanged app redrew"


@pytest.mark.parametrize("gap_s,every,warm", [(0.1, 2, 8), (0.15, 3, 12)])
def test_a_busy_server_draws_the_diagram_less_often(app, gap_s, every, warm):
    """Frames 100 ms apart (a busy server): the big plot, loss curve and counter every
    frame, the network diagram every other one; 150 ms apart (a crowded server, under 10
    a second): one frame in three. Pausing draws it once more to catch up."""
    now = iter(np.arange(0.0, 100.0, gap_s))      # read once a frame
    app.clock = lambda: float(next(now))
    drawn = []
    update = app.diagram.update
    app.diagram.update = lambda: (drawn.append(app.run.epoch), update())[1]
    app.controls.playing = True
    for _ in range(warm):               # the smoothed interval climbs past BUSY_MS / CROWDED_MS
        app.tick()
    assert app.busy and app.full_every == every
    # the exact-shape programs compile in the background: once they are in use, a page's
    # cost is measured anew (its first launch then is one epoch), so wait for them first
    from playground.engine import programs
    programs.PROGRAMS.wait()
    for _ in range(3):
        app.tick()
    drawn.clear()
    images, trained = [], []
    for _ in range(3 * every):
        start = app.run.epoch
        app.tick()
        trained.append(app.run.epoch - start)
        images.append(image(app).copy())
        assert app.loss.source.data["epoch"][-1] == app.run.epoch
        assert f"{app.run.epoch:07,d}" in app.controls.epoch.object
    # frames this late train the epochs they are owed (Pace.catch_up), in light launches
    assert all(1 < n <= app.run.light_epochs for n in trained), trained
    assert len(drawn) == 3, drawn                       # one frame in `every`
    assert all(not np.array_equal(a, b) for a, b in zip(images, images[1:]))
    app.controls.playing = False
    app.tick()
    app.tick()
    assert drawn[-1] == app.run.epoch                   # the diagram caught up, once
    n = len(drawn)
    app.tick()
    assert len(drawn) == n


def test_a_quiet_server_draws_the_diagram_ten_times_a_second(app):
    """Frames 50 ms apart (20 a second, not busy): the diagram every other frame."""
    now = iter(np.arange(0.0, 100.0, 0.05))     # read once a frame
    assert 50 < FULL_FRAME_MS <= 100
    app.clock = lambda: float(next(now))
    drawn = []
    update = app.diagram.update
    app.diagram.update = lambda: (drawn.append(1), update())[1]
    app.controls.playing = True
    for _ in range(10):
        app.tick()
    assert not app.busy
    assert 4 <= len(drawn) <= 5, drawn      # every other frame after the first launch


def test_at_sixty_frames_a_second_the_diagram_moves_ten_times(app):
    """Frames 1/60 s apart: the big plot, the loss curve and the counter move every frame,
    the diagram, the accuracy curve and the confusion matrix at most 10 times a second."""
    now = iter(np.arange(0.0, 100.0, 1 / 60))
    app.clock = lambda: float(next(now))
    drawn = []
    update = app.diagram.update
    app.diagram.update = lambda: (drawn.append(app.run.epoch), update())[1]
    app.controls.playing = True
    app.tick()
    images = []
    for _ in range(24):                     # 0.4 s
        app.tick()
        images.append(image(app).copy())
        assert app.loss.source.data["epoch"][-1] == app.run.epoch
    assert all(not np.array_equal(a, b) for a, b in zip(images, images[1:]))
    assert 3 <= len(drawn) <= 5, drawn      # 10 a second, not 60
    assert app.loss.acc_source.data["epoch"][-1] < app.run.epoch or len(drawn) == 24


def test_buttons_play_step_reset(app):
    run, controls = app.run, app.controls
    press(controls.play)
    assert controls.playing and controls.play.label == "Pause"
    press(controls.play)
    assert not controls.playing and controls.play.label == "Play"

    n = run.epoch
    press(controls.step)
    assert run.epoch == n + 1
    assert app.loss.source.data["epoch"][-1] == n + 1
    press(controls.reset)
    assert run.epoch == 0
    assert list(app.loss.source.data["epoch"]) == [0]
    assert "000,000" in controls.epoch.object


def test_dataset_tiles_select_and_highlight(app):
    tiles = app.data._tiles
    press(tiles["xor"])
    assert app.run.dataset == "xor"
    assert tiles["xor"].styles == theme.CHOSEN_STYLES
    assert all(b.styles == theme.UNCHOSEN_STYLES for n, b in tiles.items() if n != "xor")
    # drawn by its styles, not its type (a new type lays the whole page out again)
    assert {b.button_type for b in tiles.values()} == {"default"}


# ---------------------------------------------------------------------- 1-D data
def test_sine_swaps_to_the_curve_figure_and_one_d_features(app):
    app.run.dataset = "sine"
    app.tick()                                   # paused: the frame only redraws
    assert app.output.pane.object is app.output.fig1d
    curve = app.output.curve.data
    assert len(curve["x"]) == len(curve["y"]) == GRID_RES
    assert np.isfinite(np.asarray(curve["y"], float)).all()
    assert app.network.features.options == ONE_D_OPTIONS
    assert set(app.network.features.value) <= set(ONE_D_OPTIONS.values())
    assert app.run.features == ["x1"]
    np.testing.assert_array_equal(app.output.train_pts.data["x1"], app.run.X_train[:, 0])
    np.testing.assert_array_equal(app.output.train_pts_1d.data["x1"], app.run.X_train[:, 0])
    np.testing.assert_array_equal(app.output.test_pts_1d.data["y"], app.run.y_test)
    n_1d = len(app.output.train_pts_1d.data["x1"])
    app.run.dataset = "circle"                   # the hidden curve figure's points stay
    app.tick()
    assert len(app.output.train_pts_1d.data["x1"]) == n_1d
    app.run.dataset = "sine"
    app.tick()

    y0 = np.asarray(curve["y"], float).copy()
    app.run.train(20)
    app.refresh()
    assert not np.allclose(y0, app.output.curve.data["y"]), "the fitted curve did not move"

    app.run.dataset = "circle"
    app.tick()
    assert app.output.pane.object is app.output.fig2d
    assert len(app.network.features.options) == 7


def test_a_page_with_2d_data_builds_no_curve_figure_or_regression_tiles_until_shown(_compiled):
    """The curve's figure and the other problem's data-set tiles are hidden on a new page
    with 2-D data: they are not among its models (the browser builds none of them) until
    they are first shown, and then stay."""
    from bokeh.models import Button as BkButton
    from playground.ui.data_panel import DATASET_LABELS

    a = PlaygroundApp()
    try:
        root = pn.panel(a).get_root()
        a.stop()

        def on_page():
            models = root.references()
            labels = {m.label for m in models if isinstance(m, BkButton)}
            return a.output.fig1d in models, DATASET_LABELS["sine"] in labels

        assert DATASET_LABELS["circle"] in {m.label for m in root.references()
                                             if isinstance(m, BkButton)}
        assert on_page() == (False, False)
        a.data.problem.value = "regression"          # the regression tiles, 1-D data
        a.run.dataset = "sine"
        a.tick()
        assert on_page() == (True, True)
        assert a.output.pane.object is a.output.fig1d
        a.run.dataset = "circle"                     # hidden again, not taken away
        a.tick()
        assert on_page() == (True, True)
        assert not a.data.tile_boxes["regression"].visible
        assert not a.output.curve_box.visible
    finally:
        a.stop()


# ------------------------------------------------------------------------ binding
def test_widgets_and_run_stay_in_sync(app):
    run, lr, act = app.run, app.hyper.widgets[0], app.hyper.widgets[1]
    assert (lr.label, act.label) == ("Learning rate", "Activation")
    lr.value = 10
    assert run.learning_rate == 10
    run.learning_rate = 0.3
    assert lr.value == 0.3
    run.activation = "relu"
    assert act.value == "relu"
    act.value = "sigmoid"
    assert run.activation == "sigmoid"
    app.network.features.value = ["x1", "x1_sq"]
    assert run.features == ["x1", "x1_sq"]
    app.data.noise.value = 20
    assert run.noise == 20
    app.data.ratio.value = 70
    assert run.train_ratio == pytest.approx(0.7)


def _assert_message_shown(app):
    controls = app.controls
    assert controls.message.strip(), "no message shown for a rejected / adjusted setting"
    assert controls.message_kind in ("info", "warning", "danger")
    assert controls.message in controls.status.object


def test_empty_features_through_the_widget_are_refused_with_a_message(app):
    run, widget = app.run, app.network.features
    widget.value = []
    assert run.features, "the run was left without input features"
    assert list(widget.value) == list(run.features), "widget and run disagree"
    _assert_message_shown(app)


def test_cross_entropy_on_regression_through_the_widget(app):
    run, loss = app.run, app.hyper.widgets[3]
    assert loss.label == "Loss"
    run.dataset = "plane"
    loss.value = "cross_entropy"
    assert run.loss == "mse"
    assert loss.value == run.loss, "the Loss select shows a loss the run is not using"
    _assert_message_shown(app)


def test_too_many_layers_is_refused_with_a_message(app):
    run, net = app.run, app.network
    while len(run.hidden) < 8:
        press(net.add_layer)
    assert net.add_layer.disabled
    press(net.add_layer)                 # a click that reaches the server anyway
    assert len(run.hidden) == 8
    _assert_message_shown(app)
    assert app.controls.message_kind == "danger"
    while run.hidden:
        press(net.remove_layer)
    assert net.remove_layer.disabled
    assert "linear model" in net.summary.object


def test_a_layer_is_shown_and_hidden_by_its_style_its_controls_made_once(app):
    """The first row's layer controls come with the page; adding or removing a layer there
    changes their inline style, never ``visible`` (BokehJS lays the whole page out again
    for that) nor the row's children. A fifth layer's controls are made when first added,
    then kept."""
    run, net = app.run, app.network
    columns = list(net.layers.objects)
    assert len(columns) == 4 and run.hidden == [4, 2]
    assert [c.styles.get("display") for c in columns] == ["", "", "none", "none"]
    press(net.add_layer)
    assert run.hidden == [4, 2, 4] and list(net.layers.objects) == columns
    assert net.shown_layers == columns[:3] and columns[2].styles.get("display") == ""
    assert all(c.visible for c in columns)
    assert ">4</b> neurons" in columns[2][1].object
    press(net.remove_layer)
    assert net.shown_layers == columns[:2] and columns[2].styles.get("display") == "none"
    run.hidden = [3, 3, 3, 3, 3]
    assert net.layers.objects[:4] == columns and len(net.layers.objects) == 5
    assert net.shown_layers == net.layers.objects
    run.hidden = [2]
    assert net.shown_layers == columns[:1] and len(net.layers.objects) == 5


# ---------------------------------------------------------------------- divergence
def test_divergence_stops_playing_and_shows_the_message(app):
    run, controls = app.run, app.controls
    run.learning_rate = 10
    controls.speed = 5
    controls.playing = True
    for _ in range(100):
        app.tick()
        if run.status == "diverged":
            break
    assert run.status == "diverged", f"no divergence at lr=10 after {run.epoch} epochs"
    app.tick()                             # the frame after the stop
    assert controls.playing is False
    assert controls.play.label == "Play"
    assert controls.message == DIVERGED_MESSAGE
    assert controls.message_kind == "danger"
    assert "Diverged" in controls.status.object
    assert np.isfinite(image(app)).all()
    for key in ("train_loss", "test_loss"):
        values = app.loss.source.data[key]
        assert all(math.isfinite(v) for v in values), f"{key} has NaN/inf: {values[-5:]}"
    assert "nan" not in app.loss.readout.object.lower()

    stuck = run.epoch
    controls.playing = True
    app.tick()
    assert run.epoch == stuck, "a diverged run trained on"

    controls.playing = False
    app.hyper.widgets[0].value = 0.03
    assert run.status != "diverged"
    assert "Diverged" not in controls.message
    assert "Diverged" not in controls.status.object


# -------------------------------------------------------------------- loss curve
def test_loss_curve_streams_and_restarts_after_reset(app):
    src, controls = app.loss.source, app.controls
    controls.playing = True
    for _ in range(5):
        app.tick()              # each frame shows the epoch launched the frame before
    assert list(src.data["epoch"]) == [0, 1, 2, 3, 4]
    assert len(src.data["train_loss"]) == len(src.data["test_loss"]) == 5
    controls.playing = False
    press(controls.reset)       # drops the epoch still being computed
    assert list(src.data["epoch"]) == [0]
    app.tick()
    assert list(src.data["epoch"]) == [0]
    controls.playing = True
    app.tick()
    app.tick()
    assert list(src.data["epoch"]) == [0, 1]


def test_loss_curve_alone_restarts_from_zero(_compiled):
    from playground import Run
    run = Run()
    curve = LossCurve(run)
    run.train(3)
    curve.update()
    assert list(curve.source.data["epoch"]) == [0, 3]
    run.reset()
    curve.update()
    assert list(curve.source.data["epoch"]) == [0]
    curve.log_scale = True
    assert curve.curve.log and curve.curve.options.data["log"] == [1]
    curve.log_scale = False
    assert not curve.curve.log


# ---------------------------------------------------------------------- tooltips
def test_every_control_has_a_tooltip(app):
    from playground.ui.binding import tooltip_text
    from playground.ui.links import TABS
    for name in TABS[1:]:                   # every tab, built as when first opened
        app.lab(name)
    layout = app._layout
    widgets = [w for w in layout.select(pn.widgets.Widget)      # indicators are no controls
               if not isinstance(w, (pn.widgets.TooltipIcon, pn.widgets.indicators.Indicator))]
    assert len(widgets) > 20
    described = (pn.widgets.Select, pn.widgets.Button, pn.widgets.CheckButtonGroup,
                 pn.widgets.IntInput, pn.widgets.TextInput, pn.widgets.RadioButtonGroup,
                 pn.widgets.FileDownload, pn.widgets.FileInput, pn.widgets.FloatInput)
    missing = [f"{type(w).__name__} {w.label!r}" for w in widgets
               if isinstance(w, described) and not tooltip_text(w.description).strip()]
    assert not missing, f"controls without a tooltip (description): {missing}"

    rows = layout.select(pn.Row)
    lonely = []
    for w in widgets:
        if not isinstance(w, (pn.widgets.IntSlider, pn.widgets.FloatSlider,
                              pn.widgets.Checkbox, pn.widgets.Toggle)):
            continue
        ok = False
        for row in rows:
            objs = list(row.objects)
            if any(o is w for o in objs):
                i = next(k for k, o in enumerate(objs) if o is w)
                near = objs[max(i - 1, 0):i + 2]
                ok = any(isinstance(o, pn.widgets.TooltipIcon) and tooltip_text(o.value).strip()
                         for o in near)
                break
        if not ok:
            lonely.append(f"{type(w).__name__} {w.label!r}")
    assert not lonely, f"sliders/checkboxes without a TooltipIcon beside them: {lonely}"
    others = [f"{type(w).__name__} {w.label!r}" for w in widgets
              if not isinstance(w, described + (pn.widgets.IntSlider, pn.widgets.FloatSlider,
                                                pn.widgets.Checkbox, pn.widgets.Toggle))]
    assert not others, f"widget kinds this test does not know how to check: {others}"


def test_an_info_icons_words_are_one_model():
    # Panel makes a TooltipIcon's text a tooltip and an HTML model of it (Markdown); the
    # project's words are plain, so its icons carry them in the tooltip itself
    from bokeh.document import Document
    from bokeh.models import Tooltip
    from bokeh.models.dom import HTML
    from playground.ui.binding import tip, tooltip_text
    row = tip(pn.widgets.IntSlider(label="Copies", start=1, end=16), "How many copies < 17.")
    icon = row.objects[1]
    assert tooltip_text(icon.value) == "How many copies < 17."
    doc = Document()
    doc.add_root(row.get_root(doc))
    tips = [m for m in doc.models if isinstance(m, Tooltip)]
    assert len(tips) == 1 and tips[0].content == "How many copies < 17."
    assert not [m for m in doc.models if isinstance(m, HTML)]


def test_automatic_ranges_stay_in_the_browser(app):
    """The labs' small plots' automatic ranges are fitted by the browser and not sent back
    to the server 20 times a second (the loss and accuracy curves are canvases that fit
    theirs in the browser too); ranges the server sets (the big plot's) still travel."""
    from bokeh.models import DataRange1d
    from playground.ui.neuron_views import small_figure
    figs = [small_figure(100, 100)]
    auto = [r for f in figs for r in (f.x_range, f.y_range) if isinstance(r, DataRange1d)]
    assert len(auto) == 2
    assert not any(r.syncable for r in auto)
    assert app.output.fig2d.x_range.syncable and app.output.fig2d.y_range.syncable


def test_the_accuracy_curve_moves_four_times_a_second_and_catches_up(_compiled):
    """While training, the accuracy curve (a Bokeh figure with axes) takes new epochs at
    most every ACCURACY_S; the epochs that waited come with the next frame after that, and
    a reset shows at once."""
    from playground import Run
    from playground.ui.loss_panel import ACCURACY_S
    run = Run()
    curve = LossCurve(run)
    t = [time.monotonic() + 100.0]              # (the curve was first drawn on the real clock)
    curve.clock = lambda: t[0]
    curve.update()
    assert list(curve.acc_source.data["epoch"]) == [0]
    run.train(2)
    t[0] += ACCURACY_S / 2
    curve.update()                              # too soon: waits
    assert list(curve.acc_source.data["epoch"]) == [0] and curve.waiting
    assert curve.source.data["epoch"][-1] == 2  # the loss curve does not
    curve.flush()
    assert list(curve.acc_source.data["epoch"]) == [0]
    t[0] += ACCURACY_S / 2
    curve.flush()                               # its time: the waiting epochs come
    assert curve.acc_source.data["epoch"][-1] == 2 and not curve.waiting
    run.train(1)
    t[0] += 0.01
    curve.update()
    assert curve.acc_source.data["epoch"][-1] == 2
    run.reset()
    curve.update()                              # a reset shows at once
    assert list(curve.acc_source.data["epoch"]) == [0]


def test_the_plots_have_no_drag_or_zoom_tools(app):
    """A drag on the big plot must not pan the points off the heatmap under them; the 1-D
    curve's toolbar (shown on hover) holds its save button only."""
    from bokeh.models import BoxZoomTool, PanTool, SaveTool, WheelZoomTool
    for fig in (app.output.fig2d, app.output.fig1d):
        kinds = {type(t) for t in fig.toolbar.tools}
        assert not kinds & {PanTool, WheelZoomTool, BoxZoomTool}, fig
    assert [type(t) for t in app.output.fig1d.toolbar.tools] == [SaveTool]


def test_the_labs_plots_have_no_drag_or_zoom_tools(app):
    """A lab's plots show no toolbar: a drag or a wheel must not move one away with no
    button to bring it back. (A plot that is clicked keeps its tap tool: the digits
    lab's confusion matrix; one drawn on keeps its drag inside fixed bounds: the digit
    pad.)"""
    from bokeh.models import GestureTool, Plot, Range1d, TapTool
    from tests.support import page_and_labs

    def fixed(r):
        return isinstance(r, Range1d) and tuple(r.bounds or ()) == (r.start, r.end)
    found = []
    for name, doc in page_and_labs(app).items():
        if name == "playground":
            continue
        for plot in (m for m in doc.models if isinstance(m, Plot)):
            if fixed(plot.x_range) and fixed(plot.y_range):
                continue
            moving = [type(t).__name__ for t in plot.toolbar.tools
                      if isinstance(t, GestureTool) and not isinstance(t, TapTool)]
            if moving:
                found.append((name, moving))
    assert not found


def test_plots_that_cannot_select_or_mute_send_no_glyph_copies(app):
    """Bokeh's figure makes each renderer's glyph three times (drawn, drawn while other
    points are selected, muted); where a plot has no selecting tool and no muting legend
    the copies are taken out (the browser makes its own), on the page and in every lab."""
    from bokeh.models import Glyph, GlyphRenderer, TapTool
    from bokeh.plotting import figure
    from playground.ui import theme
    from playground.ui.describe import plots_in

    plain, tapped, muting = (figure(tools=""), figure(tools=""), figure(tools=""))
    plain.scatter([1], [2])
    plain.line([1, 2], [2, 3], legend_label="loss")      # a legend that only hides
    plain.legend.click_policy = "hide"
    tapped.scatter([1], [2])
    tapped.add_tools(TapTool())
    muting.line([1, 2], [2, 3], legend_label="loss")
    muting.legend.click_policy = "mute"
    assert theme.lean_glyphs([plain, tapped, muting]) == 4
    assert all(r.nonselection_glyph == "auto" and r.muted_glyph == "auto"
               for r in plain.renderers)
    assert all(isinstance(r.nonselection_glyph, Glyph) for r in tapped.renderers + muting.renderers)
    assert isinstance(plain.renderers[0].glyph, Glyph)                # the glyph itself stays
    assert theme.lean_glyphs([plain]) == 0                            # once

    def copies(plots):
        return [r for p in plots for r in p.renderers
                if isinstance(r, GlyphRenderer) and isinstance(r.muted_glyph, Glyph)
                and not any(isinstance(t, TapTool) for t in p.toolbar.tools)]
    page = plots_in(app._layout) + [app.output.fig1d]   # the curve's: put in at 1-D data
    assert len(page) >= 4 and not copies(page)
    for name in app._lab_factories:
        lab, content = app._make_lab(name)
        assert plots_in(content) and not copies(plots_in(content)), name


def test_the_page_sends_each_long_style_text_once(_compiled):
    """Panel puts the page's styles and the focus rings (``pn.config.raw_css``) in every
    component's style sheets; ``theme.share_sheets`` (app.py calls it on each new page)
    turns each long text into one shared model of that page's document, so its first
    message carries each text once, and every component keeps the same styles in order."""
    from bokeh.core.json_encoder import serialize_json
    from bokeh.document import Document
    from bokeh.models import InlineStyleSheet, UIElement
    from playground.ui import a11y, theme

    def texts(model):
        return [s.css if isinstance(s, InlineStyleSheet) else s for s in model.stylesheets]

    docs = []
    for _ in range(2):
        a = PlaygroundApp()
        doc = Document()
        doc.add_root(pn.panel(a).get_root(doc))
        a.stop()
        docs.append(doc)
        before = {m.id: texts(m) for m in doc.models if isinstance(m, UIElement)}
        assert serialize_json(doc.to_json()).count("--pg-accent") > 50   # once per part
        kept = a.bokeh_objects()
        assert theme.share_sheets(doc, keep=kept) > 100
        assert {m.id: texts(m) for m in doc.models if isinstance(m, UIElement)} == before
        # what Bokeh panes show as is keeps its texts: Panel copies them back to the pane
        assert kept and all(isinstance(s, str) for m in kept for s in m.stylesheets)
        a.loss.acc_pane.visible = not a.loss.acc_pane.visible         # such a copy: no error
        sent = serialize_json(doc.to_json())
        assert sent.count("--pg-accent") == 1                   # theme.PAGE_CSS
        assert sent.count(":focus-visible { outline: 3px") == 1  # a11y.A11Y_CSS
        assert a11y.A11Y_CSS in {m.css for m in doc.models if isinstance(m, InlineStyleSheet)}
        assert theme.share_sheets(doc, keep=kept) == 0           # once
    sheets = [{m for m in d.models if isinstance(m, InlineStyleSheet)} for d in docs]
    assert sheets[0] and not sheets[0] & sheets[1]               # each page has its own
    assert theme.share_sheets(None) == 0


def test_a_click_keeps_the_shared_style_sheets(_compiled):
    """A pane whose text a click changes (a layer's neuron count, the layers' count, the
    status line, the weight editor's label) is a ``LiveHTML``: Panel would send a plain
    HTML pane's every property again, its style sheets as texts, undoing
    ``theme.share_sheets`` for it on the first such click (4.6 kB, a walk of the page's
    models, the browser applying its styles again: 80–200 ms to show, not 40–60)."""
    from bokeh.document import Document
    from bokeh.models import UIElement
    from playground.ui import theme

    a = PlaygroundApp()
    doc = Document()
    doc.add_root(pn.panel(a).get_root(doc))
    a.stop()
    assert theme.share_sheets(doc, keep=a.bokeh_objects()) > 100

    shared = [m for m in doc.models if isinstance(m, UIElement)
              and m not in a.bokeh_objects()]     # a layer's models added later: texts

    def texts_again():
        return sorted(type(m).__name__ for m in shared if any(
            isinstance(s, str) and len(s) >= theme.SHARED_SHEET_CHARS for s in m.stylesheets))

    assert len(shared) > 100 and texts_again() == []
    column = a.network.shown_layers[0]                  # its −, + row, then its label
    plus, label = column[0][1], column[1]
    plus.clicks += 1                                    # "+" on the first layer
    assert a.run.hidden[0] == 5 and ">5</b> neurons" in label.object
    a.network.add_layer.clicks += 1                     # a layer more: "3 hidden layers"
    assert "<b>3</b> hidden layers" in a.network.summary.object
    a.controls.show_message("Something to say", "warning")
    assert "Something to say" in a.controls.status.object
    a.diagram.open_editor(("bias", 0, 0))
    assert "Bias of" in a.diagram.editor_label.object
    a.diagram.close_editor()
    assert texts_again() == []
    a.run.hidden = [4, 2]                               # shown again as the run says
    assert texts_again() == [] and ">4</b> neurons" in label.object


def test_a_click_outside_the_documents_lock_is_shown_on_the_next_tick(_compiled, monkeypatch):
    """On a served page Panel runs a click's callbacks without the document's lock, and
    Bokeh refuses a model changed there ("_pending_writes should be non-None…"): the
    change was lost. A ``LiveHTML`` changed outside a frame writes on the event loop's next
    turn, with the lock; in a frame (which Bokeh runs locked) at once. Even where Panel
    sends its own changes at once (``pn.io.unlocked``: its page loaded, Panel's current
    document, the loop's thread), the text waits for the lock: Panel keeps a message made
    while the socket is busy and writes it after later frames' messages, so a click's
    "Training…" came after, and stayed over, the frame's "Diverged". Here a real Bokeh
    server session holds the page's document."""
    import asyncio
    from types import SimpleNamespace

    from bokeh.document import Document
    from bokeh.server.session import ServerSession
    from tornado.ioloop import IOLoop

    from panel.io.application import Application
    from panel.io.state import set_curdoc

    from playground.ui.frames import in_frame

    a = PlaygroundApp()
    doc = Document()
    Application().initialize_document(doc)     # as a served page's: made on this thread
    doc.add_root(pn.panel(a).get_root(doc))
    a.stop()
    theme.share_sheets(doc, keep=a.bokeh_objects())
    status = next(iter(a.controls.status._models.values()))[0]
    label = next(iter(a.diagram.editor_label._models.values()))[0]

    async def shown(text):
        for _ in range(50):
            await asyncio.sleep(0.01)
            if text in status.text:
                break
        return text in status.text

    async def served():
        session = ServerSession("s", doc, io_loop=IOLoop.current())
        monkeypatch.setattr(Document, "session_context", property(
            lambda d: SimpleNamespace(id="s", session=session) if d is doc else None))
        a.controls.show_message("Said outside the lock", "warning")   # no error here
        a.diagram.open_editor(("bias", 0, 0))
        a.diagram.close_editor()
        assert "Said outside the lock" not in status.text      # not yet: the next turn
        assert await shown("Said outside the lock")
        assert "Tap a neuron" in label.text and "Bias of" not in label.text  # the latest

        def framed():
            with in_frame():
                a.controls.show_message("Said in a frame", "warning")
                assert "Said in a frame" in status.text        # at once
        doc.add_next_tick_callback(framed)                     # locked, as a frame is
        assert await shown("Said in a frame")
        # a click's callback where Panel sends its own changes at once: the text waits
        # for the lock all the same, one way to the browser, in order
        monkeypatch.setattr(type(pn.state), "loaded", property(lambda s: True))
        with set_curdoc(doc):
            a.controls.show_message("Said in a click", "warning")
            assert "Said in a click" not in status.text
        assert await shown("Said in a click")
        session.destroy()

    asyncio.run(served())
    assert not any(isinstance(s, str) and len(s) >= theme.SHARED_SHEET_CHARS
                   for m in (status, label) for s in m.stylesheets)


def test_no_part_of_the_page_has_a_panel_js_callback(app):
    """A component with a Panel JS callback (``js_on_click``, ``jslink``) on a page makes
    Panel walk every model of that page at each change of any of its layouts (a layer
    added, a part put in place): the page's own scripts do that work instead."""
    from panel.links import Callback
    found = [type(o).__name__ for o in app._layout.select() if o in Callback.registry]
    for name in app._lab_factories:
        lab, content = app._make_lab(name)
        found += [f"{name}: {type(o).__name__}" for o in content.select()
                  if o in Callback.registry]
    assert not found


def test_the_page_and_every_lab_pass_bokehs_integrity_checks(app):
    """What Bokeh would check in each new page's document (the server skips it:
    ``server.skip_document_validation``): no errors, and no warning but empty layouts
    (the parts a served page puts in place in its first frames)."""
    from bokeh.core.validation import check_integrity

    from tests.support import page_and_labs
    for name, doc in page_and_labs(app).items():
        issues = check_integrity(list(doc.models))
        assert not issues.error, (name, issues.error)
        assert {w.name for w in issues.warning} <= {"EMPTY_LAYOUT"}, (name, issues.warning)


@pytest.mark.parametrize("batch_size,heavy", [(10, False), (1, True)])
def test_a_light_launch_that_waits_for_the_cpu_stays_light(app, monkeypatch, batch_size,
                                                            heavy):
    """A launch of few optimizer steps (one epoch of the default network: 25, a few ms of
    compute) still computing frames later has waited for a busy CPU: it counts as done
    within a frame, so the page stays light (never cut or held back, and it may catch up).
    One of many steps (batch size 1: 250) that takes frames counts as heavy. (Light pages
    taken for heavy ones on a busy server were cut and held back: loadtest --chaos,
    docs/performance.md.)"""
    from types import SimpleNamespace
    app.run.batch_size = batch_size
    monkeypatch.setattr(app, "_doc", SimpleNamespace(
        session_context=SimpleNamespace(_session=SimpleNamespace(connection_count=1))))
    app.controls.playing = True
    waiting = [True]
    monkeypatch.setattr(type(app.run), "computed", property(
        lambda self: not waiting[0] or getattr(self, "_pending", None) is None))
    seen = []
    monkeypatch.setattr(app.pace, "done", lambda now, first_check: seen.append(first_check))
    app.tick()                                   # launches one epoch
    assert app.run.pending
    for _ in range(3):                           # three frames later, still computing
        app.tick()
    assert app.run.pending and seen == []
    waiting[0] = False
    app.tick()                                   # applied
    assert seen == [not heavy]
