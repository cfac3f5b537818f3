"""Neural Network Playground: small networks trained live in the browser.

Headless use (notebooks, tests, export)::

    from playground import Run
    run = Run(dataset="xor", hidden=[4, 2])
    run.train(epochs=100)
    run.metrics()
"""
from .jaxconfig import configure as _configure_jax

_configure_jax()

from .state.run import Run  # noqa: E402
from .state.digits import DigitsRun  # noqa: E402
from .warm import warmup, warmup_in_background  # noqa: E402

__all__ = ["Run", "DigitsRun", "warmup", "warmup_in_background"]
