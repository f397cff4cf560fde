"""Persistence: interviews, turns, users and identities in SQLite (default) or PostgreSQL.

Open it with ``Store.open(settings)``, which also migrates the schema. See :mod:`.store`.
"""

from assistant.store.errors import (
    InterviewNotFoundError,
    StoreError,
    TurnNotFoundError,
    UserExistsError,
)
from assistant.store.store import Store

__all__ = [
    "InterviewNotFoundError",
    "Store",
    "StoreError",
    "TurnNotFoundError",
    "UserExistsError",
]
