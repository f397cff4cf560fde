"""HTML into blocks under their headings: only what a reader sees, cut at block elements.

Scripts, styles, hidden elements (``hidden``, ``aria-hidden``, ``display: none``…) and markup that
is not text (comments, doctypes) are dropped; a table row is one block, its cells joined by
``|``; ``<pre>`` keeps its lines; ``<br>`` breaks a line and source line breaks are spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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

from assistant.retrieval.loaders.cleaning import clean, clean_line
from assistant.retrieval.loaders.document import Block, Headings

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


def html_blocks(text: str) -> tuple[str | None, list[Block]]:
    """The page's title (its <title>, else its first h1), if any, and its blocks."""
    try:
        soup = BeautifulSoup(text, "lxml")
    except ParserRejectedMarkup as error:
        raise ValueError(f"the HTML parser rejected it: {error}") from error
    title: str | None = None
    if soup.title is not None:
        title = clean_line(soup.title.get_text(" ")) or None
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
    _headings: Headings = field(default_factory=Headings)
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
            self._emit(clean(element.get_text()))
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
        text = clean(text)
        if text:
            self.blocks.append(Block(text, self._headings.path, None))


def _flat_text(element: Tag) -> str:
    """An element's visible text on one line, with spaces where block boundaries were."""
    walker = _HtmlWalker()
    walker.walk(element)
    walker.flush()
    return " ".join(clean_line(block.text) for block in walker.blocks)


def declared_encoding(data: bytes) -> str | None:
    """The charset an HTML page declares in a <meta> tag or XML declaration, if any."""
    declared = EncodingDetector.find_declared_encoding(data[:4096], is_html=True)
    return declared or None
