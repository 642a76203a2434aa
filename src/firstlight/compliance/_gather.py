"""``gather_activity``: build an ``ActivitySnapshot`` from the other rooms' tables, where they exist.

Each room is read only if its tables are in the database and its models import; otherwise the snapshot
says the room is unavailable ("no evidence"), never crashes. Everything here only reads, and the reads are
aggregates or bounded per-period lists, so it is safe to run beside a busy pipeline. Call it in a session
of its own: a failed read rolls that session back.

How rows become evidence (the mapping is deliberately simple and printed in ``docs/compliance.md``):

* **detections**: case items created in the period, by harm (case category, else signals and source)
  and by how they were found (bank match → ``hash_match``/``url_list``, classifier score → ``classifier``,
  user report → ``user_report``, livestream/chat rule → ``rule``);
* **pending review**: case items not yet decided, plus CSEA user reports whose account has no case;
* **confirmed cases**: cases confirmed in the period, with the destinations their report tasks were
  delivered to (``finished`` at NCMEC, ``filed`` at the NCA), and the countries of the accounts involved;
* **actions**: the outbox's accepted → delivered times (``time_to_action_ms``);
* **banks**: block/allow banks with entry counts, signal types and sources (C9/C10 evidence).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from firstlight.compliance.snapshot import (
    ActionStats,
    ActivitySnapshot,
    BankFact,
    ConfigFacts,
    ConfirmedCase,
    DetectionCount,
    ReportCount,
)
from firstlight.store.db import utcnow

__all__ = ["gather_activity", "harm_of_report_reason"]

log = logging.getLogger(__name__)
T = TypeVar("T")

IMAGE_CATEGORIES = frozenset({"A", "B", "C", "A1", "A2", "B1", "B2"})
_CSEA_WORDS = {
    "csea.grooming": ("groom", "solicit", "sextort", "enticement", "sexual communication", "luring"),
    "csea.csam_urls": ("csam url", "csam link", "url", "link"),
    "csea.image_csam": ("csam", "csea", "child sexual", "child abuse", "cse", "indecent", "minor", "child"),
}
DELIVERED_STATES = frozenset({"finished", "filed"})


def harm_of_report_reason(reason: str) -> str:
    """A user report's free-text reason → a CSEA sub-kind, or ``other``."""
    text = reason.lower()
    for harm in ("csea.grooming", "csea.csam_urls", "csea.image_csam"):
        if any(word in text for word in _CSEA_WORDS[harm]):
            if harm == "csea.csam_urls" and not any(w in text for w in ("csam", "child", "abuse")):
                continue
            return harm
    return "other"


def _item_source(item: Any) -> str:
    """How an item was found, from the decision's detections (``fired_on``) and the item's signals."""
    if item.source == "user_report":
        return "user_report"
    found = [
        d
        for d in [*((item.explanation or {}).get("fired_on") or []), *(item.signals or [])]
        if isinstance(d, dict)
    ]
    for d in found:
        if d.get("kind") == "bank_match" or any(k in d for k in ("bank", "bank_name", "entry_id")):
            return "url_list" if str(d.get("signal_type", "")).lower() == "url" else "hash_match"
    for d in found:
        if d.get("kind") == "classifier" or "classifier" in d or "score" in d:
            return "classifier"
    if item.source in {"livestream", "chat", "stream"}:
        return "rule"
    return "other"


def _item_harm(item: Any, category: str | None) -> str:
    if category in IMAGE_CATEGORIES:
        return "csea.image_csam"
    if any(
        isinstance(s, dict) and str(s.get("signal_type", "")).lower() == "url" for s in item.signals or []
    ):
        return "csea.csam_urls"
    if item.source in {"chat", "text"} or "groom" in (item.rule or "").lower():
        return "csea.grooming"
    return "csea.image_csam"


def _in_period(column: Any, since: datetime | None, until: datetime) -> list[Any]:
    clauses = [column <= until]
    if since is not None:
        clauses.append(column >= since)
    return clauses


class _Reader:
    def __init__(self, session: Session, settings: Any, since: datetime | None, until: datetime) -> None:
        self.session = session
        self.settings = settings
        self.since = since
        self.until = until
        self.tables = set(inspect(session.connection()).get_table_names())
        self.available: dict[str, bool] = {}

    def room(self, name: str, tables: set[str], read: Callable[[], T], default: T) -> T:
        if not tables <= self.tables:
            self.available[name] = False
            return default
        try:
            value = read()
        except (ImportError, SQLAlchemyError) as exc:
            log.warning("compliance: cannot read the %s room (%s); treating it as unavailable", name, exc)
            self.session.rollback()
            self.available[name] = False
            return default
        self.available[name] = True
        return value

    # --- events: user reports, account countries, age signals ----------------------------------------------

    def events(self) -> tuple[dict[str, int], list[tuple[str | None, str]], dict[str, str], int]:
        from firstlight.events.models import StoredEvent

        reports = self.session.execute(
            select(StoredEvent.payload).where(
                StoredEvent.type == "user.report",
                *_in_period(StoredEvent.received_at, self.since, self.until),
            )
        ).scalars()
        by_harm: Counter[str] = Counter()
        csea_subjects: list[tuple[str | None, str]] = []
        for payload in reports:
            harm = harm_of_report_reason(
                str(payload.get("reason", "")) + " " + str(payload.get("text") or "")
            )
            by_harm[harm] += 1
            if harm != "other":
                csea_subjects.append((payload.get("subject_account"), harm))
        countries: dict[str, str] = {}
        aged = 0
        accounts = self.session.execute(
            select(StoredEvent.payload)
            .where(StoredEvent.type == "account", StoredEvent.received_at <= self.until)
            .order_by(StoredEvent.id)
        ).scalars()
        seen_age: set[str] = set()
        for payload in accounts:
            account = str(payload.get("account_id"))
            if payload.get("country"):
                countries[account] = str(payload["country"])
            if (payload.get("age_band") or payload.get("age_assurance")) and account not in seen_age:
                seen_age.add(account)
                aged += 1
        return dict(by_harm), csea_subjects, countries, aged

    # --- cases: detections, pending review, confirmed cases ------------------------------------------------

    def cases(
        self,
    ) -> tuple[list[DetectionCount], dict[str, int], list[tuple[Any, list[Any]]], int, set[str]]:
        from firstlight.cases.models import Case, CaseItem

        categories = dict(self.session.execute(select(Case.id, Case.category)).all())
        counts: Counter[tuple[str, str]] = Counter()
        pending: Counter[str] = Counter()
        items = self.session.scalars(
            select(CaseItem).where(*_in_period(CaseItem.created_at, self.since, self.until))
        )
        for item in items:
            harm = _item_harm(item, categories.get(item.case_id))
            counts[(harm, _item_source(item))] += 1
        for item in self.session.scalars(select(CaseItem).where(CaseItem.status == "pending")):
            pending[_item_harm(item, categories.get(item.case_id))] += 1
        confirmed_rows = list(
            self.session.scalars(
                select(Case).where(
                    Case.status == "confirmed", *_in_period(Case.decided_at, self.since, self.until)
                )
            )
        )
        confirmed = []
        for case in confirmed_rows:
            case_items = list(self.session.scalars(select(CaseItem).where(CaseItem.case_id == case.id)))
            confirmed.append((case, case_items))
        false_positives = self.session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.status == "false_positive", *_in_period(Case.decided_at, self.since, self.until))
        )
        subjects = set(self.session.scalars(select(Case.subject_account)))
        detections = [DetectionCount(harm=h, source=s, count=n) for (h, s), n in sorted(counts.items())]
        return detections, dict(pending), confirmed, int(false_positives or 0), subjects

    # --- reports: tasks, submissions ------------------------------------------------------------------------

    def reports(
        self,
    ) -> tuple[dict[int, tuple[list[str], str, bool, dict[str, Any] | None]], list[ReportCount]]:
        from firstlight.reports.models import ReportTask, Submission

        now = utcnow()
        tasks = list(self.session.scalars(select(ReportTask).order_by(ReportTask.id)))
        subs: dict[int, list[Any]] = defaultdict(list)
        for sub in self.session.scalars(select(Submission)):
            subs[sub.task_id].append(sub)
        by_case: dict[int, tuple[list[str], str, bool, dict[str, Any] | None]] = {}
        counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        for task in tasks:
            delivered = sorted({s.destination.upper() for s in subs[task.id] if s.state in DELIVERED_STATES})
            overdue = task.status in ("open", "delivering") and task.due_at < now
            status = {"open": "open", "delivering": "open", "delivered": "delivered"}.get(
                task.status, "closed"
            )
            earlier = by_case.get(task.case_id)
            merged = sorted(set(delivered) | set(earlier[0] if earlier else ()))
            by_case[task.case_id] = (merged, status, overdue or bool(earlier and earlier[2]), task.report)
            in_period = (self.since is None or task.opened_at >= self.since) and task.opened_at <= self.until
            if not in_period:
                continue
            destinations = [s.destination.upper() for s in subs[task.id] if s.state != "not_required"]
            for destination in destinations or ["UNROUTED"]:
                row = counts[(destination, task.priority)]
                row[0] += 1
                row[1] += destination in delivered
                row[2] += overdue and destination not in delivered
        rows = [
            ReportCount(destination=d, priority=p, count=c, delivered=dl, overdue=o)
            for (d, p), (c, dl, o) in sorted(counts.items())
        ]
        return by_case, rows

    # --- actions --------------------------------------------------------------------------------------------

    def actions(self) -> list[ActionStats]:
        from firstlight.decide.models import Action

        stats: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"total": 0, "delivered": 0, "failed": 0, "seconds": []}
        )
        rows = self.session.execute(
            select(Action.kind, Action.status, Action.time_to_action_ms).where(
                *_in_period(Action.created_at, self.since, self.until)
            )
        )
        for kind, status, ms in rows:
            entry = stats[kind]
            entry["total"] += 1
            if status == "delivered":
                entry["delivered"] += 1
                if ms is not None:
                    entry["seconds"].append(ms / 1000.0)
            elif status == "dead":
                entry["failed"] += 1
        return [ActionStats(kind=kind, **entry) for kind, entry in sorted(stats.items())]

    # --- banks ----------------------------------------------------------------------------------------------

    def banks(self) -> list[BankFact]:
        from firstlight.banks.models import Bank, BankEntry, BankSignal

        facts = []
        for bank in self.session.scalars(select(Bank).order_by(Bank.name)):
            entries = self.session.scalar(
                select(func.count())
                .select_from(BankEntry)
                .where(BankEntry.bank_id == bank.id, BankEntry.enabled)
            )
            sources = self.session.scalars(
                select(BankEntry.source).where(BankEntry.bank_id == bank.id, BankEntry.enabled).distinct()
            )
            types = self.session.scalars(
                select(BankSignal.signal_type).where(BankSignal.bank_id == bank.id).distinct()
            )
            facts.append(
                BankFact(
                    name=bank.name,
                    kind=bank.kind,
                    enabled=bool(bank.enabled),
                    entries=int(entries or 0),
                    sources=sorted(str(s) for s in sources if s),
                    signal_types=sorted(str(t) for t in types),
                )
            )
        return facts


def _scanned_surfaces(settings: Any, streams: bool) -> list[str]:
    surfaces: set[str] = set()
    try:
        from firstlight.decide.policy import Policy

        policy = Policy.load(getattr(settings, "policy_path", None))
        surfaces.update({"public", "private"} if "*" in policy.surfaces else set(policy.surfaces))
    except Exception as exc:  # a broken policy file must not break the compliance records
        log.warning("compliance: cannot read the decision policy's scope (%s)", exc)
    if streams and getattr(settings, "stream_scan_visibilities", None):
        surfaces.add("livestream")
    return sorted(surfaces)


def _countries_from_report(report: dict[str, Any] | None, key: str) -> list[str]:
    found: list[str] = []
    for account in (report or {}).get(key, []) or []:
        person = (account or {}).get("person") or {}
        for address in person.get("addresses", []) or []:
            if address.get("country"):
                found.append(str(address["country"]).upper())
    return found


def _confirmed(
    case: Any,
    items: list[Any],
    countries: dict[str, str],
    reports: dict[int, tuple[list[str], str, bool, dict[str, Any] | None]],
) -> ConfirmedCase:
    sources = Counter(_item_source(item) for item in items)
    detected_by = sources.most_common(1)[0][0] if sources else "other"
    harm = Counter(_item_harm(item, case.category) for item in items).most_common(1)
    victims: list[str] = []
    involved: list[str] = []
    account_country = countries.get(case.subject_account)
    for item in items:
        context = item.context or {}
        stream_countries = context.get("countries") or {}
        if context.get("streamer_account") and stream_countries:
            # A livestream: the child is where the stream comes from; viewers are the other accounts involved.
            streamer = context["streamer_account"]
            if stream_countries.get(streamer):
                victims.append(stream_countries[streamer])
            involved += [
                c for a, c in stream_countries.items() if a != streamer and a != case.subject_account
            ]
            account_country = account_country or stream_countries.get(case.subject_account)
        for key in ("victim_country", "victim_countries"):
            value = context.get(key)
            victims += [value] if isinstance(value, str) else list(value or [])
    delivered, status, overdue, report = reports.get(case.id, ([], "none", False, None))
    victims += _countries_from_report(report, "victims")
    if account_country is None:
        reported = _countries_from_report(report, "reported")
        account_country = reported[0] if reported else None
    return ConfirmedCase(
        case_id=case.id,
        harm=harm[0][0] if harm else "csea.image_csam",
        subject_account=case.subject_account,
        confirmed_at=case.decided_at,
        detected_by=detected_by,  # type: ignore[arg-type]
        account_country=account_country,
        victim_countries=sorted({v.upper() for v in victims if v}),
        involved_countries=sorted({c.upper() for c in involved if c}),
        reported_to=delivered,
        report_task_status=status,  # type: ignore[arg-type]
        report_overdue=overdue,
    )


def gather_activity(
    session: Session,
    settings: Any = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> ActivitySnapshot:
    """Read every installed room's data for the period ``[since, until]`` into one snapshot."""
    if settings is None:
        from firstlight.config import get_settings

        settings = get_settings()
    now = utcnow()
    until = until or now
    reader = _Reader(session, settings, since, until)
    user_reports, csea_reports, countries, aged = reader.room(
        "events", {"events"}, reader.events, ({}, [], {}, 0)
    )
    detections, pending, confirmed_rows, false_positives, subjects = reader.room(
        "cases", {"cases", "case_items"}, reader.cases, ([], {}, [], 0, set())
    )
    by_case, report_rows = reader.room(
        "reports", {"report_tasks", "report_submissions"}, reader.reports, ({}, [])
    )
    actions = reader.room("actions", {"actions"}, reader.actions, [])
    banks = reader.room("banks", {"banks", "bank_entries", "bank_signals"}, reader.banks, [])
    streams = "stream_sessions" in reader.tables
    pending = dict(pending)
    for subject, harm in csea_reports:
        if subject is None or subject not in subjects:
            pending[harm] = pending.get(harm, 0) + 1
    banks_on = reader.available.get("banks", False)
    block = [b for b in banks if b.kind == "block" and b.enabled and b.entries > 0]
    config = ConfigFacts(
        hash_matching_on=(bool(block) if banks_on else None),
        url_matching_on=(any("url" in b.signal_types for b in block) if banks_on else None),
        classifiers_on=bool(getattr(settings, "stream_frame_classifiers", None)),
        livestream_monitoring_on=streams,
        webhook_configured=bool(getattr(settings, "webhook_url", None)),
        scanned_surfaces=_scanned_surfaces(settings, streams),
        banks=banks,
    )
    involved_accounts = Counter(countries.values())
    return ActivitySnapshot(
        generated_at=now,
        period_start=since,
        period_end=until,
        available=dict(sorted(reader.available.items())),
        config=config,
        detections=detections,
        pending_review=pending,
        false_positives=false_positives,
        user_reports=user_reports,
        confirmed_cases=[_confirmed(case, items, countries, by_case) for case, items in confirmed_rows],
        actions=actions,
        reports=report_rows,
        accounts_by_country=dict(involved_accounts),
        age_signals=aged,
    )
