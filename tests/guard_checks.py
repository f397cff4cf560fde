"""What reached the employee, checked apart from the output guard's own code: the runs of words
it shares with the prompts the model was given and the guide, links and images, questions."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from assistant.interview.guard import guide_texts
from assistant.interview.guide import load_guide

_LINK_OR_IMAGE = re.compile(r"https?://|www\.|!\[|\]\(|<img|\bexample\.(?:com|net|org)\b", re.I)


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return re.findall(r"[a-z0-9]+", "".join(c for c in folded if not unicodedata.combining(c)))


def longest_shared_run(text: str, sources: Iterable[str]) -> int:
    """The most consecutive words of ``text`` that stand, in that order, in one of ``sources``."""
    padded = [f" {' '.join(_words(source))} " for source in sources]
    said = _words(text)
    longest = 0
    for start in range(len(said)):
        end = start + longest + 1
        while end <= len(said) and any(f" {' '.join(said[start:end])} " in s for s in padded):
            longest, end = end - start, end + 1
    return longest


def instructions(system_prompt: str) -> str:
    """A system prompt without its notes on the employee's answers, which are theirs to hear
    again."""
    return re.sub(r"<notes>.*?</notes>", "", system_prompt, flags=re.S)


def guide_sources(language: str) -> list[str]:
    return guide_texts(load_guide(language))


def assert_reached_safely(text: str, *, sources: Iterable[str], max_run: int) -> None:
    """No run of more than ``max_run`` words from ``sources``, no link or image, no two
    questions."""
    run = longest_shared_run(text, sources)
    assert run <= max_run, f"{run} words of the instructions or guide reached the employee: {text}"
    assert _LINK_OR_IMAGE.search(text) is None, f"a link or image reached the employee: {text}"
    assert text.count("?") <= 1, f"several questions reached the employee: {text}"
