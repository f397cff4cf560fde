"""Counts in messages: "1 passage", "2 passages"."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, in the plural unless ``count`` is one."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
