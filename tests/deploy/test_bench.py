"""``python -m playground.bench``: its figures come from a process set up as a server's."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.deploy
ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import sys
from playground.server import SWITCH_INTERVAL_S
from playground.tools import bench
before = sys.getswitchinterval()
bench.configure_process()
print(before, sys.getswitchinterval(), SWITCH_INTERVAL_S)
"""


def test_the_bench_trains_with_the_servers_switch_interval():
    """A server shortens the interpreter's switch interval (server.install()); a bench
    that did not would time the first frame after a change at several times a page's."""
    out = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    before, after, wanted = map(float, out.stdout.split())
    assert before > wanted             # a fresh interpreter: Python's default, 5 ms
    assert after == wanted
