"""What a match says: ``BankMatch`` (one bank entry hit by one query signal) and ``MatchReport``.

Allow banks suppress block matches. A ``block`` match is suppressed by the closest ``allow`` match that
either has the same signal type and a distance no larger than the block match's, or is an exact match
(MD5/SHA-256: the very file is a known false positive). The distance condition keeps a known false positive
from hiding real material that is closer to the blocked hash than to the allowed one. A suppressed match
stays in the report with ``suppressed_by`` naming the allow match, so the decision can say why it did not
block.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from firstlight.banks._signal_types import is_exact

__all__ = ["BankMatch", "MatchReport", "apply_allow_suppression"]


@dataclass(frozen=True)
class BankMatch:
    """One bank entry matched by one query signal, with everything needed to explain the hit."""

    bank_name: str
    bank_kind: str
    entry_id: int
    signal_type: str
    matched_signal: str
    query_signal: str
    distance: int
    threshold: int
    category: str | None
    source: str
    suppressed_by: BankMatch | None = None
    detail: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def suppressed(self) -> bool:
        return self.suppressed_by is not None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "bank": self.bank_name,
            "bank_kind": self.bank_kind,
            "entry_id": self.entry_id,
            "signal_type": self.signal_type,
            "matched_signal": _short(self.matched_signal),
            "query_signal": _short(self.query_signal),
            "distance": self.distance,
            "threshold": self.threshold,
            "category": self.category,
            "source": self.source,
        }
        if self.detail:
            out["detail"] = dict(self.detail)
        if self.suppressed_by is not None:
            s = self.suppressed_by
            out["suppressed_by"] = {
                "bank": s.bank_name,
                "entry_id": s.entry_id,
                "signal_type": s.signal_type,
                "distance": s.distance,
            }
        return out


def _short(value: str, limit: int = 200) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def _suppresses(allow: BankMatch, block: BankMatch) -> bool:
    if is_exact(allow.signal_type):
        return True
    return allow.signal_type == block.signal_type and allow.distance <= block.distance


def apply_allow_suppression(matches: Sequence[BankMatch]) -> list[BankMatch]:
    """The matches with every suppressible ``block`` match marked ``suppressed_by`` its allow match."""
    allows = sorted((m for m in matches if m.bank_kind == "allow"), key=lambda m: m.distance)
    out: list[BankMatch] = []
    for m in matches:
        if m.bank_kind == "block":
            by = next((a for a in allows if _suppresses(a, m)), None)
            if by is not None:
                m = replace(m, suppressed_by=by)
        out.append(m)
    return out


@dataclass(frozen=True)
class MatchReport:
    """The signals that were looked up and every match found, ordered by bank kind then distance."""

    signals: tuple[Any, ...]
    matches: tuple[BankMatch, ...]
    notes: tuple[str, ...] = ()

    @property
    def blocking(self) -> list[BankMatch]:
        """``block`` matches that no ``allow`` match suppressed: the ones to act on."""
        return [m for m in self.matches if m.bank_kind == "block" and m.suppressed_by is None]

    @property
    def suppressed(self) -> list[BankMatch]:
        return [m for m in self.matches if m.suppressed_by is not None]

    @property
    def matched(self) -> bool:
        return bool(self.matches)

    def by_kind(self, kind: str) -> list[BankMatch]:
        return [m for m in self.matches if m.bank_kind == kind]

    def explain(self) -> dict[str, Any]:
        """A JSON-ready account of the lookup: what was hashed, what matched, and what was suppressed why."""
        blocking = self.blocking
        if blocking:
            best = min(blocking, key=lambda m: m.distance)
            verdict = (
                f"block: {best.signal_type} matches entry {best.entry_id} of bank {best.bank_name!r} "
                f"at distance {best.distance} (threshold {best.threshold})"
            )
        elif self.suppressed:
            s = self.suppressed[0]
            assert s.suppressed_by is not None
            verdict = (
                f"no block: the match on bank {s.bank_name!r} is suppressed by allow entry "
                f"{s.suppressed_by.entry_id} of bank {s.suppressed_by.bank_name!r} (known false positive)"
            )
        elif self.matches:
            verdict = "matched only non-blocking banks"
        else:
            verdict = "no match"
        return {
            "verdict": verdict,
            "blocking": len(blocking),
            "signals": [_signal_dict(s) for s in self.signals],
            "matches": [m.to_dict() for m in self.matches],
            "notes": list(self.notes),
        }


def _signal_dict(s: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"signal_type": s.signal_type, "value": _short(s.value)}
    quality = getattr(s, "quality", None)
    if quality is not None:
        out["quality"] = quality
    extra = getattr(s, "extra", None)
    if extra:
        out["extra"] = dict(extra)
    return out
