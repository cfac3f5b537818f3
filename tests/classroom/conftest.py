"""Shared fixtures of the class database's tests."""
from __future__ import annotations

import pytest

from playground.classroom.store import Store


@pytest.fixture
def db(tmp_path):
    """A fresh SQLite class database in the test's own folder."""
    s = Store.open(str(tmp_path / "classes.sqlite3"))
    yield s
    s.close()
