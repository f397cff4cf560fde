"""What a loader returns: a document's blocks of text in reading order, with their headings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.retrieval.loaders.cleaning import clean_line


@dataclass(frozen=True)
class Block:
    """A piece of text in reading order: a paragraph, list item, table row group, etc."""

    text: str
    """Cleaned text: whitespace normalised inside lines, lines joined by ``\\n``; never empty."""
    heading_path: tuple[str, ...]
    """Enclosing headings, outermost first; ``()`` if none."""
    page: int | None
    """1-based page number for PDFs; None for formats without pages."""


@dataclass(frozen=True)
class LoadedDocument:
    title: str
    """First H1 / docx Title or first Heading 1 / HTML <title> or first h1 / PDF metadata title;
    else the file stem."""
    blocks: tuple[Block, ...]
    """At least one block."""
    encoding: str | None
    """Python codec name of a text format's bytes ("utf-8", "utf-8-sig" when there is a BOM,
    "cp1252", …); None for binary formats (PDF, DOCX)."""
    pages: int | None
    """Page count for PDFs; None otherwise."""


def stem_title(path: Path) -> str:
    """The title of a document that names none: its file name without the suffix."""
    return clean_line(path.stem) or path.name


class Headings:
    """The current heading at each level; the path is the outermost first."""

    def __init__(self) -> None:
        self._levels: dict[int, str] = {}

    def set(self, level: int, text: str) -> None:
        for deeper in [known for known in self._levels if known >= level]:
            del self._levels[deeper]
        if text:
            self._levels[level] = text

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self._levels[level] for level in sorted(self._levels))
