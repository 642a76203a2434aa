"""streams: livestream sessions and their escalations

Revision ID: 0501_streams_initial
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0501_streams_initial"
down_revision = "0001_core"
branch_labels = ("streams",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "stream_sessions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("stream_id", sa.String(200), nullable=False, unique=True),
        sa.Column("streamer_account", sa.String(200), nullable=False),
        sa.Column("viewer_accounts", sa.JSON(), nullable=False),
        sa.Column("visibility", sa.String(20), nullable=False),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("ingest", sa.String(10), nullable=False),
        sa.Column("stream_url", sa.Text(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("end_reason", sa.String(200), nullable=True),
        sa.Column("tier", sa.String(2), nullable=False),
        sa.Column("prior", sa.JSON(), nullable=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("frames_analysed", sa.Integer(), nullable=False),
        sa.Column("frames_dropped", sa.Integer(), nullable=False),
        sa.Column("last_frame_time_s", sa.Float(), nullable=True),
        sa.Column("last_signals", sa.JSON(), nullable=True),
        sa.Column("first_alert_at", TS, nullable=True),
        sa.Column("time_to_first_alert_s", sa.Float(), nullable=True),
        sa.Column("first_alert_stream_time_s", sa.Float(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("report_task_id", sa.Integer(), nullable=True),
        sa.Column("start_event_id", sa.String(200), nullable=True),
        sa.Column("worker_id", sa.String(100), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_stream_sessions_streamer_account", "stream_sessions", ["streamer_account"])
    op.create_index("ix_stream_sessions_status", "stream_sessions", ["status", "ingest"])

    op.create_table(
        "stream_escalations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "session_id",
            sa.Integer(),
            sa.ForeignKey("stream_sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("from_tier", sa.String(2), nullable=False),
        sa.Column("to_tier", sa.String(2), nullable=False),
        sa.Column("rule", sa.String(60), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("stream_time_s", sa.Float(), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=True),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_stream_escalations_session_id", "stream_escalations", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_stream_escalations_session_id", "stream_escalations")
    op.drop_table("stream_escalations")
    op.drop_index("ix_stream_sessions_status", "stream_sessions")
    op.drop_index("ix_stream_sessions_streamer_account", "stream_sessions")
    op.drop_table("stream_sessions")
