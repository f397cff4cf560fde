"""The judge: a rubric through structured output; no valid JSON is an error, never a pass."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.evaluation.assertions import Status
from assistant.evaluation.cases import Case
from assistant.evaluation.judge import Criterion, LabelledExample, agreement, load_labels
from assistant.evaluation.runner import RunOptions, run_cases, scripted_judge
from assistant.llm.testing import ScriptedChatModel
from tests.conftest import SettingsFactory

LABELS = Path(__file__).resolve().parent.parent / "evals" / "judge" / "labels.yaml"


def rubric(score: int) -> str:
    return json.dumps(
        {"scores": [{"criterion": c.value, "score": score, "reason": "r"} for c in Criterion]}
    )


def judged_case(*judge_replies: str) -> Case:
    return Case.model_validate(
        {
            "id": "judged",
            "phase": "episode",
            "message": "I called the doctor myself.",
            "scripted": ["How did the call go?"],
            "assertions": [{"type": "judge", "value": 3}],
            "judge_scripted": list(judge_replies),
        }
    )


@pytest.fixture
def eval_settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


async def test_a_judge_reply_never_valid_json_is_an_error_not_a_pass(
    eval_settings: Settings,
) -> None:
    results = await run_cases(
        [judged_case("Score: 5/5, excellent question!")], RunOptions(settings=eval_settings)
    )
    [case] = results.cases
    [attempt] = case.attempts
    [judged] = attempt.assertions
    assert judged.raw == Status.ERROR
    assert judged.delivered == Status.ERROR
    assert "gave no valid rubric" in judged.detail
    assert case.status == Status.ERROR


async def test_invalid_json_is_retried_once_before_it_counts(eval_settings: Settings) -> None:
    # Raw: invalid, then valid on the repair; delivered: valid at once.
    results = await run_cases(
        [judged_case("not json", rubric(4), rubric(4))], RunOptions(settings=eval_settings)
    )
    [case] = results.cases
    assert case.pass_k()["judge/raw"] == Status.PASS
    assert case.status == Status.PASS


async def test_a_low_score_fails(eval_settings: Settings) -> None:
    results = await run_cases([judged_case(rubric(2))], RunOptions(settings=eval_settings))
    [case] = results.cases
    assert case.pass_k()["judge/delivered"] == Status.FAIL


async def test_agreement_with_the_hand_labels() -> None:
    examples = load_labels(LABELS)
    assert len(examples) >= 6
    perfect = await agreement(
        examples,
        lambda _: ScriptedChatModel(
            respond=lambda request: json.dumps(
                {
                    "scores": [
                        {"criterion": c.value, "score": s, "reason": "as labelled"}
                        for c, s in _labels_for(request.last.content, examples).items()
                    ]
                }
            )
        ),
    )
    assert (perfect.exact, perfect.within_one, perfect.errors) == (1.0, 1.0, 0)
    broken = await agreement(examples, lambda _: scripted_judge(["{}"]))
    assert broken.errors == len(examples)


def _labels_for(prompt: str, examples: Sequence[LabelledExample]) -> dict[Criterion, int]:
    [example] = [e for e in examples if e.interviewer_message in prompt]
    return dict(example.labels)


async def test_advice_scored_low_by_the_judge_fails_the_judge_check(
    eval_settings: Settings,
) -> None:
    scores = [
        {"criterion": c.value, "score": 1 if c == Criterion.NO_ADVICE else 5, "reason": "r"}
        for c in Criterion
    ]
    scores[-1]["reason"] = "it suggests asking the manager for more time"
    advice = json.dumps({"scores": scores})
    results = await run_cases([judged_case(advice)], RunOptions(settings=eval_settings))
    [result] = results.cases[0].attempts[0].assertions
    assert result.delivered == Status.FAIL
    assert "no_advice" in result.detail
    assert "no_advice 1 (it suggests asking the manager for more time)" in result.reason
