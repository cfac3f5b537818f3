"""The test process computes as a server does: JAX's device choice and on-disk
compilation cache (shared with the servers the browser tests start). It keeps one CPU
device, without the server's heavy lane (a second device makes every small program of the
tests compile again, about a tenth more time): the lane's tests run in a process of their
own with it (PLAYGROUND_TEST_LANES=1, tests/engine/test_lanes.py), and the servers the
browser tests start have it, as every server does.

The tests run in two processes (``-n 2 --dist loadfile``, pyproject.toml): a module's tests
stay together in one of them; each process that runs browser tests serves the app for
them (tests/browser/conftest.py)."""
from __future__ import annotations

import os


def pytest_configure(config):
    from playground.server import jaxconfig
    jaxconfig.configure(lanes=os.environ.get("PLAYGROUND_TEST_LANES") == "1")

