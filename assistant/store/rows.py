"""Reading and writing rows with Core statements, for what every message of an interview does.

The ORM session's unit of work (identity map, flush, attribute events) cost most of the CPU of
a message's few statements. The hot paths run Core statements, built once at import, on a bare
connection (:meth:`.Database.reading_rows`, :meth:`.Database.writing_rows`), and make their
pydantic records straight from the rows: the same transactions, types and cleaning of the
parameters, without the unit of work.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import Column, Connection, Table
from sqlalchemy.orm import DeclarativeBase, Session


def table_of(row: type[DeclarativeBase]) -> Table:
    """The table an ORM class maps."""
    return cast(Table, row.__table__)


def record_columns(table: Table, record: type[BaseModel]) -> list[Column[Any]]:
    """The columns of ``table`` that make a ``record``, in its fields' order: a select of them
    gives rows that ``record.model_validate(row._asdict())`` reads."""
    return [table.c[name] for name in record.model_fields if name in table.c]


@contextmanager
def joining(connection: Connection) -> Iterator[Session]:
    """An ORM session inside ``connection``'s transaction, for the rarer steps that need one
    (queueing a job, deleting an interview's content): what it writes is flushed on leaving
    and commits, or rolls back, with the connection's transaction."""
    with Session(bind=connection, join_transaction_mode="rollback_only") as session:
        yield session
        session.flush()
