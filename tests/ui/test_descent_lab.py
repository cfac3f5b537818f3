"""The Gradient descent tab without a server: each card's buttons and what they draw."""
from __future__ import annotations

import time

import numpy as np
import panel as pn
import pytest
from bokeh.events import Tap

from playground import Run
from playground.engine import descent
from playground.engine import lr as lr_engine
from playground.state.run import LEARNING_RATES
from playground.ui.descent_lab import DescentLab


def wait(view, attr="job", timeout=120):
    deadline = time.monotonic() + timeout
    while getattr(view, attr).busy and time.monotonic() < deadline:
        time.sleep(0.05)
    view.tick()


@pytest.fixture(scope="module")
def lab():
    run = Run()
    run.tier = "auto"
    lab = DescentLab(run)
    assert pn.panel(lab).get_root() is not None
    lab.tick()
    return lab


def test_one_weight_steps_and_presets(lab):
    v = lab.one
    v.step_btn.clicks += 1
    lab.tick()
    s = descent.one_weight_step(0.5, 0.03)
    assert f"{s.new_w:.4f}" in v.readout.object and list(v.steps.data["w"]) == [0.5, s.new_w]
    v.presets[3].clicks += 1                    # too high: the error grows step by step
    for _ in range(5):
        v.step_btn.clicks += 1
    lab.tick()
    losses = v.model.losses
    assert losses[-1] > losses[-2] > losses[1]


def test_race_plays_and_tap_moves_the_start(lab):
    v = lab.race
    v.play.value = True
    for _ in range(5):
        lab.tick()
    v.play.value = False
    assert v.model.steps == 10 and len(v.paths["adam"].data["x"]) == 11
    v.fig._trigger_event(Tap(v.fig, x=0.5, y=-1.0))
    lab.tick()
    assert v.model.start == (0.5, -1.0) and v.model.steps == 0
    assert v.marks.data["x"][0] == 0.5


def test_the_races_surface_picture_is_sent_once_per_surface(lab):
    """Playing moves the paths, not the 121×121 surface: its picture is set again only for
    a new surface (it was sent with every step, 117 kB a frame)."""
    v = lab.race
    sent = []
    v.image.on_change("data", lambda attr, old, new: sent.append(v.model.surface))
    v.play.value = True
    for _ in range(3):
        lab.tick()
    v.play.value = False
    lab.tick()
    assert sent == []
    v.model.surface = "saddle" if v.model.surface != "saddle" else "valley"
    lab.tick()
    assert sent == [v.model.surface]
    x0, x1, y0, y1 = v.model.info.extent
    assert (v.fig.x_range.start, v.fig.x_range.end) == (x0, x1)
    assert v.image.data["image"][0].shape == (121, 121)


def test_landscape_needs_a_path_then_draws_it(lab):
    v = lab.landscape
    v.run.reset()
    v._start()
    assert "train the network" in v.readout.object and not v.job.busy
    for _ in range(4):
        v.run.train(5)
    v._start()
    wait(v)
    assert "explains" in v.readout.object
    assert np.asarray(v.image.data["image"][0]).shape == (descent.LANDSCAPE_RES,) * 2
    assert len(v.path.data["x"]) == len(v.run.trajectory_array())


def test_finder_and_use_it(lab):
    v = lab.finder
    v._start()                                     # the default circle: it suggests a rate
    wait(v)
    r = v.result
    assert r is not None and r.falls and not v.use.disabled
    assert 1e-3 <= r.suggestion <= 1.0 and "nothing to suggest" not in v.readout.object
    assert f"{r.suggestion:.2g}" in v.readout.object
    v.use.clicks += 1
    assert v.run.learning_rate == lr_engine.nearest_choice(r.suggestion, LEARNING_RATES)
    assert f"{v.run.learning_rate:g}</b>" in v.readout.object
    v.run.learning_rate = 0.03
    v.run.dataset = "plane"                        # regression: the loss falls, then blows up
    v._start()
    wait(v)
    assert v.result is not None and not v.use.disabled and len(v.mean.data["lr"]) > 10
    v.use.clicks += 1
    assert v.run.learning_rate in (1e-05, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0,
                                   3.0, 10.0)
    v.run.param.update(learning_rate=0.03, dataset="circle")


def test_finder_with_a_flat_curve_suggests_nothing(lab):
    v = lab.finder
    lrs = lr_engine.finder_learning_rates()
    flat = 0.5 + 0.003 * np.random.default_rng(0).standard_normal((5, len(lrs)))
    v.draw_result(lr_engine.summarize(lrs, flat, flat))
    assert v.use.disabled and "nothing to suggest" in v.readout.object


def test_schedule_preview_and_live_rate(lab):
    v = lab.schedule
    v.run.param.update(schedule="cosine", schedule_epochs=50)
    lab.tick()
    lrs = np.asarray(v.curve.data["lr"])
    floor = 0.03 * lr_engine.SCHEDULE_FLOOR        # cosine ends at 10 % of the rate, and stays
    assert lrs[0] == pytest.approx(0.03) and lrs[50] == pytest.approx(floor, rel=1e-6)
    assert np.all(lrs[50:] == lrs[50]) and lrs.min() > 0
    assert f"{v.run.current_lr():.4g}" in v.readout.object and "(Cosine)" in v.readout.object
    v.run.schedule = "constant"


def test_schedule_menu_shows_labels_and_keeps_names(lab):
    menu = lab.schedule.widgets[0]
    assert list(menu.options) == ["Constant", "Step decay", "Cosine", "SGDR (warm restarts)",
                                  "One-cycle"]
    assert list(menu.options.values()) == list(lr_engine.SCHEDULES)
    menu.value = "one_cycle"                       # the menu sets the run's internal name
    assert lab.schedule.run.schedule == "one_cycle"
    lab.schedule.run.schedule = "sgdr"
    model = menu.get_root()                        # what the browser gets: (value, label)
    assert model.value == "sgdr" and dict(model.options)["sgdr"] == "SGDR (warm restarts)"
    assert [label for _, label in model.options] == list(menu.options)
    lab.schedule.run.schedule = "constant"


def _select_labels(viewer):
    """Every option label of the Select and RadioButtonGroup widgets inside a viewer."""
    labels = []
    for w in pn.panel(viewer).select(lambda o: isinstance(o, (pn.widgets.Select,
                                                              pn.widgets.RadioButtonGroup))):
        labels += list(w.options) if isinstance(w.options, dict) else list(w.options)
    return labels


def test_no_menu_in_the_tab_shows_a_raw_name(lab):
    labels = _select_labels(lab)
    raw = set(lr_engine.SCHEDULES) | {"pca", "random", "learning_rate", "seed"}
    assert labels and not raw & set(labels) and not [x for x in labels if "_" in str(x)]


@pytest.mark.parametrize("schedule", ["constant", "step", "cosine", "sgdr", "one_cycle"])
def test_schedule_preview_axis_runs_from_0_to_above_the_top(lab, schedule):
    v = lab.schedule
    v.run.param.update(schedule=schedule, learning_rate=0.3)
    lab.tick()
    top = float(np.max(v.curve.data["lr"]))
    y = v.fig.y_range
    assert top == pytest.approx(0.3)
    assert y.start <= 0.0 and 1.02 * top <= y.end <= 1.25 * top
    v.run.param.update(schedule="constant", learning_rate=0.03)
    lab.tick()


def test_parallel_runs_train_together(lab):
    v = lab.parallel
    v.sweep.copies = 4
    v.play.value = True
    deadline = time.monotonic() + 120
    while v.sweep.epoch < 3 and time.monotonic() < deadline:
        lab.tick()
        time.sleep(0.02)
    v.play.value = False
    lab.tick()
    assert v.sweep.epoch >= 3 and len(v.curves.data["ys"]) == 4
    # a picture and a title for each of the 4 copies, in one figure, 4 to a row
    assert len(v.pictures.data["image"]) == len(v.titles.data["text"]) == 4
    assert v.pictures.data["y"] == [v.pictures.data["y"][0]] * 4
    assert v.pictures.data["x"] == sorted(v.pictures.data["x"])
    assert all(t.endswith(("diverged",)) or " · " in t for t in v.titles.data["text"])


def test_a_frame_never_waits_for_the_copies_training(lab, monkeypatch):
    """The tab's frame launches the copies' epoch and returns; a later frame, once it has
    computed, draws it and launches the next. (A frame that waited for its epoch held the
    server's event loop, every other page's frames with it, for as long as other pages'
    work kept the device busy.)"""
    v = lab.parallel
    v.play.value = True
    lab.tick()
    deadline = time.monotonic() + 120
    while v.sweep.pending and time.monotonic() < deadline:   # the compile, the first epoch
        lab.tick()
        time.sleep(0.02)
    waited = []
    monkeypatch.setattr(type(v.sweep), "computed", property(lambda self: False))
    orig = type(v.sweep).settle
    monkeypatch.setattr(type(v.sweep), "settle", lambda self, wait=True: (
        waited.append(wait and self.pending), orig(self, wait))[1])
    epoch = v.sweep.epoch
    for _ in range(3):                       # an epoch that never computes: nothing waits
        lab.tick()
    assert v.sweep.pending and v.sweep.epoch == epoch and not any(waited)
    monkeypatch.undo()
    while v.sweep.pending and time.monotonic() < deadline:
        lab.tick()
        time.sleep(0.02)
    v.play.value = False
    lab.tick()
    assert v.sweep.epoch == epoch + 1
    assert f'pg-parallel-epoch">{epoch + 1}<' in v.status.object


def test_the_copies_pictures_are_one_figure(lab):
    """16 small figures made the tab 400 models heavier; one figure holds every picture."""
    from bokeh.models import Plot
    root = pn.panel(lab.parallel).get_root()
    figures = [m for m in root.references() if isinstance(m, Plot)]
    assert len(figures) == 2                 # the pictures and the loss curves
    assert len(root.references()) < 150
    v = lab.parallel
    v.sweep.copies = 16
    v._touch()
    v.tick()
    xs, ys = v.pictures.data["x"], v.pictures.data["y"]
    assert len(xs) == 16 and len(set(zip(xs, ys))) == 16      # none on top of another
    assert len(set(ys)) == 4 and len(set(xs)) == 4


def test_race_legend_stays_off_the_plot(lab):
    """Inside the plot, the legend covered the start marker: it sits under the plot."""
    from bokeh.models import Legend
    fig = lab.race.fig
    assert [type(r) for r in fig.below if isinstance(r, Legend)] == [Legend]
    assert not [r for r in fig.center if isinstance(r, Legend)]
    assert fig.legend[0].orientation == "horizontal"


def test_surface_images_fill_their_axes(lab):
    """The race's and the landscape's images end where the axes end: no white bands."""
    for fig in (lab.race.fig, lab.landscape.fig):
        assert fig.x_range.range_padding == 0 and fig.y_range.range_padding == 0


def test_a_lab_made_ahead_shows_the_run_it_is_tied_to_both_ways():
    """A lab made with no run (ahead of its page, for every page alike) and tied to a
    page's run later: its schedule's widgets show that run's values and set them, with the
    parameters' labels, bounds and tooltips; a refused value is said and the widget shows
    the value in force; the copies are of that run's network."""
    lab = DescentLab()
    assert lab.parallel.sweep.state is None                 # nothing of any run yet
    run = Run(seed=7)
    run.param.update(schedule="step", schedule_epochs=40, step_factor=0.25)
    lab.bind(run)
    select, period, cycle, factor = lab.schedule.widgets
    assert (select.value, period.value, factor.value) == ("step", 40, 0.25)
    assert (period.start, period.end) == Run.param.schedule_epochs.bounds
    assert period.description == Run.param.schedule_epochs.doc and period.label == \
        "period (epochs)"
    period.value = 60                                       # the widget sets the run
    assert run.schedule_epochs == 60
    run.cycle_mult = 3                                      # and the run the widget
    assert cycle.value == 3
    factor.value = 5.0                                      # out of bounds: refused, said
    assert run.step_factor == 0.25 and factor.value == 0.25
    said = lab.schedule.readout.object
    assert "factor (step) must be at most 1.0, not 5.0" in said and "Run." not in said
    assert lab.parallel.sweep.run is run and lab.parallel.sweep.values()[0] == \
        pytest.approx(lab.parallel.sweep.lr_min)
    assert lab.parallel.sweep.state is not None
    lab.tick()                                              # draws from the run it shows
    assert "epoch 0" in lab.schedule.readout.object and "Step decay" in \
        lab.schedule.readout.object
    for view in (lab.landscape, lab.finder):
        assert view.run is run
