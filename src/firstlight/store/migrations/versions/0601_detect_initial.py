"""detect: the relationship store for session risk (accounts, payments, chat edges, reports, lists,
live session risk)

Revision ID: 0601_detect_initial
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0601_detect_initial"
down_revision = "0001_core"
branch_labels = ("detect",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "risk_accounts",
        sa.Column("account_id", sa.String(200), primary_key=True),
        sa.Column("created_at", TS, nullable=True),
        sa.Column("age_band", sa.String(20), nullable=True),
        sa.Column("age_assurance", sa.String(100), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("confirmed_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "risk_payments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("payment_id", sa.String(200), nullable=False),
        sa.Column("payer", sa.String(200), nullable=False),
        sa.Column("payee", sa.String(200), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("channel", sa.String(100), nullable=True),
        sa.Column("note_categories", sa.JSON(), nullable=False),
        sa.Column("payer_country", sa.String(2), nullable=True),
        sa.Column("payee_country", sa.String(2), nullable=True),
        sa.Column("paid_at", TS, nullable=False),
        sa.Column("public_tip", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("payment_id"),
    )
    op.create_index("ix_risk_payments_payee_at", "risk_payments", ["payee", "paid_at"])
    op.create_index("ix_risk_payments_payer_at", "risk_payments", ["payer", "paid_at"])
    op.create_table(
        "risk_chat_edges",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("sender", sa.String(200), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("session_id", sa.String(200), nullable=True),
        sa.Column("sent_at", TS, nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.UniqueConstraint("message_id", "recipient", name="uq_risk_chat_edges_message_recipient"),
    )
    op.create_index("ix_risk_chat_edges_sender_at", "risk_chat_edges", ["sender", "sent_at"])
    op.create_index("ix_risk_chat_edges_recipient_at", "risk_chat_edges", ["recipient", "sent_at"])
    op.create_index("ix_risk_chat_edges_session_id", "risk_chat_edges", ["session_id"])
    op.create_table(
        "risk_reports",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("report_id", sa.String(200), nullable=False),
        sa.Column("reporter", sa.String(200), nullable=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("stream_id", sa.String(200), nullable=True),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("reported_at", TS, nullable=False),
        sa.UniqueConstraint("report_id"),
    )
    op.create_index("ix_risk_reports_subject", "risk_reports", ["subject"])
    op.create_table(
        "risk_list_entries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("list_name", sa.String(100), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("source", sa.String(200), nullable=True),
        sa.Column("added_at", TS, nullable=False),
        sa.UniqueConstraint("list_name", "value", name="uq_risk_list_entries_list_value"),
    )
    op.create_index("ix_risk_list_entries_value", "risk_list_entries", ["value"])
    op.create_table(
        "risk_sessions",
        sa.Column("stream_id", sa.String(200), primary_key=True),
        sa.Column("streamer", sa.String(200), nullable=False),
        sa.Column("viewers", sa.JSON(), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("prior", sa.JSON(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("tier", sa.String(2), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=True),
    )
    op.create_index("ix_risk_sessions_streamer", "risk_sessions", ["streamer"])


def downgrade() -> None:
    for name in (
        "risk_sessions",
        "risk_list_entries",
        "risk_reports",
        "risk_chat_edges",
        "risk_payments",
        "risk_accounts",
    ):
        op.drop_table(name)
