"""``python -m playground.bench_devices``: the batched hot paths on the default device,
against a child process restricted to the CPU when asked (on a GPU machine: always)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jax
import pytest

from playground.tools import bench_devices

pytestmark = pytest.mark.deploy
ROOT = Path(__file__).resolve().parents[2]
PATHS = {"landscape_grid", "lr_finder_5_seeds", "parallel_16_copies_default_epoch",
         "parallel_16_copies_6x8_epoch", "one_run_default_epoch", "digits_cnn_epoch",
         "digits_mlp_epoch"}


def test_against_the_cpu_every_hot_path_gets_a_cpu_time_and_a_speed_up(tmp_path):
    out = tmp_path / "devices.json"
    proc = subprocess.run([sys.executable, "-m", "playground.bench_devices", "--quick",
                           "--against-cpu", "--json", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = json.loads(out.read_text())
    assert set(res["ms"]) == set(res["cpu_ms"]) == set(res["speedup"]) == PATHS
    for k in PATHS:
        assert res["ms"][k] > 0 and res["cpu_ms"][k] > 0
        assert res["speedup"][k] == pytest.approx(res["cpu_ms"][k] / res["ms"][k], abs=0.01)
    assert set(res["gains_on_default_device"]) <= PATHS
    assert "speed-up" in proc.stdout and res["device"] in proc.stdout


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="a GPU is the default device")
def test_without_a_gpu_it_says_so_and_takes_no_reference(monkeypatch):
    monkeypatch.setattr(bench_devices, "batched_ms", lambda quick: {"x": 1.0})
    monkeypatch.setattr(bench_devices, "cpu_reference",
                        lambda quick: pytest.fail("no CPU reference without a GPU"))
    res = bench_devices.bench_devices(quick=True)
    assert res["platform"] == "cpu" and "none found" in res["gpu"]
    assert "speedup" not in res and res["ms"] == {"x": 1.0}
