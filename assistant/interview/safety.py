"""Deterministic checks on what the employee writes, before any model sees it.

Distress must be caught even when no model is running, so it is matched against the guide's
cues rather than left to the model's judgement. The cues err on the side of care: a false alarm
costs an interrupted interview; a missed one costs far more.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache

from assistant.interview.guide import Guide
from assistant.text import contains_phrase, fold_for_matching


class Concern(StrEnum):
    DISTRESS = "distress"
    STOP = "stop"
    OFF_MISSION = "off_mission"
    CONFIDENTIALITY = "confidentiality"  # who will read what was said


@lru_cache(maxsize=16)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern) for pattern in patterns)


def _matches(text: str, patterns: list[str]) -> bool:
    folded = fold_for_matching(text)
    return any(pattern.search(folded) for pattern in _compiled(tuple(patterns)))


def concern_in(text: str, guide: Guide) -> Concern | None:
    """The most serious concern ``text`` raises, if any: distress first, then a stop request,
    a request outside the interview's mission, and a question about who reads what."""
    if _matches(text, guide.safety.distress):
        return Concern.DISTRESS
    if _is_stop_request(text, guide):
        return Concern.STOP
    if _matches(text, guide.safety.off_mission):
        return Concern.OFF_MISSION
    if _matches(text, guide.safety.confidentiality):
        return Concern.CONFIDENTIALITY
    return None


def _is_stop_request(text: str, guide: Guide) -> bool:
    # Only a short message is a request to stop; "I couldn't stop thinking about it" is not.
    return len(fold_for_matching(text).split()) <= 6 and contains_phrase(text, guide.words.stop)
