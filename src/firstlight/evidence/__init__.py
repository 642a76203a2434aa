"""Evidence: an AES-256-GCM vault, a hash-chained chain of custody, retention, legal holds and purge.

Public interface:

- ``Vault.open(settings)`` — the configured vault (keys from ``Settings.vault_keys`` or a local key ring).
- ``preserve(session, vault, data, *, metadata, media_type=None, subject_account=None, content_id=None,
  event_id=None) -> EvidenceItem`` — encrypts, computes SHA-256 and MD5, records custody.
- ``open_item(session, vault, item_id, *, actor, reason) -> bytes`` — audited plaintext access (used e.g.
  to upload files to NCMEC); ``reveal(...)`` for reviewers (also audited); ``rendition(...)`` the blurred
  greyscale preview.
- ``mark_reported``, ``place_hold``, ``release_hold``, ``purge_expired(session, vault, now=None)``;
  ``verify_custody(session)``, ``custody_of(session, item_id)``.
"""

from firstlight.evidence.custody import CustodyCheck, append_custody, custody_of, verify_custody
from firstlight.evidence.models import CustodyEntry, EvidenceItem
from firstlight.evidence.rendition import protected_rendition
from firstlight.evidence.service import (
    DEFAULT_RETENTION_DAYS,
    get_item,
    list_items,
    mark_reported,
    open_item,
    place_hold,
    preserve,
    purge_expired,
    release_hold,
    rendition,
    reveal,
)
from firstlight.evidence.vault import Vault, VaultError

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "CustodyCheck",
    "CustodyEntry",
    "EvidenceItem",
    "Vault",
    "VaultError",
    "append_custody",
    "custody_of",
    "get_item",
    "list_items",
    "mark_reported",
    "open_item",
    "place_hold",
    "preserve",
    "protected_rendition",
    "purge_expired",
    "release_hold",
    "rendition",
    "reveal",
    "verify_custody",
]
