"""Match indexes behind pytx's ``SignalTypeIndex``: exact PDQ, exact-string (MD5/SHA-256) and vPDQ.

Interfaces (the banks matcher, streams and scans call these):

- ``PDQMatchIndex[T]``: ``add(hex, payload)``, ``add_all(pairs)``, ``disable(payload)`` / ``remove`` /
  ``enable``, ``query(hex, threshold=31) -> list[IndexHit]``, ``query_batch(hexes, threshold=31)``,
  ``save(path)`` / ``PDQMatchIndex.load(path)``, ``len()`` (enabled hashes). Exact at any threshold.
  Thread-safe for one writer and many readers; adds are incremental.
- ``ExactMatchIndex[T]``: the same shape for MD5/SHA-256 (distance always 0).
- ``VPDQMatchIndex[T]``: videos by pytx's vPDQ rule; hits carry ``VPDQSimilarity``.
- ``IndexHit``: a pytx ``IndexMatch`` that also unpacks as ``(payload, distance)``.

Persistence uses a header + raw arrays file (no pickle; see ``_index_store``). ``serialize``/``deserialize``
(pytx's hooks) write and read the same format.
"""

from firstlight.banks._index_common import IndexHit
from firstlight.banks._index_exact import ExactMatchIndex
from firstlight.banks._index_pdq import PDQMatchIndex, parse_pdq_hashes
from firstlight.banks._index_vpdq import VPDQMatchIndex, VPDQSimilarity

__all__ = [
    "ExactMatchIndex",
    "IndexHit",
    "PDQMatchIndex",
    "VPDQMatchIndex",
    "VPDQSimilarity",
    "parse_pdq_hashes",
]
