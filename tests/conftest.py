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
import sys

import pytest


def pytest_configure(config):
    from playground.server import jaxconfig
    jaxconfig.configure(lanes=os.environ.get("PLAYGROUND_TEST_LANES") == "1")



@pytest.fixture(autouse=True)
def _no_page_draws_on():
    """A page a test made outside a server draws its frames with a Panel periodic callback
    that runs whenever an event loop of the process runs: in a process that later runs
    browser tests, inside Playwright's, where leftover pages of earlier tests went on
    training for the rest of the run. Each test's pages stop with it."""
    yield
    app = sys.modules.get("playground.ui.app")       # only where a test imported it
    if app is not None:
        for page in list(app.DRAWING):
            page.stop()
        # and no lab is made ahead after it (a lab tab's first click prepares the next in
        # a few seconds, which a later test's count of builds would see)
        for spare in app.SPARE_LABS.values():
            spare.cancel()
