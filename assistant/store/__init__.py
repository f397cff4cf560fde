"""Persistence: interviews, turns, findings, jobs and accounts, in SQLite or PostgreSQL.

Open it with ``Store.open(settings)``, which also migrates the schema; each aggregate has its
repository (``store.interviews``, ``store.findings``, ``store.jobs``, ``store.accounts``).
See :mod:`.store`.
"""

from assistant.store.errors import (
    FindingNotFoundError,
    InterviewChangedError,
    InterviewNotFoundError,
    JobBusyError,
    JobClaimLostError,
    JobNotFoundError,
    StorageUnavailableError,
    StoreError,
    TurnNotFoundError,
    UserExistsError,
    UserNotFoundError,
)
from assistant.store.reports import NoDraftError
from assistant.store.store import Store

__all__ = [
    "FindingNotFoundError",
    "InterviewChangedError",
    "InterviewNotFoundError",
    "JobBusyError",
    "JobClaimLostError",
    "JobNotFoundError",
    "NoDraftError",
    "StorageUnavailableError",
    "Store",
    "StoreError",
    "TurnNotFoundError",
    "UserExistsError",
    "UserNotFoundError",
]
