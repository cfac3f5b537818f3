"""The big plot's picture on its own canvas: colour table, codes, and the figure over it."""
import numpy as np
import panel as pn
from bokeh.document import Document
from bokeh.plotting import figure

from playground.state.run import DOMAIN, GRID_RES
from playground.ui import theme
from playground.ui.heat_canvas import HeatCanvas, palette_table


def _bokeh_colour(code: int, palette: list) -> str:
    """What Bokeh's LinearColorMapper(low=0, high=255) gives for one code (its rule:
    the code's share of the range, times the palette's length, the last for the top)."""
    n = len(palette)
    return palette[min(int(code / 255 * n), n - 1)]


def test_the_colour_table_maps_codes_as_bokeh_did():
    for palette in (theme.PALETTE, theme.PALETTES["standard"].discrete,
                    theme.CLASS_PALETTE, theme.PALETTES["okabe_ito"].class_discrete):
        table = np.frombuffer(palette_table(palette), np.uint8).reshape(256, 4)
        for code in range(256):
            want = theme.rgb(_bokeh_colour(code, palette))
            assert tuple(int(v) for v in table[code, :3]) == tuple(want), (code, palette[:2])
        assert (table[:, 3] == 255).all()


def test_codes_travel_as_one_byte_array_and_read_back():
    canvas = HeatCanvas()
    codes = (np.arange(GRID_RES * GRID_RES) % 256).reshape(GRID_RES, GRID_RES)
    canvas.show(codes)
    sent = canvas.source.data["codes"][0]
    assert sent.dtype == np.uint8 and sent.shape == (GRID_RES, GRID_RES)
    np.testing.assert_array_equal(canvas.shown(), codes)
    canvas.palette = palette_table(theme.PALETTE)
    assert len(canvas.colours.data["rgba"][0]) == 1024
    args = canvas.source.js_property_callbacks["change:data"][0].args
    assert args["ticks"][0] == DOMAIN[0] and args["ticks"][-1] == DOMAIN[1]


def test_the_figure_lies_over_the_canvas_with_room_for_the_ticks():
    f = figure(width=100, height=100, css_classes=["pg-output-plot"])
    canvas = HeatCanvas()
    stack = canvas.stack(f)
    assert stack[0].object is canvas.host and stack[1].object is f   # the canvas first
    assert "position: relative" in f.stylesheets[-1]
    top, right, bottom, left = f.margin
    assert left > 0 and bottom > 0 and right > 0
    doc = Document()
    root = pn.panel(stack).get_root(doc)
    doc.add_root(root)
    # the picture's sources travel with the page (else their changes stay on the server)
    assert canvas.source.document is doc and canvas.colours.document is doc
