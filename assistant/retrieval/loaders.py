"""Turn a file into text for the retrieval index: blocks in reading order, with their headings.

One entry point, :func:`load_document`. It reads Markdown, plain text, HTML, PDF and Word
(``.docx``) files and returns a :class:`LoadedDocument` whose blocks are paragraphs, list items,
table rows, quotes and code, each with the headings that enclose it (and, for PDFs, its page).

Every problem with the file itself (too large, empty, not text, corrupt, a type Terrain does not
read) is raised as :class:`DocumentError`, whose message names the file and says why; no parser
exception escapes.

Text encodings. A byte-order mark wins, then UTF-8 (strict), then, for HTML, the charset the page
declares. Otherwise charset-normalizer is asked, and its answer is kept when it finds text in a
non-Latin script (Cyrillic, Greek…); for everything else Windows-1252 is used, as browsers do for
Western European text: on short French texts charset-normalizer often answers mac_latin2, cp1006
or big5, which would turn "é" into "ť" or worse. Bytes with NUL characters or many control
characters are rejected as not text.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import charset_normalizer
import docx
import pypdf
from bs4 import BeautifulSoup, Tag
from bs4.builder import ParserRejectedMarkup
from bs4.dammit import EncodingDetector
from bs4.element import (
    Comment,
    Declaration,
    Doctype,
    NavigableString,
    PageElement,
    ProcessingInstruction,
)
from docx.document import Document as DocxDocument
from docx.opc.exceptions import OpcError
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.table import Table
from docx.text.paragraph import Paragraph
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin
from pypdf import PasswordType
from pypdf.errors import DependencyError, PyPdfError

from assistant.errors import TerrainError

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Block",
    "DocumentError",
    "DocumentErrorKind",
    "LoadedDocument",
    "decode_text",
    "load_document",
]

logger = logging.getLogger(__name__)

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
TEXT_SUFFIXES = frozenset({".txt", ".text"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
SUPPORTED_SUFFIXES: frozenset[str] = (
    MARKDOWN_SUFFIXES | TEXT_SUFFIXES | HTML_SUFFIXES | frozenset({".pdf", ".docx"})
)

# What a file of each kind is called in messages.
_LABELS = {
    ".md": "Markdown file",
    ".markdown": "Markdown file",
    ".txt": "text file",
    ".text": "text file",
    ".html": "HTML file",
    ".htm": "HTML file",
    ".pdf": "PDF",
    ".docx": "Word document",
}

# Formats people will try, with the way out.
_CONVERSIONS = {
    ".odt": "OpenDocument text (.odt) is not read yet",
    ".doc": "old Word documents (.doc) are not read",
    ".rtf": "RTF documents are not read",
    ".pages": "Pages documents are not read",
}

# A .docx is a zip; its parts may expand to this many times the file's size before we refuse it.
_ZIP_EXPANSION_LIMIT = 20

# PDF text without blank lines is grouped into blocks of about this many characters.
_PDF_BLOCK_TARGET = 600
_PDF_BLOCK_MAX = 1500

# Share of control characters above which decoded bytes are not text.
_MAX_CONTROL_RATIO = 0.01


# --------------------------------------------------------------------------------------------
# The contract


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
        label = _LABELS.get(path.suffix.lower(), "file")
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
            path, DocumentErrorKind.CORRUPT, f"unreadable: {_describe(error)}"
        ) from error


# --------------------------------------------------------------------------------------------
# Reading and dispatch


def _load(path: Path, max_bytes: int) -> LoadedDocument:
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
    suffix = path.suffix.lower()
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

    if suffix == ".pdf":
        return _load_pdf(path, data)
    if suffix == ".docx":
        return _load_docx(path, data, max_bytes)

    declared = _declared_html_encoding(data) if suffix in HTML_SUFFIXES else None
    text, encoding = decode_text(path, data, declared)
    if not text.strip():
        raise DocumentError(path, DocumentErrorKind.EMPTY, "only whitespace")
    if suffix in MARKDOWN_SUFFIXES:
        title, blocks = _markdown_blocks(text)
    elif suffix in HTML_SUFFIXES:
        title, blocks = _html_blocks(text)
    else:
        title, blocks = None, _plain_text_blocks(text)
    if not blocks:
        raise DocumentError(path, DocumentErrorKind.EMPTY, "no visible text")
    return LoadedDocument(
        title=title or _stem_title(path), blocks=tuple(blocks), encoding=encoding, pages=None
    )


def _unreadable(path: Path, error: OSError) -> DocumentError:
    reason = error.strerror or _describe(error)
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
        f"{_megabytes(size)}, the limit is {_megabytes(max_bytes)}",
    )


def _unsupported(path: Path, suffix: str) -> DocumentError:
    supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
    if suffix in _CONVERSIONS:
        return DocumentError(
            path,
            DocumentErrorKind.UNSUPPORTED,
            _CONVERSIONS[suffix],
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


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size:,} bytes"


def _describe(error: BaseException) -> str:
    detail = str(error).strip()
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def _stem_title(path: Path) -> str:
    return _clean_line(path.stem) or path.name


# --------------------------------------------------------------------------------------------
# Text clean-up

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff"))
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Control characters that have no business in text (tabs, line and page breaks do).
_BINARY_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_BLANK_LINE = re.compile(r"\n[ \t\f\v]*\n")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def _clean_line(line: str) -> str:
    """Drop invisible and control characters, collapse whitespace runs to one space."""
    return " ".join(_CONTROL.sub(" ", line.translate(_INVISIBLE)).split())


def _clean(text: str) -> str:
    """Normalise whitespace inside each line and drop blank lines."""
    lines = (_clean_line(line) for line in _LINE_BREAKS.split(text))
    return "\n".join(line for line in lines if line)


class _Headings:
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


# --------------------------------------------------------------------------------------------
# Encodings

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Charset-normalizer's answer is kept when it finds at least this many letters of a non-Latin
# script making up most of the non-ASCII letters.
_MIN_NON_LATIN_LETTERS = 20


def decode_text(path: Path, data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode text bytes, returning the text and the codec used; NOT_TEXT when they are not."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(path, data.decode(codec), codec), codec
            except UnicodeDecodeError as error:
                raise _not_text(path, f"invalid {codec} after a byte-order mark") from error
    if b"\x00" in data:
        raise _not_text(path, "it contains NUL bytes, so it is binary")
    try:
        return _checked(path, data.decode("utf-8"), "utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass

    candidates: list[str | None] = [declared]
    detected = charset_normalizer.from_bytes(data).best()
    guess = detected.encoding if detected is not None else None
    if guess and _mostly_non_latin(str(detected)):
        candidates.append(guess)
    candidates += ["cp1252", guess]
    for candidate in candidates:
        name = _codec_name(candidate) if candidate else None
        if name is None:
            continue
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        return _checked(path, text, name), name
    raise _not_text(path, "its bytes are in no text encoding Terrain recognises")


def _codec_name(name: str) -> str | None:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    # ISO-8859-1 is, in practice, Windows-1252 (which adds œ, €, ’ …): browsers treat it so too.
    return "cp1252" if codec in {"iso8859-1", "latin-1", "ascii"} else codec


def _mostly_non_latin(text: str) -> bool:
    letters = [char for char in text[:100_000] if not char.isascii() and char.isalpha()]
    non_latin = [char for char in letters if not unicodedata.name(char, "").startswith("LATIN")]
    return len(non_latin) >= _MIN_NON_LATIN_LETTERS and len(non_latin) * 2 > len(letters)


def _checked(path: Path, text: str, codec: str) -> str:
    """Reject decoded 'text' that is really binary: NULs or many control characters."""
    if "\x00" in text:
        raise _not_text(path, f"it contains NUL characters (read as {codec})")
    controls = len(_BINARY_CONTROL.findall(text))
    if text and controls / len(text) > _MAX_CONTROL_RATIO:
        raise _not_text(path, f"{controls} control characters in {len(text)}, so binary")
    return text.removeprefix("\ufeff")


def _not_text(path: Path, reason: str) -> DocumentError:
    return DocumentError(path, DocumentErrorKind.NOT_TEXT, reason)


def _declared_html_encoding(data: bytes) -> str | None:
    """The charset an HTML page declares in a <meta> tag or XML declaration, if any."""
    declared = EncodingDetector.find_declared_encoding(data[:4096], is_html=True)
    return declared or None


# --------------------------------------------------------------------------------------------
# Plain text


def _plain_text_blocks(text: str) -> list[Block]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = _BLANK_LINE.split(text)
    return [Block(cleaned, (), None) for cleaned in map(_clean, paragraphs) if cleaned]


# --------------------------------------------------------------------------------------------
# Markdown


def _markdown_parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    front_matter_plugin(parser)
    return parser


_MARKDOWN = _markdown_parser()


def _markdown_blocks(text: str) -> tuple[str | None, list[Block]]:
    tokens = _MARKDOWN.parse(text)
    headings = _Headings()
    title: str | None = None
    blocks: list[Block] = []
    heading_texts: list[Block] = []
    row: list[str] | None = None
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "heading_open":
            heading = _clean_line(_inline_text(tokens[index + 1]))
            level = int(token.tag[1])
            headings.set(level, heading)
            if heading:
                heading_texts.append(Block(heading, headings.path[:-1], None))
                if level == 1 and title is None:
                    title = heading
            index += 3  # heading_open, inline, heading_close
            continue
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            cells = " | ".join(cell for cell in row if cell)
            if cells:
                blocks.append(Block(cells, headings.path, None))
            row = None
        elif token.type == "inline" and row is not None:
            row.append(_clean_line(_inline_text(token)))
        elif token.type == "inline":
            _append(blocks, _clean(_inline_text(token)), headings.path)
        elif token.type in {"fence", "code_block"}:
            _append(blocks, _clean(token.content), headings.path)
        elif token.type == "html_block":
            blocks.extend(
                Block(block.text, headings.path + block.heading_path, None)
                for block in _html_blocks(token.content)[1]
            )
        index += 1
    # A document of headings only still has text worth finding.
    return title, blocks or heading_texts


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or ():
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content)  # the alt text
    return "".join(parts)


def _append(blocks: list[Block], text: str, heading_path: tuple[str, ...]) -> None:
    if text:
        blocks.append(Block(text, heading_path, None))


# --------------------------------------------------------------------------------------------
# HTML

# Elements whose content is never text a reader sees.
_INVISIBLE_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "head",
    "svg",
    "math",
    "iframe",
    "object",
    "embed",
    "canvas",
)
_HIDING_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
_HEADING_TAGS = {f"h{level}": level for level in range(1, 7)}
# Elements that start and end a block of text.
_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "header",
        "hgroup",
        "hr",
        "html",
        "legend",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "ul",
    }
)
# Strings that are markup, not text.
_NOT_TEXT_STRINGS = (Comment, Declaration, Doctype, ProcessingInstruction)


def _html_blocks(text: str) -> tuple[str | None, list[Block]]:
    try:
        soup = BeautifulSoup(text, "lxml")
    except ParserRejectedMarkup as error:
        raise ValueError(f"the HTML parser rejected it: {error}") from error
    title: str | None = None
    if soup.title is not None:
        title = _clean_line(soup.title.get_text(" ")) or None
    _remove_invisible(soup)
    walker = _HtmlWalker()
    walker.walk(soup)
    walker.flush()
    return title or walker.first_h1, walker.blocks


def _remove_invisible(soup: BeautifulSoup) -> None:
    for string in soup.find_all(string=lambda s: isinstance(s, _NOT_TEXT_STRINGS)):
        string.extract()
    doomed: list[Tag] = list(soup.find_all(_INVISIBLE_TAGS))
    for element in soup.find_all(True):
        if _is_hidden(element):
            doomed.append(element)
    for element in doomed:
        element.extract()  # extracting an element already inside an extracted one is harmless


def _is_hidden(element: Tag) -> bool:
    if element.has_attr("hidden"):
        return True
    if _attribute(element, "aria-hidden").strip().lower() == "true":
        return True
    if element.name == "input" and _attribute(element, "type").strip().lower() == "hidden":
        return True
    return bool(_HIDING_STYLE.search(_attribute(element, "style")))


def _attribute(element: Tag, name: str) -> str:
    value = element.get(name)
    if value is None:
        return ""
    return value if isinstance(value, str) else " ".join(value)


@dataclass
class _HtmlWalker:
    """Walks the visible tree in document order, cutting text into blocks at block elements."""

    blocks: list[Block] = field(default_factory=list)
    first_h1: str | None = None
    _headings: _Headings = field(default_factory=_Headings)
    _buffer: list[str] = field(default_factory=list)

    def walk(self, node: Tag) -> None:
        # An explicit stack rather than recursion: pages nest thousands of elements deep.
        # None marks the end of a block element.
        stack: list[PageElement | None] = list(reversed(node.contents))
        while stack:
            item = stack.pop()
            if item is None:
                self.flush()
            elif isinstance(item, NavigableString):
                if not isinstance(item, _NOT_TEXT_STRINGS):
                    # Source line breaks are spaces in HTML; only <br> breaks a line.
                    self._buffer.append(_WHITESPACE.sub(" ", item))
            elif isinstance(item, Tag) and not self._visit(item):
                if item.name in _BLOCK_TAGS:
                    self.flush()
                    stack.append(None)
                stack.extend(reversed(item.contents))

    def _visit(self, element: Tag) -> bool:
        """Handle the elements read whole; False for those whose children are walked."""
        name = element.name
        if name in _HEADING_TAGS:
            self.flush()
            heading = _flat_text(element)
            self._headings.set(_HEADING_TAGS[name], heading)
            if name == "h1" and heading and self.first_h1 is None:
                self.first_h1 = heading
        elif name == "tr":
            self.flush()
            cells = (_flat_text(cell) for cell in element.find_all(["td", "th"], recursive=False))
            self._emit(" | ".join(cell for cell in cells if cell))
        elif name == "pre":
            self.flush()
            self._emit(_clean(element.get_text()))
        elif name == "br":
            self._buffer.append("\n")
        else:
            return False
        return True

    def flush(self) -> None:
        text = "".join(self._buffer)
        self._buffer.clear()
        self._emit(text)

    def _emit(self, text: str) -> None:
        text = _clean(text)
        if text:
            self.blocks.append(Block(text, self._headings.path, None))


def _flat_text(element: Tag) -> str:
    """An element's visible text on one line, with spaces where block boundaries were."""
    walker = _HtmlWalker()
    walker.walk(element)
    walker.flush()
    return " ".join(_clean_line(block.text) for block in walker.blocks)


# --------------------------------------------------------------------------------------------
# PDF

_SCANNED = "no extractable text (scanned image? run OCR first)"


def _load_pdf(path: Path, data: bytes) -> LoadedDocument:
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
        title=title or _stem_title(path), blocks=tuple(blocks), encoding=None, pages=page_count
    )


def _pdf_problem(error: Exception) -> str:
    detail = str(error).strip()
    return detail if isinstance(error, PyPdfError) and detail else _describe(error)


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
    return _clean_line(raw) or None if isinstance(raw, str) else None


_SENTENCE_END = re.compile(r"[.!?:;…»\"”)]$")


def _pdf_paragraphs(text: str) -> Iterator[str]:
    """Paragraphs of a page: split on blank lines, and long runs of lines grouped by size."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for chunk in _BLANK_LINE.split(text):
        cleaned = _clean(chunk)
        if len(cleaned) <= _PDF_BLOCK_MAX:
            if cleaned:
                yield cleaned
            continue
        yield from _group_lines(cleaned.split("\n"))


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


# --------------------------------------------------------------------------------------------
# Word (.docx)

# "Heading 2" in English Word; "Titre 2" where a French Word wrote localised style names.
_HEADING_STYLE = re.compile(r"^(?:heading|titre)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLES = frozenset({"title", "titre"})
_W_P, _W_TBL, _W_SDT, _W_SDT_CONTENT = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:sdtContent")


def _load_docx(path: Path, data: bytes, max_bytes: int) -> LoadedDocument:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(member.file_size for member in archive.infolist())
        if expanded > max(max_bytes, len(data)) * _ZIP_EXPANSION_LIMIT:
            raise DocumentError(
                path, DocumentErrorKind.TOO_LARGE, f"its parts expand to {_megabytes(expanded)}"
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
        raise DocumentError(path, DocumentErrorKind.CORRUPT, _describe(error)) from error
    if not blocks:
        raise DocumentError(path, DocumentErrorKind.EMPTY, "no text")
    return LoadedDocument(
        title=title or _stem_title(path), blocks=tuple(blocks), encoding=None, pages=None
    )


def _docx_blocks(document: DocxDocument) -> tuple[str | None, list[Block]]:
    headings = _Headings()
    title: str | None = None
    first_h1: str | None = None
    blocks: list[Block] = []
    heading_texts: list[Block] = []
    for item in _docx_body_items(document.element.body, document):
        if isinstance(item, Table):
            for text in _docx_table_rows(item):
                blocks.append(Block(text, headings.path, None))
            continue
        text = _clean(item.text)
        if not text:
            continue
        level = _docx_heading_level(item)
        if level is None:
            blocks.append(Block(text, headings.path, None))
            continue
        heading = _clean_line(text)
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
            text = _clean_line(cell.text)
            if text:
                cells.append(text)
        if cells:
            yield " | ".join(cells)
