"""Owner keys by their name, prompt digests, unknown finding fields, no identities table.

* ``interviews.owner`` becomes ``owner_key`` (what it always held: a keyed hash of the user
  name), and ``interviews.prompt_digests`` records the SHA-256 of each prompt file used.
* ``findings.activity``, ``counterpart``, ``automation_exposure`` and ``confidence`` may be
  NULL: unknown, when a facilitator adding a finding does not say.
* ``identities`` is dropped: it was fed the owner key, which the interview row holds already;
  a person's interviews are found through the owner key of their user name.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNKNOWABLE = (
    ("activity", sa.Text()),
    ("counterpart", sa.Text()),
    ("automation_exposure", sa.String(length=32)),
    ("confidence", sa.Float()),
)


def upgrade() -> None:
    with op.batch_alter_table("interviews") as batch:
        batch.drop_index("ix_interviews_owner")
        batch.alter_column("owner", new_column_name="owner_key")
        batch.add_column(
            sa.Column("prompt_digests", sa.JSON(), nullable=False, server_default="{}")
        )
    with op.batch_alter_table("interviews") as batch:
        batch.create_index(op.f("ix_interviews_owner_key"), ["owner_key"])
    with op.batch_alter_table("findings") as batch:
        for name, type_ in UNKNOWABLE:
            batch.alter_column(name, existing_type=type_, nullable=True)
    op.drop_table("identities")


def downgrade() -> None:
    op.create_table(
        "identities",
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("person", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", name=op.f("pk_identities")),
    )
    # The older schema cannot say "unknown": it gets the values it used to invent.
    findings = sa.table("findings", *(sa.column(name, type_) for name, type_ in UNKNOWABLE))
    for name, old_value in zip(
        (name for name, _ in UNKNOWABLE), ("-", "-", "augmented", 1.0), strict=True
    ):
        op.execute(findings.update().where(findings.c[name].is_(None)).values({name: old_value}))
    with op.batch_alter_table("findings") as batch:
        for name, type_ in UNKNOWABLE:
            batch.alter_column(name, existing_type=type_, nullable=False)
    with op.batch_alter_table("interviews") as batch:
        batch.drop_index("ix_interviews_owner_key")
        batch.drop_column("prompt_digests")
        batch.alter_column("owner_key", new_column_name="owner")
    with op.batch_alter_table("interviews") as batch:
        batch.create_index(op.f("ix_interviews_owner"), ["owner"])
