"""Token-aware chunks that keep their place in the document (heading path and page).

Blocks (paragraphs, list items…) are packed in reading order into chunks of at most
``max_tokens``. A chunk never spans two sections or two pages, so its citation is exact. The
last blocks of a chunk are repeated at the start of the next one, up to ``overlap_tokens``, so
that a passage cut at a boundary can still be found whole. A block longer than a chunk is cut
into windows of tokens.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby

from assistant.retrieval.loaders import Block
from assistant.tokens import TokenCounter

SECTION_SEPARATOR = " > "


@dataclass(frozen=True)
class Chunk:
    text: str
    heading_path: tuple[str, ...]
    page: int | None
    tokens: int

    @property
    def section(self) -> str:
        return SECTION_SEPARATOR.join(self.heading_path)


def chunk_blocks(
    blocks: Iterable[Block],
    counter: TokenCounter,
    *,
    max_tokens: int = 350,
    overlap_tokens: int = 50,
) -> list[Chunk]:
    if not 0 <= overlap_tokens < max_tokens:
        raise ValueError("overlap_tokens must be at least 0 and below max_tokens")
    chunks: list[Chunk] = []
    for (heading_path, page), group in groupby(blocks, key=lambda b: (b.heading_path, b.page)):
        pieces = [piece for block in group for piece in _fit(block.text, counter, max_tokens)]
        for text in _pack(pieces, counter, max_tokens, overlap_tokens):
            chunks.append(
                Chunk(text=text, heading_path=heading_path, page=page, tokens=counter.count(text))
            )
    return chunks


def _fit(text: str, counter: TokenCounter, max_tokens: int) -> Iterator[str]:
    """The block itself, or windows of it when it is longer than a chunk."""
    tokens = counter.encoding.encode(text, disallowed_special=())
    if len(tokens) <= max_tokens:
        yield text
        return
    for start in range(0, len(tokens), max_tokens):
        yield counter.encoding.decode(tokens[start : start + max_tokens]).strip()


def _pack(
    pieces: list[str], counter: TokenCounter, max_tokens: int, overlap_tokens: int
) -> Iterator[str]:
    sizes = [counter.count(piece) for piece in pieces]
    current: list[int] = []  # indices into pieces
    used = 0
    for index, size in enumerate(sizes):
        if current and used + size > max_tokens:
            yield _join(pieces, current)
            current, used = _overlap(current, sizes, overlap_tokens, max_tokens - size)
        current.append(index)
        used += size
    if current:
        yield _join(pieces, current)


def _overlap(
    previous: list[int], sizes: list[int], overlap_tokens: int, room: int
) -> tuple[list[int], int]:
    """The trailing pieces of the previous chunk that fit in the overlap and the room left."""
    kept: list[int] = []
    used = 0
    for index in reversed(previous):
        if used + sizes[index] > min(overlap_tokens, room):
            break
        kept.insert(0, index)
        used += sizes[index]
    return kept, used


def _join(pieces: list[str], indices: list[int]) -> str:
    return "\n\n".join(pieces[i] for i in indices)
