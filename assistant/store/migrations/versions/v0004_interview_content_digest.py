"""Interviews record an imported transcript's digest of its turns, so a second import is refused.

One nullable, indexed column on ``interviews``; existing interviews (created in Terrain, or
imported before this revision) have none, and nothing else changes.

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("interviews") as batch:
        batch.add_column(sa.Column("content_digest", sa.String(length=64), nullable=True))
        batch.create_index(batch.f("ix_interviews_content_digest"), ["content_digest"])


def downgrade() -> None:
    with op.batch_alter_table("interviews") as batch:
        batch.drop_index(batch.f("ix_interviews_content_digest"))
        batch.drop_column("content_digest")
