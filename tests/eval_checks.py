"""Checks of the kind a case's ``python`` assertion names (used by the assertion's tests)."""

from __future__ import annotations


def ends_with_question_mark(text: str, language: str) -> tuple[bool, str]:
    ending = text.rstrip()[-1:]
    return ending == "?", f"ends with {ending!r}"


def raises(text: str, language: str) -> bool:
    raise ValueError("a broken check")
