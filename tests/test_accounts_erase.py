"""Accounts managed from the terminal (disable, enable, reset a password, change a role) and
erasure by user name or pseudonym, with a confirmation that says what goes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.auth import account_of, add_user, authenticate, single_sign_on_account
from assistant.cli import app
from assistant.config import Settings
from assistant.privacy import owner_key
from assistant.schemas import Speaker, UserRole
from assistant.store import Store
from tests.support.records import closed_interview

PASSWORD = "correct horse battery"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Settings:
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(settings.data_dir))
    return settings


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_a_disabled_account_cannot_sign_in_by_any_way_until_enabled(
    environment: Settings,
) -> None:
    with Store.open(environment) as store:
        add_user(store, "claire", UserRole.FACILITATOR, PASSWORD)
    assert run("users", "disable", "claire")[0] == 0
    with Store.open(environment) as store:
        assert authenticate(store, "claire", PASSWORD) is None
        assert account_of(store, "claire") is None  # open sessions are refused
        assert single_sign_on_account(store, "claire") is None
    _, out, _ = run("users", "list", "--json")
    assert json.loads(out)[0]["disabled"] is True
    assert run("users", "enable", "claire")[0] == 0
    with Store.open(environment) as store:
        account = authenticate(store, "claire", PASSWORD)
        assert account is not None
        assert account.role is UserRole.FACILITATOR


def test_reset_password_asks_twice_and_the_old_one_stops_working(environment: Settings) -> None:
    with Store.open(environment) as store:
        add_user(store, "sam", UserRole.EMPLOYEE, PASSWORD)
    code, _, err = run("users", "reset-password", "sam", stdin="new password 1\nnew password 2\n")
    assert code == 1
    assert "differ" in err
    code, _, _ = run("users", "reset-password", "sam", stdin="new password 1\nnew password 1\n")
    assert code == 0
    with Store.open(environment) as store:
        assert authenticate(store, "sam", PASSWORD) is None
        assert authenticate(store, "sam", "new password 1") is not None


def test_set_role_changes_the_role_and_unknown_users_are_named(environment: Settings) -> None:
    with Store.open(environment) as store:
        add_user(store, "sam", UserRole.EMPLOYEE, PASSWORD)
    assert run("users", "set-role", "sam", "leadership")[0] == 0
    with Store.open(environment) as store:
        account = account_of(store, "sam")
        assert account is not None
        assert account.role is UserRole.LEADERSHIP
    code, _, err = run("users", "disable", "nobody")
    assert code == 1
    assert "No user named 'nobody'" in err


def _owned_interview(store: Store, settings: Settings, user: str) -> str:
    from assistant.schemas import Phase

    interview = store.interviews.create(language="fr", owner_key=owner_key(settings, user))
    store.interviews.record_consent(interview.id, given=True, version="test")
    for speaker, text in [
        (Speaker.INTERVIEWER, "Un moment précis ?"),
        (Speaker.EMPLOYEE, "Hier, je suis restée pour écouter Mme R."),
    ]:
        store.interviews.add_turn(interview.id, speaker=speaker, text=text, phase=Phase.EPISODE)
    return interview.id


def test_erase_by_user_says_what_goes_and_asks_unless_yes(environment: Settings) -> None:
    with Store.open(environment) as store:
        mine = [_owned_interview(store, environment, "sam") for _ in range(2)]
        other = closed_interview(store)
    code, _, err = run("erase", "--user", "sam", stdin="")
    assert code == 1
    assert "2 interviews, 4 turns and 0 findings of user 'sam'" in err
    assert "--yes" in err
    code, out, _ = run("erase", "--user", "sam", "--yes", "--json")
    assert code == 0
    erased = json.loads(out)
    assert sorted(erased["erased_interviews"]) == sorted(mine)
    assert (erased["turns"], erased["findings"]) == (4, 0)
    with Store.open(environment) as store:
        assert [interview.id for interview in store.interviews.where()] == [other]
    code, _, err = run("erase", "--user", "sam", "--yes")
    assert code == 1
    assert "Nothing to erase" in err


def test_erase_by_pseudonym_erases_that_interview_only(environment: Settings) -> None:
    with Store.open(environment) as store:
        kept = closed_interview(store)
        gone = store.interviews.get(closed_interview(store))
    assert gone is not None
    code, out, _ = run("erase", "--pseudonym", gone.pseudonym.lower(), "--yes")
    assert code == 0
    assert "Erased 1 interview, 2 turns and 0 findings" in out
    with Store.open(environment) as store:
        assert [interview.id for interview in store.interviews.where()] == [kept]
    assert run("erase")[0] == 1  # neither --user nor --pseudonym


def test_erase_names_the_report_versions_it_withdraws(environment: Settings) -> None:
    with Store.open(environment) as store:
        used = store.interviews.get(closed_interview(store))
        unused = store.interviews.get(closed_interview(store))
        assert used is not None
        assert unused is not None
        store.reports.save_draft({}, finding_ids=[], interview_ids=[used.id], built_by="fanny")
        store.reports.publish_draft({}, actor="fanny")
        store.reports.save_draft({}, finding_ids=[], interview_ids=[used.id], built_by="fanny")
    code, out, _ = run("erase", "--pseudonym", unused.pseudonym, "--yes", "--json")
    assert code == 0
    said = json.loads(out)  # it used no version: the report is left alone
    assert (said["withdrawn_report_versions"], said["draft_discarded"]) == ([], False)
    code, out, _ = run("erase", "--pseudonym", used.pseudonym, "--yes")
    assert code == 0
    assert "Report version 1: withdrawn at once, then republished without them" in out
    assert "The report's draft drew on them: it is discarded" in out
    with Store.open(environment) as store:
        assert store.reports.latest_published() is None
        assert store.reports.draft() is None
