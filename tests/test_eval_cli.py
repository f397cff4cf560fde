"""`terrain eval`'s help answers without loading the heavy libraries; errors are human."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from assistant.cli.app import app
from assistant.evaluation.assertions import Status
from assistant.evaluation.case_files import CaseFilter, case_file_schema, collect_cases
from assistant.evaluation.cases import AssertionSpec, Case
from assistant.evaluation.results import load_results
from tests.support.startup import heavy_among, help_of, top_level_modules_after

EVALS = Path(__file__).resolve().parent.parent / "evals"


@pytest.mark.parametrize(
    "command",
    [["eval", "run"], ["eval", "compare"], ["eval", "validate"], ["eval", "view"]],
)
def test_the_eval_commands_help_loads_no_heavy_library(command: list[str]) -> None:
    assert heavy_among(top_level_modules_after(help_of(command))) == []


def test_compare_of_a_file_that_is_not_results_says_so(tmp_path: Path) -> None:
    bogus = tmp_path / "results.json"
    bogus.write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "compare", str(bogus), str(bogus)])
    assert result.exit_code == 1
    assert "is not a results file of `terrain eval run`" in result.output


GOOD = """\
id: good.one
message: "I was late again this morning."
scripted: ["What made you late?"]
assertions: [{type: one_question}]
"""
BAD_REGEX = """\
cases:
  - id: bad.regex
    message: hi
    assertions:
      - {type: regex, value: "(unclosed"}
"""
WRONG_TYPE = """\
id: bad.type
message: hi
assertions:
  - {type: one_question}
  - {type: max_chars, value: short}
"""


def _authoring_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "cases"
    folder.mkdir()
    for name, text in (("a.yaml", GOOD), ("b.yaml", BAD_REGEX), ("c.yaml", WRONG_TYPE)):
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_malformed_cases_are_errors_of_their_own_and_the_rest_runs(tmp_path: Path) -> None:
    folder = _authoring_folder(tmp_path)
    result = CliRunner().invoke(
        app,
        ["eval", "run", "--cases-dir", str(folder), "--out", str(tmp_path / "out")],
        env={"TERRAIN_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.exit_code == 1
    results = load_results(tmp_path / "out")
    statuses = {case.id: case.status for case in results.cases}
    assert statuses == {
        "good.one": Status.PASS,
        "bad.regex": Status.ERROR,
        "bad.type": Status.ERROR,
    }
    errors = {case.id: case.attempts[0].error or "" for case in results.cases}
    assert "b.yaml:5" in errors["bad.regex"]
    assert "not a valid regular expression" in errors["bad.regex"]
    assert "c.yaml:5" in errors["bad.type"]
    assert "got 'short'" in errors["bad.type"]


def test_validate_names_every_problem_with_its_file_and_line(tmp_path: Path) -> None:
    folder = _authoring_folder(tmp_path)
    result = CliRunner().invoke(app, ["eval", "validate", str(folder)])
    assert result.exit_code == 1
    assert f"{folder / 'b.yaml'}:5 (case bad.regex)" in result.output
    assert f"{folder / 'c.yaml'}:5 (case bad.type)" in result.output
    assert "1 valid cases, 2 with problems." in result.output
    assert CliRunner().invoke(app, ["eval", "validate", str(folder / "a.yaml")]).exit_code == 0


def test_the_shipped_cases_are_valid_and_the_published_schema_is_current() -> None:
    result = CliRunner().invoke(app, ["eval", "validate", str(EVALS)])
    assert result.exit_code == 0, result.output
    published = json.loads((EVALS / "case.schema.json").read_text(encoding="utf-8"))
    assert published == case_file_schema()


def test_a_contains_without_value_and_a_bad_id_are_refused_with_clear_words() -> None:
    with pytest.raises(ValidationError, match="value is a text or a list of texts"):
        AssertionSpec(type="contains")
    with pytest.raises(ValidationError, match=r"letters, digits, '\.', '_' and '-'"):
        Case(id="Bad Id", message="hi")


def test_cases_from_csv_and_jsonl(tmp_path: Path) -> None:
    (tmp_path / "turns.csv").write_text(
        "id,message,tags,assertions,scripted\n"
        'csv.one,"I was late, again",batch;late,one_question; max_chars=300,What happened?\n',
        encoding="utf-8",
    )
    (tmp_path / "turns.jsonl").write_text(
        '{"id": "jsonl.one", "message": "hi", "assertions": [{"type": "no_advice"}]}\n'
        "\n"
        '{"id": "jsonl.bad", "message": "hi", "assertions": [{"type": "regex"}]}\n',
        encoding="utf-8",
    )
    loaded = collect_cases(tmp_path)
    [from_csv, from_jsonl] = loaded.cases
    assert (from_csv.id, from_csv.message, from_csv.tags) == (
        "csv.one",
        "I was late, again",
        ["batch", "late"],
    )
    assert [(a.type, a.value) for a in from_csv.assertions] == [
        ("one_question", None),
        ("max_chars", 300),
    ]
    assert from_csv.scripted == ["What happened?"]
    assert from_jsonl.id == "jsonl.one"
    [error] = loaded.errors
    assert (error.path.name, error.line, error.case_id) == ("turns.jsonl", 3, "jsonl.bad")


def test_filters_by_id_and_tag(tmp_path: Path) -> None:
    loaded = collect_cases(EVALS)
    by_id = CaseFilter(ids=("rules.no-advice.*",)).apply(loaded).cases
    assert {case.id for case in by_id} == {"rules.no-advice.en", "rules.no-advice.fr"}
    tagged = CaseFilter(tags=("no_advice",), exclude_tags=("fr",)).apply(loaded).cases
    assert tagged
    assert all("no_advice" in case.tags for case in tagged)
    assert CaseFilter(tags=("guard",), exclude_tags=("guard",)).apply(loaded).cases == []


def test_record_and_replay_exclude_each_other(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "run", "--record", "--replay"])
    assert result.exit_code == 1
    assert "exclude each other" in result.output
