"""Republishing after an erasure is a job; a withdrawn version is replaced at most once.

``jobs.interview_id`` becomes nullable: a republish job belongs to no interview (the one it
follows was erased). ``reports.replaces`` becomes unique, so that two workers republishing the
same withdrawn version at once cannot both publish a replacement.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("interview_id", existing_type=sa.String(length=32), nullable=True)
    with op.batch_alter_table("reports") as batch:
        batch.create_unique_constraint(op.f("uq_reports_replaces"), ["replaces"])


def downgrade() -> None:
    op.execute("DELETE FROM jobs WHERE interview_id IS NULL")
    with op.batch_alter_table("reports") as batch:
        batch.drop_constraint(op.f("uq_reports_replaces"), type_="unique")
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("interview_id", existing_type=sa.String(length=32), nullable=False)
