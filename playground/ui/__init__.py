"""Thin Panel Viewers over the run state; ``PlaygroundApp`` is the whole page."""
from .app import PlaygroundApp

__all__ = ["PlaygroundApp"]
