"""A throwaway PostgreSQL server for the tests: a cluster in a temporary folder, started once
per session when this machine has PostgreSQL's programs (``initdb``, ``pg_ctl``).

Each test gets the same migrated database, emptied (every table but alembic's truncated)
before it runs: far quicker than a database per test. The server recycles no WAL segment
(``wal_recycle=off``), as docs/privacy.md asks of a deployment that erases on PostgreSQL, so that a
byte search of its data folder after a checkpoint finds what the database still keeps, not
what a recycled segment held once.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from assistant.store import Store
from assistant.store.migrations import alembic_config

DATABASE = "terrain_tests"


class PostgresMissingError(RuntimeError):
    """PostgreSQL cannot be started here (the reason is the message)."""


def _program(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(candidates[-1]) if candidates else None


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the ``postgres`` user then."""
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresMissingError("running as root without runuser to start PostgreSQL")
    return [runuser, "-u", "postgres", "--", *command]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(command: list[str]) -> None:
    subprocess.run(_as_postgres_user(command), check=True, capture_output=True, timeout=120)


@dataclass
class PostgresCluster:
    folder: Path
    port: int
    pg_ctl: str
    head: str = ""  # the schema version of the tests' database

    @property
    def data(self) -> Path:
        """The data folder: tables, WAL, everything the server keeps."""
        return self.folder / "data"

    def url_of(self, database: str) -> str:
        return f"postgresql+psycopg://terrain@127.0.0.1:{self.port}/{database}"

    @property
    def url(self) -> str:
        """The tests' migrated database."""
        return self.url_of(DATABASE)

    def execute(self, *statements: str, database: str = DATABASE) -> None:
        engine = create_engine(self.url_of(database), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                for statement in statements:
                    connection.execute(text(statement))
        finally:
            engine.dispose()

    def empty(self) -> None:
        """Every table of the tests' database emptied, the schema (and its version) kept."""
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                # A test's connection left inside a transaction fails the next test, not hangs it.
                connection.execute(text("SET lock_timeout = '20s'"))
                tables = connection.scalars(
                    text(
                        "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'"
                        " AND tablename <> 'alembic_version'"
                    )
                ).all()
                if tables:
                    connection.execute(
                        text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
                    )
                # A test may have played a newer Terrain (another schema version).
                connection.execute(
                    text("UPDATE alembic_version SET version_num = :head"), {"head": self.head}
                )
        finally:
            engine.dispose()

    def checkpoint(self) -> None:
        """Write every change to the data files (a superuser's command)."""
        self.execute("CHECKPOINT", database="postgres")

    def stop(self) -> None:
        stop = [self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop"]
        subprocess.run(_as_postgres_user(stop), check=False, capture_output=True, timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A started cluster with the tests' database migrated; PostgresMissingError if PostgreSQL
    cannot be started here."""
    initdb, pg_ctl = _program("initdb"), _program("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise PostgresMissingError("PostgreSQL is not installed here (no initdb, pg_ctl)")
    folder = Path(tempfile.mkdtemp(prefix="terrain-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres")
    cluster = PostgresCluster(folder, _free_port(), pg_ctl)
    try:
        _run([initdb, "-D", str(cluster.data), "-A", "trust", "-U", "terrain"])
        options = (
            f"-p {cluster.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c wal_recycle=off -c max_connections=200"
        )
        log = str(folder / "log")
        _run([pg_ctl, "-D", str(cluster.data), "-o", options, "-l", log, "-w", "start"])
        cluster.execute(f"CREATE DATABASE {DATABASE}", database="postgres")
        with Store(cluster.url) as store:
            store.migrate()
        head = ScriptDirectory.from_config(alembic_config(cluster.url)).get_current_head()
        cluster.head = head or ""
        yield cluster
    finally:
        cluster.stop()


def sqlite_only(url: str) -> None:
    """Skip a test of SQLite's own behaviour (its file, its migrations' table rebuilds) when it
    runs on PostgreSQL."""
    if not url.startswith("sqlite"):
        pytest.skip("tests SQLite's own behaviour")
