"""Terrain: find where relational goods arise in real work."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("terrain")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
