"""The store's Alembic migrations, shipped inside the package and run from code.

``Store.migrate()`` runs ``alembic upgrade head`` with the :class:`~alembic.config.Config` that
:func:`alembic_config` builds: no ``alembic.ini`` is needed. To write a new revision after
changing ``assistant/store/models.py``, autogenerate it against a database at head, then read
and clean it (constraint names come from the models' naming convention)::

    from alembic import command
    from assistant.store import Store
    from assistant.store.migrations import alembic_config

    url = "sqlite:////tmp/terrain-dev.db"
    Store(url).migrate()
    command.revision(alembic_config(url), message="...", autogenerate=True)

Revision files are named ``vNNNN_slug.py`` with revision id ``NNNN`` (a valid module name).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(url: str, *, connection: Any = None) -> Config:
    """An Alembic configuration for ``url``, built in code.

    With ``connection`` (a SQLAlchemy ``Connection``), ``env.py`` migrates through it, inside
    the caller's transaction, instead of opening its own.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "v%%(rev)s_%%(slug)s")
    # configparser interpolation: a literal "%" (URL-encoded password) must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config
