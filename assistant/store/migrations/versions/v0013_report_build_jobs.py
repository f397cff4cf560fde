"""Report builds are jobs of the worker: what a job was asked, and one build at a time.

``jobs.params`` holds what a job was asked to do (a report build: who asked, with or without
the model's narratives, counting unreviewed findings or not). A partial unique index keeps at
most one report build queued or running, whichever web process (or command line) asked.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_REPORT_BUILD = "kind = 'report_build' AND status IN ('queued', 'running')"


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(
            sa.Column("params", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    op.create_index(
        "uq_jobs_one_report_build",
        "jobs",
        ["kind"],
        unique=True,
        sqlite_where=sa.text(ACTIVE_REPORT_BUILD),
        postgresql_where=sa.text(ACTIVE_REPORT_BUILD),
    )


def downgrade() -> None:
    op.drop_index("uq_jobs_one_report_build", table_name="jobs")
    op.execute("DELETE FROM jobs WHERE kind = 'report_build'")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("params")
