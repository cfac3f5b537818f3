"""Device choice by environment variable, and the page's device readout."""
import subprocess
import sys

import pytest

from playground.server import jaxconfig


def _in_subprocess(env_value: str) -> str:
    code = ("import warnings; warnings.simplefilter('ignore'); import playground, jax; "
            "from playground.server.jaxconfig import configure, device_description; configure(); "
            "print(jax.default_backend(), '|', device_description())")
    import os
    env = {**os.environ, "PLAYGROUND_DEVICE": env_value, "PLAYGROUND_CACHE_DIR": "off"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_cpu_forced_by_the_environment():
    backend, text = _in_subprocess("cpu").split(" | ")
    assert backend == "cpu" and text.startswith("CPU (")


def test_gpu_asked_for_without_one_says_so():
    backend, text = _in_subprocess("gpu").split(" | ")
    if backend == "cpu":
        assert "no GPU found" in text
    else:                                   # a machine with a GPU
        assert text.startswith(("GPU", "CUDA", "ROCM"))


def test_unknown_value_warns_and_falls_back(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_DEVICE", "tpu-please")
    with pytest.warns(UserWarning, match="not one of"):
        assert jaxconfig.requested_device() == ""
    monkeypatch.setenv("PLAYGROUND_DEVICE", " CPU ")
    assert jaxconfig.requested_device() == "cpu"
