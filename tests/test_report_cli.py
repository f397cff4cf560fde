"""`terrain report`: build, show, approve, drop, publish, list, export, schema."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from assistant.cli.app import app
from assistant.config import Settings
from assistant.store import Store
from tests.conftest import SettingsFactory
from tests.report_scripts import scripted
from tests.report_store import store_study


@pytest.fixture
def report_env(make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch) -> Settings:
    settings = make_settings()
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("TERRAIN_MAX_RETRIES", "0")
    monkeypatch.setenv("TERRAIN_REPORT_MIN_PEOPLE", "3")
    monkeypatch.setenv("TERRAIN_REPORT_MIN_PEOPLE_FOR_QUOTES", "3")
    with Store.open(settings) as store:
        store_study(store, scripted(12))
    return settings


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, ["report", *args])


def shown(*args: str) -> dict[str, list[dict[str, str]]]:
    result = invoke("show", "--json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, list[dict[str, str]]] = json.loads(result.stdout)
    return data


@pytest.mark.slow
@pytest.mark.usefixtures("report_env")
def test_build_approve_publish_list_show_export(tmp_path: Path) -> None:
    assert invoke("publish").exit_code == 1  # no draft yet

    built = invoke("build")
    assert built.exit_code == 0, built.output
    assert "could not be reached: the draft has no narratives" in " ".join(built.output.split())
    quotes = shown()["quotes"]
    assert quotes
    assert {q["decision"] for q in quotes} == {None}

    refused = invoke("publish")
    assert refused.exit_code == 1
    assert f"Quotes of the draft that await approval: {len(quotes)}" in " ".join(
        refused.output.split()
    )
    assert invoke("approve", "q00000000").exit_code == 1  # no such quote

    assert invoke("drop", quotes[0]["id"]).exit_code == 0
    assert invoke("approve", "--all-pending").exit_code == 0
    decisions = {q["id"]: q["decision"] for q in shown()["quotes"]}
    assert decisions[quotes[0]["id"]] == "dropped"
    assert set(decisions.values()) == {"approved", "dropped"}

    published = invoke("publish", "--json", "--as", "claire")
    assert published.exit_code == 0, published.output
    assert json.loads(published.stdout)["number"] == 1
    listed = json.loads(invoke("list", "--json").stdout)
    assert [(v["number"], v["status"], v["published_by"]) for v in listed] == [
        (1, "published", "claire")
    ]
    version_quotes = [q["text"] for q in shown("--version", "1")["quotes"]]
    assert quotes[0]["text"] not in version_quotes
    assert len(version_quotes) == len(quotes) - 1

    for file_format in ("html", "md", "json", "pdf"):
        out = tmp_path / f"report.{file_format}"
        result = invoke("export", "--format", file_format, "--out", str(out))
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    exported = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert quotes[0]["text"] not in exported
    assert version_quotes[0] in exported
    assert json.loads((tmp_path / "report.json").read_text())["min_people"] == 3


@pytest.mark.slow
@pytest.mark.usefixtures("report_env")
def test_qdpx_is_the_drafts_only_and_schema_prints(tmp_path: Path) -> None:
    assert invoke("build", "--no-model").exit_code == 0
    out = tmp_path / "study.qdpx"
    assert invoke("export", "--format", "qdpx", "--out", str(out)).exit_code == 1
    assert not out.exists()
    result = invoke("export", "--format", "qdpx", "--draft", "--out", str(out))
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert "project.qde" in archive.namelist()
    schema = invoke("schema")
    assert schema.exit_code == 0
    assert json.loads(schema.stdout)["title"] == "Report"
    assert invoke("export", "--format", "html", "--out", str(tmp_path / "x.html")).exit_code == 1


@pytest.mark.slow
def test_a_withdrawn_version_is_listed_but_neither_shown_nor_exported(
    report_env: Settings, tmp_path: Path
) -> None:
    from assistant.privacy import erase_interview

    assert invoke("build", "--no-model").exit_code == 0
    assert invoke("approve", "--all-pending").exit_code == 0
    assert invoke("publish").exit_code == 0
    with Store.open(report_env) as store:
        [erased, *_] = store.interviews.where()
        erase_interview(store, report_env, erased.id)

    listed = json.loads(invoke("list", "--json").stdout)
    assert [(v["status"], v["people"], v["read_by_leadership"]) for v in listed] == [
        ("withdrawn", None, False)
    ]
    refused = invoke("show", "--version", "1")
    assert refused.exit_code == 1
    assert "Version 1 was withdrawn" in " ".join(refused.output.split())
    out = tmp_path / "report.md"
    for chosen in (["--version", "1"], []):
        assert invoke("export", "--format", "md", "--out", str(out), *chosen).exit_code == 1
    assert not out.exists()

    worker = CliRunner().invoke(app, ["worker", "--once"])
    assert worker.exit_code == 0, worker.output
    assert "version 1 as 2" in worker.output
    listed = json.loads(invoke("list", "--json").stdout)
    assert [(v["number"], v["status"], v["read_by_leadership"]) for v in listed] == [
        (2, "published", True),
        (1, "withdrawn", False),
    ]
    assert invoke("export", "--format", "md", "--out", str(out)).exit_code == 0
