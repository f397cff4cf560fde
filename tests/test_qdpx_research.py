"""The QDPX for researchers: a case per interview with its variables, the codebook in the
facilitators' language under a parent code, and each coding's memo and reviewer."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import xmlschema
from lxml import etree
from typer.testing import CliRunner

from assistant.cli.app import app
from assistant.findings.codebook import Codebook, load_codebook
from assistant.report.qdpx import SCHEMA_DIR, build_qdpx, guid, validate_project
from assistant.schemas import ReviewAction
from assistant.store import Store
from tests.conftest import SettingsFactory
from tests.report_scripts import scripted
from tests.report_store import store_study

Q = {"q": "urn:QDA-XML:project:1.0"}
SHARED_SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "refi-qda" / "Project.xsd"


@pytest.fixture(scope="module")
def codebook() -> Codebook:
    return load_codebook()


def project_of(language: str, codebook: Codebook) -> tuple[bytes, list[str]]:
    script = scripted(12)
    interviews = [
        interview.model_copy(
            update={"job": "auxiliaire de vie" if n % 2 else "coordinatrice", "site": "Valence"}
        )
        for n, interview in enumerate(script.interviews)
    ]
    reviewers = {script.findings[0].id: "claire"}
    export = build_qdpx(
        interviews, script.turns, script.findings, codebook, language=language, reviewers=reviewers
    )
    with zipfile.ZipFile(io.BytesIO(export.data)) as archive:
        return archive.read("project.qde"), [i.pseudonym for i in interviews]


def test_one_case_per_interview_with_its_variables_and_a_valid_project(
    codebook: Codebook,
) -> None:
    project, pseudonyms = project_of("fr", codebook)
    assert validate_project(project) == []
    schema = SHARED_SCHEMA if SHARED_SCHEMA.exists() else SCHEMA_DIR / "Project.xsd"
    xmlschema.XMLSchema(str(schema)).validate(project.decode("utf-8"))
    root = etree.fromstring(project)
    variables = {v.get("guid"): v.get("name") for v in root.iterfind(".//q:Variable", Q)}
    assert list(variables.values()) == ["Métier", "Site", "Équipe", "Langue", "Campagne"]
    cases = root.findall(".//q:Case", Q)
    assert [case.get("name") for case in cases] == pseudonyms
    first = {
        variables[value.find("q:VariableRef", Q).get("targetGUID")]: value.findtext(
            "q:TextValue", namespaces=Q
        )
        for value in cases[1].iterfind("q:VariableValue", Q)
    }
    assert first["Métier"] == "auxiliaire de vie"
    assert first["Site"] == "Valence"
    assert first["Langue"] in {"fr", "en"}
    assert "Équipe" not in first  # unknown: no value rather than an empty one
    assert cases[1].find("q:SourceRef", Q) is not None


def test_code_names_follow_the_setting_not_the_interviews(codebook: Codebook) -> None:
    for language in ("fr", "en"):
        project, _ = project_of(language, codebook)
        root = etree.fromstring(project)
        (parent,) = root.findall("q:CodeBook/q:Codes/q:Code", Q)
        assert parent.get("isCodable") == "false"
        names = [code.get("name") for code in parent.iterfind("q:Code", Q)]
        assert names == [code.label.in_language(language) for code in codebook.codes]


def test_each_coding_has_its_memo_and_its_reviewer(codebook: Codebook) -> None:
    project, _ = project_of("fr", codebook)
    root = etree.fromstring(project)
    script = scripted(12)
    reviewed = script.findings[0]
    memos = [
        s.findtext("q:Description", namespaces=Q)
        for s in root.iterfind(".//q:PlainTextSelection", Q)
    ]
    memo = next(m for m in memos if m and m.startswith(reviewed.id))
    stage = next(s for s in codebook.value_chain if s.id == reviewed.value_chain_stage)
    assert f"Étape: {stage.label.fr}" in memo
    assert f"Interlocuteur: {reviewed.counterpart}" in memo
    assert "Exposition à l'automatisation: " in memo
    assert f"Raisons: {reviewed.automation_reasons}" in memo
    users = {u.get("name"): u.get("guid") for u in root.iterfind(".//q:User", Q)}
    assert users["claire"] == guid("user", "claire")
    codings = root.findall(".//q:Coding", Q)
    assert codings[0].get("creatingUser") == users["claire"]
    assert {c.get("creatingUser") for c in codings[1:]} == {users["Terrain"]}


@pytest.mark.slow  # the CLI exports with third parties masked: spaCy loads
@pytest.mark.parametrize("staff_language", ["en", "fr"])
def test_the_exported_qdpx_follows_the_staff_language_setting(
    make_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    codebook: Codebook,
    staff_language: str,
) -> None:
    settings = make_settings()
    for name, value in {
        "TERRAIN_DATA_DIR": str(settings.data_dir),
        "OLLAMA_HOST": "http://127.0.0.1:9",  # nothing listens there
        "TERRAIN_REPORT_MIN_PEOPLE": "3",
        "TERRAIN_STAFF_LANGUAGE": staff_language,
        "TERRAIN_LANGUAGE": "fr",
    }.items():
        monkeypatch.setenv(name, value)
    script = scripted(12)
    with Store.open(settings) as store:
        stored = store_study(store, script)
        reviewed = script.findings[0]
        store.findings.review(reviewed.id, actor="claire", action=ReviewAction.ACCEPT)
    assert CliRunner().invoke(app, ["report", "build", "--no-model"]).exit_code == 0
    out = tmp_path / "study.qdpx"
    result = CliRunner().invoke(
        app, ["report", "export", "--format", "qdpx", "--draft", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        project = archive.read("project.qde")
    assert validate_project(project) == []
    root = etree.fromstring(project)
    names = {code.get("name") for code in root.iterfind(".//q:Code", Q)}
    assert {code.label.in_language(staff_language) for code in codebook.codes} <= names
    assert len(root.findall(".//q:Case", Q)) == len(stored)
    users = {u.get("guid"): u.get("name") for u in root.iterfind(".//q:User", Q)}
    creators = {users[c.get("creatingUser")] for c in root.iterfind(".//q:Coding", Q)}
    assert creators == {"claire", "Terrain"}


def test_each_case_names_its_campaign_and_each_memo_speaks_the_staff_language(
    codebook: Codebook,
) -> None:
    script = scripted(4)
    interviews = [i.model_copy(update={"campaign_id": "c-mars"}) for i in script.interviews]
    reviewed = script.findings[0]
    export = build_qdpx(
        interviews,
        script.turns,
        script.findings,
        codebook,
        language="fr",
        reviewers={reviewed.id: "claire"},
        campaigns={"c-mars": "Domicile mars"},
    )
    with zipfile.ZipFile(io.BytesIO(export.data)) as archive:
        root = etree.fromstring(archive.read("project.qde"))
    variables = {v.get("name"): v.get("guid") for v in root.iterfind(".//q:Variable", Q)}
    campaign_values = [
        value.findtext("q:TextValue", namespaces=Q)
        for value in root.iterfind(".//q:VariableValue", Q)
        if value.find("q:VariableRef", Q).get("targetGUID") == variables["Campagne"]
    ]
    assert campaign_values == ["Domicile mars"] * len(interviews)
    memos = [d.text or "" for d in root.iterfind(".//q:PlainTextSelection/q:Description", Q)]
    assert memos
    assert not any(": accepted" in memo or ": augmented" in memo for memo in memos)
    # QualCoder takes a coding's coder from its selection: the reviewer owns both.
    claire = guid("user", "claire")
    selection = root.find(
        f".//q:PlainTextSelection[@guid='{guid('selection', reviewed.id, '0')}']", Q
    )
    assert selection is not None
    assert selection.get("creatingUser") == claire
    assert selection.find("q:Coding", Q).get("creatingUser") == claire
