"""The warming-up page a server just started gives a browser (``playground/ui/warming.py``)."""
from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from playground.ui import warming

CHROMIUM_ACCEPT = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
                   "image/webp,image/apng,*/*;q=0.8")


def _doc(headers):
    request = None if headers is None else SimpleNamespace(headers=headers)
    return SimpleNamespace(session_context=SimpleNamespace(request=request))


@pytest.fixture
def fresh(monkeypatch):
    """The module's process-wide state, as in a server that has just started."""
    monkeypatch.setattr(warming, "MADE", threading.Event())
    monkeypatch.setattr(warming, "FAILED", threading.Event())
    monkeypatch.setattr(warming, "_background", None)
    return warming


def test_only_a_browsers_page_request_is_a_page_request():
    assert warming.browser_page_request(_doc({"Accept": CHROMIUM_ACCEPT}))
    # a Bokeh client opening its session with its websocket (the load test's sessions)
    assert not warming.browser_page_request(_doc({"Upgrade": "websocket",
                                                  "Accept": CHROMIUM_ACCEPT}))
    # a script's plain GET (urllib sends no Accept): it could not load the page again
    assert not warming.browser_page_request(_doc({"Accept-Encoding": "identity"}))
    assert not warming.browser_page_request(_doc(None))
    assert not warming.browser_page_request(SimpleNamespace(session_context=None))
    assert not warming.browser_page_request(None)


def test_a_browser_gets_the_warming_page_only_until_a_page_has_been_made(fresh):
    browser = _doc({"Accept": CHROMIUM_ACCEPT})
    assert fresh.cold_page_request(browser) and not fresh.ready()
    fresh.MADE.set()
    assert not fresh.cold_page_request(browser) and fresh.ready()


def test_a_made_page_sets_made(fresh):
    from playground.ui import PlaygroundApp
    assert not fresh.MADE.is_set()
    PlaygroundApp()
    assert fresh.MADE.is_set()


def test_the_page_loads_again_once_a_page_is_made_or_after_its_limit():
    now = [100.0]
    answer = [False]
    page = warming.WarmingPage(ready=lambda: answer[0], limit_s=60, clock=lambda: now[0])
    page.started = now[0]
    assert not page.check() and page.signal.text == ""
    now[0] += 10
    assert not page.check() and page.signal.text == ""
    answer[0] = True                                    # a page has been made
    assert page.check() and page.signal.text == "ready" and page.reloading
    # the browser runs the reload when the text changes (once)
    assert [cb.code for cb in page.signal.js_property_callbacks["change:text"]] == [
        warming.RELOAD_JS]

    late = warming.WarmingPage(ready=lambda: False, limit_s=60, clock=lambda: now[0])
    late.started = now[0]
    now[0] += 59
    assert not late.check()
    now[0] += 2                                         # never made: it loads again anyway
    assert late.check() and late.signal.text == "ready"


def test_the_page_says_what_is_happening():
    page = warming.WarmingPage(ready=lambda: False)
    text = page.message.object
    assert "Warming up" in text and 'role="status"' in text
    assert "first" in text and "by itself" in text


def test_the_set_up_in_the_background_runs_once_and_a_failure_lets_the_page_load_again(
        fresh, caplog):
    ran = []
    done = threading.Event()

    def setup():
        ran.append(threading.current_thread().name)
        done.wait(10)

    fresh.in_background(setup)
    fresh.in_background(setup)                          # once per process
    done.set()
    fresh.wait_for_background()
    assert ran == ["playground-setup"] and not fresh.FAILED.is_set()

    fresh._background = None                            # another process, whose set-up fails
    def broken():
        raise RuntimeError("no JAX here")
    with caplog.at_level("ERROR", logger="playground"):
        fresh.in_background(broken)
        fresh.wait_for_background()
    assert fresh.FAILED.is_set() and fresh.ready()
    assert "set-up in the background failed" in caplog.text
    # a browser's request then gets the page as before, where the error shows
    assert not fresh.cold_page_request(_doc({"Accept": CHROMIUM_ACCEPT}))


def test_a_page_waited_for_is_made_at_once_not_after_the_spares_delay():
    from playground.ui.parts import Spare
    spare = Spare(lambda: "page", delay_s=30.0)
    spare.prepare()                                     # the usual: in 30 s
    assert spare.future is None
    spare.prepare(delay_s=0.0)                          # a warming page waits: now
    deadline = time.monotonic() + 30
    while spare.future is None or not spare.future.done():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert spare.take() == "page"
    spare.cancel()


def test_the_warming_page_offers_the_main_choices_at_once_each_kept_in_the_link():
    """While the server warms up, the student can choose the data set, the hidden layers,
    the activation and the learning rate: each menu shows the link's value (a bad one:
    the default), has a tooltip, and its change goes into the page's link in the browser
    (the page that loads next opens with it)."""
    page = warming.WarmingPage(ready=lambda: False,
                               args={"dataset": [b"xor"], "learning_rate": [b"0.1"],
                                     "hidden": [b"99,99"]})
    menus = {m.label: m for m in page.choices}
    assert list(menus) == ["Data set", "Hidden layers", "Activation", "Learning rate"]
    assert menus["Data set"].value == "XOR" and menus["Learning rate"].value == "0.1"
    assert menus["Hidden layers"].value == "4, 2"          # not offered: the default
    assert menus["Activation"].value == "Tanh"
    assert all(m.description for m in menus.values())
    from bokeh.models import Select
    root = page.__panel__().get_root()
    found = {m.title: m for m in root.select({"type": Select})}
    assert set(found) == set(menus)
    for key, label, _, default, _ in warming.CHOICES:
        (cb,) = found[label].js_property_callbacks["change:value"]
        assert "replaceState" in cb.code and "reload" not in cb.code
        assert cb.args["key"] == key and cb.args["fallback"] == default
    cb = found["Data set"].js_property_callbacks["change:value"][0]
    assert cb.args["values"]["XOR"] == "xor" and cb.args["values"]["Multi-Gauss"] == "multigauss"


def test_the_warming_pages_choices_are_the_runs():
    """Every value the warming page offers is one the run accepts from a link."""
    from playground.state.run import LEARNING_RATES, Run
    from playground.state.urlstate import from_query
    from playground.ui.links import PAGE
    for key, _, words, default, _ in warming.CHOICES:
        assert default in words
        for value in words:
            settings, _, notices = from_query({key: [value]}, PAGE)
            assert not notices, (key, value, notices)
    assert set(warming.CHOICES[0][2]) == set(Run.param.dataset.objects) - {"own"}
    assert {float(v) for v in warming.CHOICES[3][2]} <= set(LEARNING_RATES)
