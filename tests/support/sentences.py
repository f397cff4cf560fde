"""The repository's own texts, cut into sentences: real French and English to check a language
judgement against (prompts, catalogs, knowledge documents, evaluation cases)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import yaml
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def strings_in(node: object) -> Iterator[str]:
    """Every string in a parsed TOML, YAML or JSON document, depth first."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings_in(value)


def _texts() -> Iterator[str]:
    for path in sorted((ROOT / "prompts").glob("*.toml")):
        yield from strings_in(tomllib.loads(path.read_text(encoding="utf-8")))
    for path in sorted((ROOT / "assistant" / "locale").glob("*/LC_MESSAGES/*.po")):
        with path.open("rb") as catalog:
            for message in read_po(catalog):
                for text in (message.id, message.string):
                    yield from strings_in(list(text) if isinstance(text, tuple) else text)
    for path in sorted((ROOT / "knowledge").rglob("*.md")):
        yield path.read_text(encoding="utf-8")
    for path in sorted([*(ROOT / "prompts").glob("*.yaml"), *(ROOT / "evals").rglob("*.yaml")]):
        yield from strings_in(yaml.safe_load(path.read_text(encoding="utf-8")))


@cache
def repository_sentences(min_words: int = 4) -> tuple[str, ...]:
    """Every distinct sentence (or line) of the repository's texts of at least ``min_words``."""
    found = {
        sentence.strip()
        for text in _texts()
        for sentence in _SENTENCE_END.split(text)
        if len(sentence.split()) >= min_words
    }
    return tuple(sorted(found))
