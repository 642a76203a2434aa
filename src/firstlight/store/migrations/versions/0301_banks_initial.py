"""banks: banks, entries and their signals, the change log, exchanges

Revision ID: 0301_banks_initial
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0301_banks_initial"
down_revision = "0001_core"
branch_labels = ("banks",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "banks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "bank_exchanges",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("api", sa.String(40), nullable=False),
        sa.Column("bank_id", sa.Integer(), sa.ForeignKey("banks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("checkpoint", sa.JSON(), nullable=True),
        sa.Column("fetch_started_at", TS, nullable=True),
        sa.Column("fetch_completed_at", TS, nullable=True),
        sa.Column("fetch_succeeded", sa.Boolean(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("fetched_items", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "bank_entries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("bank_id", sa.Integer(), sa.ForeignKey("banks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("category_iwf", sa.String(1), nullable=True),
        sa.Column("category_ncmec", sa.String(2), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("original_id", sa.String(300), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column(
            "exchange_id",
            sa.Integer(),
            sa.ForeignKey("bank_exchanges.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("exchange_key", sa.String(300), nullable=True),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_bank_entries_bank_id", "bank_entries", ["bank_id"])
    op.create_index("ix_bank_entries_exchange", "bank_entries", ["exchange_id", "exchange_key"])
    op.create_table(
        "bank_signals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "entry_id",
            sa.Integer(),
            sa.ForeignKey("bank_entries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("signal_type", sa.String(40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("value_key", sa.String(128), nullable=False),
        sa.UniqueConstraint("bank_id", "signal_type", "value_key", name="uq_bank_signals_value"),
    )
    op.create_index("ix_bank_signals_entry_id", "bank_signals", ["entry_id"])
    op.create_index("ix_bank_signals_lookup", "bank_signals", ["signal_type", "value_key"])
    op.create_table(
        "bank_changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("op", sa.String(20), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=True),
        sa.Column("entry_lo", sa.Integer(), nullable=True),
        sa.Column("entry_hi", sa.Integer(), nullable=True),
        sa.Column("at", TS, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "bank_meta",
        sa.Column("key", sa.String(60), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("bank_meta")
    op.drop_table("bank_changes")
    op.drop_index("ix_bank_signals_lookup", table_name="bank_signals")
    op.drop_index("ix_bank_signals_entry_id", table_name="bank_signals")
    op.drop_table("bank_signals")
    op.drop_index("ix_bank_entries_exchange", table_name="bank_entries")
    op.drop_index("ix_bank_entries_bank_id", table_name="bank_entries")
    op.drop_table("bank_entries")
    op.drop_table("bank_exchanges")
    op.drop_table("banks")
