"""Helpers for session-risk tests: a clock and a small writer for the relationship store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from firstlight.detect import get_risk_config
from firstlight.detect.handlers import scorer_for
from firstlight.detect.ledger import record_account, record_chat, record_payment

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Ledger:
    """Writes accounts, payments and chat with sequential ids, relative to ``T0``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.scorer = scorer_for(get_risk_config())
        self.n = 0

    def account(self, account_id: str, *, days_old: float = 400, **kw: object) -> None:
        record_account(self.session, account_id=account_id, created_at=T0 - timedelta(days=days_old),
                       **kw)  # type: ignore[arg-type]

    def pay(self, payer: str, payee: str, amount: float, *, minutes_ago: float, currency: str = "AUD",
            **kw: object) -> None:
        self.n += 1
        record_payment(self.session, payment_id=f"pay-{self.n}", payer=payer, payee=payee, amount=amount,
                       currency=currency, at=T0 - timedelta(minutes=minutes_ago), scorer=self.scorer,
                       **kw)  # type: ignore[arg-type]

    def chat(self, sender: str, recipient: str, text: str, *, minutes_ago: float) -> None:
        self.n += 1
        record_chat(self.session, message_id=f"msg-{self.n}", sender=sender, recipients=[recipient],
                    text=text, at=T0 - timedelta(minutes=minutes_ago), scorer=self.scorer)


@pytest.fixture
def ledger_factory():
    return Ledger
