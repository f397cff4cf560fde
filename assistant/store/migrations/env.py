"""Alembic's environment for the store: run by ``Store.migrate()``, never imported directly.

The store passes its own connection (``config.attributes["connection"]``), already inside a
transaction, so the whole upgrade is one transaction on SQLite as on PostgreSQL: it either
completes or leaves the database as it was. Without one (Alembic's command line with a
hand-written alembic.ini), an engine is made from ``sqlalchemy.url`` the way the store makes it.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection, make_url

from assistant.store.engine import create_store_engine, is_sqlite
from assistant.store.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Autogenerate writes the store's UTC timestamp type as the plain type it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters a table by copying it into a new one ("batch" mode).
        render_as_batch=is_sqlite(connection.engine.url),
        # SQLite's DDL is transactional once the driver's legacy mode is off (engine.py).
        transactional_ddl=True,
        compare_type=True,
        render_item=_render_item,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("No sqlalchemy.url in the Alembic configuration.")
    engine = create_store_engine(make_url(url), migrating=True)
    try:
        with engine.connect() as own_connection:
            _configure(own_connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
