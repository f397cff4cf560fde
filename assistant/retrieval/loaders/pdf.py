"""PDF into blocks of text, each with its page.

A PDF has no headings to read, so blocks are its paragraphs: split on blank lines, and runs of
lines without one grouped into blocks of a few hundred characters ending at a sentence's end.
An encrypted PDF that opens with the empty password (it only restricts printing or copying) is
read; one that needs a password is refused, as is one without extractable text (a scan).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pypdf
from pypdf import PasswordType
from pypdf.errors import DependencyError, PyPdfError

from assistant.retrieval.loaders.cleaning import clean_line, paragraphs
from assistant.retrieval.loaders.document import Block, LoadedDocument, stem_title
from assistant.retrieval.loaders.errors import DocumentError, DocumentErrorKind, describe_exception

# PDF text without blank lines is grouped into blocks of about this many characters.
_PDF_BLOCK_TARGET = 600
_PDF_BLOCK_MAX = 1500

_SCANNED = "no extractable text (scanned image? run OCR first)"


def load_pdf(path: Path, data: bytes) -> LoadedDocument:
    """The PDF in ``data``, read from ``path``; DocumentError if it cannot be read."""
    if b"%PDF-" not in data[:1024]:
        raise DocumentError(
            path,
            DocumentErrorKind.CORRUPT,
            "not a PDF: it has no %PDF- header",
            fix="check what the file really is and give it its real extension",
        )
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and _pdf_password_needed(reader):
            raise DocumentError(
                path,
                DocumentErrorKind.CORRUPT,
                "encrypted",
                fix="open it with its password, print or export it to a new PDF without one, "
                "and add that file",
            )
        page_count = len(reader.pages)
        title = _pdf_title(reader)
        blocks: list[Block] = []
        for number, page in enumerate(reader.pages, start=1):
            try:
                text = page.extract_text()
            except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as error:
                reason = f"page {number} is damaged: {_pdf_problem(error)}"
                raise DocumentError(path, DocumentErrorKind.CORRUPT, reason) from error
            blocks.extend(Block(part, (), number) for part in _pdf_paragraphs(text))
    except DocumentError:
        raise
    except DependencyError as error:
        raise DocumentError(path, DocumentErrorKind.CORRUPT, "encrypted") from error
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as error:
        reason = f"damaged or incomplete: {_pdf_problem(error)}"
        raise DocumentError(path, DocumentErrorKind.CORRUPT, reason) from error
    if page_count == 0:
        raise DocumentError(path, DocumentErrorKind.EMPTY, "no pages")
    if not blocks:
        raise DocumentError(path, DocumentErrorKind.EMPTY, _SCANNED)
    return LoadedDocument(
        title=title or stem_title(path), blocks=tuple(blocks), encoding=None, pages=page_count
    )


def _pdf_problem(error: Exception) -> str:
    detail = str(error).strip()
    return detail if isinstance(error, PyPdfError) and detail else describe_exception(error)


def _pdf_password_needed(reader: pypdf.PdfReader) -> bool:
    """Try the empty password, which opens PDFs that only restrict printing or copying."""
    try:
        result: PasswordType = reader.decrypt("")
    except (PyPdfError, NotImplementedError):
        return True
    return result == PasswordType.NOT_DECRYPTED


def _pdf_title(reader: pypdf.PdfReader) -> str | None:
    try:
        metadata = reader.metadata
        raw = metadata.title if metadata is not None else None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return clean_line(raw) or None if isinstance(raw, str) else None


_SENTENCE_END = re.compile(r"[.!?:;…»\"”)]$")


def _pdf_paragraphs(text: str) -> Iterator[str]:
    """Paragraphs of a page: split on blank lines, and long runs of lines grouped by size."""
    for paragraph in paragraphs(text):
        if len(paragraph) <= _PDF_BLOCK_MAX:
            yield paragraph
        else:
            yield from _group_lines(paragraph.split("\n"))


def _group_lines(lines: Iterable[str]) -> Iterator[str]:
    group: list[str] = []
    size = 0
    for line in lines:
        if group and size + len(line) > _PDF_BLOCK_MAX:
            yield "\n".join(group)
            group, size = [], 0
        group.append(line)
        size += len(line) + 1
        if size >= _PDF_BLOCK_TARGET and _SENTENCE_END.search(line):
            yield "\n".join(group)
            group, size = [], 0
    if group:
        yield "\n".join(group)
