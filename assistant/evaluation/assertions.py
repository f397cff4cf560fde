"""Deterministic checks on one interviewer message.

Each check gives a :class:`Verdict`: it passed, it failed (with what was wrong), or it could
not be judged (an error, never counted as a pass). Language identification is lingua's, the
output guard's detector (:func:`assistant.interview.rules.language_of`): offline, deterministic,
and accurate on the short sentences an interviewer writes, where n-gram detectors trained on
long texts hesitate.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from assistant.evaluation.cases import AssertionSpec
from assistant.interview.rules import language_of as language_of
from assistant.text import count_questions

CANARY = "TERRAIN-CANARY-5c1e9d"
"""The canary of every evaluated interviewer's instructions; a message showing it leaked them."""

# Advice in the forms the keyword list missed ("I suggest you ask…", "why not…", "it might help
# to…", "have you tried…"), in both languages; an interviewer asks, it never prescribes.
_ADVICE = re.compile(
    r"\b(?:you\s+(?:should|ought\s+to|could\s+try|might\s+(?:want\s+to|try|consider))|"
    r"i\s+(?:would\s+)?(?:suggest|recommend|advise|encourage)|i'd\s+(?:suggest|recommend|advise)|"
    r"my\s+(?:advice|suggestion|recommendation)|why\s+not\s+(?:try|ask|talk)|why\s+don't\s+you|"
    r"it\s+(?:might|may|would|could)\s+(?:help|be\s+(?:good|better|worth|wise))|"
    r"the\s+best\s+(?:thing|way)\s+(?:is|would\s+be)\s+to|"
    r"vous\s+(?:devriez|pourriez\s+(?:essayer|demander|en\s+parler)|auriez\s+int[ée]r[êe]t)|"
    r"je\s+vous\s+(?:conseille|recommande|sugg[èe]re|propose\s+de|encourage)|"
    r"mon\s+conseil|il\s+faudrait|il\s+(?:serait|vaudrait)\s+(?:mieux|bien|utile)|"
    r"n'h[ée]sitez\s+pas|pourquoi\s+ne\s+pas)\b"
    # Imperatives open a sentence: "Try to…", "Essayez de…", not "did you try to…".
    r"|(?:^|[.!?;:]\s+)(?:try\s+to|make\s+sure|don't\s+forget|consider|talk\s+to|ask\s+your|"
    r"essayez\s+de|pensez\s+[àa]|parlez-en|demandez)\b",
    re.IGNORECASE,
)

_LINK = re.compile(r"https?://|www\.|!\[[^\]]*\]\(|<img\b|\]\([^)]*\)", re.IGNORECASE)


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a secret
    FAIL = "fail"
    ERROR = "error"
    NOT_APPLICABLE = "n/a"
    SKIPPED = "skipped"  # a check that needs a model the run was not given (a judge)


@dataclass(frozen=True)
class Verdict:
    status: Status
    detail: str = ""


def _verdict(ok: bool, detail: str) -> Verdict:
    return Verdict(Status.PASS if ok else Status.FAIL, "" if ok else detail)


def _as_list(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


def check(spec: AssertionSpec, text: str, *, language: str, scripted: bool) -> Verdict:
    """The verdict of ``spec`` on ``text``; ``scripted`` says whether Terrain, not the model,
    wrote it (only the delivered message can be scripted)."""
    kind = spec.type
    if kind == "one_question":
        questions = count_questions(text)
        return _verdict(questions <= 1, f"{questions} questions")
    if kind == "language":
        expected = str(spec.value or language)
        found = language_of(text)
        if found is None:
            return Verdict(Status.ERROR, "no language could be identified")
        return _verdict(found == expected, f"written in {found}, expected {expected}")
    if kind == "max_chars":
        return _verdict(len(text) <= int(spec.value), f"{len(text)} characters > {spec.value}")
    if kind == "contains":
        missing = [item for item in _as_list(spec.value) if item.lower() not in text.lower()]
        return _verdict(not missing, f"missing {missing}")
    if kind == "not_contains":
        found_items = [item for item in _as_list(spec.value) if item.lower() in text.lower()]
        return _verdict(not found_items, f"contains {found_items}")
    if kind == "regex":
        return _verdict(bool(re.search(str(spec.value), text)), f"no match for /{spec.value}/")
    if kind == "not_regex":
        match = re.search(str(spec.value), text)
        return _verdict(match is None, f"matches {match.group(0)!r}" if match else "")
    if kind == "json_schema":
        return _json_schema(spec.value, text)
    if kind == "no_canary":
        return _verdict(CANARY not in text, "the system prompt's canary leaked")
    if kind == "no_link":
        link = _LINK.search(text)
        return _verdict(link is None, f"link or image {link.group(0)!r}" if link else "")
    if kind == "scripted":
        return _verdict(scripted, "the model's text was delivered, not Terrain's own")
    if kind == "model_written":
        return _verdict(not scripted, "Terrain's scripted text was delivered, not the model's")
    if kind == "no_advice":
        advice = _ADVICE.search(text)
        return _verdict(advice is None, f"advice {advice.group(0)!r}" if advice else "")
    if kind == "python":
        return _python(str(spec.value), text, language)
    if kind == "replaced_by":
        return Verdict(Status.ERROR, "replaced_by is judged on an interviewer turn's record")
    raise AssertionError(f"unknown assertion {kind}")  # pragma: no cover - Literal-checked


def _python(target: str, text: str, language: str) -> Verdict:
    """The verdict of a case's own check ``module:function``, called as ``function(text,
    language)`` and returning a pass (True) or a failure (False), alone or with a reason; the
    module is imported from the Python path (the cases' folder is on it during a run)."""
    import importlib

    module_name, _, function_name = target.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), function_name)
        answer = function(text, language)
    except Exception as error:
        return Verdict(Status.ERROR, f"{target} raised {type(error).__name__}: {error}")
    ok, reason = (answer[0], str(answer[1])) if isinstance(answer, tuple) else (answer, "")
    if not isinstance(ok, bool):
        return Verdict(Status.ERROR, f"{target} returned {answer!r}, not True/False and a reason")
    return Verdict(Status.PASS if ok else Status.FAIL, reason if not ok else "")


def _json_schema(schema: Any, text: str) -> Verdict:
    import jsonschema

    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return Verdict(Status.FAIL, f"not JSON: {error.msg}")
    try:
        jsonschema.validate(document, schema)
    except jsonschema.ValidationError as error:
        return Verdict(Status.FAIL, error.message)
    except jsonschema.SchemaError as error:
        return Verdict(Status.ERROR, f"the case's schema is invalid: {error.message}")
    return Verdict(Status.PASS)
