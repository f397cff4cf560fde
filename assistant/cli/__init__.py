"""The ``terrain`` command: a thin adapter over the domain core."""

from assistant.cli.app import app, main

__all__ = ["app", "main"]
