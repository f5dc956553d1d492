"""Callbacks for what Lightning does not already do."""

from litzoo.callbacks.config import LogConfig

__all__ = ["LogConfig"]
