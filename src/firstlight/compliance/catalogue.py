"""The versioned data files shipped with the package: Ofcom's Codes measures and the Risk Profile tables.

Both are loaded once, validated (every ``applies_if`` is compiled and checked against the names and harms
it may use, every measure id is unique) and cached. Every assessment records the version (and the
SHA-256) of the files it was made against, so a record can always be read against the text that produced it.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from firstlight.compliance._expr import ExpressionError, compile_expression
from firstlight.errors import Invalid

__all__ = [
    "CONFIDENCE_TAGS",
    "CSEA_HARMS",
    "ENV_NAMES",
    "Catalogue",
    "CseaTable",
    "Measure",
    "MeasureText",
    "RiskProfiles",
    "load_catalogue",
    "load_risk_profiles",
]

CONFIDENCE_TAGS = frozenset({"P", "S", "M", "U", "S/M", "S/U"})
CSEA_HARMS = ("csea.image_csam", "csea.csam_urls", "csea.grooming")

# The names an ``applies_if`` expression may use (built by ``measures.measure_environment``).
ENV_NAMES = frozenset(
    {
        "large",
        "uk_mau",
        "multi_risk",
        "any_risk",
        "functionalities",
        "service_types",
        "categories",
        "likely_accessed_by_children",
        "age_determination",
        "uses_proactive_technology",
        "has_volunteer_moderators",
        "runs_onplatform_recommender_tests",
        "has_notable_user_or_monetised_verification",
        "principal_purpose_porn",
        "shares_visual_media",
        "risk",
    }
)


@dataclass(frozen=True)
class MeasureText:
    part: str
    text: str
    confidence: str
    quoted: bool = False


@dataclass(frozen=True)
class Measure:
    """One Codes measure: what it is, where the wording came from, and when it applies."""

    id: str
    title: str
    group: str
    applies_if: str
    source: tuple[str, ...]
    date: date
    confidence: str
    evidence: tuple[str, ...] = ()
    text: tuple[MeasureText, ...] = ()
    note: str | None = None
    in_force: date | None = None
    status: str = "in_force"
    optional: bool = False
    compiled: ast.Expression | None = field(default=None, compare=False, repr=False)

    def in_force_on(self, day: date) -> bool:
        """Whether the measure applies on ``day`` (laid-but-not-issued ones are reported, not required)."""
        if self.status != "in_force":
            return False
        return self.in_force is None or self.in_force <= day


@dataclass(frozen=True)
class Catalogue:
    version: str
    code: str
    as_of: str
    sources: dict[str, dict[str, str]]
    thresholds: dict[str, Any]
    measures: tuple[Measure, ...]
    sha256: str

    def get(self, measure_id: str) -> Measure:
        for measure in self.measures:
            if measure.id == measure_id:
                return measure
        raise Invalid(f"unknown Codes measure {measure_id!r}")

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(measure.id for measure in self.measures)

    @property
    def large_threshold(self) -> int:
        return int(self.thresholds["large_service_uk_mau"]["gt"])


@dataclass(frozen=True)
class CseaTable:
    """One of RAG Tables 13.1–13.3, as data."""

    harm: str
    name: str
    table: str
    gate_any_of: tuple[str, ...]
    gate_children: bool
    gate_text: str
    factors: tuple[str, ...]
    medium_at_least: int
    high_at_least: int
    high_if_any: tuple[str, ...] = ()
    high_if_any_text: str = ""
    high_if_all_with_other: str | None = None
    high_if_flag: tuple[str, ...] = ()
    high_if_flag_text: dict[str, str] = field(default_factory=dict)
    floor_when_gated: str | None = None
    mitigation: str | None = None
    mitigation_text: str = ""


@dataclass(frozen=True)
class RiskProfiles:
    version: str
    source: str
    service_types: dict[str, tuple[str, str]]  # id -> (code, name)
    functionalities: dict[str, tuple[str, str]]
    csea: dict[str, CseaTable]
    other_harms: dict[str, str]  # id -> name
    sha256: str

    @property
    def codes(self) -> dict[str, str]:
        """Questionnaire code -> id, for service types and functionalities."""
        table = {code: id_ for id_, (code, _) in self.service_types.items()}
        table.update({code: id_ for id_, (code, _) in self.functionalities.items()})
        return table

    @property
    def harms(self) -> tuple[str, ...]:
        return (*CSEA_HARMS, *self.other_harms)

    def harm_name(self, harm: str) -> str:
        if harm in self.csea:
            return self.csea[harm].name
        return self.other_harms.get(harm, harm)

    def factor_name(self, factor: str) -> str:
        if factor in self.service_types:
            code, name = self.service_types[factor]
        elif factor in self.functionalities:
            code, name = self.functionalities[factor]
        else:
            return factor
        return f"{name} ({code})"


def _read(name: str, override: Path | None) -> tuple[dict[str, Any], str]:
    if override is not None:
        raw = override.read_bytes()
    else:
        raw = resources.files("firstlight.compliance").joinpath("data").joinpath(name).read_bytes()
    return yaml.safe_load(raw), hashlib.sha256(raw).hexdigest()


@lru_cache(maxsize=4)
def load_risk_profiles(path: Path | None = None) -> RiskProfiles:
    data, digest = _read("risk_profiles.yaml", path)
    csea = {}
    for harm, row in data["csea"].items():
        gate = row["gate"]
        csea[harm] = CseaTable(
            harm=harm,
            name=row["name"],
            table=str(row["table"]),
            gate_any_of=tuple(gate.get("any_of", ())),
            gate_children=bool(gate.get("children", False)),
            gate_text=gate["text"],
            factors=tuple(row["factors"]),
            medium_at_least=int(row["medium_at_least"]),
            high_at_least=int(row["high_at_least"]),
            high_if_any=tuple(row.get("high_if_any", ())),
            high_if_any_text=row.get("high_if_any_text", ""),
            high_if_all_with_other=row.get("high_if_all_with_other"),
            high_if_flag=tuple(row.get("high_if_flag", ())),
            high_if_flag_text=dict(row.get("high_if_flag_text", {})),
            floor_when_gated=row.get("floor_when_gated"),
            mitigation=row.get("mitigation"),
            mitigation_text=row.get("mitigation_text", ""),
        )
    if set(csea) != set(CSEA_HARMS):
        raise Invalid(f"risk profiles must describe exactly {CSEA_HARMS}")
    profiles = RiskProfiles(
        version=str(data["version"]),
        source=data["source"],
        service_types={r["id"]: (str(r["code"]), r["name"]) for r in data["service_types"]},
        functionalities={r["id"]: (str(r["code"]), r["name"]) for r in data["functionalities"]},
        csea=csea,
        other_harms={r["id"]: r["name"] for r in data["other_harms"]},
        sha256=digest,
    )
    known = set(profiles.service_types) | set(profiles.functionalities)
    for table in csea.values():
        unknown = (set(table.factors) | set(table.gate_any_of) | set(table.high_if_any)) - known
        if unknown:
            raise Invalid(f"table {table.table} names unknown factors: {sorted(unknown)}")
    return profiles


@lru_cache(maxsize=4)
def load_catalogue(path: Path | None = None) -> Catalogue:
    """The Codes measures; raises ``Invalid`` if the file breaks the schema or the expression language."""
    data, digest = _read("measures.yaml", path)
    harms = frozenset(load_risk_profiles().harms)
    measures: list[Measure] = []
    seen: set[str] = set()
    for row in data["measures"]:
        measure_id = row["id"]
        if measure_id in seen:
            raise Invalid(f"measure {measure_id} is listed twice")
        seen.add(measure_id)
        if row["confidence"] not in CONFIDENCE_TAGS:
            raise Invalid(f"measure {measure_id}: unknown confidence tag {row['confidence']!r}")
        try:
            compiled = compile_expression(row["applies_if"], names=ENV_NAMES, harms=harms)
        except ExpressionError as exc:
            raise Invalid(f"measure {measure_id}: {exc}") from exc
        texts = []
        for part in row.get("text", ()):
            if part["confidence"] not in CONFIDENCE_TAGS:
                raise Invalid(f"measure {measure_id}: unknown confidence tag {part['confidence']!r}")
            texts.append(
                MeasureText(
                    part=str(part["part"]),
                    text=" ".join(str(part["text"]).split()),
                    confidence=part["confidence"],
                    quoted=bool(part.get("quoted", False)),
                )
            )
        measures.append(
            Measure(
                id=measure_id,
                title=row["title"],
                group=row["group"],
                applies_if=" ".join(str(row["applies_if"]).split()),
                source=tuple(row["source"]),
                date=_as_date(row["date"]),
                confidence=row["confidence"],
                evidence=tuple(row.get("evidence", ())),
                text=tuple(texts),
                note=" ".join(row["note"].split()) if row.get("note") else None,
                in_force=_as_date(row["in_force"]) if row.get("in_force") else None,
                status=row.get("status", "in_force"),
                optional=bool(row.get("optional", False)),
                compiled=compiled,
            )
        )
        unknown_sources = set(row["source"]) - set(data["sources"])
        if unknown_sources:
            raise Invalid(f"measure {measure_id} cites unknown sources {sorted(unknown_sources)}")
    return Catalogue(
        version=str(data["version"]),
        code=data["code"],
        as_of=data["as_of"],
        sources=data["sources"],
        thresholds=data["thresholds"],
        measures=tuple(measures),
        sha256=digest,
    )


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
