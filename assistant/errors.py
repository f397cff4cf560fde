"""Errors that reach a person.

Every error Terrain raises on purpose derives from :class:`TerrainError` and carries a message
written for the person at the keyboard: what went wrong and, where there is one, the fix.
Adapters (the CLI, the web app) show ``str(error)`` and never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
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


Location = tuple[int | str, ...]
"""Where a problem is in validated data: keys and list positions, outermost first."""


def data_path(location: Location) -> str:
    """A location as it reads in the data, quoted (``'turns[1].text'``), or the top level."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return f"'{path}'" if path else "the top level"


def describe_validation_error(
    error: ValidationError,
    *,
    name: Callable[[Location], str] = data_path,
    show_input: bool = False,
    most: int | None = 3,
) -> str:
    """What is wrong in validated data, for a person: "where: what", problems joined by "; ".

    ``name`` says where each problem is (by default :func:`data_path`); ``show_input`` adds the
    value given when it is a plain string or number, as ``(got 'lots')``; after ``most``
    problems (by default three, as many as a person fixing a file takes in at once; None for
    all) the others are only counted, as ``(and 2 more problems)``. There is no final full
    stop, since the description is meant to end a caller's sentence.
    """
    problems = error.errors(include_url=False)
    shown = problems if most is None else problems[:most]
    parts = []
    for problem in shown:
        given = problem.get("input")
        got = f" (got {given!r})" if show_input and isinstance(given, str | int | float) else ""
        parts.append(f"{name(problem['loc'])}{got}: {_reason(problem['msg'])}")
    described = "; ".join(parts)
    hidden = len(problems) - len(shown)
    if hidden:
        described += f" (and {hidden} more problem{'s' if hidden > 1 else ''})"
    return described


def _reason(message: str) -> str:
    """Pydantic's message made to follow a colon: no "Value error, ", no capital, no full stop."""
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    message = message.strip().rstrip(".")
    if message[:1].isupper() and not message[1:2].isupper():
        message = message[0].lower() + message[1:]
    return message
