"""Errors that reach a person.

Every error Terrain raises on purpose derives from :class:`TerrainError` and carries a message
written for the person at the keyboard: what went wrong and, where there is one, the fix.
Adapters (the CLI, the web app) show ``str(error)`` and never a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class TerrainError(Exception):
    """Base class for every error with a human message."""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message} Fix: {self.fix}" if self.fix else self.message


class SettingsError(TerrainError):
    """A setting has a value Terrain cannot use."""


def first_problem(error: ValidationError) -> str:
    """The first thing wrong in a validated file, as "where: what" for a human message."""
    problem = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in problem["loc"]) or "top level"
    return f"{where}: {problem['msg']}"
