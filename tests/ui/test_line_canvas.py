"""The loss and accuracy curves on canvases of their own: data, options, legend, axes and
page wiring."""
import panel as pn
from bokeh.document import Document
from bokeh.models import ColumnDataSource

from playground.ui.line_canvas import LineCanvas, legend_html
from playground.ui.loss_panel import LossCurve


def _canvas(**kw):
    source = ColumnDataSource({"epoch": [0, 1], "a": [1.0, 0.5], "b": [2.0, 1.0]})
    return source, LineCanvas(source, "epoch", [("a", "#e45756", "test"), ("b", "#333333", "train")],
                              width=300, height=90, css_class="pg-x", label="The loss.",
                              filename="x.png", **kw)


def test_every_change_of_the_data_draws_the_lines_again():
    source, curve = _canvas()
    draws = {event: [cb.code for cb in source.js_property_callbacks.get(event, [])]
             for event in ("change:data", "streaming")}
    # a reset sets the data, a frame streams the new epochs: both redraw
    assert all(draws.values()), draws
    args = source.js_property_callbacks["streaming"][0].args
    assert args["x_key"] == "epoch" and [line[0] for line in args["lines"]] == ["a", "b"]
    assert curve.options.js_property_callbacks["change:data"]


def test_the_log_scale_is_an_option_the_browser_draws_with():
    _, curve = _canvas()
    assert not curve.log and curve.options.data["log"] == [0]
    curve.log = True
    assert curve.log and curve.options.data["log"] == [1]
    curve.log = False
    assert curve.options.data["log"] == [0]


def test_the_legend_names_each_line_in_its_colour_and_escapes_labels():
    text = legend_html([("a", "#e45756", "test"), ("b", "#333333", "<b>train</b>")])
    assert text.index("#e45756") < text.index("test") < text.index("#333333")
    assert "<b>" not in text and "&lt;b&gt;train" in text


def test_the_curve_is_a_labelled_picture_whose_sources_travel_with_the_page():
    from playground import Run
    loss = LossCurve(Run())
    host = loss.curve.host
    assert loss.pane.object is host and "pg-loss-plot" in host.css_classes
    # the canvas is the picture (role "img"), named by the label; the Div holds a button
    assert loss.curve.label and loss.source.js_property_callbacks["streaming"][0].args[
        "label"] == loss.curve.label
    doc = Document()
    doc.add_root(pn.panel(loss).get_root(doc))
    assert loss.source.document is doc and loss.curve.options.document is doc


def test_a_plain_curve_has_a_legend_no_axes_and_a_range_fitted_to_the_data():
    source, _ = _canvas()
    args = source.js_property_callbacks["streaming"][0].args
    assert args["axes"] is None and args["y_range"] is None
    assert "test" in args["legend_html"] and "train" in args["legend_html"]


def test_the_accuracy_curve_has_axes_a_fixed_range_and_no_legend_over_its_lines():
    from playground import Run
    loss = LossCurve(Run())
    args = loss.acc_source.js_property_callbacks["streaming"][0].args
    assert args["axes"] == ["epoch", "accuracy", True]      # y in percent
    assert args["y_range"] == [0.0, 1.02]
    assert args["legend_html"] == ""          # the loss curve's legend names the lines
    assert [line[0] for line in args["lines"]] == ["test_accuracy", "train_accuracy"]
    assert "pg-accuracy-plot" in loss.acc_curve.host.css_classes
    assert loss.acc_pane.object is loss.acc_curve.host
    # no Bokeh figure (whose axes were measured again at every redraw) is left
    doc = Document()
    doc.add_root(pn.panel(loss).get_root(doc))
    from bokeh.models import Plot
    assert not [m for m in doc.models if isinstance(m, Plot)]
    assert loss.acc_source.document is doc
