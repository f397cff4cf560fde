"""The knowledge base's state shared by every process: pending passages, the people company
documents name, the lexical index, and the ingests under way.

These were files in the data folder (``pending-passages.sqlite3``, ``people-named.json``,
``lexical/``, ``ingest-in-progress``), which a second web process on another machine could not
see. They are derived from the company's documents, never from transcripts.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_passages",
        sa.Column("id", sa.String(length=1000), nullable=False),
        sa.Column("collection", sa.String(length=32), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_passages")),
    )
    op.create_index(
        op.f("ix_pending_passages_collection"), "pending_passages", ["collection"], unique=False
    )
    op.create_table(
        "document_people",
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_document_people")),
    )
    op.create_table(
        "lexical_index",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("marker", sa.String(length=64), nullable=False),
        sa.Column("passages", sa.Integer(), nullable=False),
        sa.Column("records", sa.LargeBinary(), nullable=False),
        sa.Column("bm25", sa.LargeBinary(), nullable=True),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lexical_index")),
    )
    op.create_table(
        "ingest_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_runs")),
    )


def downgrade() -> None:
    op.drop_table("ingest_runs")
    op.drop_table("lexical_index")
    op.drop_table("document_people")
    op.drop_index(op.f("ix_pending_passages_collection"), table_name="pending_passages")
    op.drop_table("pending_passages")
