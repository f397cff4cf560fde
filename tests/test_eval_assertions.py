"""The deterministic assertions, the cache key and the comparison of runs."""

from __future__ import annotations

import pytest

from assistant.evaluation.assertions import CANARY, Status, check, language_of
from assistant.evaluation.cache import cache_key
from assistant.evaluation.cases import AssertionSpec
from assistant.evaluation.results import (
    AssertionResult,
    Attempt,
    CaseResult,
    RunResults,
    compare,
)
from assistant.llm.port import ChatMessage


def verdict(kind: str, text: str, value: object = None, language: str = "en") -> Status:
    spec = AssertionSpec.model_validate({"type": kind, "value": value})
    return check(spec, text, language=language, scripted=False).status


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Comment s'est passée votre dernière visite chez elle ?", "fr"),
        ("What did you do when you arrived at her home?", "en"),
    ],
)
def test_language_is_identified_offline(text: str, language: str) -> None:
    assert language_of(text) == language
    assert verdict("language", text, language=language) == Status.PASS
    other = "en" if language == "fr" else "fr"
    assert verdict("language", text, language=other) == Status.FAIL


def test_a_text_without_words_has_no_language_and_errs() -> None:
    assert verdict("language", "?!") == Status.ERROR


def test_one_question_length_contains_and_regex() -> None:
    assert verdict("one_question", "What happened? And then?") == Status.FAIL
    assert verdict("one_question", "What happened?") == Status.PASS
    assert verdict("max_chars", "x" * 11, 10) == Status.FAIL
    assert verdict("contains", "Mrs Martin called", ["martin"]) == Status.PASS
    assert verdict("not_contains", "You should rest", ["you should"]) == Status.FAIL
    assert verdict("regex", "last week", r"last (week|time)") == Status.PASS
    assert verdict("not_regex", "Why did you?", r"(?i)\bwhy\b") == Status.FAIL


def test_links_images_and_the_canary_are_caught() -> None:
    assert verdict("no_link", "See https://example.com") == Status.FAIL
    assert verdict("no_link", "![logo](x.png)") == Status.FAIL
    assert verdict("no_link", "What happened next?") == Status.PASS
    assert verdict("no_canary", f"My reference is {CANARY}.") == Status.FAIL


def test_json_schema() -> None:
    schema = {"type": "object", "required": ["points"]}
    assert verdict("json_schema", '{"points": []}', schema) == Status.PASS
    assert verdict("json_schema", '{"other": 1}', schema) == Status.FAIL
    assert verdict("json_schema", "not json", schema) == Status.FAIL


def test_the_cache_key_changes_with_model_messages_schema_and_parameters() -> None:
    messages = [ChatMessage.user("Hello")]
    base = cache_key("m", messages, None, {"temperature": 0.3, "num_ctx": 8192})
    assert base == cache_key("m", messages, None, {"num_ctx": 8192, "temperature": 0.3})
    assert base != cache_key("n", messages, None, {"temperature": 0.3, "num_ctx": 8192})
    assert base != cache_key("m", [ChatMessage.user("Hi")], None, {"temperature": 0.3})
    assert base != cache_key("m", messages, {"type": "object"}, {"temperature": 0.3})
    assert base != cache_key("m", messages, None, {"temperature": 0.0, "num_ctx": 8192})


def run_with(*cases: tuple[str, Status]) -> RunResults:
    return RunResults(
        started_at="2026-01-01T00:00:00+00:00",
        models={"interviewer": "m"},
        prompts={},
        settings={},
        repeat=1,
        cases=[
            CaseResult(
                id=case_id,
                kind="interviewer_turn",
                tags=[],
                prompts={},
                attempts=[
                    Attempt(
                        raw="r",
                        delivered="d",
                        assertions=[AssertionResult(name="a", raw=status, delivered=status)],
                    )
                ],
            )
            for case_id, status in cases
        ],
    )


def test_compare_tells_regressions_from_improvements() -> None:
    before = run_with(("x", Status.PASS), ("y", Status.FAIL), ("gone", Status.PASS))
    after = run_with(("x", Status.ERROR), ("y", Status.PASS), ("new", Status.PASS))
    comparison = compare(before, after)
    assert {(c.case, c.check) for c in comparison.regressions} == {
        ("x", "a/raw"),
        ("x", "a/delivered"),
    }
    assert {(c.case, c.check) for c in comparison.improvements} == {
        ("y", "a/raw"),
        ("y", "a/delivered"),
    }
    assert (comparison.missing, comparison.added) == (["gone"], ["new"])


def test_pass_k_needs_every_repeat_to_pass() -> None:
    results = run_with(("x", Status.PASS))
    case = results.cases[0]
    failing = case.attempts[0].model_copy(
        update={"assertions": [AssertionResult(name="a", raw=Status.PASS, delivered=Status.FAIL)]}
    )
    twice = case.model_copy(update={"attempts": [case.attempts[0], failing]})
    assert twice.pass_k()["a/delivered"] == Status.FAIL
    assert twice.pass_k()["a/raw"] == Status.PASS
    assert twice.status == Status.FAIL
