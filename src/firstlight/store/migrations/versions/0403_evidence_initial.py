"""evidence: preserved items and the hash-chained chain of custody

Revision ID: 0403_evidence_initial
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0403_evidence_initial"
down_revision = "0001_core"
branch_labels = ("evidence",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "evidence_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("uid", sa.String(32), nullable=False, unique=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("md5", sa.String(32), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=True),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("blob_path", sa.String(300), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("subject_account", sa.String(200), nullable=True),
        sa.Column("content_id", sa.String(200), nullable=True),
        sa.Column("event_id", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("preserved_at", TS, nullable=False),
        sa.Column("reported_at", TS, nullable=True),
        sa.Column("retain_until", TS, nullable=False),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.Column("hold_reason", sa.Text(), nullable=True),
        sa.Column("purged_at", TS, nullable=True),
    )
    op.create_index("ix_evidence_items_sha256", "evidence_items", ["sha256"])
    op.create_index("ix_evidence_items_subject_account", "evidence_items", ["subject_account"])
    op.create_index("ix_evidence_items_event_id", "evidence_items", ["event_id"])
    op.create_index("ix_evidence_items_retain_until", "evidence_items", ["retain_until"])
    op.create_table(
        "evidence_custody",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("seq", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("evidence_items.id"), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_evidence_custody_item_id", "evidence_custody", ["item_id"])


def downgrade() -> None:
    op.drop_table("evidence_custody")
    op.drop_table("evidence_items")
