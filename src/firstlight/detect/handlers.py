"""Event handlers: keep the relationship store current and feed live sessions as events are processed.

``payment``, ``account``, ``chat.message`` and ``user.report`` update the store. A chat message or a
payment that belongs to a live session with a risk record also updates that session's risk (in-stream
evidence with decay). ``stream.start`` belongs to the livestream room, which calls ``session_prior``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from firstlight.detect._types import InStreamSignal
from firstlight.detect.config import FEATURES, RiskConfig, get_risk_config
from firstlight.detect.ledger import record_account, record_chat, record_payment, record_report
from firstlight.detect.models import RiskSession
from firstlight.detect.prior import end_session_risk, update_session_risk
from firstlight.detect.termlists import ChatScorer, cached_scorer
from firstlight.events.handlers import register
from firstlight.events.models import StoredEvent
from firstlight.events.schema import (
    AccountPayload,
    ChatMessagePayload,
    PaymentPayload,
    StreamEndPayload,
    UserReportPayload,
)
from firstlight.store.db import utcnow

__all__ = [
    "handle_account",
    "handle_chat",
    "handle_payment",
    "handle_report",
    "handle_stream_end",
    "scorer_for",
]


def scorer_for(config: RiskConfig) -> ChatScorer:
    return cached_scorer(tuple(config.term_lists), tuple(config.text_classifiers))


def _when(*candidates: datetime | None) -> datetime:
    for c in candidates:
        if c is not None:
            return c
    return utcnow()


def _live(session: Session, stream_id: str | None) -> RiskSession | None:
    if not stream_id:
        return None
    row = session.get(RiskSession, stream_id)
    return row if row is not None and row.ended_at is None else None


def handle_payment(session: Session, event: StoredEvent) -> None:
    p = PaymentPayload.model_validate(event.payload)
    config = get_risk_config()
    at = _when(p.paid_at, event.occurred_at, event.received_at)
    row = _live(session, p.session_id)
    stored = record_payment(
        session, payment_id=p.payment_id, payer=p.payer, payee=p.payee, amount=p.amount,
        currency=p.currency, at=at, scorer=scorer_for(config), channel=p.channel, note=p.note,
        payer_country=p.payer_country, payee_country=p.payee_country,
        public_tip=row is not None and not row.private,
    )
    if stored is not None and row is not None and p.payee == row.streamer:
        update_session_risk(session, stream_id=row.stream_id, at=at, config=config, signals=[
            InStreamSignal("payment.in_session", 1.0,
                           explanation=f"{p.payer} paid {p.amount} {p.currency} during the session")])


def handle_account(session: Session, event: StoredEvent) -> None:
    a = AccountPayload.model_validate(event.payload)
    record_account(session, account_id=a.account_id, created_at=a.created_at, age_band=a.age_band,
                   age_assurance=a.age_assurance, country=a.country)


def handle_chat(session: Session, event: StoredEvent) -> None:
    m = ChatMessagePayload.model_validate(event.payload)
    config = get_risk_config()
    at = _when(m.sent_at, event.occurred_at, event.received_at)
    categories = record_chat(session, message_id=m.message_id, sender=m.sender,
                             recipients=m.recipients, text=m.text, at=at, scorer=scorer_for(config),
                             session_id=m.session_id)
    row = _live(session, m.session_id)
    if row is not None and categories:
        signals = [InStreamSignal(f"chat.{cat}", value, explanation=f"message {m.message_id} from {m.sender}")
                   for cat, value in sorted(categories.items()) if f"chat.{cat}" in FEATURES]
        if signals:
            update_session_risk(session, stream_id=row.stream_id, signals=signals, at=at, config=config)


def handle_report(session: Session, event: StoredEvent) -> None:
    r = UserReportPayload.model_validate(event.payload)
    if not r.subject_account:
        return  # a report about content only: the cases room handles it
    record_report(session, report_id=r.report_id, subject=r.subject_account, reason=r.reason,
                  at=_when(event.occurred_at, event.received_at), reporter=r.reporter_account,
                  stream_id=r.stream_id)


def handle_stream_end(session: Session, event: StoredEvent) -> None:
    e = StreamEndPayload.model_validate(event.payload)
    end_session_risk(session, e.stream_id, at=_when(event.occurred_at, event.received_at))


register("payment", handle_payment)
register("account", handle_account)
register("chat.message", handle_chat)
register("user.report", handle_report)
register("stream.end", handle_stream_end)
