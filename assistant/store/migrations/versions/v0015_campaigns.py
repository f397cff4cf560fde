"""Campaigns: every interview belongs to one, and each report version records its own.

A campaign is a round of interviews a facilitator opens (name, dates, focus, language, the
groups invited). The interviews held before campaigns existed go into the default campaign
this migration creates (open to everyone, no dates), and so do the published report versions,
so that nothing is lost and nothing changes until a facilitator opens another.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept here as written, whatever the code's constants become later.
DEFAULT_ID = "default"
DEFAULT_NAME = "default"


def upgrade() -> None:
    campaigns = op.create_table(
        "campaigns",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=True),
        sa.Column("closes_on", sa.Date(), nullable=True),
        sa.Column("focus", sa.Text(), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("opened_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("name", name=op.f("uq_campaigns_name")),
    )
    op.bulk_insert(
        campaigns,
        [
            {
                "id": DEFAULT_ID,
                "name": DEFAULT_NAME,
                "status": "open",
                "opens_on": None,
                "closes_on": None,
                "focus": "",
                "language": None,
                "groups": [],
                "opened_by": "terrain",
                "created_at": datetime.now(UTC),
                "closed_at": None,
            }
        ],
    )
    for table in ("interviews", "reports"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("campaign_id", sa.String(32), nullable=True))
        op.execute(
            sa.table(table, sa.column("campaign_id")).update().values(campaign_id=DEFAULT_ID)
        )
    with op.batch_alter_table("interviews") as batch:
        batch.alter_column("campaign_id", existing_type=sa.String(32), nullable=False)
        batch.create_foreign_key(
            op.f("fk_interviews_campaign_id_campaigns"), "campaigns", ["campaign_id"], ["id"]
        )
        batch.create_index(op.f("ix_interviews_campaign_id"), ["campaign_id"])


def downgrade() -> None:
    with op.batch_alter_table("interviews") as batch:
        batch.drop_index(op.f("ix_interviews_campaign_id"))
        batch.drop_constraint(op.f("fk_interviews_campaign_id_campaigns"), type_="foreignkey")
        batch.drop_column("campaign_id")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("campaign_id")
    op.drop_table("campaigns")
