"""Workers' heartbeats: each running worker renews its row every few seconds, idle or busy, so
that the staff pages can tell when no worker is alive (queued jobs would wait for ever)."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from sqlalchemy import delete, select

from assistant.schemas import WorkerHeartbeat
from assistant.store.database import Repository, guarded
from assistant.store.models import WorkerRow


def new_worker_id() -> str:
    return uuid.uuid4().hex


class WorkerRepository(Repository):
    """Workers' heartbeats (``store.workers``)."""

    @guarded("recording a worker's heartbeat")
    def beat(self, worker_id: str) -> WorkerHeartbeat:
        """This process's worker ``worker_id`` is alive now (its row created at the first beat)."""
        with self._db.writing() as session:
            now = self._db.now()
            row = session.get(WorkerRow, worker_id)
            if row is None:
                row = WorkerRow(
                    id=worker_id,
                    host=socket.gethostname()[:255],
                    pid=os.getpid(),
                    started_at=now,
                    seen_at=now,
                )
                session.add(row)
            row.seen_at = now
            # Rows of workers killed long ago go (a stopped worker deletes its own).
            session.execute(delete(WorkerRow).where(WorkerRow.seen_at < now - timedelta(days=1)))
            return WorkerHeartbeat.model_validate(row)

    @guarded("removing a stopped worker")
    def forget(self, worker_id: str) -> None:
        """The worker stopped cleanly: its row goes."""
        with self._db.writing() as session:
            session.execute(delete(WorkerRow).where(WorkerRow.id == worker_id))

    @guarded("listing the workers alive")
    def alive(self, within_seconds: float) -> list[WorkerHeartbeat]:
        """Workers heard from in the last ``within_seconds`` (by the store's clock), latest
        first."""
        now = self._db.now()
        with self._db.reading() as session:
            rows = session.scalars(
                select(WorkerRow)
                .where(WorkerRow.seen_at >= now - timedelta(seconds=within_seconds))
                .order_by(WorkerRow.seen_at.desc())
            )
            return [WorkerHeartbeat.model_validate(row) for row in rows]
