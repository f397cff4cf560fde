"""Profiles: accounts in bulk from a CSV file, the profile an interview keeps, the transcripts'
``role``, and a report whose coverage speaks of jobs and sites (under the thresholds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.account_import import LineAction, import_accounts
from assistant.auth import add_user, authenticate
from assistant.cli import app
from assistant.config import Settings
from assistant.personal_data.redaction import default_redactor
from assistant.report.build import build_sections_report
from assistant.report.publishing import codebook_for, gather_inputs
from assistant.report.records import ReportOptions
from assistant.schemas import AccountUpdate, Profile, Speaker, UserRole
from assistant.store import Store

PASSWORD = "correct horse battery"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Settings:
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(settings.data_dir))
    return settings


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def two_hundred_lines_three_bad(path: Path) -> Path:
    """A 200-line file (after its header) whose lines 51, 102 and 181 of the file are bad."""
    lines = ["name,role,display_name,job,site,team"]
    for number in range(200):
        job = "auxiliaire de vie" if number % 3 else "coordinatrice"
        lines.append(f"user{number:03d},employee,User {number},{job},site {number % 4},équipe A")
    lines[50] = "bad name!,employee,,,,"  # an invalid user name
    lines[101] = "user900,chief,,,,"  # an unknown role
    lines[180] = "user000,employee,,,,"  # the same user twice
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_users_import_creates_the_good_lines_and_names_the_bad_ones(
    environment: Settings, tmp_path: Path
) -> None:
    csv_file = two_hundred_lines_three_bad(tmp_path / "people.csv")
    code, out, _ = run("users", "import", str(csv_file), "--dry-run", "--json")
    assert code == 1
    dry = json.loads(out)
    assert (dry["created"], dry["refused"]) == (197, 3)
    with Store.open(environment) as store:
        assert store.accounts.all() == []  # --dry-run creates none

    code, out, err = run("users", "import", str(csv_file), "--sign-on-only")
    assert code == 1
    assert "197 created" in out
    assert "Refused lines: 51, 102, 181" in err
    assert "line 102 (user900): Unknown role 'chief'" in err
    assert "line 181 (user000): The user 'user000' is already on line 2." in err
    with Store.open(environment) as store:
        users = store.accounts.all()
        assert len(users) == 197
        first = store.accounts.get("user001")
        assert first is not None
        assert first.profile == Profile(job="auxiliaire de vie", site="site 1", team="équipe A")
        assert store.accounts.password_hash_of("user001") is None  # sign-on only
        assert store.accounts.profile_values()["job"] == ["auxiliaire de vie", "coordinatrice"]


def test_users_import_updates_existing_accounts_and_hands_out_invitation_passwords(
    environment: Settings, tmp_path: Path
) -> None:
    with Store.open(environment) as store:
        add_user(store, "claire", UserRole.EMPLOYEE, PASSWORD)
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("name,job,site\nClaire,infirmière,Valence\nnadia,aide,Crest\n")
    out_file = tmp_path / "passwords.csv"
    code, out, _ = run("users", "import", str(csv_file), "--passwords-file", str(out_file))
    assert code == 0, out
    assert "1 created, 1 updated" in out
    assert "invitation password" not in out  # written to the file, not printed
    name, password = out_file.read_text().splitlines()[1].split(",")
    assert name == "nadia"
    assert out_file.stat().st_mode & 0o077 == 0
    with Store.open(environment) as store:
        assert authenticate(store, "nadia", password) is not None
        assert authenticate(store, "claire", PASSWORD) is not None  # its password is kept
        claire = store.accounts.get("claire")
        assert claire is not None
        assert claire.profile == Profile(job="infirmière", site="Valence")


def test_a_refused_file_header_changes_nothing(environment: Settings, tmp_path: Path) -> None:
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("login,job\nclaire,aide\n")
    code, _, err = run("users", "import", str(csv_file))
    assert code == 1
    assert "unknown 'login'" in err


def test_a_name_that_looks_like_an_existing_one_is_refused(tmp_store: Store) -> None:
    add_user(tmp_store, "adm1", UserRole.ADMIN, PASSWORD)
    result = import_accounts(tmp_store, "name\nadml\nnew.one\n", sign_on_only=True)
    assert [line.action for line in result.lines] == [LineAction.REFUSED, LineAction.CREATED]
    assert result.lines[0].line == 2
    assert "looks like 'adm1'" in (result.lines[0].problem or "")


def test_an_interview_keeps_the_profile_it_started_with(tmp_store: Store) -> None:
    add_user(tmp_store, "sam", UserRole.EMPLOYEE, PASSWORD)
    tmp_store.accounts.update("sam", AccountUpdate(profile=Profile(job="aide", site="Crest")))
    account = tmp_store.accounts.get("sam")
    assert account is not None
    interview = tmp_store.interviews.create(language="fr", profile=account.profile)
    tmp_store.accounts.update("sam", AccountUpdate(profile=Profile(job="cadre", site="Lyon")))
    stored = tmp_store.interviews.get(interview.id)
    assert stored is not None
    assert stored.profile == Profile(job="aide", site="Crest")


def test_a_profile_change_does_not_end_open_sessions(tmp_store: Store) -> None:
    add_user(tmp_store, "sam", UserRole.EMPLOYEE, PASSWORD)
    changed = tmp_store.accounts.update("sam", AccountUpdate(profile=Profile(job="aide")))
    assert changed.token_version == 0


# -- transcripts and the report ------------------------------------------------------------

JOBS = ("auxiliaire de vie", "auxiliaire de vie", "auxiliaire de vie", "coordinatrice")


def eight_transcripts(folder: Path) -> list[Path]:
    """Eight JSON transcripts, each giving its employee's ``role`` and ``site``."""
    paths = []
    for number in range(8):
        path = folder / f"entretien-{number}.json"
        path.write_text(
            json.dumps(
                {
                    "language": "fr",
                    "role": JOBS[number % 4],
                    "site": "Valence" if number < 6 else "Crest",
                    "turns": [
                        {"speaker": "interviewer", "text": "Racontez-moi une visite."},
                        {"speaker": "employee", "text": f"Mardi, la visite numéro {number}."},
                    ],
                }
            ),
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def test_import_reads_role_site_and_team_and_the_flags_override_them(
    environment: Settings, tmp_path: Path
) -> None:
    files = eight_transcripts(tmp_path)
    code, out, err = run("import", "--json", str(files[0]), str(files[1]))
    assert code == 0, err
    imported = json.loads(out)
    assert imported[0]["job"] == "auxiliaire de vie"
    assert imported[0]["site"] == "Valence"
    code, out, err = run("import", "--json", "--job", "infirmière", "--team", "nuit", str(files[3]))
    assert code == 0, err
    given = json.loads(out)[0]
    assert (given["job"], given["site"], given["team"]) == ("infirmière", "Valence", "nuit")


def _coverage(settings: Settings, min_people: int) -> tuple[list[str], list[str]]:
    with Store.open(settings) as store:
        inputs = gather_inputs(store, settings)
    options = ReportOptions(language="fr", min_people=min_people, min_people_for_quotes=min_people)
    redactor = default_redactor(inputs.known_names, inputs.allowed_terms)
    report = build_sections_report(inputs, codebook_for(settings), options, redactor)
    coverage = report.coverage
    return [g.label for g in coverage.roles], [g.label for g in coverage.sites]


def test_the_report_lists_the_jobs_and_sites_only_of_groups_large_enough(
    environment: Settings, tmp_path: Path
) -> None:
    code, _, err = run("import", *map(str, eight_transcripts(tmp_path)))
    assert code == 0, err
    roles, sites = _coverage(environment, min_people=1)
    assert roles == ["auxiliaire de vie", "coordinatrice"]
    assert sites == ["Valence", "Crest"]
    # With the default threshold (5), the coordinators (2 people) and Crest (2) are hidden,
    # and so is their complement: the 6 others would give them away (8 - 6).
    roles, sites = _coverage(environment, min_people=5)
    assert "coordinatrice" not in roles
    assert "Crest" not in sites


def test_interviews_imported_with_speakers_keep_no_profile_by_default(tmp_store: Store) -> None:
    interview = tmp_store.interviews.import_transcript(
        language="fr", source="x", turns=[(Speaker.EMPLOYEE, "bonjour")]
    )
    assert interview.profile == Profile()


def test_single_sign_on_fills_the_profile_from_the_named_headers_or_claims(
    tmp_store: Store,
) -> None:
    from assistant.auth import single_sign_on_account
    from assistant.profiles import sign_on_sources, update_from_sign_on

    account = single_sign_on_account(tmp_store, "lina")
    assert account is not None
    sources = sign_on_sources("job=x-job, site=x-site")
    given = {"x-job": "aide  à domicile", "x-site": "Crest", "x-other": "ignored"}
    changed = update_from_sign_on(tmp_store, "lina", sources, given)
    assert changed is not None
    assert changed.profile == Profile(job="aide à domicile", site="Crest")
    update_from_sign_on(tmp_store, "lina", sources, {"x-site": "Valence"})  # job stays
    lina = tmp_store.accounts.get("lina")
    assert lina is not None
    assert lina.profile == Profile(job="aide à domicile", site="Valence")
    with pytest.raises(ValueError, match="job=NAME"):
        sign_on_sources("grade=x-grade")


def test_a_profile_fields_setting_that_names_no_field_is_refused_at_start() -> None:
    from assistant.config import load_settings
    from assistant.errors import TerrainError

    with pytest.raises(TerrainError, match="TERRAIN_AUTH_PROFILE_FIELDS"):
        load_settings(auth_profile_fields="grade=X-Grade")
    assert load_settings(auth_profile_fields="job=X-Job").auth_profile_fields == "job=X-Job"


def test_a_line_for_an_account_made_before_names_were_normalised_updates_it(
    tmp_store: Store,
) -> None:
    tmp_store.accounts.add("Alice", UserRole.EMPLOYEE)  # as made before normalisation
    result = import_accounts(tmp_store, "name,site\nalice,Crest\n", sign_on_only=True)
    assert [(line.name, line.action) for line in result.lines] == [("Alice", LineAction.UPDATED)]
    assert [user.name for user in tmp_store.accounts.all()] == ["Alice"]
    alice = tmp_store.accounts.get("Alice")
    assert alice is not None
    assert alice.site == "Crest"
