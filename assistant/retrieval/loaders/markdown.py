"""Markdown (CommonMark with tables and front matter) into blocks under their headings.

HTML inside the Markdown is read as HTML would be (:mod:`.html`); a document of headings only
gives its headings as blocks, since they are still text worth finding.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from assistant.retrieval.loaders.cleaning import clean, clean_line
from assistant.retrieval.loaders.document import Block, Headings
from assistant.retrieval.loaders.html import html_blocks


def _markdown_parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    front_matter_plugin(parser)
    return parser


_MARKDOWN = _markdown_parser()


def markdown_blocks(text: str) -> tuple[str | None, list[Block]]:
    """The document's title (its first H1), if any, and its blocks."""
    tokens = _MARKDOWN.parse(text)
    headings = Headings()
    title: str | None = None
    blocks: list[Block] = []
    heading_texts: list[Block] = []
    row: list[str] | None = None
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "heading_open":
            heading = clean_line(_inline_text(tokens[index + 1]))
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
            row.append(clean_line(_inline_text(token)))
        elif token.type == "inline":
            _append(blocks, clean(_inline_text(token)), headings.path)
        elif token.type in {"fence", "code_block"}:
            _append(blocks, clean(token.content), headings.path)
        elif token.type == "html_block":
            blocks.extend(
                Block(block.text, headings.path + block.heading_path, None)
                for block in html_blocks(token.content)[1]
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
