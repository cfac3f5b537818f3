"""The test process computes as a server does: JAX's device choice and on-disk
compilation cache (shared with the servers the browser tests start). It keeps one CPU
device, without the server's heavy lane (a second device makes every small program of the
tests compile again, about a tenth more time): the lane's tests run in a process of their
own with it (PLAYGROUND_TEST_LANES=1, tests/engine/test_lanes.py), and the servers the
browser tests start have it, as every server does.

The tests run in two processes (``-n 2 --dist loadgroup``, pyproject.toml): a module's tests
stay together in one of them, and every browser test goes to the same one (they share one
served app, its log and its class database); the other takes the rest meanwhile."""
from __future__ import annotations

import os

import pytest


def pytest_configure(config):
    from playground.server import jaxconfig
    jaxconfig.configure(lanes=os.environ.get("PLAYGROUND_TEST_LANES") == "1")


@pytest.hookimpl(tryfirst=True)    # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = item.nodeid.split("::")[0].split("/")
        group = "browser" if parts[:2] == ["tests", "browser"] else "/".join(parts)
        item.add_marker(pytest.mark.xdist_group(group))
