"""What can be wrong with a file the loaders read: :class:`DocumentError` and its kinds."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from assistant.errors import TerrainError
from assistant.retrieval.loaders.formats import LABELS, SUPPORTED_SUFFIXES


class DocumentErrorKind(StrEnum):
    CORRUPT = "corrupt"
    EMPTY = "empty"
    UNSUPPORTED = "unsupported"
    TOO_LARGE = "too large"
    NOT_TEXT = "not text"


_DEFAULT_FIXES = {
    DocumentErrorKind.CORRUPT: (
        "open the file in the program that made it, save or export it again, and add it again"
    ),
    DocumentErrorKind.EMPTY: None,
    DocumentErrorKind.UNSUPPORTED: (
        "save it in one of the supported formats: " + ", ".join(sorted(SUPPORTED_SUFFIXES))
    ),
    DocumentErrorKind.TOO_LARGE: "raise TERRAIN_MAX_FILE_MB or split the file",
    DocumentErrorKind.NOT_TEXT: (
        "if it is a document, give it the extension of its real format; otherwise leave it out"
    ),
}


class DocumentError(TerrainError):
    """A file that cannot be turned into text, and why.

    ``str(error)`` reads like ``notes.pdf: corrupt PDF (encrypted) Fix: …``.
    """

    def __init__(
        self, path: Path, kind: DocumentErrorKind, reason: str, *, fix: str | None = None
    ) -> None:
        self.path = path
        self.kind = kind
        self.reason = reason
        label = LABELS.get(path.suffix.lower(), "file")
        if kind is DocumentErrorKind.CORRUPT:
            what = f"corrupt {label}"
        elif kind is DocumentErrorKind.EMPTY:
            what = f"empty {label}"
        elif kind is DocumentErrorKind.UNSUPPORTED:
            what = "unsupported file type"
        elif kind is DocumentErrorKind.TOO_LARGE:
            what = f"{label} too large"
        else:
            what = "not a text file"
        super().__init__(f"{path.name}: {what} ({reason})", fix=fix or _DEFAULT_FIXES[kind])


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size:,} bytes"


def describe_exception(error: BaseException) -> str:
    """An exception a parser raised, named for a message: ``KeyError: '/Root'``."""
    detail = str(error).strip()
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__
