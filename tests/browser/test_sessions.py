"""Two students at once: two browser sessions with different set-ups never see each other's
data, training or settings."""
from __future__ import annotations

import pytest

from .conftest import CHROMIUM_ARGS, FIRST_LOAD_TIMEOUT  # noqa: F401
from .test_page import epoch, wait_until

pytestmark = pytest.mark.browser


def test_two_sessions_are_separate(page, browser, server):
    other_ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    other = other_ctx.new_page()
    errors = []
    other.on("pageerror", lambda e: errors.append(str(e)))
    try:
        other.goto(f"{server}/app?dataset=xor&learning_rate=0.1", timeout=FIRST_LOAD_TIMEOUT)
        other.locator(".pg-epoch").wait_for(timeout=FIRST_LOAD_TIMEOUT)
        other.get_by_role("button", name="Play", exact=True).click()
        wait_until(lambda: epoch(other) > 20, timeout=20, message="the other session to train")
        page.wait_for_timeout(500)
        assert epoch(page) == 0                     # this session did not train
        assert "dataset=xor" in other.url and "dataset=" not in page.url
        page.get_by_role("button", name="Play", exact=True).click()
        wait_until(lambda: epoch(page) > 5, timeout=20, message="this session to train")
        other.get_by_role("button", name="Pause", exact=True).click()
        page.get_by_role("button", name="Pause", exact=True).click()
        assert "learning_rate=0.1" in other.url and "learning_rate" not in page.url
        assert not errors
    finally:
        other_ctx.close()


HEAVY = "?hidden=16,16,16,16,16,16,16,16&batch_size=1&speed=50&play=1"


def _log_lines():
    from .conftest import SERVER_LOG
    return SERVER_LOG.read_text(errors="replace").splitlines()


def _stamp(line: str) -> float:
    """The time of a line of the server's log (or of its stamp alone)."""
    import datetime
    return datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()


def test_a_heavy_page_does_not_stall_another_and_a_closed_one_stops_at_once(page, browser,
                                                                            server):
    """One student plays the heaviest network at batch size 1 and 50 epochs a frame; the
    other's default network keeps training (never 2 s without progress), the heavy page says
    that it trains at a shared pace, and once it is closed its frames stop within a second,
    with nothing in the server's log."""
    import time
    page.get_by_role("button", name="Play", exact=True).click()
    wait_until(lambda: epoch(page) > 5, timeout=20, message="the victim to train")
    heavy_ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    heavy = heavy_ctx.new_page()
    try:
        heavy.goto(f"{server}/app{HEAVY}", timeout=FIRST_LOAD_TIMEOUT)
        heavy.locator(".pg-epoch").wait_for(timeout=FIRST_LOAD_TIMEOUT)
        wait_until(lambda: epoch(heavy) > 0, timeout=30, message="the heavy page to train")
        wait_until(lambda: "shared pace" in heavy.locator(".pg-status").first.inner_text(),
                   timeout=20, message="the heavy page to say it trains at a shared pace")
        last, seen = epoch(page), time.monotonic()
        end = seen + 6
        longest = 0.0
        while time.monotonic() < end:
            page.wait_for_timeout(100)
            now, e = time.monotonic(), epoch(page)
            if e != last:
                longest, last, seen = max(longest, now - seen), e, now
        longest = max(longest, time.monotonic() - seen)
        # (the load test measures the victims' pace: `loadtest --chaos`; here two browsers
        # and the server share a CI machine's cores, so only a stall is a failure)
        assert longest < 2.0, f"the victim made no progress for {longest:.1f} s"
        stopped_before = sum("Frames stopped" in line for line in _log_lines())
        closed_at = time.time()
        heavy_ctx.close()
        wait_until(lambda: sum("Frames stopped" in line for line in _log_lines())
                   > stopped_before, timeout=5, message="the closed page's frames to stop")
        import re
        stop = [found.group(1) for found in map(re.compile(
            r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) Frames stopped").search,
            _log_lines()) if found][-1]
        assert _stamp(stop) - closed_at < 1.0, stop
        page.wait_for_timeout(1000)
        assert not [line for line in _log_lines() if "Failed sending message" in line]
        page.get_by_role("button", name="Pause", exact=True).click()
    finally:
        if heavy_ctx.pages:
            heavy_ctx.close()


def _frames_lines(kind: str) -> list:
    """(time, page, epoch, line) of each whole "Frames <kind> for page N: … (at epoch E)"
    line of the server's log (twice in CI runs a line of that log was found cut short,
    another line written on over its end: such a line is not counted)."""
    import re
    pattern = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) Frames " + kind +
                         r" for page (\d+): .*\(at epoch (\d+)\)$")
    out = []
    for line in _log_lines():
        found = pattern.search(line)
        if found:
            out.append((_stamp(found.group(1)), int(found.group(2)), int(found.group(3)),
                        line))
    return out


def test_a_browser_that_goes_quiet_stops_computing_and_comes_back(browser, server, tmp_path):
    """A laptop lid shut: the browser stops (its process is suspended) and its websocket
    stays open. After a second of its frames without a beat the server pauses the page's
    frames and training; when the browser runs again, so do they."""
    import os
    import signal
    import subprocess
    import time

    from tests.support import free_ports

    exe = os.environ.get("PLAYWRIGHT_CHROMIUM", "/usr/bin/chromium")
    port = free_ports(1)[0]
    proc = subprocess.Popen([exe, "--headless=new", f"--remote-debugging-port={port}",
                             f"--user-data-dir={tmp_path}", *CHROMIUM_ARGS, "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                lid = browser.browser_type.connect_over_cdp(f"http://127.0.0.1:{port}")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        page = lid.contexts[0].new_page()
        page.goto(f"{server}/app?play=1", timeout=FIRST_LOAD_TIMEOUT)
        page.locator(".pg-epoch").wait_for(timeout=FIRST_LOAD_TIMEOUT)
        wait_until(lambda: epoch(page) > 5, timeout=20, message="training")
        before = epoch(page)
        shut_at = time.time()
        os.killpg(proc.pid, signal.SIGSTOP)                 # the lid

        def pauses():       # this page's pause: after the lid, at its epoch or later (on a
            # loaded machine another page of the server may pause and resume meanwhile)
            return [p for p in _frames_lines("paused")
                    if p[0] >= shut_at - 0.01 and p[2] >= before]
        try:
            wait_until(pauses, timeout=5, message="the server to pause the quiet page")
            paused_at, number, at_pause, line = pauses()[0]
            # 1 s of the page's frames without a beat; frames come later on a loaded
            # CI machine (1.59 s once there), so the bound here is looser
            assert paused_at - shut_at < 2.5, line
            time.sleep(4)                   # 4 s more of training if it went on
        finally:
            os.killpg(proc.pid, signal.SIGCONT)

        def resumes():      # the resume of the same page after this pause
            return [r for r in _frames_lines("resumed")
                    if r[1] == number and r[0] >= paused_at]
        wait_until(lambda: resumes(), timeout=10, message="the frames to resume")
        back = resumes()[0]
        # the server's own epoch counts (not the screen's, which lags and, on a loaded
        # machine, shows fewer epochs a second than the server trains once the browser stops)
        # nothing was trained or applied in the 4 s the browser was away
        assert back[2] == at_pause, (line, back[3])
        after = epoch(page)
        wait_until(lambda: epoch(page) > after + 5, timeout=10, message="training to go on")
        lid.close()
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
