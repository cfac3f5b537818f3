"""What the server package's tests share: the fast wire put back as it was, and the lines
the playground writes on its log."""
from __future__ import annotations

import logging

import pytest

from playground.server import LOG_NAME, wire


@pytest.fixture
def wire_restored():
    """The test leaves the process as it found it: what is installed, whether the
    per-frame changes are direct, whether the fast wire was turned off."""
    state = wire.snapshot()
    yield
    wire.restore(state)


@pytest.fixture
def log_records():
    """The records written on the playground's log while the test runs."""
    seen = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = seen.append
    logger = logging.getLogger(LOG_NAME)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield seen
    logger.removeHandler(handler)
    logger.setLevel(level)
