"""Turns record the output guard's rule that replaced the model's message.

``turns.guard_rule`` names the rule (``leak``, ``link``, ``questions``, ``length``,
``language``) when the interviewer's message is the guide's question put in place of a model
message that broke it; NULL otherwise, as for every existing turn.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("turns") as batch:
        batch.add_column(sa.Column("guard_rule", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("turns") as batch:
        batch.drop_column("guard_rule")
