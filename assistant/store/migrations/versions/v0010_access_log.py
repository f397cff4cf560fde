"""The access log: who read which transcript, who took which export or report file.

``access_log`` holds no content: an account's name, a time, a kind of access, a file format
or report version, and the interview read (its id and pseudonym, cleared when it is erased).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("file_format", sa.String(length=16), nullable=True),
        sa.Column("report_version", sa.Integer(), nullable=True),
        sa.Column("interview_id", sa.String(length=32), nullable=True),
        sa.Column("pseudonym", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    op.create_index(op.f("ix_access_log_at"), "access_log", ["at"])
    op.create_index(op.f("ix_access_log_actor"), "access_log", ["actor"])
    op.create_index(op.f("ix_access_log_interview_id"), "access_log", ["interview_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_access_log_interview_id"), table_name="access_log")
    op.drop_index(op.f("ix_access_log_actor"), table_name="access_log")
    op.drop_index(op.f("ix_access_log_at"), table_name="access_log")
    op.drop_table("access_log")
