"""Events flow through the worker into the relationship store and into live sessions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from tests.detect.conftest import T0

from firstlight.detect import get_session_risk, session_prior
from firstlight.detect.models import RiskAccount, RiskChatEdge, RiskPayment
from firstlight.events import EventEnvelope, accept, process_pending
from firstlight.store import Database


def send(db: Database, event_id: str, type_: str, payload: dict[str, Any]) -> None:
    accept(db, EventEnvelope(id=event_id, type=type_, occurred_at=T0, payload=payload))


def test_events_fill_the_store_and_replays_change_nothing(db: Database) -> None:
    send(db, "e1", "account", {"account_id": "a1", "country": "GB", "age_band": "18+",
                               "created_at": (T0 - timedelta(days=2)).isoformat()})
    pay = {"payment_id": "p1", "payer": "a1", "payee": "a2", "amount": "25.00", "currency": "AUD",
           "note": "for the show", "channel": "Gift_Card", "paid_at": T0.isoformat()}
    send(db, "e2", "payment", pay)
    send(db, "e2-again", "payment", pay)  # a different event carrying the same payment
    send(db, "e3", "chat.message", {"message_id": "m1", "sender": "a1", "recipients": ["a2"],
                                    "text": "How much per hour?", "sent_at": T0.isoformat()})
    send(db, "e4", "user.report", {"report_id": "r1", "reporter_account": "a3", "subject_account": "a2",
                                   "reason": "other"})
    summary = process_pending(db, now=T0 + timedelta(seconds=1))
    assert (summary.processed, summary.retried, summary.failed) == (5, 0, 0)
    with db.session() as s:
        assert s.get(RiskAccount, "a1").country == "GB"
        [payment] = s.scalars(select(RiskPayment)).all()
        assert payment.note_categories == ["payment_note"] and payment.channel == "gift_card"
        [edge] = s.scalars(select(RiskChatEdge)).all()
        assert edge.categories == {"price_negotiation": 1.0}
        risk = session_prior(s, stream_id="x", streamer_account="a2", viewer_accounts=["a1"],
                             at=T0 + timedelta(minutes=5))
    assert {"note_keywords", "user_reports", "new_account", "chat.price_negotiation"} <= {
        c.feature for c in risk.contributions}


def test_chat_and_payments_in_a_live_session_update_its_risk(db: Database) -> None:
    with db.begin() as s:
        before = session_prior(s, stream_id="live1", streamer_account="s", viewer_accounts=["v"],
                               private=True, paid=True, at=T0)
    send(db, "c1", "payment", {"payment_id": "pp", "payer": "v", "payee": "s", "amount": "40",
                               "currency": "AUD", "session_id": "live1",
                               "paid_at": (T0 + timedelta(seconds=5)).isoformat()})
    send(db, "c2", "chat.message", {"message_id": "m", "sender": "v", "recipients": ["s"],
                                    "session_id": "live1", "text": "example directing phrase",
                                    "sent_at": (T0 + timedelta(seconds=20)).isoformat()})
    process_pending(db, now=T0 + timedelta(seconds=30))
    with db.session() as s:
        now = get_session_risk(s, "live1", at=T0 + timedelta(seconds=20))
    features = {c.feature for c in now.contributions}
    assert {"live:payment.in_session", "live:chat.directing_acts", "live:pay_then_direct"} <= features
    assert now.score > before.score


def test_stream_end_freezes_the_session(db: Database) -> None:
    with db.begin() as s:
        session_prior(s, stream_id="done", streamer_account="s", at=T0)
    send(db, "end", "stream.end", {"stream_id": "done"})
    send(db, "late", "chat.message", {"message_id": "m9", "sender": "v", "recipients": ["s"],
                                      "session_id": "done", "text": "example directing phrase"})
    process_pending(db, now=T0 + timedelta(hours=1))
    with db.session() as s:
        risk = get_session_risk(s, "done")
    assert not any(c.feature.startswith("live:") for c in risk.contributions)
