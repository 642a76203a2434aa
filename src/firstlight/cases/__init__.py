"""Cases and the review queue: one case per subject account, ordered by Ofcom's prioritisation factors.

Public interface:

- ``open_or_update_case(session, *, subject_account, item: NewCaseItem, actor=...) -> Case`` — adds a
  flagged item to the account's active case (opening one); idempotent per (event id, content id).
- ``queue(session, *, statuses=..., limit=50)`` — most urgent first; ``get_case``, ``case_items``.
- ``claim(session, case_id, *, reviewer)``, ``release(...)``, ``decide_case(session, case_id, *, reviewer,
  decision="confirm"|"false_positive"|"escalate", category=None, note=None, report_priority="P2")`` —
  confirm opens a report task (zero threshold); false positive adds the items' hashes to the ``allow``
  bank; escalate drops the claim and raises priority. Every step is audited.
"""

from firstlight.cases.models import Case, CaseItem
from firstlight.cases.service import (
    ACTIVE_STATUSES,
    CATEGORIES,
    DECISIONS,
    CaseDecision,
    NewCaseItem,
    case_items,
    claim,
    decide_case,
    get_case,
    open_or_update_case,
    priority_score,
    queue,
    release,
)

__all__ = [
    "ACTIVE_STATUSES",
    "CATEGORIES",
    "DECISIONS",
    "Case",
    "CaseDecision",
    "CaseItem",
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
