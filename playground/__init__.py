"""Neural Network Playground: small networks trained live in the browser.

Headless use (notebooks, tests, export)::

    from playground import Run
    run = Run(dataset="xor", hidden=[4, 2])
    run.train(epochs=100)
    run.metrics()
"""
from .state.run import Run
from .warm import warmup, warmup_in_background

__all__ = ["Run", "warmup", "warmup_in_background"]
