"""The warming-up page a server just started gives a browser (``playground/ui/warming.py``)."""
from __future__ import annotations

import threading
import time
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from bokeh.document import Document

from playground.ui import warming

CHROMIUM_ACCEPT = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
                   "image/webp,image/apng,*/*;q=0.8")


def _doc(headers, path="/app"):
    request = None if headers is None else SimpleNamespace(headers=headers, path=path)
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


def test_a_browsers_websocket_that_reached_a_cold_process_gets_the_page_not_warming(fresh):
    """With --num-procs, a browser's websocket can reach another process than the one that
    sent its page; that process makes the session, whose request is the websocket's with
    the page's own headers. The browser already has its page: it gets the page's document
    (made then), never the warming-up page (a blank page for good)."""
    ws = _doc({"Accept": CHROMIUM_ACCEPT}, path="/app/ws")
    assert not fresh.browser_page_request(ws) and not fresh.cold_page_request(ws)
    assert fresh.cold_page_request(_doc({"Accept": CHROMIUM_ACCEPT}, path="/app"))


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


def _probe(name):
    return _doc({"Accept": "*/*", warming.PROBE_HEADER: name})


def test_a_probe_is_told_to_wait_until_a_page_is_made(fresh):
    """A warming-up page's question (a request with PROBE_HEADER and the page's name) is
    answered "wait <ms>" until a page has been made, then "ready"; it is not a page
    request, and nothing is made for it."""
    probe = _probe("page1")
    assert fresh.probe_request(probe) == "page1"
    assert not fresh.browser_page_request(probe) and not fresh.cold_page_request(probe)
    assert fresh.probe_request(_doc({"Accept": CHROMIUM_ACCEPT})) is None
    assert fresh.probe_request(_doc(None)) is None
    assert fresh.probe_request(_probe("x" * 500)) == "x" * fresh.PROBE_NAME_CHARS
    probes = fresh.Probes(poll_ms=150, budget_per_s=10.0, clock=lambda: 5.0)
    assert fresh.probe_answer("page1", probes) == "wait 150"
    fresh.MADE.set()
    assert fresh.probe_answer("page1", probes) == fresh.PROBE_READY == "ready"


def test_a_probe_made_by_the_server_answers_just_the_word():
    """The answer is the whole page: the document's template renders to the word alone."""
    from bokeh.embed.bundle import Bundle
    from bokeh.embed.elements import html_page_for_render_items
    doc = SimpleNamespace(session_context=_probe("page1").session_context, template=None)
    warming.serve_probe(doc)
    Document().template = doc.template                  # one Bokeh's document takes
    page = html_page_for_render_items(Bundle([], [], [], [], {}), {}, [], "title",
                                      template=doc.template)
    assert page in ("ready", "wait 150") or page.startswith("wait ")


def test_many_waiting_pages_ask_no_more_than_the_budget_together():
    """One page asks every poll_ms; thirty pages waiting at once are told to wait so that
    together they ask at most budget_per_s times a second; a page that stopped asking
    (loaded, or closed) is forgotten, and so is any page over max_pages."""
    now = [0.0]
    probes = warming.Probes(poll_ms=150, budget_per_s=10.0, max_pages=50,
                            clock=lambda: now[0])
    assert probes.wait_ms("alone") == 150
    waits = [probes.wait_ms(f"p{i}") for i in range(30)]
    assert waits[-1] == 3100 and waits == sorted(waits)      # 31 pages: 3.1 s each
    # a round of all of them, each at its wait: 31 questions in 3.1 s
    now[0] += 3.1
    assert all(probes.wait_ms(f"p{i}") == 3100 for i in range(30))
    assert probes.wait_ms("alone") == 3100
    # all but one loaded the page: the one left is told the short wait again soon
    now[0] += 8.0
    assert probes.wait_ms("p0") == 150 and list(probes.last) == ["p0"]
    for i in range(200):                                       # never more than 50 kept
        probes.wait_ms(f"q{i}")
    assert len(probes.last) <= 50


def test_the_page_says_what_is_happening_and_loads_itself_again():
    page = warming.page_html({})
    assert "Warming up" in page and 'role="status"' in page
    assert "first" in page and "by itself" in page
    assert "<title>Neural Network Playground (warming up)</title>" in page
    # no Bokeh, no script or style from anywhere: the page is on screen as it arrives
    assert "bokeh" not in page.lower() and " src=" not in page and "<link" not in page
    assert page.count(warming.SCRIPTS_MARK) == 1      # where the server puts their tags
    # it asks with the probe's header, loads itself again when ready (or after the limit)
    assert warming.PROBE_HEADER in page and "window.location.reload()" in page
    assert str(int(warming.LIMIT_S * 1000)) in page


def test_the_page_is_its_documents_whole_template():
    """``serve`` makes the session's document render as the warming-up page itself, with
    its link's choices, whatever Bokeh puts in the template's context."""
    from bokeh.embed.bundle import URL, Bundle
    from bokeh.embed.elements import html_page_for_render_items
    doc = SimpleNamespace(title="", template=None, session_context=SimpleNamespace(
        request=SimpleNamespace(headers={"Accept": CHROMIUM_ACCEPT},
                                arguments={"dataset": [b"xor"]})))
    warming.serve(doc, "Neural Network Playground")
    Document().template = doc.template                  # one Bokeh's document takes
    assert doc.title == "Neural Network Playground (warming up)"
    bundle = Bundle([URL("static/js/bokeh.min.js?v=1")], ["Bokeh.x = 1"], [], [], {})
    page = html_page_for_render_items(bundle, {}, [], doc.title, template=doc.template)
    scripts, _ = bundle
    assert 'src="static/js/bokeh.min.js?v=1"' in scripts and "Bokeh.x = 1" in scripts
    # the page's scripts are in it, inert (in a <template>), to be fetched ahead
    assert page == warming.page_html({"dataset": [b"xor"]}).replace(
        warming.SCRIPTS_MARK, scripts)
    assert page.index('<template id="pg-scripts">') < page.index(scripts) < page.index(
        "</template>")
    # a text that looks like a template's own is kept as it is
    assert warming.template("{{ x }} {% if %} {% endraw %}").render(x=1) == "{{ x }} {% if %} "


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


class _Menus(HTMLParser):
    """The warming page's menus: {name: (label's title, data-default, [option values],
    selected value)}."""

    def __init__(self):
        super().__init__()
        self.menus, self.title, self.name = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self.title = attrs.get("title")
        elif tag == "select":
            self.name = attrs["name"]
            self.menus[self.name] = [self.title, attrs.get("data-default"), [], None]
        elif tag == "option" and self.name:
            self.menus[self.name][2].append(attrs["value"])
            if "selected" in attrs:
                self.menus[self.name][3] = attrs["value"]

    def handle_endtag(self, tag):
        if tag == "select":
            self.name = None


def test_the_warming_page_offers_the_main_choices_at_once_each_kept_in_the_link():
    """While the server warms up, the student can choose the data set, the hidden layers,
    the activation and the learning rate: each menu shows the link's value (a bad one:
    the default), has a tooltip, and its change goes into the page's link in the browser
    (the page that loads next opens with it; the browser test chooses one)."""
    page = warming.page_html({"dataset": [b"xor"], "learning_rate": [b"0.1"],
                              "hidden": [b"99,99"]})
    parser = _Menus()
    parser.feed(page)
    menus = parser.menus
    assert list(menus) == [key for key, *_ in warming.CHOICES]
    assert menus["dataset"][3] == "xor" and menus["learning_rate"][3] == "0.1"
    assert menus["hidden"][3] == "4,2"                        # not offered: the default
    assert menus["activation"][3] == "tanh"
    for key, label, words, default, tip in warming.CHOICES:
        title, fallback, values, _ = menus[key]
        assert title == tip and fallback == default and values == list(words)
        assert f"<span>{label}</span>" in page
    assert ">Multi-Gauss</option>" in page
    assert "replaceState" in page and "searchParams.delete" in page


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
