"""Hash banks: known hashes with their provenance, import/export, exchanges, and matching against them.

Interface for other rooms (upload pipeline, livestreams, cases, compliance):

- ``create_bank(session, name, kind="block", *, thresholds=None, description=None)`` — ``kind`` is
  ``block`` (known CSAM), ``allow`` (known false positives: a match there suppresses the block match and
  says so) or ``survivor`` (hashes submitted by survivors; they match and are reported, never block).
  ``thresholds`` is per signal type, e.g. ``{"pdq": 24}`` (PDQ 0–31, default 31; exact types take none).
- ``add_to_bank(session, bank_name, signal, *, source=..., category_iwf=..., category_ncmec=..., note=...,
  original_id=..., tags=..., actor=...) -> EntryInfo`` — ``signal`` is a ``firstlight.signals.Signal``, a
  list of them, ``(type, value)`` or ``{type: value}``. Idempotent: signals already in the bank come back
  as the existing entry with ``created=False``. The cases room calls it to put a false positive in an
  ``allow`` bank. ``add_media_to_bank``/``add_file_to_bank`` hash the media first.
- ``set_entry_enabled(session, entry_id, enabled, *, reason=None)`` — disable or enable an entry.
- ``match_signals(session, signals) -> MatchReport`` and ``match_bytes(session, data) -> MatchReport``.
  ``MatchReport.matches`` holds ``BankMatch`` records (``bank_name, bank_kind, entry_id, signal_type,
  matched_signal, query_signal, distance, threshold, category, source, suppressed_by``, plus ``detail``
  such as the dihedral transform or vPDQ percentages); ``MatchReport.blocking`` is the block matches no
  allow match suppressed; ``MatchReport.explain()`` is a JSON-ready account.
- ``get_matcher(db, *, index_dir=None) -> Matcher`` — the process's matcher for a database. It needs no
  setup: the first lookup loads it. ``serve`` passes ``<data_dir>/indexes`` so that start-up loads the
  saved snapshot (``Matcher.save``) instead of building from the tables.

The caller owns the commit. Changes reach this process's matcher when the caller's transaction commits,
and other processes within ``Matcher.poll_seconds`` (one second) through the ``bank_changes`` log.
"""

from firstlight.banks.lists import ImportResult, export_bank, import_into_bank
from firstlight.banks.matcher import Matcher, get_matcher, match_bytes, match_signals, signals_from_pairs
from firstlight.banks.report import BankMatch, MatchReport
from firstlight.banks.service import (
    BANK_KINDS,
    BankInfo,
    EntryInfo,
    add_file_to_bank,
    add_media_to_bank,
    add_to_bank,
    create_bank,
    delete_bank,
    delete_entry,
    get_bank,
    get_entry,
    list_banks,
    list_entries,
    set_entry_enabled,
    update_bank,
)

__all__ = [
    "BANK_KINDS",
    "BankInfo",
    "BankMatch",
    "EntryInfo",
    "ImportResult",
    "MatchReport",
    "Matcher",
    "add_file_to_bank",
    "add_media_to_bank",
    "add_to_bank",
    "create_bank",
    "delete_bank",
    "delete_entry",
    "export_bank",
    "get_bank",
    "get_entry",
    "get_matcher",
    "import_into_bank",
    "list_banks",
    "list_entries",
    "match_bytes",
    "match_signals",
    "set_entry_enabled",
    "signals_from_pairs",
    "update_bank",
]
