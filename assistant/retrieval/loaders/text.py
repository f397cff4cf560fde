"""Plain text into blocks: one a paragraph, paragraphs being separated by blank lines."""

from __future__ import annotations

from assistant.retrieval.loaders.cleaning import paragraphs
from assistant.retrieval.loaders.document import Block


def plain_text_blocks(text: str) -> list[Block]:
    return [Block(paragraph, (), None) for paragraph in paragraphs(text)]
