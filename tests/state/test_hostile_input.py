"""Property-based hardening: every URL parameter and every setting of the run is fed
extreme, wrong-typed and hostile values. Nothing may escape but a ValueError/TypeError
whose message names what was wrong; a link never fails to open; an upload never crashes."""
from __future__ import annotations

import math

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from playground.state import urlstate  # noqa: E402
from playground.ui.links import PAGE, TABS  # noqa: E402
from playground.state.run import Run  # noqa: E402
from playground.state.userdata import parse_csv  # noqa: E402

# derandomize: CI runs the same (generated) examples every time, so a red run is
# reproducible; run with --hypothesis-seed=random locally to explore further.
FAST = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

HOSTILE_TEXT = st.sampled_from([
    "", " ", "nan", "-nan", "inf", "-inf", "1e309", "-1e309", "0x10", "1_000", "١٢", "١",
    "<script>alert(1)</script>", "'; DROP TABLE runs; --", "../../etc/passwd", "%00", "\x00",
    "__import__('os').system('id')", "9" * 500, "-1", "0", "1e-320", "[1,2]", "{}", "None",
    "true", "relu,relu,relu,relu,relu,relu,relu,relu,relu", "16,16,16,16,16,16,16,16,16",
    "0,0", "17", "-3,4", "4,,2", "٣,٤"])
ANY_TEXT = st.one_of(HOSTILE_TEXT, st.text(max_size=60))
KEYS = st.one_of(st.sampled_from(list(urlstate.TABLE) + ["preset", "hide", "tab", "play",
                                                          "projector"]),
                 st.text(max_size=20))
HOSTILE_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True), ANY_TEXT,
    st.lists(st.integers(min_value=-100, max_value=100), max_size=12),
    st.lists(ANY_TEXT, max_size=10), st.dictionaries(st.text(max_size=5), st.integers(),
                                                     max_size=3))


@pytest.fixture(scope="module")
def run():
    return Run()


@FAST
@given(st.dictionaries(KEYS, st.one_of(ANY_TEXT, st.lists(ANY_TEXT, max_size=3)), max_size=8))
def test_any_link_opens(query):
    settings_, view, notices = urlstate.from_query(query, PAGE)
    assert all(isinstance(n, str) and n for n in notices)
    r = Run()
    more = urlstate.apply(r, settings_)           # never raises
    assert all(isinstance(n, str) for n in more)
    assert view.tab in ("",) + TABS
    # and the page's own link for the result parses back without a notice
    again, _, notices2 = urlstate.from_query(urlstate.to_search(r.settings(), page=PAGE), PAGE)
    assert notices2 == [], notices2


@FAST
@given(name=st.sampled_from(Run.setting_names()), value=HOSTILE_VALUES)
def test_every_setting_accepts_or_explains(run, name, value):
    before = run.settings()
    try:
        setattr(run, name, value)
    except (ValueError, TypeError) as exc:
        text = str(exc)
        echoed = len(repr(value))                   # the message may quote the bad value
        assert text and len(text) < 600 + echoed, text
        assert name in text or name.replace("_", " ") in text, (name, text)
        assert run.settings() == before                     # nothing half-applied
    else:
        m = run.metrics()                                   # still computes
        assert all(not isinstance(v, float) or not math.isnan(v) or k.endswith("loss")
                   for k, v in m.items())
    finally:
        urlstate.apply(run, {})                             # back to the defaults


@FAST
@given(st.one_of(st.binary(max_size=2000),
                 st.text(max_size=800).map(lambda t: t.encode("utf-8", "replace")),
                 st.lists(st.tuples(ANY_TEXT, ANY_TEXT, ANY_TEXT), max_size=30).map(
                     lambda rows: ("x1,x2,label\n" + "\n".join(",".join(r) for r in rows))
                     .encode("utf-8", "replace"))))
def test_any_upload_is_parsed_or_rejected_with_a_reason(data):
    try:
        out = parse_csv(data)
    except ValueError as exc:
        assert str(exc)
    else:
        assert isinstance(out, dict)
