"""``python -m playground.loadtest`` end to end, small: it starts a server, opens real Bokeh
client sessions that press Play, measures and reports; its last line is one JSON object."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from playground import loadtest

pytestmark = pytest.mark.deploy
ROOT = Path(__file__).resolve().parents[2]
KEYS = {"sessions", "fps_min", "fps_p50", "tick_ms_p95", "errors", "rss_mb",
        "machine_ms_before", "machine_ms_after"}


def test_a_small_load_test_trains_every_session_and_reports_one_json_line(tmp_path):
    out = tmp_path / "load.json"
    proc = subprocess.run([sys.executable, "-m", "playground.loadtest", "--sessions", "3",
                           "--seconds", "4", "--json", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    assert KEYS <= set(last) and json.loads(out.read_text()) == last
    assert last["sessions"] == last["connected"] == 3 and last["errors"] == 0, last
    assert last["fps_min"] > 1                  # every session's frames came while playing
    assert last["rss_mb"] > 50 and last["server_processes"] == 1
    assert last["machine_ms_before"] > 0 and last["machine_ms_after"] > 0


def test_bounds_are_enforced_before_anything_starts():
    with pytest.raises(SystemExit):
        loadtest.main(["--sessions", str(loadtest.MAX_SESSIONS + 1)])
    with pytest.raises(SystemExit):
        loadtest.main(["--sessions", "2", "--url", "http://example.com:5006/app"])


def test_machine_ms_times_the_same_work():
    from playground.machine import machine_ms
    a, b = machine_ms(3), machine_ms(3)
    assert 0 < a and 0 < b and max(a, b) < 20 * min(a, b)
