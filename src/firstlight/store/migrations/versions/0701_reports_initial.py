"""reports: report tasks, the delivery outbox and the retention ledger

Revision ID: 0701_reports_initial
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0701_reports_initial"
down_revision = "0001_core"
branch_labels = ("reports",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "report_tasks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("open_case_id", sa.Integer(), nullable=True),
        sa.Column("priority", sa.String(2), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detected_by", sa.String(40), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("priority_changed_at", TS, nullable=True),
        sa.Column("delivered_at", TS, nullable=True),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("routing", sa.JSON(), nullable=True),
        sa.UniqueConstraint("open_case_id"),
    )
    op.create_index("ix_report_tasks_case_id", "report_tasks", ["case_id"])
    op.create_index("ix_report_tasks_status", "report_tasks", ["status"])
    op.create_index("ix_report_tasks_due_at", "report_tasks", ["due_at"])

    op.create_table(
        "report_submissions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("report_tasks.id"), nullable=False),
        sa.Column("destination", sa.String(10), nullable=False),
        sa.Column("environment", sa.String(10), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("step", sa.String(40), nullable=True),
        sa.Column("remote_id", sa.String(64), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("responses", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retractions", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("declared_by", sa.String(200), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("opened_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.UniqueConstraint("task_id", "destination", name="uq_report_submission_dest"),
    )
    op.create_index("ix_report_submissions_task_id", "report_submissions", ["task_id"])
    op.create_index("ix_report_submissions_state", "report_submissions", ["state"])
    op.create_index("ix_report_submissions_remote_id", "report_submissions", ["remote_id"])

    op.create_table(
        "report_submission_files",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "submission_id", sa.Integer(), sa.ForeignKey("report_submissions.id"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.String(100), nullable=False),
        sa.Column("remote_report_id", sa.String(64), nullable=False),
        sa.Column("remote_file_id", sa.String(100), nullable=True),
        sa.Column("md5_local", sa.String(32), nullable=False),
        sa.Column("md5_remote", sa.String(32), nullable=True),
        sa.Column("details_sent", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("submission_id", "position", name="uq_report_submission_file_pos"),
    )
    op.create_index(
        "ix_report_submission_files_submission_id", "report_submission_files", ["submission_id"]
    )

    op.create_table(
        "report_retention",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("report_tasks.id"), nullable=False),
        sa.Column(
            "submission_id", sa.Integer(), sa.ForeignKey("report_submissions.id"), nullable=True
        ),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("object_ref", sa.String(200), nullable=False),
        sa.Column("basis", sa.String(200), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("keep_until", TS, nullable=False),
        sa.Column("hold_reason", sa.Text(), nullable=True),
        sa.Column("held_by", sa.String(200), nullable=True),
        sa.Column("held_at", TS, nullable=True),
    )
    op.create_index("ix_report_retention_task_id", "report_retention", ["task_id"])
    op.create_index("ix_report_retention_keep_until", "report_retention", ["keep_until"])


def downgrade() -> None:
    op.drop_table("report_retention")
    op.drop_table("report_submission_files")
    op.drop_table("report_submissions")
    op.drop_table("report_tasks")
