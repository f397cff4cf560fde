"""Keeping people apart from what they said.

An interview row never names its employee. It carries an *owner key*: a keyed hash (HMAC) of
the employee's user name, so that the employee's own requests can find their interviews while a
facilitator reading the rows learns nothing about who they are. The key is a secret kept under
the data directory (or given by ``TERRAIN_SECRET_KEY``). Nothing else links a person to an
interview: an administrator acting on a person's erasure request finds their interviews from
their user name, through the same key (:func:`interviews_of_user`, :func:`erase_user`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from assistant.config import Settings
from assistant.schemas import Interview, ReportStatus
from assistant.store import Store

SECRET_FILE = "secret.key"  # noqa: S105 - a file name, not a secret


def server_secret(settings: Settings) -> bytes:
    """The installation's secret, created on first use with owner-only permissions."""
    if settings.secret_key:
        return settings.secret_key.get_secret_value().encode()
    path = settings.data_dir / SECRET_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32).encode()
    _write_private(path, secret)
    return path.read_bytes().strip()  # another process may have won the race: use its secret


def _write_private(path: Path, content: bytes) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "wb") as out:
        out.write(content)


def owner_key(settings: Settings, user_name: str) -> str:
    """The opaque key that marks an employee's interviews as theirs."""
    digest = hmac.new(server_secret(settings), user_name.encode(), hashlib.sha256)
    return "owner:" + digest.hexdigest()[:32]


def interviews_of_user(store: Store, settings: Settings, user_name: str) -> list[Interview]:
    """The interviews of the employee ``user_name``, newest first (through their owner key)."""
    return store.interviews.where(owner_key=owner_key(settings, _named(user_name)))


@dataclass(frozen=True)
class ErasurePlan:
    """What erasing ``interviews`` would take away, said before anything is erased."""

    interviews: list[Interview]
    turns: int
    findings: int
    versions: list[int]  # published report versions withdrawn, then republished without them
    discards_draft: bool


def erasure_plan(store: Store, interviews: list[Interview]) -> ErasurePlan:
    ids = {interview.id for interview in interviews}
    counts = store.interviews.turn_counts(sorted(ids))
    findings = sum(len(store.findings.where(interview_id=i)) for i in sorted(ids))
    versions = [
        v.number
        for v in reversed(store.reports.versions())
        if v.number is not None
        and v.status == ReportStatus.PUBLISHED
        and ids & set(v.interview_ids)
    ]
    draft = store.reports.draft()
    return ErasurePlan(
        interviews=interviews,
        turns=sum(counts.values()),
        findings=findings,
        versions=versions,
        discards_draft=draft is not None and bool(ids & set(draft.interview_ids)),
    )


def erase_user(store: Store, settings: Settings, user_name: str) -> list[Interview]:
    """Erase every interview of ``user_name``, with all it holds, in one commit (a person's
    erasure request); returns the interviews erased. Their account, if any, is kept.

    The same commit withdraws every report version that drew on them and queues the job that
    republishes those versions without them (run by the worker,
    :mod:`assistant.report.republishing`), so that the erasure never waits for the report's
    redactor to load."""
    return store.interviews.erase_owned_by(owner_key(settings, _named(user_name)))


def erase_interview(store: Store, settings: Settings, interview_id: str) -> None:
    """Erase one interview with all it holds (its employee withdrawing, or an administrator),
    in one commit, withdrawing the report versions that drew on it and queueing their
    republishing, as :func:`erase_user` does. Every erasure goes through here or
    :func:`erase_user`.

    ``settings`` is not read since republishing became a job; it stays so that every caller
    (the interview's session among them) erases through one signature with :func:`erase_user`.
    """
    del settings
    store.interviews.erase(interview_id)


def erase_past_retention(
    store: Store, settings: Settings, *, days: int | None = None, dry_run: bool = False
) -> list[Interview]:
    """Erase, as :func:`erase_interview` does and in one commit, every ended interview whose
    end is more than ``days`` (``TERRAIN_RETENTION_DAYS`` when not given) before now; returns
    them, newest first. Nothing when neither is set (interviews are kept). ``dry_run``: only
    says which. Published reports stay: they hold only what anonymity allowed, and the versions
    that drew on the erased interviews are republished without them."""
    kept_days = settings.retention_days if days is None else days
    if kept_days is None:
        return []
    if kept_days < 0:
        raise ValueError("A retention is a number of days, 0 or more.")
    cutoff = store.now() - timedelta(days=kept_days)
    return store.interviews.erase_unchanged_since(cutoff, dry_run=dry_run)


def _named(user_name: str) -> str:
    name = user_name.strip()
    if not name:
        raise ValueError("A user name cannot be empty.")
    return name
