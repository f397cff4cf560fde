"""Which prompts an evaluation ran with: their versions and file digests, recorded with the
results, and the differences from the versions each case was written for (its pins)."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.errors import TerrainError
from assistant.evaluation.cases import Case
from assistant.evaluation.judge import JUDGE_PROMPT_ID
from assistant.interview.classifier import SAFETY_PROMPT_ID
from assistant.interview.session import SYSTEM_PROMPT_ID
from assistant.prompts import load_prompt

_EVALUATED_PROMPTS = (
    SYSTEM_PROMPT_ID,
    "interview.guide",
    "interview.summary",
    SAFETY_PROMPT_ID,
    "findings.extract",
    "findings.repair",
    JUDGE_PROMPT_ID,
)


def _evaluated(languages: Sequence[str]) -> list[tuple[str, str]]:
    pairs = [
        (prompt_id, language)
        for prompt_id in _EVALUATED_PROMPTS
        for language in languages
        if prompt_id != JUDGE_PROMPT_ID
    ]
    return [*pairs, (JUDGE_PROMPT_ID, "en")]


def prompt_versions(languages: Sequence[str]) -> dict[str, str]:
    return {f"{pid}.{lang}": load_prompt(pid, lang).version for pid, lang in _evaluated(languages)}


def prompt_digests(languages: Sequence[str]) -> dict[str, str]:
    return {f"{pid}.{lang}": load_prompt(pid, lang).digest for pid, lang in _evaluated(languages)}


def pinned_differences(case: Case) -> list[str]:
    """The prompts whose version the case was written for is not the one it runs with. A pin
    is ``id`` (any language) or ``id.fr`` / ``id.en`` (cases in that language only)."""
    found = []
    for key, pinned in sorted(case.prompts.items()):
        prompt_id, _, suffix = key.rpartition(".")
        if suffix not in ("fr", "en"):
            prompt_id = key
        elif suffix != case.language:
            continue
        try:
            used = _version_for(prompt_id, case.language)
        except TerrainError as error:
            found.append(f"{key}: pinned {pinned}, {error.message}")
            continue
        if used != pinned:
            found.append(f"{key}: pinned {pinned}, ran {used}")
    return found


def _version_for(prompt_id: str, language: str) -> str:
    """The version of the prompt a case in ``language`` runs with (the judge's and the
    personas' prompts are in English only)."""
    try:
        return load_prompt(prompt_id, language).version
    except TerrainError:
        if language == "en":
            raise
        return load_prompt(prompt_id, "en").version
