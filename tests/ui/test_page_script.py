"""The page's head script that answers BokehJS's reads of ``--bk-…`` CSS variables without
a style recalculation (``playground/ui/page_script.py``): it is exact only because nothing
on the page defines such a variable, which these tests check for the page, every lab, and
Bokeh's and Panel's own style sheets. (The script's guard, in Chromium:
``tests/browser/test_page_script.py``; the served page's, both ways:
``tests/browser/test_wire_path.py``.)"""
from __future__ import annotations

import re
from pathlib import Path

import bokeh
import panel as pn
import pytest
from bokeh.document import Document
from bokeh.embed.bundle import URL, Bundle
from bokeh.embed.elements import html_page_for_render_items
from bokeh.models import ImportedStyleSheet, InlineStyleSheet, UIElement

from playground.ui import PlaygroundApp, page_script
from tests.support import page_and_labs

DEFINES = re.compile(r"--bk-[A-Za-z0-9_-]")      # a --bk-… name (not the prefix alone)
BOKEH_STATIC = Path(bokeh.__file__).parent / "server" / "static"
PANEL_DIST = Path(pn.__file__).parent / "dist"


def _texts(model) -> list[str]:
    """The style texts a component brings: its style sheets (inline, or Panel's files it
    imports) and its inline styles."""
    out = []
    for sheet in getattr(model, "stylesheets", None) or []:
        if isinstance(sheet, InlineStyleSheet):
            out.append(sheet.css)
        elif isinstance(sheet, ImportedStyleSheet):
            out.append(_local(sheet.url))
        elif isinstance(sheet, str):
            out.append(_local(sheet) if sheet.endswith(".css") else sheet)
    out.append(" ".join(f"{k}: {v}" for k, v in (getattr(model, "styles", None) or {}).items()))
    return out


def _local(url: str) -> str:
    """A style sheet's text: Panel's files, which a served page has from its server (and a
    page made outside one names on Panel's CDN)."""
    path = url.split("?")[0]
    for prefix in ("static/extensions/panel/", f"https://cdn.holoviz.org/panel/"
                                               f"{pn.__version__}/dist/"):
        if prefix in path:
            return (PANEL_DIST / path.split(prefix, 1)[1]).read_text(errors="replace")
    raise AssertionError(f"a style sheet from elsewhere: {url}")


@pytest.fixture(scope="module")
def whole():
    """The playground page and each of its labs, as Bokeh models."""
    app = PlaygroundApp()
    docs = page_and_labs(app)
    app.stop()
    return docs


def test_nothing_on_the_page_or_in_a_lab_defines_a_bokeh_css_variable(whole):
    found = {}
    for name, doc in whole.items():
        models = [m for m in doc.models if isinstance(m, UIElement)]
        assert len(models) > 20, name
        for model in models:
            for text in _texts(model):
                if DEFINES.search(text):
                    found.setdefault(name, []).append((type(model).__name__, text[:80]))
    for text in pn.config.raw_css:
        if DEFINES.search(text):
            found.setdefault("raw_css", []).append(text[:80])
    assert not found


def test_neither_bokeh_nor_panel_defines_one():
    """Their scripts (which carry their components' styles) and Panel's style sheets: the
    only ``--bk-`` is BokehJS's own read of the variables, a name made at run time."""
    scripts = sorted(BOKEH_STATIC.glob("js/bokeh*.min.js")) + [PANEL_DIST / "panel.min.js"]
    sheets = sorted(PANEL_DIST.rglob("*.css"))
    assert len(scripts) >= 5 and len(sheets) > 20
    assert not [p.name for p in scripts + sheets
                if DEFINES.search(p.read_text(errors="replace"))]
    reads = (BOKEH_STATIC / "js" / "bokeh.min.js").read_text().count("--bk-${")
    assert reads == 1


def test_the_script_goes_at_the_end_of_the_head_after_bokehs_scripts():
    bundle = Bundle([URL("static/js/bokeh.min.js?v=1")], [], [], [], {})
    page = html_page_for_render_items(bundle, {}, [], "Neural Network Playground",
                                      template=page_script.template(),
                                      template_variables={"dist_url": "static/"})
    script = page_script.script()
    assert script in page
    assert page.index('src="static/js/bokeh.min.js?v=1"') < page.index(script) < page.index(
        "</head>")
    for name in (page_script.BOKEH_MODULE, page_script.BOKEH_CLASS,
                 page_script.BOKEH_METHOD, page_script.MARK, page_script.TIP_MODULE,
                 page_script.TIP_CLASS, page_script.TIP_METHOD, page_script.TIP_MARK,
                 page_script.BOX_MODULE, page_script.BOX_CLASS, page_script.BOX_MARK):
        assert f'"{name}"' in script
    assert "<title>Neural Network Playground</title>" in page       # Panel's page, as before


def test_the_script_is_left_out_with_bokehs_own_ways(monkeypatch):
    from types import SimpleNamespace
    doc = SimpleNamespace(template=None)
    monkeypatch.setenv("PLAYGROUND_WIRE", "bokeh")
    assert not page_script.use(doc) and doc.template is None
    monkeypatch.setenv("PLAYGROUND_WIRE", "fast")
    assert page_script.use(doc) and doc.template is page_script.template()
    Document().template = doc.template                  # one a Bokeh document takes
