"""What the output guard's language rule costs a reply, with and without the fast path on
function words (:func:`assistant.interview.rules.plainly_in`), and how many replies take it.

The replies are interviewer-like texts of the repository: the guides' fallback questions, the
scripted replies of the interviewer's evaluation cases and the fake model's question, each in
the language lingua finds it in. Prints; nothing is recorded. Run:
``.venv/bin/python benchmarks/language_check.py``.
"""

from __future__ import annotations

import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.interview.rules import (  # noqa: E402
    MIN_WORDS_TO_JUDGE_LANGUAGE,
    language_of,
    load_language_detector,
    plainly_in,
    words,
)
from tests.ollama_server import DEFAULT_QUESTION  # noqa: E402
from tests.support.sentences import repository_sentences  # noqa: E402

Check = Callable[[str, str], bool]


def interviewer_replies() -> list[tuple[str, str]]:
    """(language, reply) for each reply long enough to judge, in the language it is in."""
    found = [("fr", DEFAULT_QUESTION)]
    for language in ("fr", "en"):
        guide = tomllib.loads((ROOT / f"prompts/interview.guide.{language}.toml").read_text())
        found += [(language, q) for phase in guide["phases"] for q in phase["questions"]]
    for path in sorted((ROOT / "evals" / "interviewer").glob("*.yaml")):
        for case in yaml.safe_load(path.read_text()).get("cases", []):
            for reply in case.get("scripted") or []:
                if isinstance(reply, str) and case.get("language"):
                    found.append((case["language"], reply))
    return [
        (language, reply)
        for language, reply in found
        if len(words(reply)) >= MIN_WORDS_TO_JUDGE_LANGUAGE and language_of(reply) == language
    ]


def before(text: str, language: str) -> bool:
    """The guard's language rule before the fast path."""
    if len(words(text)) < MIN_WORDS_TO_JUDGE_LANGUAGE:
        return False
    found = language_of(text)
    return found is not None and found != language


def after(text: str, language: str) -> bool:
    """The guard's language rule now (OutputGuard._in_another_language)."""
    if len(words(text)) < MIN_WORDS_TO_JUDGE_LANGUAGE or plainly_in(text, language):
        return False
    found = language_of(text)
    return found is not None and found != language


def microseconds_per_check(check: Check, replies: list[tuple[str, str]]) -> float:
    """The best of five rounds, each checking every reply 20 times."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(20):
            for language, reply in replies:
                check(reply, language)
        best = min(best, (time.perf_counter() - start) / (20 * len(replies)))
    return best * 1e6


def main() -> None:
    load_language_detector()
    replies = interviewer_replies()
    plain = [(language, reply) for language, reply in replies if plainly_in(reply, language)]
    other = [pair for pair in replies if pair not in plain]
    assert all(before(r, language) == after(r, language) for language, r in replies)
    print(f"interviewer-like replies: {len(replies)}, plain: {len(plain)}")
    for language in ("fr", "en"):
        of = [pair for pair in replies if pair[0] == language]
        print(f"  {language}: {sum(pair in plain for pair in of)}/{len(of)}")
    print(f"the fake model's question plain: {plainly_in(DEFAULT_QUESTION, 'fr')}")
    counts = {"fr": [0, 0], "en": [0, 0]}
    for sentence in repository_sentences():
        found = language_of(sentence)
        if found in counts:
            counts[found][0] += plainly_in(sentence, found)
            counts[found][1] += 1
    for language, (taken, total) in counts.items():
        print(f"repository sentences lingua finds in {language}: {taken}/{total} plain")
    for name, sample in (("all replies", replies), ("plain", plain), ("others", other)):
        was, now = microseconds_per_check(before, sample), microseconds_per_check(after, sample)
        print(f"{name} ({len(sample)}): {was:.1f} µs a check before, {now:.1f} µs now")


if __name__ == "__main__":
    main()
