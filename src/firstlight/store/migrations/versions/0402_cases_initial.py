"""cases: cases (one active per subject account) and their flagged items

Revision ID: 0402_cases_initial
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0402_cases_initial"
down_revision = "0001_core"
branch_labels = ("cases",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("subject_account", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("likelihood", sa.Float(), nullable=False),
        sa.Column("reach", sa.Integer(), nullable=False),
        sa.Column("harm_to_children", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(40), nullable=True),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_cases_queue", "cases", ["status", "priority"])
    op.create_index("ix_cases_subject_account", "cases", ["subject_account"])
    op.create_table(
        "case_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("content_id", sa.String(200), nullable=True),
        sa.Column("event_id", sa.String(200), nullable=True),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("surface", sa.String(20), nullable=True),
        sa.Column("media_type", sa.String(100), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("md5", sa.String(32), nullable=True),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("rule", sa.String(200), nullable=True),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("likelihood", sa.Float(), nullable=False),
        sa.Column("reach", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_case_items_case_id", "case_items", ["case_id"])
    op.create_index("ix_case_items_event_id", "case_items", ["event_id"])


def downgrade() -> None:
    op.drop_table("case_items")
    op.drop_table("cases")
