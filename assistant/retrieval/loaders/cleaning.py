"""Text clean-up shared by every format: invisible and control characters, whitespace, lines."""

from __future__ import annotations

import re

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff"))
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_BLANK_LINE = re.compile(r"\n[ \t\f\v]*\n")


def clean_line(line: str) -> str:
    """Drop invisible and control characters, collapse whitespace runs to one space."""
    return " ".join(_CONTROL.sub(" ", line.translate(_INVISIBLE)).split())


def clean(text: str) -> str:
    """Normalise whitespace inside each line and drop blank lines."""
    lines = (clean_line(line) for line in _LINE_BREAKS.split(text))
    return "\n".join(line for line in lines if line)


def paragraphs(text: str) -> list[str]:
    """The text's paragraphs (separated by blank lines), each cleaned; empty ones dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [cleaned for cleaned in map(clean, _BLANK_LINE.split(text)) if cleaned]
