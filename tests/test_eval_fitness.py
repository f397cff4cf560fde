"""`terrain eval fitness` on the fake Ollama: a well-behaved model fits, a compromised one does
not, each measure with its threshold and, when it fails, the reason and what to try."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from assistant.cli.app import app
from assistant.config import Settings
from assistant.evaluation.fitness import DOES_NOT_FIT, FITS, assess, battery
from assistant.llm import chat_model_for
from tests.fitness_fakes import well_behaved
from tests.ollama_server import OllamaTestServer, compromised_responder


def test_the_battery_is_about_thirty_requests_in_both_languages() -> None:
    cases = battery()
    assert len(cases) == 24
    assert {case.language for case in cases} == {"en", "fr"}
    assert all(not case.scripted for case in cases)


async def test_a_well_behaved_model_fits(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    ollama_server.respond_with(well_behaved)
    report = await assess(settings, chat_model_for(settings))
    assert report.verdict == FITS, report.lines()
    assert {m.key for m in report.measures} == {
        "one_question",
        "language",
        "guard",
        "classifier",
        "extraction",
        "summary",
        "tokens_per_second",
        "first_token",
    }
    assert all(m.ok and not m.to_try for m in report.measures)


async def test_a_compromised_model_does_not_fit_and_is_told_why_and_what_to_try(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    ollama_server.respond_with(compromised_responder())
    report = await assess(settings, chat_model_for(settings))
    assert report.verdict == DOES_NOT_FIT
    failed = {m.key: m for m in report.measures if not m.ok}
    assert {"guard", "extraction"} <= failed.keys()
    assert failed["guard"].reason.startswith("by rule: ")
    assert failed["extraction"].reason
    assert all(m.to_try for m in failed.values())
    assert report.guard_rules


def test_eval_fitness_exits_1_with_the_reasons_when_the_model_does_not_fit(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    ollama_server.respond_with(compromised_responder())
    result = CliRunner().invoke(
        app,
        ["eval", "fitness", "--model", settings.chat_model],
        env={"TERRAIN_OLLAMA_HOST": ollama_server.url, "TERRAIN_DATA_DIR": str(settings.data_dir)},
    )
    assert result.exit_code == 1
    assert f"Model {settings.chat_model}: does not fit Terrain." in result.output
    assert "try: " in result.output


@pytest.mark.slow
def test_doctor_with_a_model_runs_the_battery(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    ollama_server.respond_with(compromised_responder())
    result = CliRunner().invoke(
        app,
        ["doctor", "--model", settings.chat_model],
        env={"TERRAIN_OLLAMA_HOST": ollama_server.url, "TERRAIN_DATA_DIR": str(settings.data_dir)},
    )
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if "for interviews" in line]
    assert "does not fit Terrain: one question per message" in line
    assert "valid structured extractions 0%" in line
