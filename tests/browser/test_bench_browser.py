"""The browser bench's measurements run on the served page and give sane figures.

Short durations (2 s after half a second's warm-up, two clicks of each kind, the default network and one lab tab: the
6x8 network and the other tab are the same code with another URL or label); no timing
thresholds: the figures are the
bench's (``python -m playground.tools.bench_browser``), not the tests'."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from playground.tools import bench_browser

pytestmark = pytest.mark.browser

# a stand-in for the reference page: an epoch counter that counts animation frames once
# its play button is pressed
REFERENCE = "data:text/html," + quote(
    '<span id="iter-number">000,000</span><button id="play-pause-button" onclick="'
    "let n = 0; const f = () => { document.getElementById('iter-number').textContent = "
    "String(++n); requestAnimationFrame(f); }; requestAnimationFrame(f);"
    '">play</button>') + "#reference"


def test_bench_browser_figures(browser, server):
    # (a window of a whole second, right as training showed, sometimes fell on the browser
    # drawing the page's lower parts on a CI runner's two busy cores: no update in it)
    res = bench_browser.measure(base=server, browser=browser, seconds=2.0, clicks_n=2,
                                pause_ms=100, references=[REFERENCE], warm_s=0.5,
                                setups=("default",), labs=("neurons",), ahead_wait_s=1.0)
    for key in ("second_page_s", "second_page_epoch_s", "date", "cpus", "commit",
                "click_layer_ms_p50", "click_layer_ms_p95", "click_dataset_ms_p50",
                "click_dataset_ms_p95", "tab_neurons_ms", "reference_url",
                "reference_updates_per_s", "reference_raf_fps"):
        assert key in res, key
    assert res["updates_per_s_default"] > 0
    assert res["raf_fps_default"] > 0
    assert res["epochs_per_s_default"] > 0
    assert res["frame_ms_max_default"] >= res["frame_ms_p95_default"] > 0
    assert 0 < res["main_thread_busy_pct_default"] and res["script_pct_default"] >= 0
    assert res["reference_updates_per_s"] > 0 and res["reference_raf_fps"] > 0
    assert 0 < res["second_page_epoch_s"] <= res["second_page_s"]
    assert 0 < res["late_page_epoch_s"] <= res["late_page_s"]
    for key in ("click_layer_ms_p50", "click_layer_ms_p95", "click_add_layer_ms_p50",
                "click_add_layer_ms_p95", "click_dataset_ms_p50", "click_dataset_ms_p95",
                "click_feature_ms_p50", "click_feature_ms_p95", "click_lesson_ms_p50",
                "click_lesson_ms_p95", "tab_neurons_ms",
                "tab_neurons_lab_ms"):
        assert res[key] is not None and res[key] > 0, key
    assert res["tab_neurons_lab_ms"] >= res["tab_neurons_ms"]
    # the test server puts no lab ahead of its click (test_ahead_labs.py does): the
    # second page's click is measured the same way
    assert "labs_ahead_s" in res and res["tab_neurons_ahead_ms"] > 0
    assert res["click_layer_ms_missed"] == 0 and res["click_dataset_ms_missed"] == 0
    assert res["click_add_layer_ms_missed"] == 0 and res["click_feature_ms_missed"] == 0
    assert res["click_lesson_ms_missed"] == 0
    assert res["click_feature_ms_n"] == 2 and res["click_lesson_ms_n"] == 2
    assert "cold_start_s" not in res          # a running server: no cold start
