"""Jobs are leased to the worker that claims them; accounts can be disabled.

``jobs.claim`` names one claim of a job (a new token each time a worker takes it) and
``jobs.lease_expires_at`` says until when that worker is presumed alive: it renews the lease
while it works, and a job whose lease has run out is claimed again by another worker. A worker
whose claim was taken over can no longer settle the job. Existing rows get NULL (no lease).

``users.disabled`` keeps an account without letting it sign in; existing accounts are enabled.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("claim", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("disabled")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("lease_expires_at")
        batch.drop_column("claim")
