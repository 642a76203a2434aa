"""Risk levels, ordered the way Ofcom orders them: negligible < low < medium < high.

``RiskLevel`` is a ``str`` enum so it serialises as its name, and it compares by rank, also against plain
strings, so that ``RiskLevel.MEDIUM >= "low"`` and the data file's ``risk['x'] >= 'medium'`` both read
naturally.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = ["LEVELS", "RiskLevel"]


class RiskLevel(StrEnum):
    NEGLIGIBLE = "negligible"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RANK[self.value]

    @classmethod
    def parse(cls, value: Any) -> RiskLevel:
        if isinstance(value, RiskLevel):
            return value
        if isinstance(value, str) and value.strip().lower() in _RANK:
            return cls(value.strip().lower())
        raise ValueError(f"risk level must be one of {', '.join(LEVELS)}, not {value!r}")

    def _other_rank(self, other: Any) -> int:
        return RiskLevel.parse(other).rank

    def __lt__(self, other: Any) -> bool:  # type: ignore[override]
        return self.rank < self._other_rank(other)

    def __le__(self, other: Any) -> bool:  # type: ignore[override]
        return self.rank <= self._other_rank(other)

    def __gt__(self, other: Any) -> bool:  # type: ignore[override]
        return self.rank > self._other_rank(other)

    def __ge__(self, other: Any) -> bool:  # type: ignore[override]
        return self.rank >= self._other_rank(other)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.value == other.strip().lower()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        return self.value


LEVELS = ("negligible", "low", "medium", "high")
_RANK = {name: rank for rank, name in enumerate(LEVELS)}
