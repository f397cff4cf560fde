"""Personas: a whole interview against the fake models, with elicitation recall and
extraction precision and recall."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.evaluation.assertions import Status
from assistant.evaluation.case_files import load_case_file, load_cases
from assistant.evaluation.cases import CaseKind
from assistant.evaluation.runner import RunOptions, run_cases
from tests.conftest import SettingsFactory

EVALS = Path(__file__).resolve().parent.parent / "evals"
HOME_CARER = EVALS / "personas" / "en.home-carer-brief.yaml"


@pytest.fixture
def eval_settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


def test_six_personas_in_both_languages_with_different_temperaments() -> None:
    personas = [case for case in load_cases(EVALS) if case.kind == CaseKind.PERSONA]
    assert len(personas) >= 6
    assert {case.language for case in personas} == {"fr", "en"}
    assert len({case.persona.tendency for case in personas if case.persona}) >= 4


async def test_a_persona_run_reports_elicitation_recall_and_extraction_scores(
    eval_settings: Settings,
) -> None:
    [case] = load_case_file(HOME_CARER)
    results = await run_cases([case], RunOptions(settings=eval_settings))
    [result] = results.cases
    [attempt] = result.attempts
    assert attempt.error is None
    assert attempt.metrics["elicitation_recall"] == 1.0
    assert (attempt.metrics["precision"], attempt.metrics["recall"]) == (1.0, 0.5)
    assert result.status == Status.PASS


async def test_facts_never_asked_about_are_never_said(eval_settings: Settings) -> None:
    [case] = load_case_file(HOME_CARER)
    # An interviewer that never asks about tools: the simulated employee does not volunteer it.
    without_tools = case.model_copy(
        update={"scripted": [q for q in case.scripted if "tool" not in q]}
    )
    results = await run_cases([without_tools], RunOptions(settings=eval_settings))
    [attempt] = results.cases[0].attempts
    assert attempt.metrics["elicitation_recall"] == 0.75
    assert "tool" not in (attempt.delivered or "").split("facts said: ")[1]
