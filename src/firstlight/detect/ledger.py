"""The relationship store's service functions: record what happened, and read it back as ``PairView``s.

Recording is idempotent on the platform's own ids (payment id, message id, report id), so an event that is
processed twice changes nothing the second time. Reads are a handful of indexed queries per session, which
keeps the session prior inside its 50 ms budget (``benchmarks/bench_session_risk.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from firstlight.detect._types import AccountFacts, ChatFacts, PaymentFacts, age_band_is_minor
from firstlight.detect.config import RiskConfig
from firstlight.detect.features import PairView
from firstlight.detect.models import (
    RiskAccount,
    RiskChatEdge,
    RiskListEntry,
    RiskPayment,
    RiskReport,
)
from firstlight.detect.termlists import ChatScorer
from firstlight.errors import Invalid
from firstlight.store.db import utcnow

__all__ = [
    "MAX_EDGES_PER_MESSAGE",
    "account_facts",
    "add_list_entries",
    "build_pair_views",
    "counterparties",
    "record_account",
    "record_chat",
    "record_payment",
    "record_report",
]

MAX_EDGES_PER_MESSAGE = 50  # a message to more recipients is stored once as a broadcast ("*")
_CHUNK = 500
NO_VIEWER = "(no viewer)"


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise Invalid("times must be timezone-aware", code="naive_datetime")
    return at


def record_account(
    session: Session,
    *,
    account_id: str,
    created_at: datetime | None = None,
    age_band: str | None = None,
    age_assurance: str | None = None,
    country: str | None = None,
) -> RiskAccount:
    """Create or update an account; fields left ``None`` keep what was known."""
    row = session.get(RiskAccount, account_id)
    if row is None:
        row = RiskAccount(account_id=account_id, confirmed=False, updated_at=utcnow())
        session.add(row)
    if created_at is not None:
        row.created_at = _aware(created_at)
    if age_band is not None:
        row.age_band = age_band
    if age_assurance is not None:
        row.age_assurance = age_assurance
    if country is not None:
        row.country = country.upper()
    row.updated_at = utcnow()
    return row


def record_payment(
    session: Session,
    *,
    payment_id: str,
    payer: str,
    payee: str,
    amount: Decimal | float,
    currency: str,
    at: datetime,
    scorer: ChatScorer,
    channel: str | None = None,
    note: str | None = None,
    payer_country: str | None = None,
    payee_country: str | None = None,
    public_tip: bool = False,
) -> RiskPayment | None:
    """Store a payment (``None`` if this payment id was already stored). The note is reduced to its
    term-list categories; the note text is not kept here."""
    if session.scalar(select(RiskPayment.id).where(RiskPayment.payment_id == payment_id)) is not None:
        return None
    if float(amount) < 0:
        raise Invalid("payment amount must not be negative", code="payment")
    categories = sorted(scorer.terms.hits(note)) if note else []
    row = RiskPayment(
        payment_id=payment_id,
        payer=payer,
        payee=payee,
        amount=float(amount),
        currency=currency.upper(),
        channel=channel.lower() if channel else None,
        note_categories=categories,
        payer_country=payer_country,
        payee_country=payee_country,
        paid_at=_aware(at),
        public_tip=public_tip,
    )
    session.add(row)
    return row


def record_chat(
    session: Session,
    *,
    message_id: str,
    sender: str,
    recipients: Sequence[str],
    text: str,
    at: datetime,
    scorer: ChatScorer,
    session_id: str | None = None,
) -> dict[str, float]:
    """Score a message and store one edge per recipient; returns the category values (may be empty)."""
    if session.scalar(select(RiskChatEdge.id).where(RiskChatEdge.message_id == message_id)) is not None:
        return {}
    categories = scorer.score(text)
    targets = list(dict.fromkeys(recipients)) or ["*"]
    if len(targets) > MAX_EDGES_PER_MESSAGE:
        targets = ["*"]
    for recipient in targets:
        session.add(
            RiskChatEdge(
                message_id=message_id,
                sender=sender,
                recipient=recipient,
                session_id=session_id,
                sent_at=_aware(at),
                categories=categories,
            )
        )
    return categories


def record_report(
    session: Session,
    *,
    report_id: str,
    subject: str,
    reason: str,
    at: datetime,
    reporter: str | None = None,
    stream_id: str | None = None,
) -> RiskReport | None:
    if session.scalar(select(RiskReport.id).where(RiskReport.report_id == report_id)) is not None:
        return None
    row = RiskReport(
        report_id=report_id,
        reporter=reporter,
        subject=subject,
        stream_id=stream_id,
        reason=reason[:200],
        reported_at=_aware(at),
    )
    session.add(row)
    return row


def add_list_entries(
    session: Session, list_name: str, values: Iterable[str], *, source: str | None = None
) -> int:
    """Add account ids to an indicator list; returns how many were new."""
    list_name = list_name.strip()
    if not list_name or len(list_name) > 100:
        raise Invalid("list name must be 1–100 characters", code="indicator_list")
    existing = set(
        session.scalars(select(RiskListEntry.value).where(RiskListEntry.list_name == list_name))
    )
    added = 0
    now = utcnow()
    for raw in values:
        value = raw.strip()
        if not value or value.startswith("#") or value in existing:
            continue
        if len(value) > 200:
            raise Invalid(f"list value longer than 200 characters: {value[:40]}…", code="indicator_list")
        session.add(RiskListEntry(list_name=list_name, value=value, source=source, added_at=now))
        existing.add(value)
        added += 1
    return added


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _facts(row: RiskPayment) -> PaymentFacts:
    return PaymentFacts(
        payer=row.payer,
        payee=row.payee,
        amount=Decimal(str(row.amount)),
        currency=row.currency,
        at=row.paid_at,
        channel=row.channel,
        note_categories=tuple(row.note_categories or ()),
        payer_country=row.payer_country,
        payee_country=row.payee_country,
        public_tip=row.public_tip,
    )


def account_facts(
    session: Session, account_ids: Sequence[str], countries: dict[str, str] | None = None
) -> dict[str, AccountFacts]:
    """Facts for each id (an unknown account gets empty facts), with its indicator-list names."""
    rows: dict[str, RiskAccount] = {}
    listed: dict[str, list[str]] = defaultdict(list)
    for chunk in _chunks(list(account_ids)):
        rows.update({r.account_id: r for r in session.scalars(
            select(RiskAccount).where(RiskAccount.account_id.in_(chunk)))})
        for value, name in session.execute(
            select(RiskListEntry.value, RiskListEntry.list_name).where(RiskListEntry.value.in_(chunk))
        ):
            listed[value].append(name)
    countries = countries or {}
    out: dict[str, AccountFacts] = {}
    for account_id in account_ids:
        r = rows.get(account_id)
        out[account_id] = AccountFacts(
            account_id=account_id,
            created_at=r.created_at if r else None,
            age_band=r.age_band if r else None,
            age_assurance=r.age_assurance if r else None,
            country=(r.country if r and r.country else None) or countries.get(account_id),
            confirmed=bool(r and r.confirmed),
            listed=tuple(sorted(listed.get(account_id, ()))),
        )
    return out


def counterparties(
    session: Session, account_ids: Sequence[str], *, confirmed_only: bool = False
) -> dict[str, set[str]]:
    """Accounts linked to each of ``account_ids`` by a payment in either direction."""
    links: dict[str, set[str]] = defaultdict(set)
    for chunk in _chunks(list(account_ids)):
        for mine, theirs in (
            (RiskPayment.payer, RiskPayment.payee),
            (RiskPayment.payee, RiskPayment.payer),
        ):
            stmt = select(mine, theirs).where(mine.in_(chunk)).distinct()
            if confirmed_only:
                stmt = stmt.join(
                    RiskAccount, and_(RiskAccount.account_id == theirs, RiskAccount.confirmed.is_(True))
                )
            for a, b in session.execute(stmt):
                if a != b:
                    links[a].add(b)
    return links


def _related_viewers(
    session: Session, streamer: str, viewers: Sequence[str], since: datetime, limit: int
) -> list[str]:
    """Which viewers to score: those with a payment or chat tie to the streamer, plus the first
    ``limit``. A public stream can have thousands of viewers; the evidence is in the ties."""
    if len(viewers) <= limit:
        return list(dict.fromkeys(viewers))
    wanted = set(viewers)
    tied = set(session.scalars(select(RiskPayment.payer).where(
        RiskPayment.payee == streamer, RiskPayment.paid_at >= since).distinct()))
    tied |= set(session.scalars(select(RiskChatEdge.sender).where(
        RiskChatEdge.recipient == streamer, RiskChatEdge.sent_at >= since).distinct()))
    tied |= set(session.scalars(select(RiskChatEdge.recipient).where(
        RiskChatEdge.sender == streamer, RiskChatEdge.sent_at >= since).distinct()))
    chosen = [v for v in viewers if v in tied and v in wanted]
    return list(dict.fromkeys(chosen + list(viewers[:limit])))


def build_pair_views(
    session: Session,
    *,
    streamer: str,
    viewers: Sequence[str],
    at: datetime,
    config: RiskConfig,
    private: bool = False,
    paid: bool = False,
    countries: dict[str, str] | None = None,
    in_session: bool = True,
    max_viewers: int = 50,
) -> list[PairView]:
    """One ``PairView`` per scored viewer of ``streamer`` at ``at`` (a fixed number of queries)."""
    at = _aware(at)
    since = at - timedelta(days=config.window_days)
    chat_since = at - timedelta(hours=config.chat_lookback_hours)
    viewers = [v for v in _related_viewers(session, streamer, viewers, since, max_viewers) if v != streamer]
    facts = account_facts(session, [streamer, *viewers], countries)
    if not viewers:  # no one watching yet: still score what is known about the streamer
        viewers = [NO_VIEWER]
        facts[NO_VIEWER] = AccountFacts(account_id=NO_VIEWER)

    payee_payments = [_facts(r) for r in session.scalars(select(RiskPayment).where(
        RiskPayment.payee == streamer, RiskPayment.paid_at >= since, RiskPayment.paid_at <= at))]
    payer_payments: dict[str, list[PaymentFacts]] = defaultdict(list)
    chat: dict[str, list[ChatFacts]] = defaultdict(list)
    contacts: dict[str, set[str]] = defaultdict(set)
    minor_since = at - timedelta(days=config.minor_contact_days)
    for chunk in _chunks(viewers):
        for r in session.scalars(select(RiskPayment).where(
                RiskPayment.payer.in_(chunk), RiskPayment.paid_at >= since, RiskPayment.paid_at <= at)):
            payer_payments[r.payer].append(_facts(r))
        for e in session.scalars(select(RiskChatEdge).where(
            or_(
                and_(RiskChatEdge.sender == streamer, RiskChatEdge.recipient.in_(chunk)),
                and_(RiskChatEdge.sender.in_(chunk), RiskChatEdge.recipient == streamer),
            ),
            RiskChatEdge.sent_at >= chat_since,
            RiskChatEdge.sent_at <= at,
        )):
            viewer = e.recipient if e.sender == streamer else e.sender
            chat[viewer].append(ChatFacts(sender=e.sender, recipients=(e.recipient,), at=e.sent_at,
                                          categories=dict(e.categories or {}), session_id=e.session_id))
        for sender, recipient in session.execute(select(RiskChatEdge.sender, RiskChatEdge.recipient).where(
                RiskChatEdge.sender.in_(chunk), RiskChatEdge.sent_at >= minor_since).distinct()):
            contacts[sender].add(recipient)

    minors: set[str] = set()
    all_contacts = sorted({c for cs in contacts.values() for c in cs})
    for chunk in _chunks(all_contacts):
        minors |= {a for a, band in session.execute(select(RiskAccount.account_id, RiskAccount.age_band)
                   .where(RiskAccount.account_id.in_(chunk))) if age_band_is_minor(band)}

    reporters: dict[str, int] = {}
    for chunk in _chunks([streamer, *viewers]):
        reporters.update(dict(session.execute(
            select(RiskReport.subject,
                   func.count(func.distinct(func.coalesce(RiskReport.reporter, RiskReport.report_id))))
            .where(RiskReport.subject.in_(chunk), RiskReport.reported_at >= since,
                   RiskReport.reported_at <= at)
            .group_by(RiskReport.subject)).all()))
    confirmed = counterparties(session, [streamer, *viewers], confirmed_only=True)

    views = []
    for viewer in viewers:
        mine = payer_payments.get(viewer, [])
        views.append(PairView(
            viewer=facts[viewer],
            streamer=facts[streamer],
            at=at,
            pair_payments=[p for p in mine if p.payee == streamer],
            payee_payments=payee_payments,
            payer_payments=mine,
            pair_chat=chat.get(viewer, []),
            viewer_minor_contacts=len(contacts.get(viewer, set()) & minors),
            reporters={a: n for a, n in reporters.items() if a in (viewer, streamer) and n},
            confirmed_links={a: tuple(sorted(confirmed.get(a, ()))) for a in (viewer, streamer)},
            private=private,
            paid=paid,
            in_session=in_session,
        ))
    return views
