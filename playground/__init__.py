"""Neural Network Playground: small networks trained live in the browser.

Headless use (notebooks, tests, export)::

    from playground import Run
    run = Run(dataset="xor", hidden=[4, 2])
    run.train(epochs=100)
    run.metrics()

Importing the package (or any of its modules) sets nothing up in the process: a server
calls ``playground.server.install()`` (``app.py`` does; so does a notebook), a script may
call ``playground.server.jaxconfig.configure()`` for the device choice and the compilation
cache.
The names below are imported on first use, so ``import playground.engine.mlp`` brings in
only the engine.
"""
from __future__ import annotations

import importlib

_NAMES = {"Run": ".state.run", "DigitsRun": ".state.digits", "warmup": ".server.warm",
          "warmup_in_background": ".server.warm"}

__all__ = list(_NAMES)


def __getattr__(name):
    if name not in _NAMES:
        raise AttributeError(f"module 'playground' has no attribute {name!r}")
    value = getattr(importlib.import_module(_NAMES[name], __name__), name)
    globals()[name] = value
    return value
