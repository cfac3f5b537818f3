"""``python -m playground.loadtest`` end to end, small: it starts a server, opens real Bokeh
client sessions that press Play, measures and reports; its last line is one JSON object.
``--chaos`` likewise, with tiny durations: the keys of its report, never its figures."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from playground.tools import loadtest

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
    assert last["sessions"] == last["connected"] == 3 and last["errors"] == 0, \
        (last["error_messages"], last)
    assert last["fps_min"] > 1                  # every session's frames came while playing
    assert last["rss_mb"] > 50 and last["server_processes"] == 1
    assert last["machine_ms_before"] > 0 and last["machine_ms_after"] > 0


CHAOS_KEYS = {"mode", "victims", "attackers", "victim_ratio_min", "victim_longest_stall_s",
              "rss_mb", "tracebacks", "failed_sending", "errors", "attack_seconds",
              "opening_seconds", "running_seconds"}
VICTIM_KEYS = {"solo_epochs_per_s", "attack_epochs_per_s", "ratio", "solo_longest_stall_s",
               "attack_longest_stall_s", "solo_fps", "attack_fps", "opening_epochs_per_s",
               "running_epochs_per_s", "dropped"}


def test_a_tiny_chaos_run_reports_victims_attackers_rss_and_log_counts(tmp_path):
    """The fairness run end to end with tiny durations. Its figures are the server's (and
    this machine's) to show, not this test's to judge: only the report's shape is checked."""
    out = tmp_path / "chaos.json"
    proc = subprocess.run([sys.executable, "-m", "playground.loadtest", "--chaos",
                           "--victims", "1", "--solo-seconds", "3", "--attack-seconds", "2",
                           "--open-timeout", "8", "--change-every", "1", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    assert CHAOS_KEYS <= set(last) and json.loads(out.read_text()) == last
    assert last["mode"] == "chaos" and len(last["victims"]) == 1
    victim = last["victims"][0]
    assert VICTIM_KEYS <= set(victim), victim
    assert victim["solo_epochs_per_s"] > 0          # its epoch counter was read while alone
    assert set(last["attackers"]) == set(loadtest.ATTACKERS)
    assert set(last["rss_mb"]) >= {"start", "max", "end"}
    assert last["rss_mb"]["max"] >= last["rss_mb"]["start"] > 50
    assert isinstance(last["tracebacks"], int) and isinstance(last["failed_sending"], int)


def test_the_two_page_attackers_open_both_tabs_and_act(tmp_path):
    """The heavy actions from two pages: one page's heavy net plays while it goes to its
    Digits CNN tab and trains it, the other's copies play while its LR finder runs. Each
    must open (its lab's controls found: for the first, after its client clicked the
    Digits tab) and act, without an error."""
    proc = subprocess.run([sys.executable, "-m", "playground.loadtest", "--chaos",
                           "--victims", "1", "--solo-seconds", "2", "--attack-seconds", "3",
                           "--open-timeout", "90", "--change-every", "1",
                           "--attackers", ",".join(loadtest.TWO_PAGES)],
                          cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-2000:]
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(last["attackers"]) == set(loadtest.TWO_PAGES)
    assert last["errors"] == 0, last["error_messages"]
    for name, entry in last["attackers"].items():
        assert entry["open_s"] is not None and entry["actions"] >= 2, (name, entry)


def test_epoch_rate_and_longest_stall():
    samples = [(0.0, 10), (1.0, 20), (2.0, 20), (3.0, 20), (4.0, 50)]
    rate, stall = loadtest.epoch_rate(samples, 0.5, 4.5)
    assert rate == (50 - 10) / 4.0 and stall == 3.0       # no progress from 1.0 to 4.0
    assert loadtest.epoch_rate([(0.0, 5)], 1.0, 3.0) == (0.0, 2.0)   # nothing: all a stall
    text = 'x&lt;small&gt;Epoch&lt;/small&gt;0,001,234&lt;/div&gt;'
    assert loadtest.EPOCH_TEXT.findall(text) == ["0,001,234"]


def test_bounds_are_enforced_before_anything_starts():
    with pytest.raises(SystemExit):
        loadtest.main(["--sessions", str(loadtest.MAX_SESSIONS + 1)])
    with pytest.raises(SystemExit):
        loadtest.main(["--sessions", "2", "--url", "http://example.com:5006/app"])
    with pytest.raises(SystemExit):
        loadtest.main(["--chaos", "--victims", "9"])
    with pytest.raises(SystemExit):
        loadtest.main(["--chaos", "--attackers", "heavy_net,everything"])
    with pytest.raises(SystemExit):
        loadtest.main(["--chaos", "--connect-after", "-1"])


def test_machine_ms_times_the_same_work():
    from playground.tools.machine import machine_ms
    a, b = machine_ms(3), machine_ms(3)
    assert 0 < a and 0 < b and max(a, b) < 20 * min(a, b)


def test_a_tiny_class_run_joins_every_student_and_reads_the_board(tmp_path):
    out = tmp_path / "class.json"
    """Two processes (--num-procs 2): the students' pages land on either, and the teacher's
    push at the end reaches every one of them through the class database."""
    proc = subprocess.run([sys.executable, "-m", "playground.loadtest", "--class",
                           "--sessions", "4", "--seconds", "4", "--procs", "2",
                           "--json", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-2000:]
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    assert json.loads(out.read_text()) == last
    klass = last["class"]
    assert klass["joined"] == klass["board_rows"] == 4 and klass["errors"] == 0, klass
    assert klass["push_to_every_page_s"] is not None and last["procs"] == 2
    assert klass["push_banner_pages"] == 4 and klass["push_banner_s_max"] > 0
    assert klass["fps_min"] > 1 and last["plain"]["fps_min"] > 1
    assert klass["row_updates_per_s_min"] > 0 and klass["all_on_board_s"] is not None
    assert last["tracebacks"] == 0


def test_the_class_run_reads_the_teachers_board_as_the_page_sends_it():
    from playground.classroom.store import Row
    from playground.tools import loadtest_class
    from playground.ui.teacher import board_table
    import html as html_module
    import time as time_module
    now = time_module.time()
    rows = [Row(3, "Ada <3", {"state": "training", "epoch": 1234, "link": "?x=1",
                              "picture": "data:image/png;base64,AA"}, now),
            Row(5, "Bob", {"state": "idle", "epoch": 7}, now)]
    text = html_module.escape(board_table(rows, set(), "/app", False))
    parsed = {int(i): int(e.replace(",", "")) for i, _s, e in
              loadtest_class.ROW.findall(html_module.unescape(text))}
    assert parsed == {3: 1234, 5: 7}
    boards = [(0.0, {3: 1, 5: 7}), (1.0, {3: 2, 5: 7}), (1.5, {3: 3, 5: 8}), (2.0, {3: 4, 5: 8})]
    assert loadtest_class.row_rates(boards, 0.5, 2.5) == {3: 3 / 2.0, 5: 1 / 2.0}


def test_class_mode_starts_its_own_server():
    with pytest.raises(SystemExit):
        loadtest.main(["--class", "--url", "http://127.0.0.1:5006/app"])


def test_a_page_is_opened_as_a_browser_opens_it_html_first(monkeypatch):
    """``page_session``: the page's HTML is asked for first, with the link's settings, and
    the websocket attaches to the session the HTML names (its token); ``--ws-only`` makes
    the session by the websocket alone, with the settings as its arguments."""
    import io
    from bokeh.util.token import generate_jwt_token
    asked, made = [], []
    token = generate_jwt_token("abc123session")
    html = f'<script>const render_items=[{{"token": "{token}","roots":{{}}}}]</script>'

    def urlopen(url, timeout):
        asked.append(url)
        return io.BytesIO(html.encode())

    class Session:
        def __init__(self, session_id=None, websocket_url=None, io_loop=None, arguments=None):
            made.append((session_id, websocket_url, arguments))

        def pull(self):
            made.append("pulled")

    monkeypatch.setattr(loadtest.urllib.request, "urlopen", urlopen)
    slept = []                  # the browser's time to load the scripts, then it connects
    monkeypatch.setattr(loadtest.time, "sleep", lambda s: (slept.append(s), made.append("slept")))
    ws = "ws://127.0.0.1:5006/app/ws"
    loadtest.page_session(Session, ws, None, {"play": "1", "tab": "descent"})
    assert asked == ["http://127.0.0.1:5006/app?play=1&tab=descent"]
    assert made == ["slept", ("abc123session", ws, None), "pulled"]
    assert slept == [loadtest.CONNECT_AFTER_S] and 0.3 <= slept[0] <= 1.0
    asked.clear(), made.clear()
    monkeypatch.setattr(loadtest, "CONNECT_AFTER_S", 0.0)      # --connect-after 0: at once
    loadtest.page_session(Session, ws, None)
    assert made == [("abc123session", ws, None), "pulled"]
    asked.clear(), made.clear()
    monkeypatch.setattr(loadtest, "HTML_FIRST", False)
    loadtest.page_session(Session, ws, None, {"play": "1"})
    assert asked == [] and made == [(None, ws, {"play": "1"}), "pulled"]
    monkeypatch.setattr(loadtest, "HTML_FIRST", True)
    html = "<html>no token</html>"
    with pytest.raises(RuntimeError, match="no session token"):
        loadtest.page_session(Session, ws, None)
