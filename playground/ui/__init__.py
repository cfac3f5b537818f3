"""Thin Panel Viewers over the run state; ``PlaygroundApp`` is the whole page.

``PlaygroundApp`` is imported on first use: ``from playground.ui import warming`` (the page
a server shows while it starts) brings in only Panel."""
from __future__ import annotations

import importlib

__all__ = ["PlaygroundApp"]


def __getattr__(name):
    if name != "PlaygroundApp":
        raise AttributeError(f"module 'playground.ui' has no attribute {name!r}")
    value = importlib.import_module(".app", __name__).PlaygroundApp
    globals()[name] = value
    return value
