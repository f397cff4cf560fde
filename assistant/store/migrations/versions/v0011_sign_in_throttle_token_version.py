"""Sign-in throttling and sessions that end: failed sign-ins counted, accounts' token versions.

``sign_in_failures`` counts the recent failed sign-ins of one account or one client address
(``key``: ``account:NAME`` or ``address:IP``), when the last one was, and until when signing in
is locked; every process of the installation reads the same rows. ``users.token_version`` is
written into each sign-in token: signing out, disabling, a role change and a new password raise
it, and a token carrying an older version is refused at its next request. Existing accounts
start at 0.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("token_version", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(length=300), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("sign_in_failures")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_version")
