"""`terrain eval`'s help answers without loading the heavy libraries; errors are human."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli.app import app
from tests.test_cli_startup import heavy_among, help_of, top_level_modules_after


@pytest.mark.parametrize("command", [["eval", "run"], ["eval", "compare"]])
def test_the_eval_commands_help_loads_no_heavy_library(command: list[str]) -> None:
    assert heavy_among(top_level_modules_after(help_of(command))) == []


def test_compare_of_a_file_that_is_not_results_says_so(tmp_path: Path) -> None:
    bogus = tmp_path / "results.json"
    bogus.write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "compare", str(bogus), str(bogus)])
    assert result.exit_code == 1
    assert "is not a results file of `terrain eval run`" in result.output


def test_a_bad_case_file_names_the_file_and_the_problem(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: Bad Id\nmessage: hi\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["eval", "run", "--cases-dir", str(tmp_path), "--out", str(tmp_path / "out")],
        env={"TERRAIN_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.exit_code == 1
    assert "bad.yaml is not valid" in result.output
    assert not (tmp_path / "out").exists()


def test_record_and_replay_exclude_each_other(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "run", "--record", "--replay"])
    assert result.exit_code == 1
    assert "exclude each other" in result.output
