"""Process-wide JAX settings, applied by ``configure()`` (``server.install()`` calls it).

The persistent compilation cache keeps compiled programs on disk, so a restarted
server (or the test suite's second process) serves its first page without waiting
for XLA. Set PLAYGROUND_CACHE_DIR to move it, or to "off" to disable it.

PLAYGROUND_DEVICE=cpu|gpu picks where JAX computes (default: JAX's default device, a GPU
when one is usable). On a CPU, XLA is asked for two devices: the second is the heavy lane
(``engine/lanes.py``); PLAYGROUND_LANES=off keeps one. That request must come before
JAX's backend starts (the first computation), so ``server.install()`` comes first in
``app.py``. Nothing here starts a JAX backend, so ``panel serve --num-procs N``
can fork safely after the import.
"""
from __future__ import annotations

import os
from pathlib import Path

import warnings

import jax

DEVICE_ENV = "PLAYGROUND_DEVICE"
DEVICE_CHOICES = ("cpu", "gpu")


def requested_device() -> str:
    """The device asked for in $PLAYGROUND_DEVICE ("" when unset or not understood)."""
    want = os.environ.get(DEVICE_ENV, "").strip().lower()
    if want and want not in DEVICE_CHOICES:
        warnings.warn(f"{DEVICE_ENV}={want!r} is not one of {DEVICE_CHOICES}; using JAX's "
                      f"default device", stacklevel=2)
        return ""
    return want


def choose_device() -> None:
    """cpu: JAX uses only the CPU. gpu: the GPU is required to be JAX's default; when there
    is none, the page says so in its device readout (see ``device_description``)."""
    if requested_device() == "cpu":
        jax.config.update("jax_platforms", "cpu")


def device_description() -> str:
    """Where the training runs, for the page's readout, e.g. 'CPU' or 'GPU: NVIDIA H100'."""
    dev = jax.devices()[0]
    if dev.platform == "cpu":
        text = f"CPU ({os.cpu_count()} cores)"
    else:
        text = f"{dev.platform.upper()}: {getattr(dev, 'device_kind', dev.platform)}"
    if requested_device() == "gpu" and dev.platform == "cpu":
        text += " — no GPU found, running on the CPU"
    return text


LANES_ENV = "PLAYGROUND_LANES"
LANES_FLAG = "--xla_force_host_platform_device_count"


def ask_for_lanes(environ=os.environ) -> bool:
    """Ask XLA for two CPU devices (XLA_FLAGS), unless PLAYGROUND_LANES=off or XLA_FLAGS
    already says how many. Returns whether it asked. It takes effect only if JAX's
    backend has not started yet; a GPU is unaffected."""
    if environ.get(LANES_ENV, "").strip().lower() in ("off", "0", "no", "false"):
        return False
    flags = environ.get("XLA_FLAGS", "")
    if LANES_FLAG in flags:
        return False
    from ..engine.lanes import DEVICES
    environ["XLA_FLAGS"] = f"{flags} {LANES_FLAG}={DEVICES}".strip()
    return True


def configure(lanes: bool = True) -> None:
    """The device choice, the heavy lane (``lanes``) and the on-disk compilation cache
    (``PLAYGROUND_CACHE_DIR``)."""
    choose_device()
    if lanes:
        ask_for_lanes()
    where = os.environ.get("PLAYGROUND_CACHE_DIR",
                           str(Path.home() / ".cache" / "neural-network-playground" / "jax"))
    if where.lower() in ("off", "0", "none", "") or jax.config.jax_compilation_cache_dir:
        return
    try:
        Path(where).mkdir(parents=True, exist_ok=True)
    except OSError:
        return                      # read-only home: run without the cache
    jax.config.update("jax_compilation_cache_dir", where)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.05)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
