"""What an evaluator can trust: fixtures never judge a real model, versions and digests are
recorded, `compare` refuses what is not comparable, and every report shows the messages."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli.app import app
from assistant.config import Settings
from assistant.evaluation.assertions import Status
from assistant.evaluation.case_files import collect_cases
from assistant.evaluation.report_html import html, pair_html, word_diff
from assistant.evaluation.results import RunResults, load_results
from assistant.evaluation.suite import (
    COMPROMISED_TAG,
    SuiteOptions,
    run_suite,
    select_cases,
)
from tests.conftest import SettingsFactory
from tests.ollama_server import OllamaTestServer

ROOT = Path(__file__).resolve().parent.parent
EVALS = ROOT / "evals"
BASELINE = EVALS / "baselines" / "scripted-fixtures" / "results.json"


@pytest.fixture
def eval_settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


async def _run(settings: Settings, **options: object) -> RunResults:
    suite = SuiteOptions(settings=settings, cases_dir=EVALS, **options)  # type: ignore[arg-type]
    return await run_suite(suite, select_cases(suite), lambda _: None)


async def test_with_a_model_and_no_judge_model_judge_checks_are_skipped_not_judged(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    results = await _run(settings, model=settings.chat_model, pattern="interviewer/judge.yaml")
    judged = [
        result
        for case in results.cases
        for attempt in case.attempts
        for result in attempt.assertions
        if result.name.startswith("judge")
    ]
    assert judged
    assert {(r.raw, r.delivered) for r in judged} == {(Status.SKIPPED, Status.SKIPPED)}
    assert results.judge_agreement is None
    assert "Judge checks skipped: no --judge-model." in results.notes
    # The fake model was asked, never the cases' canned judge verdicts.
    assert ollama_server.chat_requests()


async def test_the_fixture_run_applies_canned_verdicts_but_reports_no_judge_agreement(
    eval_settings: Settings,
) -> None:
    results = await _run(eval_settings, pattern="interviewer/judge.yaml")
    statuses = {
        result.delivered
        for case in results.cases
        for result in case.attempts[0].assertions
        if result.name.startswith("judge")
    }
    assert statuses <= {Status.PASS, Status.FAIL}
    assert results.judge_agreement is None
    assert any(note.startswith("No judge agreement") for note in results.notes)


async def test_guard_cases_needing_a_misbehaving_model_run_only_when_asked(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    options = SuiteOptions(
        settings=settings, cases_dir=EVALS, pattern="interviewer/guard.yaml", model="m"
    )
    selection = select_cases(options)
    assert all(COMPROMISED_TAG not in case.tags for case in selection.cases)
    assert {case.id for case in selection.cases} == {
        "guard.pass.en.reflects-own-words",
        "guard.pass.fr.citation-courte",
    }
    assert "--tag needs-compromised-model" in selection.notes[0]
    fixtures = select_cases(
        SuiteOptions(settings=settings, cases_dir=EVALS, pattern="interviewer/guard.yaml")
    )
    assert len(fixtures.cases) == 18


async def test_a_failing_classifier_is_an_error_of_its_case_with_its_id(
    eval_settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "case.yaml").write_text(
        "id: classifier.broken\nmessage: I stayed late.\nscripted: ['What kept you?']\n"
        "safety_scripted: ['not a verdict']\nassertions: [{type: one_question}]\n",
        encoding="utf-8",
    )
    options = SuiteOptions(settings=eval_settings, cases_dir=tmp_path)
    results = await run_suite(options, select_cases(options), lambda _: None)
    [case] = results.cases
    assert case.status == Status.ERROR
    assert case.attempts[0].error == (
        "case classifier.broken: messages the safety classifier gave no verdict on: 1"
    )


async def test_a_case_pinning_another_prompt_version_is_flagged_and_strict_makes_it_an_error(
    eval_settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "case.yaml").write_text(
        "id: pinned.old\nmessage: I stayed late.\nscripted: ['What kept you?']\n"
        "prompts: {interview.guide: '1.0.0', interviewer.system.fr: '0.1.0'}\n"
        "assertions: [{type: one_question}]\n",
        encoding="utf-8",
    )
    options = SuiteOptions(settings=eval_settings, cases_dir=tmp_path)
    [flagged] = (await run_suite(options, select_cases(options), lambda _: None)).cases
    # The French pin does not apply to an English case.
    guide = tomllib.loads((ROOT / "prompts" / "interview.guide.en.toml").read_text("utf-8"))
    assert flagged.pinned == [f"interview.guide: pinned 1.0.0, ran {guide['version']}"]
    assert flagged.status == Status.PASS
    strict = SuiteOptions(settings=eval_settings, cases_dir=tmp_path, strict_versions=True)
    [refused] = (await run_suite(strict, select_cases(strict), lambda _: None)).cases
    assert refused.status == Status.ERROR


def test_the_shipped_cases_pin_the_versions_they_run_with() -> None:
    from assistant.evaluation.prompt_pins import pinned_differences

    assert [
        (case.id, pinned_differences(case))
        for case in collect_cases(EVALS).cases
        if pinned_differences(case)
    ] == []


async def test_an_edited_prompt_without_a_new_version_shows_in_its_digest(
    eval_settings: Settings, tmp_path: Path
) -> None:
    edited = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", edited)
    system = edited / "interviewer.system.en.toml"
    text = system.read_text(encoding="utf-8")
    system.write_text(text.replace("Rules, without exception:", "Rules:"), encoding="utf-8")
    pattern = "interviewer/phases.yaml"
    before = await _run(eval_settings, pattern=pattern)
    after = await _run(eval_settings, pattern=pattern, prompts_dir=edited)
    key = "interviewer.system.en"
    assert before.prompts[key] == after.prompts[key]
    assert before.prompt_digests[key] != after.prompt_digests[key]
    assert len(before.prompt_digests[key]) == 64


def _cli(*arguments: str, data: Path) -> object:
    return CliRunner().invoke(app, list(arguments), env={"TERRAIN_DATA_DIR": str(data)})


def test_compare_of_one_case_against_the_baseline_exits_1(tmp_path: Path) -> None:
    out = tmp_path / "one"
    ran = CliRunner().invoke(
        app,
        ["eval", "run", "--cases-dir", str(EVALS), "--id", "rules.no-advice.en", "--out", str(out)],
        env={"TERRAIN_DATA_DIR": str(tmp_path / "data")},
    )
    assert ran.exit_code == 0, ran.output
    assert [case.id for case in load_results(out).cases] == ["rules.no-advice.en"]
    junit = tmp_path / "junit.xml"
    result = CliRunner().invoke(
        app, ["eval", "compare", str(BASELINE), str(out), "--junit", str(junit)]
    )
    assert result.exit_code == 1
    assert "rules.no-advice.fr" in result.output
    assert "missing" in result.output
    assert 'failures="' in junit.read_text(encoding="utf-8")
    assert '<failure message="missing from the new run"' in junit.read_text(encoding="utf-8")
    allowed = CliRunner().invoke(
        app, ["eval", "compare", str(BASELINE), str(out), "--allow-missing"]
    )
    assert allowed.exit_code == 0, allowed.output


def test_compare_refuses_runs_of_different_models_unless_allowed(tmp_path: Path) -> None:
    data = json.loads(BASELINE.read_text(encoding="utf-8"))
    data["models"]["interviewer"] = "mistral-small3.2:24b"
    other = tmp_path / "results.json"
    other.write_text(json.dumps(data), encoding="utf-8")
    refused = CliRunner().invoke(app, ["eval", "compare", str(BASELINE), str(other)])
    assert refused.exit_code == 1
    assert "not comparable: interviewer model: scripted-fixtures → mistral-small3.2:24b" in (
        refused.output
    )
    warned = CliRunner().invoke(
        app, ["eval", "compare", str(BASELINE), str(other), "--allow-mismatch"]
    )
    assert warned.exit_code == 0, warned.output
    assert "Warning: the runs differ in interviewer model" in warned.output


def test_the_report_shows_raw_and_delivered_messages_and_why_checks_failed(
    tmp_path: Path,
) -> None:
    (tmp_path / "case.yaml").write_text(
        "id: advice.given\nmessage: I never have the time.\nconversation:\n"
        "  - {interviewer: 'What happened yesterday?'}\n"
        "scripted: ['I suggest you ask your manager for more time. What did she say?']\n"
        "assertions: [{type: no_advice}, {type: one_question}]\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    ran = CliRunner().invoke(
        app,
        ["eval", "run", "--cases-dir", str(tmp_path), "--out", str(out)],
        env={"TERRAIN_DATA_DIR": str(tmp_path / "data")},
    )
    assert ran.exit_code == 1
    [case] = load_results(out).cases
    [attempt] = case.attempts
    assert [turn.text for turn in attempt.conversation] == [
        "What happened yesterday?",
        "I never have the time.",
    ]
    page = (out / "report.html").read_text(encoding="utf-8")
    report = (out / "report.md").read_text(encoding="utf-8")
    for text in (page, report):
        assert "I suggest you ask your manager for more time. What did she say?" in text
        assert "advice &#x27;I suggest&#x27;" in text or "advice 'I suggest'" in text
        assert "What happened yesterday?" in text
    assert 'data-fail="1"' in page
    assert "<script>" in page
    assert "http://" not in page
    assert "https://" not in page.replace("https://json-schema.org", "")


def test_judge_reasons_are_kept_in_the_results() -> None:
    baseline = load_results(BASELINE)
    reasons = [
        result.reason
        for case in baseline.cases
        for result in case.attempts[0].assertions
        if result.name.startswith("judge")
    ]
    assert reasons
    assert all("delivered: non_directive" in reason for reason in reasons)


def test_the_pair_page_puts_changed_checks_first_and_highlights_the_words() -> None:
    baseline = load_results(BASELINE)
    changed = baseline.model_copy(deep=True)
    case = next(c for c in changed.cases if c.id == "rules.no-advice.en")
    case.attempts[0].delivered = "You should ask for more time."
    case.attempts[0].assertions[0].delivered = Status.FAIL
    page = pair_html(baseline, changed)
    first = page.index('<details class="case')
    assert page.index('data-id="rules.no-advice.en"') - first < 200
    assert "no_advice" in page[first : first + 1500] or "not_contains" in page[first : first + 1500]
    old, new = word_diff("What happens during those minutes?", "You should ask for more time.")
    assert "<del>" in old
    assert "<ins>" in new
    assert html(baseline).count('<details class="case') == len(baseline.cases)


def test_eval_view_writes_the_pair_page(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "view",
            str(BASELINE),
            str(BASELINE),
            "--out",
            str(tmp_path / "pair.html"),
            "--no-serve",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "two runs" in (tmp_path / "pair.html").read_text(encoding="utf-8")
