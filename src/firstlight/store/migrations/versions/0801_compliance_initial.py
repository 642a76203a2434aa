"""compliance: service profile versions and risk assessment records (OSA s.23)

Revision ID: 0801_compliance_initial
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0801_compliance_initial"
down_revision = "0001_core"
branch_labels = ("compliance",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "compliance_profiles",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.UniqueConstraint("version"),
    )
    op.create_index("ix_compliance_profiles_sha256", "compliance_profiles", ["sha256"])
    op.create_table(
        "compliance_assessments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("trigger", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("review_due", TS, nullable=False),
        sa.Column("profile_sha256", sa.String(64), nullable=False),
        sa.Column("catalogue_version", sa.String(40), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.UniqueConstraint("version"),
        sa.UniqueConstraint("content_hash"),
    )
    op.create_index("ix_compliance_assessments_review_due", "compliance_assessments", ["review_due"])


def downgrade() -> None:
    op.drop_index("ix_compliance_assessments_review_due", table_name="compliance_assessments")
    op.drop_table("compliance_assessments")
    op.drop_index("ix_compliance_profiles_sha256", table_name="compliance_profiles")
    op.drop_table("compliance_profiles")
