"""A transcript file's bytes to text: size, type and encoding checked, lines split.

Encodings are told apart as for documents (:mod:`assistant.retrieval.loaders.decoding`): a
byte-order mark wins, then UTF-8, then Windows-1252 for Western text; binary files are refused.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.retrieval.loaders.decoding import decode_text
from assistant.retrieval.loaders.errors import DocumentError
from assistant.transcripts.model import TranscriptFormatError

# Larger files are not interview transcripts (a two-hour interview is about 150 kB of text).
MAX_TRANSCRIPT_BYTES = 5 * 1024 * 1024
# Files Terrain reads elsewhere that are not transcripts it can import.
REFUSED_SUFFIXES = frozenset({".pdf", ".docx", ".doc", ".odt", ".rtf", ".html", ".htm", ".srt"})

_NEWLINE = re.compile(r"\r\n|\r|\n")


def read_text(path: Path) -> tuple[str, str]:
    """The file's text and the codec it was read with; binary or unreadable files refused."""
    suffix = path.suffix.lower()
    if suffix in REFUSED_SUFFIXES:
        raise TranscriptFormatError(
            path,
            f"Terrain imports transcripts as JSON, WebVTT (.vtt) or plain text, not {suffix} "
            "files.",
            fix="Export the transcript as plain text with speaker labels, or as WebVTT.",
        )
    try:
        size = path.stat().st_size
        if size > MAX_TRANSCRIPT_BYTES:
            raise TranscriptFormatError(
                path,
                f"it is {size / 1024 / 1024:.1f} MB, more than the "
                f"{MAX_TRANSCRIPT_BYTES // 1024 // 1024} MB an interview transcript takes.",
                fix="Check that this is the transcript of one interview.",
            )
        data = path.read_bytes()
    except OSError as error:
        raise TranscriptFormatError(
            path, f"the file cannot be read ({error.strerror or error})."
        ) from None
    if not data.strip():
        raise TranscriptFormatError(path, "the file is empty.")
    try:
        return decode_text(path, data)
    except DocumentError:
        raise TranscriptFormatError(
            path,
            "it is not a text file (its bytes are binary, or in no text encoding Terrain "
            "recognises).",
            fix="Export the transcript as UTF-8 text: JSON, WebVTT (.vtt) or plain text.",
        ) from None


def split_lines(text: str) -> list[str]:
    """The text's lines, whatever its line endings (``\r\n``, ``\r`` or ``\n``)."""
    return _NEWLINE.split(text)
