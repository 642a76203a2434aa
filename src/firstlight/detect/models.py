"""The relationship store: accounts, payments, chat edges, reports, indicator lists and live session risk.

It keeps what the indicators need and no more. Chat is kept as *category hits per sender→recipient edge*,
never the text (data minimisation: the message itself stays with the platform and in the event log).
Amounts are stored as floats because they are only compared with bands; the exact figure stays in the
stored event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from firstlight.store.db import Base, UTCDateTime

__all__ = [
    "RiskAccount",
    "RiskChatEdge",
    "RiskListEntry",
    "RiskPayment",
    "RiskReport",
    "RiskSession",
]


class RiskAccount(Base):
    __tablename__ = "risk_accounts"

    account_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    age_band: Mapped[str | None] = mapped_column(String(20), nullable=True)
    age_assurance: Mapped[str | None] = mapped_column(String(100), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    confirmed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class RiskPayment(Base):
    __tablename__ = "risk_payments"
    __table_args__ = (
        Index("ix_risk_payments_payee_at", "payee", "paid_at"),
        Index("ix_risk_payments_payer_at", "payer", "paid_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    payer: Mapped[str] = mapped_column(String(200), nullable=False)
    payee: Mapped[str] = mapped_column(String(200), nullable=False)
    amount: Mapped[float] = mapped_column(Float, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    channel: Mapped[str | None] = mapped_column(String(100), nullable=True)
    note_categories: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    payer_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    payee_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    public_tip: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class RiskChatEdge(Base):
    """One message from ``sender`` to one ``recipient`` (``*`` for a broadcast to many)."""

    __tablename__ = "risk_chat_edges"
    __table_args__ = (
        UniqueConstraint("message_id", "recipient", name="uq_risk_chat_edges_message_recipient"),
        Index("ix_risk_chat_edges_sender_at", "sender", "sent_at"),
        Index("ix_risk_chat_edges_recipient_at", "recipient", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(200), nullable=False)
    sender: Mapped[str] = mapped_column(String(200), nullable=False)
    recipient: Mapped[str] = mapped_column(String(200), nullable=False)
    session_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    categories: Mapped[dict[str, float]] = mapped_column(JSON, nullable=False, default=dict)


class RiskReport(Base):
    __tablename__ = "risk_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    reporter: Mapped[str | None] = mapped_column(String(200), nullable=True)
    subject: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    stream_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reason: Mapped[str] = mapped_column(String(200), nullable=False)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class RiskListEntry(Base):
    """An account named on an indicator list (known facilitators, shared signals such as Lantern)."""

    __tablename__ = "risk_list_entries"
    __table_args__ = (UniqueConstraint("list_name", "value", name="uq_risk_list_entries_list_value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_name: Mapped[str] = mapped_column(String(100), nullable=False)
    value: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class RiskSession(Base):
    """Risk of one live or private session: its prior and the in-stream evidence seen since."""

    __tablename__ = "risk_sessions"

    stream_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    streamer: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    viewers: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    private: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    paid: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    prior: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    tier: Mapped[str] = mapped_column(String(2), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
