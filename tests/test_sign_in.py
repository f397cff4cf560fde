"""Sign-in against guessing (issue 21): failures counted per account and per address in the
database, growing waits then a lock, `terrain users unlock`; a password policy from zxcvbn
applied wherever a password is set; user names normalised and confusable ones refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.auth import (
    AuthError,
    SignInLimits,
    SignInPaused,
    add_user,
    authenticate,
    reset_password,
    skeleton,
)
from assistant.cli import app
from assistant.config import load_settings
from assistant.schemas import UserRole
from assistant.store import Store
from tests.support.records import SettableClock

GOOD = "correct horse battery"
WEAK = ["aaaaaaaaaa", "password12", "1234567890"]
# The settings' defaults, without the waits (tested on their own below).
NO_WAIT = SignInLimits(delay_seconds=0)


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock()


@pytest.fixture
def store(tmp_path: Path, clock: SettableClock) -> Store:
    opened = Store(f"sqlite:///{tmp_path / 'terrain.db'}", clock=clock)
    opened.migrate()
    add_user(opened, "adm1", UserRole.ADMIN, GOOD)
    return opened


@pytest.mark.slow
def test_ten_wrong_passwords_lock_the_account_until_the_lock_ends_or_is_lifted(
    store: Store, clock: SettableClock, tmp_path: Path
) -> None:
    assert SignInLimits.of(load_settings()).lock_after == 10  # the setting's default
    for _ in range(9):
        assert authenticate(store, "adm1", "wrong password!", limits=NO_WAIT) is None
    assert authenticate(store, "adm1", "wrong password!", limits=NO_WAIT) is None  # the 10th
    with pytest.raises(SignInPaused) as paused:
        authenticate(store, "adm1", GOOD, limits=NO_WAIT)  # the right one, refused
    assert paused.value.locked
    assert paused.value.seconds == 15 * 60
    assert "Too many failed sign-ins" in str(paused.value)
    # The same through another process's store: the state is in the database.
    with Store(store.url.replace("***", ""), clock=clock) as other, pytest.raises(SignInPaused):
        authenticate(other, "ADM1", GOOD, limits=NO_WAIT)
    clock.now += timedelta(minutes=15, seconds=1)
    account = authenticate(store, "adm1", GOOD, limits=NO_WAIT)
    assert account is not None
    assert account.name == "adm1"


@pytest.mark.slow
def test_the_unlock_command_lifts_a_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(data))
    monkeypatch.setenv("TERRAIN_CONFIG", str(tmp_path / "none.toml"))
    settings = load_settings()
    with Store.open(settings) as store:
        add_user(store, "adm1", UserRole.ADMIN, GOOD)
        for _ in range(10):
            authenticate(store, "adm1", "wrong password!", limits=NO_WAIT)
        with pytest.raises(SignInPaused):
            authenticate(store, "adm1", GOOD, limits=NO_WAIT)
    unlocked = CliRunner().invoke(app, ["users", "unlock", "ADM1"])
    assert unlocked.exit_code == 0, unlocked.output
    assert "adm1 unlocked" in unlocked.output
    with Store.open(settings) as store:
        assert authenticate(store, "adm1", GOOD, limits=NO_WAIT) is not None
    unknown = CliRunner().invoke(app, ["users", "unlock", "nobody"])
    assert unknown.exit_code != 0
    assert "No user named 'nobody'" in unknown.output


@pytest.mark.slow
def test_waits_grow_after_a_few_failures(store: Store, clock: SettableClock) -> None:
    limits = SignInLimits(delay_after=3, delay_seconds=1.0)
    for _ in range(3):
        assert authenticate(store, "adm1", "wrong password!", limits=limits) is None
    waits = []
    for _ in range(4):
        with pytest.raises(SignInPaused) as paused:
            authenticate(store, "adm1", GOOD, limits=limits)
        assert not paused.value.locked
        waits.append(paused.value.seconds)
        clock.now += timedelta(seconds=paused.value.seconds)
        assert authenticate(store, "adm1", "wrong password!", limits=limits) is None
    assert waits == [1, 2, 4, 8]
    clock.now += timedelta(seconds=16)
    assert authenticate(store, "adm1", GOOD, limits=limits) is not None
    # A success forgets the account's failures: no wait for the next mistake.
    assert authenticate(store, "adm1", "wrong password!", limits=limits) is None
    assert authenticate(store, "adm1", GOOD, limits=limits) is not None


def test_one_address_failing_on_many_accounts_is_locked(store: Store) -> None:
    limits = SignInLimits(delay_seconds=0, address_lock_after=6)
    for number in range(6):
        authenticate(store, f"guess{number}", "wrong password!", address="10.0.0.9", limits=limits)
    with pytest.raises(SignInPaused):
        authenticate(store, "adm1", GOOD, address="10.0.0.9", limits=limits)
    assert authenticate(store, "adm1", GOOD, address="10.0.0.10", limits=limits) is not None


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused_everywhere(store: Store, password: str) -> None:
    with pytest.raises(AuthError, match="too easy to guess"):
        add_user(store, "claire", UserRole.FACILITATOR, password)
    with pytest.raises(AuthError, match="too easy to guess"):
        reset_password(store, "adm1", password)
    assert store.accounts.get("claire") is None
    assert authenticate(store, "adm1", GOOD, limits=NO_WAIT) is not None  # still the old one


@pytest.mark.parametrize("password", ["adm1adm1adm1", "Adm1-Adm1!", "adm1-2026-adm1"])
def test_passwords_made_of_the_user_name_are_refused(store: Store, password: str) -> None:
    with pytest.raises(AuthError, match="too easy to guess"):
        reset_password(store, "adm1", password)


def test_a_password_equal_to_the_user_name_is_refused(store: Store) -> None:
    with pytest.raises(AuthError, match="too easy to guess"):
        add_user(store, "alice.martin", UserRole.EMPLOYEE, "alice.martin")
    with pytest.raises(AuthError, match="too easy to guess"):
        add_user(
            store, "bernard", UserRole.EMPLOYEE, "Bernard Durand", display_name="Bernard Durand"
        )


def test_the_cli_refuses_a_weak_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TERRAIN_CONFIG", str(tmp_path / "none.toml"))
    for password in [*WEAK, "dominique1"]:
        added = CliRunner().invoke(
            app,
            ["users", "add", "dominique1", "--role", "employee", "--password-stdin"],
            input=f"{password}\n",
        )
        assert added.exit_code != 0
        assert "too easy to guess" in added.output


@pytest.mark.parametrize("name", ["ＡＤＭ１", "Adm1", "ADM1", "adml", "аdm1", "adm１"])
def test_a_name_equal_to_or_looking_like_an_existing_one_is_refused(
    store: Store, name: str
) -> None:
    with pytest.raises(AuthError, match=r"already exists|looks like"):
        add_user(store, name, UserRole.ADMIN, GOOD)
    assert [user.name for user in store.accounts.all()] == ["adm1"]


def test_names_are_normalised_and_signed_in_whatever_their_case(store: Store) -> None:
    added = add_user(store, "Ｃｌａｉｒｅ", UserRole.FACILITATOR, GOOD)
    assert added.name == "claire"
    account = authenticate(store, "CLAIRE", GOOD)
    assert account is not None
    assert account.name == "claire"
    assert skeleton("rnarie") == skeleton("marie")


def test_a_long_bad_name_is_not_echoed_whole(store: Store) -> None:
    with pytest.raises(AuthError) as refused:
        add_user(store, "<" * 1_000_000, UserRole.ADMIN, GOOD)
    assert len(str(refused.value)) < 300


def test_a_display_name_has_a_bounded_length(store: Store) -> None:
    with pytest.raises(AuthError, match="at most 100 characters"):
        add_user(store, "dora", UserRole.EMPLOYEE, GOOD, display_name="D" * 1_000_000)
    assert store.accounts.get("dora") is None


def test_an_account_named_before_names_were_normalised_still_signs_in(store: Store) -> None:
    store.accounts.add("Zoé", UserRole.EMPLOYEE)  # as an older version stored it
    reset_password(store, "Zoé", GOOD)
    account = authenticate(store, "Zoé", GOOD)
    assert account is not None
    assert account.name == "Zoé"


@pytest.mark.slow
def test_old_failures_are_forgotten_not_kept(store: Store, clock: SettableClock) -> None:
    for number in range(5):
        authenticate(store, f"nobody{number}", "wrong password!", address="10.0.0.7")
    clock.now += timedelta(minutes=16)
    authenticate(store, "nobody", "wrong password!")
    _, kept = store.accounts.failures(
        [f"account:nobody{n}" for n in range(5)] + ["address:10.0.0.7", "account:nobody"]
    )
    assert set(kept) == {"account:nobody"}


@pytest.mark.slow
def test_the_lock_holds_on_postgresql_across_stores(postgres_url: str) -> None:
    clock = SettableClock()
    with Store(postgres_url, clock=clock) as store, Store(postgres_url, clock=clock) as other:
        store.migrate()
        add_user(store, "pgadm", UserRole.ADMIN, GOOD)
        for _ in range(10):
            assert authenticate(store, "pgadm", "wrong password!", limits=NO_WAIT) is None
        with pytest.raises(SignInPaused):
            authenticate(other, "pgadm", GOOD, limits=NO_WAIT)
        clock.now += timedelta(minutes=16)
        assert authenticate(other, "pgadm", GOOD, limits=NO_WAIT) is not None
