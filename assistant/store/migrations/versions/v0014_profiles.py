"""Profiles: accounts carry a job, a site and a team; an interview keeps the ones it started with.

Free text, each NULL when unknown. ``interviews.job/site/team`` are copied from the account
when the interview starts (or given at import), so that a later change of the account does not
move past interviews from one group to another.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("users", "interviews")
_FIELDS = ("job", "site", "team")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            for field in _FIELDS:
                batch.add_column(sa.Column(field, sa.String(length=200), nullable=True))


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            for field in reversed(_FIELDS):
                batch.drop_column(field)
