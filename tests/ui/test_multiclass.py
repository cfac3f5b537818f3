"""A K-class run on the page, rendered without a server: class colours, the heatmap of the
most likely class, a K×K confusion matrix whose cells ring their points, one output neuron
per class (a click shows its probability), the problem menu and the softmax lesson."""
import numpy as np
import panel as pn
import pytest
from bokeh.events import Tap

from playground.engine import datasets, mlp
from playground.state import network
from playground.state.presets import PRESETS
from playground.ui import PlaygroundApp, theme


def build(query=None):
    app = PlaygroundApp(query=query)
    assert pn.panel(app).get_root() is not None
    app.stop()
    return app


def tap_node(app, layer, j):
    view = app.diagram
    L = view.layout
    k = np.flatnonzero((L["node_layer"] == layer) & (L["node_index"] == j))[0]
    view._on_tap(Tap(view.figure, x=float(L["node_x"][k]), y=float(L["node_y"][k])))


def test_a_four_class_run_is_drawn_in_its_class_colours():
    app = build("?dataset=blobs4&hidden=6")
    run = app.run
    run.tier = "exact"
    run.train(30)
    app.refresh()
    assert run.classes == 4 and app.controls.message_kind != "danger"
    out = app.output
    assert list(out.point_mapper.palette) == list(theme.CLASS_COLOURS[:4])
    assert (out.point_mapper.low, out.point_mapper.high) == (-0.5, 3.5)
    assert list(out.mapper.palette) == theme.CLASS_PALETTE
    assert theme.CONFIDENCE_LEVELS == mlp.CONFIDENCE_LEVELS and len(theme.CLASS_PALETTE) == 256
    codes = out.codes().astype(int)
    assert set(np.unique(codes // mlp.CONFIDENCE_LEVELS)) == {0, 1, 2, 3}   # every class
    assert "pale: unsure" in out.scale.object
    out.display.discretize = True
    assert list(out.mapper.palette) == theme.CLASS_DISCRETE_PALETTE
    out.display.discretize = False
    # the confusion matrix is 4 × 4 and a cell rings its points
    conf = app.confusion
    counts = conf.source.data["count"]
    assert len(counts) == 16 and sum(counts) == len(run.y_test)
    c = run.confusion("test")
    assert list(counts) == c["counts"].ravel().tolist()
    cell = int(np.argmax(counts))
    conf.source.selected.indices = [cell]
    X = app.output.highlight_src.data["x1"]
    assert len(X) == counts[cell] and list(X) == list(c["X"][c["cell"] == cell][:, 0])
    conf.source.selected.indices = []
    assert len(app.output.highlight_src.data["x1"]) == 0
    # one output neuron per class in the diagram; clicking class 2 shows its probability
    L = app.diagram.layout
    assert L["sizes"][-1] == 4
    assert network.node_name(run.arch, 1, 2) == "the output of class 2"
    tap_node(app, 1, 2)
    assert app.diagram.selected_neuron == (1, 2)
    assert "probability of class 2" in out.caption.object
    assert list(out.mapper.palette) == theme.PALETTE          # a −1..+1 picture now
    want = network.neuron_heatmap(run, 1, 2)
    np.testing.assert_allclose((want + 1) / 2, run.class_probability_grid(2), atol=1e-5)
    tap_node(app, 1, 2)                                  # again: back to the prediction
    assert app.diagram.selected_neuron is None
    assert list(out.mapper.palette) == theme.CLASS_PALETTE
    # a hand-set weight of an output unit goes where it belongs
    network.set_weight(run, 1, 0, 3, 0.25)
    assert float(run.state.params["W_out"][0, 3]) == np.float32(0.25)
    network.set_bias(run, 1, 3, -0.5)
    assert float(run.state.params["b_out"][3]) == np.float32(-0.5)
    app.refresh()
    # back to two classes: the 2 × 2 matrix, blue and orange
    run.dataset = "xor"
    run.train(2)
    app.refresh()
    assert len(conf.source.data["count"]) == 4 and list(out.mapper.palette) == theme.PALETTE
    assert list(out.point_mapper.palette) == theme.PALETTE
    assert app.diagram.layout["sizes"][-1] == 1


def test_the_problem_menu_shows_its_data_sets_and_picks_the_first():
    app = build()
    data = app.data
    shown = lambda: [n for box in data.tile_boxes.values() if box.visible
                     for n, tile in data._tiles.items() if tile in box.objects]
    assert shown() == list(datasets.CLASSIFICATION)
    data.problem.value = "regression"
    assert app.run.dataset == "plane" and shown() == list(datasets.REGRESSION)
    data._tiles["sine"].clicks += 1
    assert app.run.dataset == "sine" and app.run.problem == "regression"
    app.run.dataset = "spiral3"                       # a data set implies its problem
    assert data.problem.value == "classification" and "spiral3" in shown()
    assert data.problem.description == app.run.param.problem.doc


def test_the_softmax_lesson_and_k_class_own_points():
    app = build("?preset=softmax")
    run = app.run
    assert PRESETS["softmax"].title == "Softmax: one neuron per class"
    assert run.dataset == "blobs4" and run.hidden == [] and run.arch.units == 4
    run.tier = "exact"
    run.train(50)
    assert run.metrics()["test_accuracy"] >= 0.95
    own = app.own_data
    app.refresh()
    assert own.class_row.visible and own.class_slider.end == 3
    assert list(own.mode.options) == ["Add a point of the class below", "Erase"]
    own.klass = 3
    own.click(1.0, 2.0)
    assert run.dataset == "own" and run.y_train[-1] == 3.0 and run.classes == 4
    app.refresh()
    assert len(app.confusion.source.data["count"]) == 16
    app.data._tiles["xor"].clicks += 1                     # two classes: blue and orange again
    app.refresh()
    assert not own.class_row.visible and own.mode.value == "blue"
    assert list(own.mode.options) == ["Add blue (+1)", "Add orange (−1)", "Erase"]
    assert not own.value_row.visible                       # a value is for regression only
    own.mode.value = "orange"
    app.data._tiles["plane"].clicks += 1                   # regression: points of a value
    app.refresh()
    assert own.value_row.visible and not own.class_row.visible
    assert list(own.mode.options) == ["Add a point of the value below", "Erase"]
    assert own.mode.value == "blue"
    own.value = -0.3
    own.click(1.0, 2.0)
    assert run.dataset == "own" and run.y_train[-1] == pytest.approx(-0.3)


def test_parallel_copies_of_a_k_class_run_are_drawn_in_class_colours():
    from playground.state.run import Run
    from playground.ui.descent_lab import ParallelView

    run = Run(dataset="blobs3", hidden=[4])
    view = ParallelView(run)
    assert pn.panel(view).get_root() is not None
    view.sweep.copies = 2
    view.sweep.train(3)
    view._touch()
    view.tick()
    mapper = view.mapper
    assert list(mapper.palette) == list(theme.CLASS_COLOURS[:3])
    picture = np.asarray(view.pictures.data["image"][0])
    assert set(np.unique(picture)) <= {0.0, 1.0, 2.0}
    run.dataset = "xor"                                     # two classes: the −1..+1 scale
    view.sweep.train(1)
    view._touch()
    view.tick()
    assert list(mapper.palette) == theme.PALETTE
