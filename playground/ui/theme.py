"""Colours, palettes and page styles shared by every Viewer (no computation)."""
from __future__ import annotations

import weakref
from typing import NamedTuple

ORANGE = "#f59322"   # label -1
BLUE = "#0877bd"     # label +1
MIDDLE = "#e8eaeb"
TRAIN_COLOR = "#333333"
TEST_COLOR = "#e45756"
BLUE_LIGHT = "#cfe4f3"
ORANGE_LIGHT = "#fde3c4"
WRONG = "#f4c7c3"
HIGHLIGHT = "#111111"


def rgb(c: str) -> tuple:
    """"#rrggbb" -> (r, g, b), each 0..255."""
    return tuple(int(c[i:i + 2], 16) for i in (1, 3, 5))


def blend(a: str, b: str, t: float) -> str:
    """The colour a fraction t of the way from colour a to colour b ("#rrggbb")."""
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(rgb(a), rgb(b)))


def diverging_palette(n: int = 256, negative: str = ORANGE, positive: str = BLUE) -> list[str]:
    """Orange (-1) -> light grey (0) -> blue (+1), n colours."""
    half = n // 2
    return ([blend(negative, MIDDLE, i / half) for i in range(half)]
            + [blend(MIDDLE, positive, i / (n - half - 1)) for i in range(n - half)])


PALETTE = diverging_palette()

# K classes (labels 0..K-1): blue and orange first, as for two classes, then three colours
# of the Okabe-Ito set (told apart with the common forms of colour blindness).
CLASS_COLOURS = (BLUE, ORANGE, "#009e73", "#cc79a7", "#e6c300")
CONFIDENCE_LEVELS = 51       # colour codes per class (engine.mlp.CONFIDENCE_LEVELS)


def class_palette(discrete: bool = False, classes: tuple = CLASS_COLOURS) -> list[str]:
    """256 colours for K-class colour codes (code = class · CONFIDENCE_LEVELS + level):
    each class's colour from pale (equal odds) to full (certain); discrete: full colour
    for every level."""
    out = []
    for colour in classes:
        for level in range(CONFIDENCE_LEVELS):
            t = 1.0 if discrete else 0.12 + 0.88 * level / (CONFIDENCE_LEVELS - 1)
            out.append(blend(MIDDLE, colour, t))
    return (out + [MIDDLE] * 256)[:256]


CLASS_PALETTE = class_palette()
CLASS_DISCRETE_PALETTE = class_palette(discrete=True)


class Colours(NamedTuple):
    """One palette of the page (``state.display.PALETTES``): the two-class colours, the K
    class colours and the point shape of each class, and the heatmaps' palettes made from
    them."""
    negative: str            # label −1
    positive: str            # label +1
    classes: tuple           # class 0..K−1 (class 0 is the positive colour)
    markers: tuple           # the points' shape per class (for two classes: +1, −1)
    scale: list              # −1..+1, 256 colours
    discrete: list           # the sign only
    class_scale: list        # K-class colour codes (class_palette)
    class_discrete: list


def colours(negative: str, positive: str, classes: tuple, markers: tuple) -> Colours:
    """A palette from its colours (the heatmaps' palettes follow from them)."""
    two = diverging_palette(negative=negative, positive=positive)
    return Colours(negative, positive, classes, markers, two, [negative, positive],
                   class_palette(classes=classes),
                   class_palette(discrete=True, classes=classes))


# the colour-blind-safe palette: Okabe and Ito's colours (told apart with every common
# form of colour blindness, and in lightness) and a shape per class, so colour is never
# the only cue (WCAG 1.4.1)
OKABE_ITO = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00")
PALETTES = {
    "standard": colours(ORANGE, BLUE, CLASS_COLOURS, ("circle",) * len(CLASS_COLOURS)),
    "okabe_ito": colours(OKABE_ITO[1], OKABE_ITO[0], OKABE_ITO,
                         ("circle", "triangle", "square", "diamond", "inverted_triangle")),
}

TAGLINE = "Train small neural networks live: from one neuron to the whole network."

PAGE_CSS = """
:root { --pg-accent: #0877bd; }
body { background: #f7f7f7; }
.pg-header { background: #183d4e; color: #fff; padding: 5px 14px; border-radius: 4px;
  display: flex; align-items: baseline; gap: 14px; flex-wrap: wrap; }
.pg-header h1 { font-size: 19px; margin: 0; font-weight: 500; white-space: nowrap; }
.pg-tagline { font-size: 13px; opacity: 0.9; flex: 1 1 auto; }
.pg-device { font-size: 12px; opacity: 0.8; white-space: nowrap; }
.pg-section-title { font-size: 12px; letter-spacing: 0.08em; text-transform: uppercase;
  color: #555; font-weight: 600; margin: 2px 0 2px 0; white-space: nowrap; }
.pg-epoch { font-size: 26px; font-family: monospace; color: #333; line-height: 1.1; }
.pg-epoch small { font-size: 12px; color: #666; display: block; font-family: sans-serif; }
.pg-readout { font-size: 13px; color: #333; }
.pg-readout b { font-family: monospace; }
.pg-layer-label { text-align: center; font-size: 12px; white-space: nowrap; }
.pg-live-rate { font-size: 11px; color: #0b4f7a; white-space: nowrap; }
.pg-caption { font-size: 12px; color: #555; font-style: italic; }
.pg-scale { display: grid; grid-template-columns: 1fr 1fr 1fr; font-size: 11px; color: #555;
  max-width: 240px; }
.pg-scale-bar { grid-column: 1 / 4; height: 8px; border-radius: 2px; }
.pg-scale span:nth-child(3) { text-align: center; }
.pg-scale span:nth-child(4) { text-align: right; }
.pg-status, .pg-lab-loading { font-size: 13px; padding: 2px 10px; border-radius: 4px;
  line-height: 1.35; min-height: 18px; overflow-wrap: anywhere; }
.pg-status-hint { color: #666; }
.pg-status-info { background: #e3f2fd; color: #0b4f7a; }
.pg-status-warning { background: #fff4e5; color: #8a5300; }
.pg-status-danger { background: #fdecea; color: #9b1c1c; font-weight: 600; }
.pg-try { font-size: 13px; background: #fffbe6; border-left: 3px solid #f5b700;
  padding: 6px 8px; border-radius: 3px; }
.pg-card { background: #fff; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
.pg-tab-intro { font-size: 13px; color: #333; background: #eef5fa; border-left: 3px solid
  #0877bd; padding: 3px 10px; border-radius: 3px; margin: 2px 0; line-height: 1.35; }
.pg-explain { font-size: 13px; color: #444; margin: 2px 0 6px 0; max-width: 900px; }
.pg-note { font-size: 12px; color: #555; margin: 6px 0; }
.pg-table { border-collapse: collapse; font-size: 12px; font-family: monospace; }
.pg-table th { background: #f0f0f0; font-family: sans-serif; font-weight: 600;
  padding: 2px 6px; border-bottom: 1px solid #ccc; }
.pg-table td { padding: 2px 6px; border-bottom: 1px solid #eee; text-align: right; }
.pg-row-current td { background: #fff2c6; font-weight: 700; }
.pg-lamp-on b, .pg-lamp-off b { display: inline-block; width: 26px; text-align: center;
  border-radius: 13px; color: #fff; font-size: 16px; }
.pg-lamp-on b { background: #0877bd; }
.pg-lamp-off b { background: #6e6e6e; }
"""

TABS_CSS = """
.bk-tab { font-size: 14px; padding: 4px 14px; color: #444; }
.bk-tab.bk-active { color: #0877bd; font-weight: 600; border-top: 3px solid #0877bd; }
"""

PROJECTOR_CSS = """
.pg-header h1 { font-size: 24px; }
.pg-tab-intro, .pg-try, .pg-status { font-size: 15px; }
.pg-readout { font-size: 14px; }
.pg-epoch { font-size: 34px; }
.pg-section-title { font-size: 14px; }
"""


# Bokeh's checkbox writes its label as a plain <div> beside the box, so clicking the words did
# nothing. The box itself (invisible) is stretched over the whole widget, and a drawn box in
# front of the words shows its state: a click anywhere on the words toggles it.
CHECKBOX_CSS = """
:host { position: relative; cursor: pointer; }
input[type="checkbox"] { position: absolute; inset: 0; width: 100%; height: 100%; margin: 0;
  opacity: 0; cursor: pointer; z-index: 1; }
input[type="checkbox"] + div { display: flex; align-items: center; }
input[type="checkbox"] + div::before { content: ""; flex: 0 0 auto; width: 13px; height: 13px;
  margin-right: 6px; border: 1px solid #767676; border-radius: 3px; background: #fff;
  color: #fff; font-size: 11px; line-height: 13px; text-align: center; }
input[type="checkbox"]:checked + div::before { content: "✓"; background: #0877bd;
  border-color: #0877bd; }
input[type="checkbox"]:focus-visible + div::before { outline: 2px solid #0877bd;
  outline-offset: 1px; }
input[type="checkbox"]:disabled + div { opacity: 0.5; }
"""


def checkbox(parameter, label: str):
    """A checkbox for a boolean parameter whose words can be clicked too."""
    import panel as pn
    return pn.widgets.Checkbox.from_param(parameter, label=label, stylesheets=[CHECKBOX_CSS])


def fit_ranges_to_data(fig):
    """Axes that end where the data end: an image of a loss surface fills its plot, with no
    white band inside the axes (Bokeh pads its automatic ranges by a tenth)."""
    fig.x_range.range_padding = fig.y_range.range_padding = 0
    return fig


def browser_ranges(fig):
    """Automatic axes that the browser fits to the data and keeps to itself. Bokeh's
    browser sends every new start and end of such a range back to the server (the loss
    curve's two ranges, 20 times a second each while training), and the server decodes
    each message against every model of the page and answers it; nothing on the server
    reads them. Ranges the server sets still reach the browser."""
    from bokeh.models import DataRange1d
    for r in (fig.x_range, fig.y_range):
        if isinstance(r, DataRange1d):
            r.syncable = False
    return fig


def add_save_button(fig, filename: str):
    """A toolbar (shown while the pointer is over the plot) whose button saves it as PNG,
    rendered by the browser itself."""
    from bokeh.models import SaveTool
    fig.add_tools(SaveTool(filename=filename))
    fig.toolbar_location = "right"
    fig.toolbar.autohide = True
    fig.toolbar.logo = None
    return fig


# the style sheets a document's models share, one model per text (weakly: a closed page's go)
_SHARED_SHEETS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
SHARED_SHEET_CHARS = 200      # shorter style texts stay as they are (a reference costs ~60 B)


def share_sheets(doc, keep=()) -> int:
    """Each long style text on the models of ``doc`` (a Bokeh Document), sent once.

    Panel adds the texts of ``pn.config.raw_css`` (the page's styles, the focus rings) and
    its loading spinner's to *every* component's ``stylesheets``, so that they reach inside
    its shadow root; Bokeh sends each copy: 123 copies of 4.6 kB, 72 % of the playground's
    first message. Here each such text becomes one ``InlineStyleSheet`` model per document,
    which every component refers to; the browser still puts a ``<style>`` of it in each
    component, as it did for the text. Call it once the page's models are made, before
    its first message goes. Returns how many texts it replaced. A component whose styles
    Panel sets again later carries the texts again: more bytes, nothing wrong.

    ``keep``: models left as they are, namely those that Panel's Bokeh panes show as they
    are (Panel copies their properties back into the pane, whose style sheets must be
    texts)."""
    from bokeh.models import InlineStyleSheet, UIElement
    if doc is None:
        return 0
    sheets = _SHARED_SHEETS.setdefault(doc, {})
    kept = {id(m) for m in keep}
    todo = [m for m in doc.models if isinstance(m, UIElement) and id(m) not in kept and any(
        isinstance(s, str) and len(s) >= SHARED_SHEET_CHARS for s in m.stylesheets)]
    if not todo:
        return 0
    n = 0
    with doc.models.freeze():       # the document finds its new models once, at the end
        for model in todo:
            shared = []
            for s in model.stylesheets:
                if isinstance(s, str) and len(s) >= SHARED_SHEET_CHARS:
                    if s not in sheets:
                        sheets[s] = InlineStyleSheet(css=s)
                    s = sheets[s]
                    n += 1
                shared.append(s)
            model.stylesheets = shared
    return n


def lean_glyphs(plots) -> int:
    """Take out the two copies of each glyph that Bokeh's ``figure`` makes for every
    renderer (drawn when other points are selected, and when the renderer is muted) from
    plots that can neither select nor mute: the browser makes its own copies ("auto")
    either way, and the page's first message carries two models fewer per renderer (30 of
    the playground's 417). Plots with a selecting tool or a muting legend keep theirs.
    Returns how many copies were taken out."""
    from bokeh.models import Glyph, GlyphRenderer
    from bokeh.models.tools import SelectTool
    n = 0
    for plot in plots:
        if any(isinstance(t, SelectTool) for t in plot.toolbar.tools) or any(
                legend.click_policy == "mute" for legend in plot.legend):
            continue
        for r in plot.renderers:
            if not isinstance(r, GlyphRenderer):
                continue
            if isinstance(r.nonselection_glyph, Glyph):
                r.nonselection_glyph = "auto"
                n += 1
            if isinstance(r.muted_glyph, Glyph):
                r.muted_glyph = "auto"
                n += 1
    return n


# the chosen tile of a set of picture tiles: drawn by the inline styles of its element, not
# by the button's type or CSS classes (Bokeh lays the whole page out again when either
# changes: 25-240 ms a tile on a 2-core machine; new inline styles only restyle the tile).
# Panel's buttons take their fill and ink from these two variables.
CHOSEN_STYLES = {"--design-surface-color": "#0072b5", "--design-surface-text-color": "#fff",
                 "outline": f"3px solid {BLUE}"}
# ... and the others: the browser keeps an inline style until it is set to "" (removed)
UNCHOSEN_STYLES = {name: "" for name in CHOSEN_STYLES}


def thumb_button_css(data_uri: str) -> str:
    """Stylesheet that turns a Panel Button into a labelled picture tile (CHOSEN_STYLES
    draw it as the chosen one)."""
    return f"""
.bk-btn {{ background-image: url({data_uri}); background-repeat: no-repeat;
  background-position: center 3px; background-size: 40px 40px; height: 60px; width: 54px;
  padding: 44px 0 2px 0; font-size: 10px; letter-spacing: -0.2px; white-space: nowrap;
  overflow: visible; }}
"""
