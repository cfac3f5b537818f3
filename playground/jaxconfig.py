"""Process-wide JAX settings, applied once when the package is imported.

The persistent compilation cache keeps compiled programs on disk, so a restarted
server (or the test suite's second process) serves its first page without waiting
for XLA. Set PLAYGROUND_CACHE_DIR to move it, or to "off" to disable it.
"""
from __future__ import annotations

import os
from pathlib import Path

import jax


def configure() -> None:
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
