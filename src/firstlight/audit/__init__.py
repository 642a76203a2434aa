"""The append-only, hash-chained audit log that every room writes to (who, what, when, on which object)."""

from firstlight.audit.log import GENESIS_HASH, VerifyResult, canonical_time, chain_hash, record, verify
from firstlight.audit.models import AuditEntry

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "VerifyResult",
    "canonical_time",
    "chain_hash",
    "record",
    "verify",
]
