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
    mismatches,
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
    comparison = compare(before, after, allow_missing=True)
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


def test_a_case_missing_from_the_new_run_is_a_regression_unless_allowed() -> None:
    before = run_with(("x", Status.PASS), ("gone", Status.PASS))
    after = run_with(("x", Status.PASS))
    assert [(c.case, c.after) for c in compare(before, after).regressions] == [("gone", "missing")]
    assert compare(before, after, allow_missing=True).regressions == []


def test_runs_of_different_models_settings_or_repeats_are_told_apart() -> None:
    before = run_with(("x", Status.PASS))
    other = before.model_copy(
        update={
            "models": {"interviewer": "mistral:24b", "judge": "scripted-judge"},
            "settings": {"temperature": 0.7},
            "repeat": 3,
        }
    )
    found = mismatches(before, other)
    assert any(line.startswith("interviewer model") for line in found)
    assert any(line.startswith("setting temperature") for line in found)
    assert "repeats: 1 → 3" in found
    assert mismatches(before, before) == []


def test_a_regression_shows_the_messages_before_and_after_and_the_pass_rate() -> None:
    before = run_with(("x", Status.PASS))
    after = run_with(("x", Status.FAIL))
    after.cases[0].attempts[0].delivered = "Two questions? Really?"
    [change, *_] = compare(before, after).regressions
    assert (change.before_message, change.after_message) == ("d", "Two questions? Really?")
    assert compare(before, after).pass_rates == {"x": ("1/1", "0/1")}


def test_advice_in_the_words_the_keyword_list_missed_fails() -> None:
    spec = AssertionSpec(type="no_advice")
    for advice in (
        "I suggest you ask your manager for more time.",
        "It might help to write it down. What happened next?",
        "Why don't you talk to her about it?",
        "Je vous suggère d'en parler à votre cadre.",
        "Pourquoi ne pas demander un délai ?",
    ):
        assert check(spec, advice, language="en", scripted=False).status == Status.FAIL, advice
    for question in (
        "What did you try to do first?",
        "How did you make sure the family knew?",
        "Qu'avez-vous essayé ce jour-là ?",
    ):
        assert check(spec, question, language="en", scripted=False).status == Status.PASS


def test_a_python_assertion_gives_its_verdict_and_reason() -> None:
    spec = AssertionSpec(type="python", value="tests.eval_checks:ends_with_question_mark")
    passed = check(spec, "What then?", language="en", scripted=False)
    failed = check(spec, "Tell me.", language="en", scripted=False)
    assert passed.status == Status.PASS
    assert (failed.status, failed.detail) == (Status.FAIL, "ends with '.'")
    broken = AssertionSpec(type="python", value="tests.eval_checks:raises")
    verdict = check(broken, "x", language="en", scripted=False)
    assert verdict.status == Status.ERROR
    assert "ValueError" in verdict.detail
