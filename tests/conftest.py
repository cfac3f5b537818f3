"""The test process computes as a server does: JAX's device choice and on-disk
compilation cache (shared with the servers the browser tests start)."""
from __future__ import annotations


def pytest_configure(config):
    from playground.server import jaxconfig
    jaxconfig.configure()
