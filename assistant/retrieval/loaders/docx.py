"""Word (``.docx``) into blocks under their headings.

Headings come from the paragraph styles (English "Heading 2" or a French Word's "Titre 2"; "Title"
is the document's title); paragraphs and tables are read in body order, content controls
included, and a table row is one block, its cells joined by ``|``. A ``.docx`` is a zip: one whose
parts expand far beyond its size is refused before it is parsed.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.opc.exceptions import OpcError
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.table import Table
from docx.text.paragraph import Paragraph

from assistant.retrieval.loaders.cleaning import clean, clean_line
from assistant.retrieval.loaders.document import Block, Headings, LoadedDocument, stem_title
from assistant.retrieval.loaders.errors import (
    DocumentError,
    DocumentErrorKind,
    describe_exception,
    megabytes,
)

# A .docx is a zip; its parts may expand to this many times the file's size before we refuse it.
_ZIP_EXPANSION_LIMIT = 20

# "Heading 2" in English Word; "Titre 2" where a French Word wrote localised style names.
_HEADING_STYLE = re.compile(r"^(?:heading|titre)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLES = frozenset({"title", "titre"})
_W_P, _W_TBL, _W_SDT, _W_SDT_CONTENT = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:sdtContent")


def load_docx(path: Path, data: bytes, max_bytes: int) -> LoadedDocument:
    """The Word document in ``data``, read from ``path``; DocumentError if it cannot be read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(member.file_size for member in archive.infolist())
        if expanded > max(max_bytes, len(data)) * _ZIP_EXPANSION_LIMIT:
            raise DocumentError(
                path, DocumentErrorKind.TOO_LARGE, f"its parts expand to {megabytes(expanded)}"
            )
        document = docx.Document(io.BytesIO(data))
        title, blocks = _docx_blocks(document)
    except DocumentError:
        raise
    except zipfile.BadZipFile as error:
        damaged = data.startswith(b"PK")
        raise DocumentError(
            path,
            DocumentErrorKind.CORRUPT,
            "damaged or incomplete zip archive"
            if damaged
            else "not a .docx package: the file is not a zip archive",
            fix=None
            if damaged
            else "open it in Word or LibreOffice and save it as .docx; if it is plain text, "
            "rename it .txt",
        ) from error
    except (OpcError, KeyError) as error:
        detail = error.args[0] if error.args and isinstance(error.args[0], str) else error
        raise DocumentError(
            path, DocumentErrorKind.CORRUPT, f"not a .docx package: {detail}"
        ) from error
    except (ValueError, SyntaxError, TypeError, AttributeError, zipfile.LargeZipFile) as error:
        # lxml's XMLSyntaxError is a SyntaxError; a .xlsx or .pptx renamed .docx is a ValueError.
        raise DocumentError(path, DocumentErrorKind.CORRUPT, describe_exception(error)) from error
    if not blocks:
        raise DocumentError(path, DocumentErrorKind.EMPTY, "no text")
    return LoadedDocument(
        title=title or stem_title(path), blocks=tuple(blocks), encoding=None, pages=None
    )


def _docx_blocks(document: DocxDocument) -> tuple[str | None, list[Block]]:
    headings = Headings()
    title: str | None = None
    first_h1: str | None = None
    blocks: list[Block] = []
    heading_texts: list[Block] = []
    for item in _docx_body_items(document.element.body, document):
        if isinstance(item, Table):
            for text in _docx_table_rows(item):
                blocks.append(Block(text, headings.path, None))
            continue
        text = clean(item.text)
        if not text:
            continue
        level = _docx_heading_level(item)
        if level is None:
            blocks.append(Block(text, headings.path, None))
            continue
        heading = clean_line(text)
        headings.set(level, heading)
        heading_texts.append(Block(heading, headings.path[:-1], None))
        if level == 0 and title is None:
            title = heading
        if level == 1 and first_h1 is None:
            first_h1 = heading
    return title or first_h1, blocks or heading_texts


def _docx_body_items(element: BaseOxmlElement, parent: DocxDocument) -> Iterator[Paragraph | Table]:
    """Paragraphs and tables in body order, including those inside content controls."""
    for child in element.iterchildren():
        if child.tag == _W_P:
            yield Paragraph(child, parent)
        elif child.tag == _W_TBL:
            yield Table(child, parent)
        elif child.tag == _W_SDT:
            for content in child.iterchildren(_W_SDT_CONTENT):
                yield from _docx_body_items(content, parent)


def _docx_heading_level(paragraph: Paragraph) -> int | None:
    style = paragraph.style
    names = {name.strip().lower() for name in (style.name, style.style_id) if name} if style else ()
    for name in names:
        if name in _TITLE_STYLES:
            return 0
        match = _HEADING_STYLE.match(name)
        if match:
            return int(match.group(1))
    return None


def _docx_table_rows(table: Table) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell is listed once per grid column it spans
                continue
            previous = cell._tc
            text = clean_line(cell.text)
            if text:
                cells.append(text)
        if cells:
            yield " | ".join(cells)
