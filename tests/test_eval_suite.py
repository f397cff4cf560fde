"""The evaluators' suite on its fixtures: it passes, and it fails on a regression."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli.app import app
from assistant.config import Settings
from assistant.evaluation.assertions import Status
from assistant.evaluation.cache import CacheMode
from assistant.evaluation.case_files import load_cases
from assistant.evaluation.cases import CaseKind
from assistant.evaluation.results import RunResults, load_results
from assistant.evaluation.suite import SuiteOptions, run_suite, write_results
from tests.conftest import SettingsFactory

ROOT = Path(__file__).resolve().parent.parent
EVALS = ROOT / "evals"
BASELINE = EVALS / "baselines" / "scripted-fixtures" / "results.json"
INTERVIEWER_RULES = {
    "one_question",
    "length",
    "language",
    "no_advice",
    "no_judgement",
    "no_leading",
    "no_over_praise",
    "no_long_paraphrase",
    "what_how",
    "other_interviews",
    "system_prompt",
    "injection_message",
    "injection_document",
    "distress",
    "stop",
    "off_mission",
    "consent",
}


@pytest.fixture
def eval_settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


async def _run(settings: Settings, **options: object) -> RunResults:
    suite = SuiteOptions(settings=settings, cases_dir=EVALS, **options)  # type: ignore[arg-type]
    cases = load_cases(suite.cases_dir, suite.pattern)
    return await run_suite(suite, cases, lambda _: None)


def test_the_cases_cover_every_rule_and_both_languages() -> None:
    cases = load_cases(EVALS)
    assert len(cases) >= 40
    tags = {tag for case in cases for tag in case.tags}
    assert tags >= INTERVIEWER_RULES
    extraction = [case for case in cases if case.kind == CaseKind.EXTRACTION]
    assert {case.language for case in extraction} == {"fr", "en"}


@pytest.mark.slow
async def test_every_case_passes_on_its_fixtures_and_matches_the_baseline(
    eval_settings: Settings,
) -> None:
    results = await _run(eval_settings)
    failing = [case.id for case in results.cases if case.status != Status.PASS]
    assert failing == []
    baseline = load_results(BASELINE)
    assert {case.id for case in results.cases} == {case.id for case in baseline.cases}


async def test_raw_and_delivered_are_scored_apart(eval_settings: Settings) -> None:
    results = await _run(eval_settings, pattern="interviewer/rules.en.yaml")
    [case] = [case for case in results.cases if case.id == "rules.one-question.en.two-questions"]
    [attempt] = case.attempts
    assert attempt.raw == "What did you do when you arrived? And how did she react?"
    assert attempt.delivered == "What did you do when you arrived?"
    verdicts = case.pass_k()
    assert verdicts["one_question/raw"] == Status.FAIL
    assert verdicts["one_question/delivered"] == Status.PASS


@pytest.mark.slow
async def test_compare_fails_when_the_one_question_check_is_disabled(
    eval_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The fixture model asks two questions in rules.one-question.*.two-questions; without
    # Terrain's check, both reach the employee.
    monkeypatch.setattr("assistant.interview.guard.count_questions", lambda text: 1)
    write_results(await _run(eval_settings), tmp_path / "run")
    result = CliRunner().invoke(app, ["eval", "compare", str(BASELINE), str(tmp_path / "run")])
    assert result.exit_code == 1
    regressions = [line for line in result.output.splitlines() if "one_question/delivered" in line]
    assert any("rules.one-question.en.two-questions" in line for line in regressions)
    assert result.output.startswith("Regressions: ")


@pytest.mark.slow
async def test_compare_of_a_run_with_its_baseline_passes(
    eval_settings: Settings, tmp_path: Path
) -> None:
    write_results(await _run(eval_settings), tmp_path / "run")
    result = CliRunner().invoke(app, ["eval", "compare", str(BASELINE), str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert "Regressions: 0" in result.output


async def test_replay_answers_from_what_record_stored(
    eval_settings: Settings, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    pattern = "interviewer/phases.yaml"
    recorded = await _run(
        eval_settings, pattern=pattern, cache_mode=CacheMode.RECORD, cache_dir=cache
    )
    replayed = await _run(
        eval_settings, pattern=pattern, cache_mode=CacheMode.REPLAY, cache_dir=cache
    )
    assert [c.attempts[0].delivered for c in replayed.cases] == [
        c.attempts[0].delivered for c in recorded.cases
    ]
    assert all(case.status == Status.PASS for case in replayed.cases)


async def test_a_replay_miss_is_an_error_never_a_pass(
    eval_settings: Settings, tmp_path: Path
) -> None:
    results = await _run(
        eval_settings,
        pattern="interviewer/phases.yaml",
        cache_mode=CacheMode.REPLAY,
        cache_dir=tmp_path / "empty",
    )
    statuses = Counter(case.status for case in results.cases)
    # Cases the model answers miss the cache; those Terrain answers alone need no model.
    assert statuses[Status.ERROR] > 0
    missed = [c for c in results.cases if c.status == Status.ERROR]
    assert all("No cached reply" in (c.attempts[0].error or "") for c in missed)
    assert set(statuses) == {Status.ERROR, Status.PASS}
    answered_by_terrain = {"phase.consent.en.no", "phase.consent.fr.unclear"}
    assert {c.id for c in results.cases if c.status == Status.PASS} == answered_by_terrain


def test_eval_run_writes_results_and_reports_and_exits_0(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "run",
            "--cases-dir",
            str(EVALS),
            "--cases",
            "extraction/*.yaml",
            "--out",
            str(out),
        ],
        env={"TERRAIN_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"results.json", "report.md", "report.html"}
    results = load_results(out)
    assert {case.id for case in results.cases} == {
        "extraction.en.home-care-empathy",
        "extraction.en.invented-quote-dropped",
        "extraction.fr.accueil-confiance",
        "extraction.fr.rappel-partiel",
    }
    assert "extraction.fr.rappel-partiel" in (out / "report.md").read_text()


def test_eval_run_exits_1_when_a_case_fails(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "broken.yaml").write_text(
        "id: two-questions-demanded\nphase: episode\nmessage: I called the doctor.\n"
        "scripted: ['What happened?']\nassertions:\n  - {type: contains, value: doctor}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app,
        ["eval", "run", "--cases-dir", str(cases), "--out", str(tmp_path / "out")],
        env={"TERRAIN_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.exit_code == 1
    assert "fail  two-questions-demanded" in result.output


async def test_prompts_from_another_folder_are_the_ones_evaluated_and_recorded(
    eval_settings: Settings, tmp_path: Path
) -> None:
    import shutil

    edited = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", edited)
    system = edited / "interviewer.system.en.toml"
    text = system.read_text(encoding="utf-8").replace('version = "1.2.0"', 'version = "1.3.0"', 1)
    system.write_text(
        text.replace("Rules, without exception:", "Rules (edited):"), encoding="utf-8"
    )
    results = await _run(eval_settings, pattern="interviewer/phases.yaml", prompts_dir=edited)
    assert results.prompts["interviewer.system.en"] == "1.3.0"
    assert all(case.status == Status.PASS for case in results.cases)
    assert (await _run(eval_settings, pattern="interviewer/phases.yaml")).prompts[
        "interviewer.system.en"
    ] == "1.2.0"
