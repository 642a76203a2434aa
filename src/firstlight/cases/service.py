"""Cases and the review queue: one case per subject account, ordered by Ofcom's prioritisation factors.

Why one case per account (as ROOST Coop does): a reviewer judging one upload needs to see everything else
the same account was flagged for; a report to the NCA or NCMEC is about a person's conduct, not a file.

Queue order (Illegal Content Codes ICU C5.2): ``priority`` combines
(b) severity including harm to children, (c) likelihood of illegality (an expert-curated hash bank match
at distance 0 is near-certain) and (a) potential reach (public surface, audience size)::

    priority = 100·(severity + harm_to_children) + 50·likelihood + 10·log10(1 + reach) + 500·escalated

Every step (open, add item, claim, confirm, false positive, escalate) is written to the audit log.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firstlight.audit import record
from firstlight.cases.models import Case, CaseItem
from firstlight.errors import Conflict, Invalid, NotFound
from firstlight.store.db import utcnow

__all__ = [
    "ACTIVE_STATUSES",
    "CATEGORIES",
    "DECISIONS",
    "CaseDecision",
    "NewCaseItem",
    "case_items",
    "claim",
    "decide_case",
    "get_case",
    "open_or_update_case",
    "priority_score",
    "queue",
    "release",
]

ACTIVE_STATUSES = ("open", "in_review", "escalated")
DECISIONS = ("confirm", "false_positive", "escalate")
# IWF categories A/B/C and NCMEC's industry classification A1/A2/B1/B2, plus CSEA that is not imagery
# (grooming, sextortion, livestream direction) as "other".
CATEGORIES = ("A", "B", "C", "A1", "A2", "B1", "B2", "other")
CLAIM_TTL = timedelta(minutes=30)
ESCALATION_BONUS = 500.0


@dataclass(frozen=True)
class NewCaseItem:
    """What a detection adds to a case: the content, how it was found, and the decision's explanation."""

    outcome: str
    content_id: str | None = None
    event_id: str | None = None
    evidence_id: int | None = None
    source: str = "upload"
    surface: str | None = None
    media_type: str | None = None
    sha256: str | None = None
    md5: str | None = None
    signals: list[dict[str, Any]] = field(default_factory=list)
    rule: str | None = None
    severity: int = 0
    likelihood: float = 0.0
    reach: int = 0
    harm_to_children: bool = True
    explanation: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)


def priority_score(*, severity: int, harm_to_children: bool, likelihood: float, reach: int,
                   escalated: bool = False) -> float:
    score = (100.0 * (severity + (1 if harm_to_children else 0)) + 50.0 * likelihood
             + 10.0 * math.log10(1 + max(0, reach)))
    return round(score + (ESCALATION_BONUS if escalated else 0.0), 3)


def _reprioritise(case: Case) -> None:
    case.priority = priority_score(
        severity=case.severity, harm_to_children=bool(case.harm_to_children),
        likelihood=case.likelihood, reach=case.reach, escalated=case.status == "escalated",
    )


def open_or_update_case(
    session: Session, *, subject_account: str, item: NewCaseItem, actor: str = "system:pipeline"
) -> Case:
    """Add ``item`` to the subject's active case, opening one if needed; idempotent per (event, content)."""
    if not subject_account:
        raise Invalid("a case needs a subject account")
    case = session.scalar(
        select(Case)
        .where(Case.subject_account == subject_account, Case.status.in_(ACTIVE_STATUSES))
        .order_by(Case.id.desc())
        .limit(1)
    )
    now = utcnow()
    if case is not None and item.event_id is not None:
        duplicate = session.scalar(
            select(CaseItem.id).where(CaseItem.case_id == case.id, CaseItem.event_id == item.event_id,
                                      CaseItem.content_id == item.content_id)
        )
        if duplicate is not None:
            return case
    created = case is None
    if case is None:
        case = Case(subject_account=subject_account, status="open", priority=0.0, severity=0,
                    likelihood=0.0, reach=0, harm_to_children=0, item_count=0, created_at=now,
                    updated_at=now)
        session.add(case)
        session.flush()
    session.add(CaseItem(
        case_id=case.id, content_id=item.content_id, event_id=item.event_id,
        evidence_id=item.evidence_id, source=item.source, surface=item.surface,
        media_type=item.media_type, sha256=item.sha256, md5=item.md5, signals=list(item.signals),
        outcome=item.outcome, rule=item.rule, severity=item.severity, likelihood=item.likelihood,
        reach=item.reach, explanation=dict(item.explanation), context=dict(item.context),
        status="pending", created_at=now,
    ))
    case.item_count += 1
    case.severity = max(case.severity, item.severity)
    case.likelihood = max(case.likelihood, item.likelihood)
    case.reach = max(case.reach, item.reach)
    case.harm_to_children = max(case.harm_to_children, int(item.harm_to_children))
    case.updated_at = now
    _reprioritise(case)
    session.flush()
    record(session, actor=actor, action="case.open" if created else "case.add_item",
           object_type="case", object_id=case.id,
           details={"subject_account": subject_account, "content_id": item.content_id,
                    "event_id": item.event_id, "rule": item.rule, "outcome": item.outcome})
    return case


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def case_items(session: Session, case_id: int) -> list[CaseItem]:
    return list(session.scalars(select(CaseItem).where(CaseItem.case_id == case_id)
                                .order_by(CaseItem.id)))


def queue(
    session: Session, *, statuses: tuple[str, ...] = ACTIVE_STATUSES, limit: int = 50, offset: int = 0,
) -> list[Case]:
    """Active cases, most urgent first (ties: oldest first)."""
    unknown = [s for s in statuses if s not in (*ACTIVE_STATUSES, "confirmed", "false_positive")]
    if unknown:
        raise Invalid(f"unknown case status {unknown}")
    return list(session.scalars(
        select(Case).where(Case.status.in_(statuses))
        .order_by(Case.priority.desc(), Case.created_at, Case.id)
        .offset(max(0, offset)).limit(max(1, min(limit, 500)))
    ))


def claim(session: Session, case_id: int, *, reviewer: str, now: datetime | None = None) -> Case:
    """Take a case for review. A claim older than 30 minutes can be taken over (reviewers go home)."""
    case = get_case(session, case_id)
    now = now or utcnow()
    if case.status not in ACTIVE_STATUSES:
        raise Conflict(f"case {case_id} is already decided ({case.status})")
    if (case.status == "in_review" and case.claimed_by not in (None, reviewer)
            and case.claimed_at is not None and now - case.claimed_at < CLAIM_TTL):
        raise Conflict(f"case {case_id} is claimed by {case.claimed_by}", code="claimed",
                       details={"claimed_by": case.claimed_by})
    previous = case.claimed_by
    case.status, case.claimed_by, case.claimed_at, case.updated_at = "in_review", reviewer, now, now
    record(session, actor=reviewer, action="case.claim", object_type="case", object_id=case.id,
           details={"previous_claim": previous} if previous and previous != reviewer else None)
    return case


def release(session: Session, case_id: int, *, reviewer: str) -> Case:
    case = _claimed_by(session, case_id, reviewer)
    case.status, case.claimed_by, case.claimed_at = "open", None, None
    _reprioritise(case)
    record(session, actor=reviewer, action="case.release", object_type="case", object_id=case.id)
    return case


def _claimed_by(session: Session, case_id: int, reviewer: str) -> Case:
    case = get_case(session, case_id)
    if case.status != "in_review" or case.claimed_by != reviewer:
        raise Conflict(f"claim case {case_id} before deciding it", code="not_claimed",
                       details={"status": case.status, "claimed_by": case.claimed_by})
    return case


@dataclass(frozen=True)
class CaseDecision:
    case: Case
    report_task_id: int | None = None
    allow_listed: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()


def decide_case(
    session: Session,
    case_id: int,
    *,
    reviewer: str,
    decision: str,
    category: str | None = None,
    note: str | None = None,
    report_priority: str = "P2",
    allow_bank: str = "allow",
) -> CaseDecision:
    """Record a reviewer's decision on a claimed case.

    * ``confirm`` — CSEA confirmed with a ``category``: a report task is opened (zero threshold: every
      confirmed case is reported, whatever the volume), and items that had only gone to review are
      now blocked (and the account restricted) through the webhook outbox.
    * ``false_positive`` — the items' hashes are added to the ``allow`` bank so the same content no
      longer triggers a block (the match is then suppressed and says so); content policy had blocked
      is restored and the restriction lifted (``restore_content``, ``lift_restriction``).
    * ``escalate`` — to a senior reviewer: the claim is dropped and the case jumps the queue.
    """
    if decision not in DECISIONS:
        raise Invalid(f"decision must be one of {', '.join(DECISIONS)}")
    case = _claimed_by(session, case_id, reviewer)
    now = utcnow()
    items = case_items(session, case.id)
    details: dict[str, Any] = {"decision": decision, "note": note}
    result = CaseDecision(case=case)
    if decision == "confirm":
        if category not in CATEGORIES:
            raise Invalid(f"confirming needs a category, one of {', '.join(CATEGORIES)}",
                          code="category_required")
        from firstlight.reports import open_report_task

        case.status, case.category = "confirmed", category
        for it in items:
            it.status = "confirmed"
        detected_by = "hash_match" if any(it.signals for it in items) else "moderator"
        task = open_report_task(session, case_id=case.id, priority=report_priority,
                                reason=f"reviewer {reviewer} confirmed CSEA (category {category})",
                                detected_by=detected_by)
        actions = _follow_up_actions(session, case, items, reviewer=reviewer, confirmed=True,
                                     category=category)
        from firstlight.detect import on_account_confirmed

        expansion = on_account_confirmed(session, case.subject_account, actor=reviewer)
        details.update(category=category, report_task_id=task.id, actions=actions,
                       linked_accounts=[a.account_id for a in expansion.linked][:50])
        result = CaseDecision(case=case, report_task_id=task.id, actions=tuple(actions))
    elif decision == "false_positive":
        added = _allow_list(session, items, bank=allow_bank, reviewer=reviewer, case_id=case.id)
        case.status = "false_positive"
        actions = _follow_up_actions(session, case, items, reviewer=reviewer, confirmed=False)
        for it in items:
            it.status = "false_positive"
        cancelled = _cancel_open_report_tasks(session, case.id, reviewer=reviewer)
        details.update(allow_bank=allow_bank, allow_listed=list(added), actions=actions,
                       cancelled_report_tasks=cancelled)
        result = CaseDecision(case=case, allow_listed=tuple(added), actions=tuple(actions))
    else:
        case.status, case.claimed_by, case.claimed_at = "escalated", None, None
    case.decided_by, case.decided_at, case.decision_note, case.updated_at = reviewer, now, note, now
    _reprioritise(case)
    record(session, actor=reviewer, action=f"case.{decision}", object_type="case", object_id=case.id,
           details=details)
    return result


def _follow_up_actions(session: Session, case: Case, items: list[CaseItem], *, reviewer: str,
                       confirmed: bool, category: str | None = None) -> list[str]:
    """What the reviewer's decision means for the platform, through the same webhook outbox.

    Confirmed: items that only went to review (weak matches) are now blocked and the account restricted.
    False positive: items that policy acted on are restored and the restriction lifted. Keys are stable
    per case item, so deciding again never sends an action twice.
    """
    from firstlight.decide import enqueue_action
    from firstlight.events.models import StoredEvent

    wanted = "review" if confirmed else "act"
    todo = [it for it in items if it.outcome == wanted and it.content_id]
    keys: list[str] = []
    for it in todo:
        accepted_at = None
        if it.event_id:
            accepted_at = session.scalar(
                select(StoredEvent.received_at).where(StoredEvent.event_id == it.event_id))
        explanation = {"reason": f"reviewer {reviewer} "
                                 + (f"confirmed CSEA (category {category})" if confirmed
                                    else "marked the case a false positive"),
                       "case_id": case.id, "case_item_id": it.id, "rule": it.rule,
                       "original": it.explanation}
        kind = "block_content" if confirmed else "restore_content"
        key = f"fl:case{case.id}:item{it.id}:{kind}"
        enqueue_action(session, kind=kind, event_id=it.event_id, idempotency_key=key, case_id=case.id,
                       target={"content_id": it.content_id, "account_id": case.subject_account,
                               "surface": it.surface}, explanation=explanation,
                       accepted_at=accepted_at)
        keys.append(key)
    if todo:
        kind = "restrict_account" if confirmed else "lift_restriction"
        key = f"fl:case{case.id}:{kind}"
        enqueue_action(session, kind=kind, event_id=todo[0].event_id, idempotency_key=key,
                       case_id=case.id, target={"account_id": case.subject_account},
                       explanation={"reason": f"reviewer {reviewer} decided case {case.id}",
                                    "case_id": case.id})
        keys.append(key)
    return keys


def _cancel_open_report_tasks(session: Session, case_id: int, *, reviewer: str) -> list[int]:
    """A false positive is not CSEA: report tasks the pipeline opened on the match are cancelled, so they
    neither go out nor show as overdue."""
    from firstlight.reports import close_report_task, list_report_tasks

    cancelled = []
    for task in list_report_tasks(session, case_id=case_id):
        if task.status == "open":
            close_report_task(session, task, status="cancelled", actor=reviewer,
                              reason="reviewer marked the case a false positive")
            cancelled.append(task.id)
    return cancelled


def _allow_list(session: Session, items: list[CaseItem], *, bank: str, reviewer: str,
                case_id: int) -> list[str]:
    """Add each flagged item's query signals (the hashes computed from the upload) to the allow bank,
    one allow entry per item, so a later upload of the same content is suppressed and says why."""
    from firstlight import banks

    per_item: list[dict[str, str]] = []
    for it in items:
        signals: dict[str, str] = {}
        for sig in it.signals:
            st, value = sig.get("signal_type"), sig.get("value")
            if st and value:
                signals.setdefault(str(st), str(value))
        if signals:
            per_item.append(signals)
    if not per_item:
        return []
    _ensure_allow_bank(session, bank)
    added: list[str] = []
    for signals in per_item:
        banks.add_to_bank(session, bank, signals, source=f"case:{case_id}",
                          note=f"false positive confirmed by {reviewer}", actor=reviewer)
        added.extend(f"{st}:{v}" for st, v in sorted(signals.items()))
    return added


def _ensure_allow_bank(session: Session, bank: str) -> None:
    from firstlight import banks

    try:
        info = banks.get_bank(session, bank)
    except NotFound:
        banks.create_bank(session, bank, "allow", actor="system:cases",
                          description="known false positives confirmed by reviewers")
        return
    if info.kind != "allow":
        raise Conflict(f"bank {bank!r} is a {info.kind} bank, not an allow bank")
