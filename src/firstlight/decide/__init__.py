"""Decide: policy as data, explained decisions, and actions through the platform's webhooks.

Public interface (the upload pipeline, livestreams and reports call these):

- ``Policy.load(path | None)`` — a TOML/YAML policy (``None``/``"default"``: the shipped safe default);
  ``decide(policy, detections) -> Decision`` (outcome act/review/none, actions, open_case, preserve,
  report, the rule that fired and the explanation); ``detections_from_match_report(report)``.
- ``enqueue_action(session, *, kind, target, explanation, event_id, idempotency_key, case_id=None,
  accepted_at=None) -> Action`` — adds to the durable outbox in the caller's transaction (kinds:
  ``block_content``, ``restrict_account``, ``end_stream``, ``remove_content``, ``notify_platform``).
- ``deliver_due(db, settings=None) -> DeliveryPass`` — one pass of the outbox worker (signed POSTs,
  backoff with jitter, dead letters); ``retry_action``, ``list_actions``, ``takedown_stats``.
- ``sign(secret, timestamp, body)`` / ``verify(secret, timestamp, body, signature)`` — webhook signatures
  (HMAC-SHA256 over ``timestamp + "." + body``); a platform can copy ``firstlight/decide/signing.py``.

Settings: ``webhook_url``, ``webhook_secret``, ``webhook_timeout_s``, ``webhook_max_attempts``,
``webhook_backoff_base_s``, ``webhook_backoff_max_s``, ``webhook_poll_seconds``, ``policy_path``.
"""

from firstlight.decide.models import Action
from firstlight.decide.outbox import (
    ACTION_STATUSES,
    DeliveryPass,
    action_body,
    backoff_delay,
    deliver_due,
    enqueue_action,
    get_action,
    list_actions,
    retry_action,
    takedown_stats,
)
from firstlight.decide.policy import (
    ACTION_KINDS,
    Decision,
    Detection,
    Policy,
    Rule,
    decide,
    detections_from_match_report,
)
from firstlight.decide.signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    signature_headers,
    verify,
)

__all__ = [
    "ACTION_KINDS",
    "ACTION_STATUSES",
    "IDEMPOTENCY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Action",
    "Decision",
    "DeliveryPass",
    "Detection",
    "Policy",
    "Rule",
    "action_body",
    "backoff_delay",
    "decide",
    "deliver_due",
    "detections_from_match_report",
    "enqueue_action",
    "get_action",
    "list_actions",
    "retry_action",
    "sign",
    "signature_headers",
    "takedown_stats",
    "verify",
]
