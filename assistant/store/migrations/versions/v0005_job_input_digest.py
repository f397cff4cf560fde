"""Jobs remember what their last run read: ``jobs.input_digest``.

An extraction records the digest of the transcript it coded, so that a transcript changed
since (a turn added, a summary corrected) is extracted again. Existing jobs get NULL: their
input is unknown, so each is taken as changed and extracted once more.

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("input_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("input_digest")
