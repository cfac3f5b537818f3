"""The page's head script (``playground/ui/page_script.py``) in Chromium: it answers
BokehJS's reads of ``--bk-…`` variables with "" where BokehJS has the method as expected,
and changes nothing where it does not (another BokehJS): the plain way is BokehJS's own.
The served page, both ways: ``tests/browser/test_wire_path.py``."""
from __future__ import annotations

import pytest

from playground.ui import page_script

pytestmark = pytest.mark.browser

# a stand-in for BokehJS's module system: (what require gives or throws, the method's text)
CASES = {
    "as expected": ("{VisualProperties: V}", "_get_css_value(name) { return 'red'; }"),
    "no such module": ("(() => { throw new Error('no module'); })()",
                       "_get_css_value(name) { return 'red'; }"),
    "no such class": ("{}", "_get_css_value(name) { return 'red'; }"),
    "another method": ("{VisualProperties: V}", "_get_css_value(name, el) { return 'red'; }"),
}


def _run(browser, require, method):
    context = browser.new_context()
    pg = context.new_page()
    pg.set_content("<html><body></body></html>")
    pg.evaluate(f"""() => {{
      class V {{ {method} }}
      window.Bokeh = {{require: name => name === {page_script.BOKEH_MODULE!r} ? {require} : {{}}}};
      window.V = V;
    }}""")
    pg.add_script_tag(content=page_script.script())
    got = pg.evaluate(f"""() => [window[{page_script.MARK!r}],
                                  new window.V()._get_css_value("line-color")]""")
    context.close()
    return got


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
