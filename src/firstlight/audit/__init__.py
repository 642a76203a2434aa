"""The append-only, hash-chained audit log that every room writes to (who, what, when, on which object)."""

from firstlight.audit.log import GENESIS_HASH, VerifyResult, record, verify
from firstlight.audit.models import AuditEntry

__all__ = ["GENESIS_HASH", "AuditEntry", "VerifyResult", "record", "verify"]
