"""The page's head script (``playground/ui/page_script.py``) in Chromium: it answers
BokehJS's reads of ``--bk-…`` variables with "" where BokehJS has the method as expected,
and changes nothing where it does not (another BokehJS): the plain way is BokehJS's own.
The served page, both ways: ``tests/browser/test_wire_path.py``."""
from __future__ import annotations

import pytest

from playground.ui import page_script

pytestmark = pytest.mark.browser



def _cases(cls: str, method: str, another: str) -> dict:
    """A stand-in for BokehJS's module system, the class C standing for ``cls``: (what
    require gives or throws, the method's text), as expected and three ways not."""
    return {"as expected": (f"{{{cls}: C}}", method),
            "no such module": ("(() => { throw new Error('no module'); })()", method),
            "no such class": ("{}", method),
            "another method": (f"{{{cls}: C}}", another)}


CASES = _cases(page_script.BOKEH_CLASS, "_get_css_value(name) { return 'red'; }",
               "_get_css_value(name, el) { return 'red'; }")


def _stand_in(browser, module: str, body: str, require: str, probe: str):
    """The page's script run over a stand-in BokehJS whose ``require(module)`` gives (or
    throws) ``require``, the class C having ``body``; returns what ``probe`` evaluates to."""
    context = browser.new_context()
    pg = context.new_page()
    pg.set_content("<html><body></body></html>")
    pg.evaluate(f"""() => {{
      class C {{ {body} }}
      window.Bokeh = {{require: name => name === {module!r} ? {require} : {{}}}};
      window.C = C;
    }}""")
    pg.add_script_tag(content=page_script.script())
    got = pg.evaluate(probe)
    context.close()
    return got


def _run(browser, require, method):
    return _stand_in(browser, page_script.BOKEH_MODULE, method, require,
                     f"""() => [window[{page_script.MARK!r}],
                                new window.C()._get_css_value("line-color")]""")


@pytest.mark.parametrize("case", list(CASES))
def test_the_script_answers_only_where_bokehjs_is_as_expected(browser, case):
    mark, value = _run(browser, *CASES[case])
    if case == "as expected":
        assert (mark, value) == ("skipped", "")
    else:
        assert (mark, value) == ("bokeh", "red")        # BokehJS's own, untouched


def test_the_script_changes_nothing_without_bokehjs(browser):
    context = browser.new_context()
    pg = context.new_page()
    pg.set_content("<html><body></body></html>")
    pg.add_script_tag(content=page_script.script())
    assert pg.evaluate(f"() => window[{page_script.MARK!r}]") == "bokeh"
    context.close()


# the tooltips' part: a stand-in TooltipView whose placing counts its calls
TIP_CASES = _cases(page_script.TIP_CLASS, "_reposition() { this.placed += 1; }",
                   "_reposition(how) { this.placed += 1; }")


def _run_tips(browser, require, method):
    body = ("constructor(rendered, visible) { this.placed = 0; this._has_rendered = rendered;"
            " this.model = {visible}; } " + method)
    return _stand_in(browser, page_script.TIP_MODULE, body, require, f"""() => {{
      const placed = (rendered, visible) => {{
        const t = new window.C(rendered, visible); t._reposition(); return t.placed; }};
      return [window[{page_script.TIP_MARK!r}],
              [placed(false, false), placed(false, true), placed(true, false),
               placed(undefined, false)]];
    }}""")


@pytest.mark.parametrize("case", list(TIP_CASES))
def test_a_tooltip_never_shown_is_placed_only_once_it_shows(browser, case):
    """Placed: never shown and hidden, never shown and showing, shown before and hidden,
    and a view without BokehJS's ``_has_rendered`` (another BokehJS)."""
    mark, placed = _run_tips(browser, *TIP_CASES[case])
    if case == "as expected":
        assert (mark, placed) == ("when shown", [0, 1, 1, 1])
    else:
        assert (mark, placed) == ("bokeh", [1, 1, 1, 1])    # BokehJS's own, untouched


# the hidden tabs' part: a stand-in LayoutDOMView (C) over its base class (B), each counting
# its update_bbox calls; the element's inline style says whether it is a hidden tab's box
BOX_BASE = "class B { update_bbox() { this.own += 1; return true; } }"
BOX_CASES = {
    "as expected": (f"{{{page_script.BOX_CLASS}: C}}",
                    "update_bbox() { this.walked += 1; return false; }"),
    "no such module": ("(() => { throw new Error('no module'); })()",
                       "update_bbox() { this.walked += 1; return false; }"),
    "no such class": ("{}", "update_bbox() { this.walked += 1; return false; }"),
    "another method": (f"{{{page_script.BOX_CLASS}: C}}",
                       "update_bbox(how) { this.walked += 1; return false; }"),
}


def _run_boxes(browser, require, method):
    context = browser.new_context()
    pg = context.new_page()
    pg.set_content("<html><body></body></html>")
    pg.evaluate(f"""() => {{
      {BOX_BASE}
      class C extends B {{
        constructor(visibility) {{ super(); this.own = 0; this.walked = 0;
          this.el = {{style: {{contentVisibility: visibility}}}};
          this.layout = {{visible: null}}; this.is_displayed = visibility !== "hidden"; }}
        {method}
      }}
      window.Bokeh = {{require: name =>
        name === {page_script.BOX_MODULE!r} ? {require} : {{}}}};
      window.C = C;
    }}""")
    pg.add_script_tag(content=page_script.script())
    got = pg.evaluate(f"""() => {{
      const measured = (visibility) => {{
        const v = new window.C(visibility); const changed = v.update_bbox();
        return [v.walked, v.own, changed, v.layout.visible]; }};
      return [window[{page_script.BOX_MARK!r}], measured("hidden"), measured(""),
              measured("visible")];
    }}""")
    context.close()
    return got


@pytest.mark.parametrize("case", list(BOX_CASES))
def test_a_hidden_tabs_box_measures_only_itself(browser, case):
    """[walked its views, measured itself, changed, its layout's visible] for a hidden
    tab's box, then two boxes shown: a hidden box measures itself (its base class's
    update_bbox) and none of its views; the others walk as BokehJS does."""
    mark, hidden, shown, visible = _run_boxes(browser, *BOX_CASES[case])
    if case == "as expected":
        assert mark == "shown only"
        assert hidden == [0, 1, True, False]
    else:
        assert mark == "bokeh"                          # BokehJS's own, untouched
        assert hidden == [1, 0, False, None]
    assert shown == visible == [1, 0, False, None]
