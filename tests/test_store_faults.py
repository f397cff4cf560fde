"""A database that cannot be written (a full disk, a read-only file or server): one clear
error, with its fix, logged once until a write succeeds again. The real faults, against
running processes, are in tests/faults/."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from assistant.schemas import Speaker
from assistant.store import StorageUnavailableError, Store
from assistant.store.database import storage_problem


class DriverError(Exception):
    """What psycopg raises: the SQLSTATE on the exception."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__("server said no")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "expected"),
    [("53100", "full"), ("25006", "read_only"), ("0A000", "read_only"), ("08006", None)],
    ids=["disk-full", "read-only-transaction", "standby", "connection-lost"],
)
def test_postgresql_storage_problems_are_told_apart(sqlstate: str, expected: str | None) -> None:
    error = OperationalError("INSERT", {}, DriverError(sqlstate))
    assert storage_problem(error) == expected


def test_a_read_only_sqlite_database_is_one_clear_error_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "terrain.db"
    with Store(f"sqlite:///{path}") as store:
        store.migrate()
        interview = store.interviews.create(language="fr")
    caplog.set_level(logging.WARNING, logger="assistant.store.database")
    with Store(f"sqlite:///file:{path}?mode=ro&uri=true") as read_only:
        for _ in range(3):
            with pytest.raises(StorageUnavailableError) as raised:
                read_only.interviews.add_turn(
                    interview.id, speaker=Speaker.EMPLOYEE, text="Bonjour", phase=interview.phase
                )
        assert raised.value.kind == "read_only"
        assert raised.value.fix is not None
        assert raised.value.fix.startswith("Make the database file")
        assert read_only.interviews.get(interview.id) is not None  # reading still works
    logged = [record for record in caplog.records if "is read-only" in record.getMessage()]
    assert len(logged) == 1
    assert "Fix: Make the database file" in logged[0].getMessage()
