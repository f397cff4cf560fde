"""Terrain: find where relational goods arise in real work."""

from typing import Any


def __getattr__(name: str) -> Any:
    # Read on demand: importlib.metadata costs more than the rest of `terrain --help`.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("terrain")
        except PackageNotFoundError:  # running from a source tree that was not installed
            return "0.0.0"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
