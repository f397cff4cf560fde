"""Turn a file into text for the retrieval index: blocks in reading order, with their headings.

One entry point, :func:`load_document`. It reads Markdown, plain text, HTML, PDF and Word
(``.docx``) files, one module each, and returns a :class:`LoadedDocument` whose blocks are
paragraphs, list items, table rows, quotes and code, each with the headings that enclose it (and,
for PDFs, its page). Text formats are decoded first (:mod:`.decoding` says how encodings are
told apart).

Every problem with the file itself (too large, empty, not text, corrupt, a type Terrain does not
read) is raised as :class:`DocumentError`, whose message names the file and says why; no parser
exception escapes.

A format's module, and the parser library it needs, is imported when a file of that format is
first read: importing this package costs next to nothing, so the command line starts fast.
"""

from __future__ import annotations

import logging
from pathlib import Path

from assistant.retrieval.loaders.decoding import decode_text
from assistant.retrieval.loaders.document import Block, LoadedDocument, stem_title
from assistant.retrieval.loaders.errors import (
    DocumentError,
    DocumentErrorKind,
    describe_exception,
    megabytes,
)
from assistant.retrieval.loaders.formats import (
    CONVERSIONS,
    DOCX_SUFFIX,
    HTML_SUFFIXES,
    MARKDOWN_SUFFIXES,
    PDF_SUFFIX,
    SUPPORTED_SUFFIXES,
)

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Block",
    "DocumentError",
    "DocumentErrorKind",
    "LoadedDocument",
    "load_document",
]

logger = logging.getLogger(__name__)


def load_document(path: Path, *, max_bytes: int) -> LoadedDocument:
    """Read ``path`` into blocks of text.

    Checks, in this order: larger than ``max_bytes`` (TOO_LARGE, from ``stat`` before reading),
    no bytes at all (EMPTY), an extension Terrain does not read (UNSUPPORTED); then the format's
    own checks. Raises :class:`DocumentError` and nothing else for a bad or unreadable file.
    """
    path = Path(path)  # a str slipped past the type checker still gets DocumentError
    try:
        return _load(path, max_bytes)
    except DocumentError:
        raise
    except MemoryError:
        raise DocumentError(
            path, DocumentErrorKind.TOO_LARGE, "not enough memory to read it", fix="split the file"
        ) from None
    except Exception as error:  # a parser bug or a file no library expected: still a bad file
        logger.debug("Unexpected error reading %s", path, exc_info=True)
        raise DocumentError(
            path, DocumentErrorKind.CORRUPT, f"unreadable: {describe_exception(error)}"
        ) from error


def _load(path: Path, max_bytes: int) -> LoadedDocument:
    suffix = path.suffix.lower()
    data = _read(path, suffix, max_bytes)
    if suffix == PDF_SUFFIX:
        from assistant.retrieval.loaders.pdf import load_pdf

        return load_pdf(path, data)
    if suffix == DOCX_SUFFIX:
        from assistant.retrieval.loaders.docx import load_docx

        return load_docx(path, data, max_bytes)
    return _load_text_format(path, suffix, data)


def _read(path: Path, suffix: str, max_bytes: int) -> bytes:
    """The file's bytes, once its size and suffix are known to be ones Terrain reads."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise _unreadable(path, error) from error
    if path.is_dir():
        raise DocumentError(path, DocumentErrorKind.UNSUPPORTED, "a folder, not a file")
    if size > max_bytes:
        raise _too_large(path, size, max_bytes)
    if size == 0:
        raise DocumentError(path, DocumentErrorKind.EMPTY, "0 bytes")
    if suffix not in SUPPORTED_SUFFIXES:
        raise _unsupported(path, suffix)

    try:
        with path.open("rb") as stream:
            data = stream.read(max_bytes + 1)
    except OSError as error:
        raise _unreadable(path, error) from error
    if len(data) > max_bytes:  # it grew since stat
        raise _too_large(path, len(data), max_bytes)
    if not data:
        raise DocumentError(path, DocumentErrorKind.EMPTY, "0 bytes")
    return data


def _load_text_format(path: Path, suffix: str, data: bytes) -> LoadedDocument:
    """Markdown, HTML or plain text: decoded, then cut into blocks by the format's module."""
    declared: str | None = None
    if suffix in HTML_SUFFIXES:
        from assistant.retrieval.loaders.html import declared_encoding

        declared = declared_encoding(data)
    text, encoding = decode_text(path, data, declared)
    if not text.strip():
        raise DocumentError(path, DocumentErrorKind.EMPTY, "only whitespace")
    title: str | None = None
    if suffix in MARKDOWN_SUFFIXES:
        from assistant.retrieval.loaders.markdown import markdown_blocks

        title, blocks = markdown_blocks(text)
    elif suffix in HTML_SUFFIXES:
        from assistant.retrieval.loaders.html import html_blocks

        title, blocks = html_blocks(text)
    else:
        from assistant.retrieval.loaders.text import plain_text_blocks

        blocks = plain_text_blocks(text)
    if not blocks:
        raise DocumentError(path, DocumentErrorKind.EMPTY, "no visible text")
    return LoadedDocument(
        title=title or stem_title(path), blocks=tuple(blocks), encoding=encoding, pages=None
    )


def _unreadable(path: Path, error: OSError) -> DocumentError:
    reason = error.strerror or describe_exception(error)
    return DocumentError(
        path,
        DocumentErrorKind.CORRUPT,
        f"cannot read the file: {reason}",
        fix="check that the file exists and that Terrain may read it",
    )


def _too_large(path: Path, size: int, max_bytes: int) -> DocumentError:
    return DocumentError(
        path,
        DocumentErrorKind.TOO_LARGE,
        f"{megabytes(size)}, the limit is {megabytes(max_bytes)}",
    )


def _unsupported(path: Path, suffix: str) -> DocumentError:
    supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
    if suffix in CONVERSIONS:
        return DocumentError(
            path,
            DocumentErrorKind.UNSUPPORTED,
            CONVERSIONS[suffix],
            fix=f"save it as .docx or PDF (File › Save As) and add that file; Terrain reads "
            f"{supported}",
        )
    reason = f"{suffix} files are not read" if suffix else "no extension"
    return DocumentError(
        path,
        DocumentErrorKind.UNSUPPORTED,
        reason,
        fix=f"save it in one of the formats Terrain reads: {supported}",
    )
