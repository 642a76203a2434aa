"""The service profile: what the service is, in the terms of Ofcom's Risk Profiles, plus the operator's input.

A profile document (a TOML or YAML file, or the JSON body of ``PUT /v1/compliance/profile``) has three
parts::

    [service]                      # ServiceProfile: the facts Ofcom's risk factors are read from
    name = "Kite Live"
    service_types = ["1a"]         # Ofcom codes 1a–1g, or their ids ("social_media")
    children_can_access = true     # Risk Profile question 2
    functionalities = ["3a", "5a", "5b", "5d"]
    uk_mau = 40000                 # UK monthly active users

    [harms.hate]                   # the other priority harms, assessed by the operator
    level = "low"
    reasons = ["No hate reports in 12 months; chat is moderated"]

    [measures."ICU.A2"]            # a statement for a measure Firstlight cannot see,
    statement = "The CTO is accountable for the illegal content duties."
    [measures."ICU.C10"]           # or an alternative measure, with the s.23(4) reasoning
    alternative = "Links are not clickable; text is checked against a blocklist"
    reason = "..."
    how_compliant = "..."
    rights_considered = "..."      # how s.49(5) (freedom of expression and privacy) was respected

Codes and ids are both accepted and stored as ids, so a record reads the same whichever was written.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from firstlight.compliance._levels import RiskLevel
from firstlight.compliance.catalogue import CSEA_HARMS, load_catalogue, load_risk_profiles
from firstlight.errors import Invalid

__all__ = [
    "AlternativeMeasure",
    "HarmInput",
    "MeasureInput",
    "ProfileDocument",
    "ServiceProfile",
    "load_profile",
    "parse_profile",
]

AgeDetermination = Literal["none", "self_declared", "age_estimation", "age_verification", "heaa"]
LivestreamMode = Literal["none", "one_to_many", "many_to_many", "one_to_one_video"]
Category = Literal["cat1", "cat2a", "cat2b"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceProfile(_Model):
    """The facts about a service that Ofcom's Risk Profiles and the Codes' conditions read."""

    name: str = Field(min_length=1, max_length=200)
    service_types: list[str] = Field(default_factory=list, description="Ofcom codes 1a–1g or their ids")
    children_can_access: bool = Field(description="Risk Profile question 2: can children access it?")
    likely_accessed_by_children: bool | None = Field(
        default=None, description="Children's access assessment outcome; defaults to children_can_access"
    )
    functionalities: list[str] = Field(default_factory=list, description="Ofcom codes 3a–8 or their ids")
    uk_mau: int = Field(ge=0, description="UK monthly active users (average over the period)")
    uk_provider: bool = Field(default=True, description="OSA s.70(2): UK individual or UK entity")
    categories: list[Category] = Field(default_factory=list)
    age_determination: AgeDetermination = "none"
    livestream_mode: LivestreamMode | None = None
    reports_to_foreign_agency: list[str] = Field(
        default_factory=list, description="e.g. ['NCMEC']: reports there are not 'unreported' (s.70(5))"
    )
    uses_proactive_technology: bool | None = Field(
        default=None, description="Default: true when Firstlight's hash matching is on"
    )
    has_volunteer_moderators: bool = False
    runs_onplatform_recommender_tests: bool = False
    has_notable_user_or_monetised_verification: bool = False
    principal_purpose_porn: bool = False
    # Grooming high-risk factors (RAG Table 13.3).
    network_expansion_prompts: bool = False
    connection_lists_visible: bool = False
    child_identifiable_profiles: bool = False

    @field_validator("service_types", "functionalities", mode="before")
    @classmethod
    def _as_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("service_types")
    @classmethod
    def _service_types(cls, value: list[str]) -> list[str]:
        return _normalise(
            value,
            kind="service type",
            allowed=load_risk_profiles().service_types,
            hint="Ofcom codes 1a–1g or their ids",
        )

    @field_validator("functionalities")
    @classmethod
    def _functionalities(cls, value: list[str]) -> list[str]:
        profiles = load_risk_profiles()
        misplaced = [
            raw for raw in value if profiles.codes.get(raw.strip(), raw.strip()) in profiles.service_types
        ]
        if misplaced:
            raise ValueError(f"{', '.join(map(repr, misplaced))}: service types go under service_types")
        return _normalise(
            value,
            kind="functionality",
            allowed=profiles.functionalities,
            hint="Ofcom codes 3a–8 or their ids",
        )

    @model_validator(mode="after")
    def _defaults(self) -> ServiceProfile:
        # Derived defaults, set once at validation (the model is frozen afterwards).
        if self.likely_accessed_by_children is None:
            object.__setattr__(self, "likely_accessed_by_children", self.children_can_access)
        if self.livestream_mode is None:
            mode = "one_to_many" if "livestreaming" in self.functionalities else "none"
            object.__setattr__(self, "livestream_mode", mode)
        return self

    @property
    def factors(self) -> frozenset[str]:
        """Every risk factor present: service types and functionalities together."""
        return frozenset(self.service_types) | frozenset(self.functionalities)

    def significant_changes(self, earlier: ServiceProfile) -> list[str]:
        """What changed since ``earlier`` that calls for a fresh assessment (OSA s.9(3)-(4), s.23(6)(b))."""
        profiles = load_risk_profiles()
        changes = [f"added {profiles.factor_name(f)}" for f in sorted(self.factors - earlier.factors)]
        changes += [f"removed {profiles.factor_name(f)}" for f in sorted(earlier.factors - self.factors)]
        if self.children_can_access != earlier.children_can_access:
            changes.append(f"children can access: {earlier.children_can_access} → {self.children_can_access}")
        if self.age_determination != earlier.age_determination:
            changes.append(f"age determination: {earlier.age_determination} → {self.age_determination}")
        threshold_band = _mau_band(self.uk_mau), _mau_band(earlier.uk_mau)
        if threshold_band[0] != threshold_band[1]:
            changes.append(f"UK users crossed a Codes threshold: {earlier.uk_mau:,} → {self.uk_mau:,}")
        for flag in ("network_expansion_prompts", "connection_lists_visible", "child_identifiable_profiles"):
            if getattr(self, flag) != getattr(earlier, flag):
                changes.append(f"{flag.replace('_', ' ')}: {getattr(earlier, flag)} → {getattr(self, flag)}")
        if set(self.categories) != set(earlier.categories):
            changes.append(f"categories: {sorted(earlier.categories)} → {sorted(self.categories)}")
        return changes


def _normalise(values: list[str], *, kind: str, allowed: Any, hint: str) -> list[str]:
    codes = load_risk_profiles().codes
    unknown = [raw for raw in values if codes.get(raw.strip(), raw.strip()) not in allowed]
    if unknown:
        raise ValueError(f"unknown {kind} {', '.join(repr(u) for u in unknown)} (use {hint})")
    return sorted({codes.get(raw.strip(), raw.strip()) for raw in values})


def _mau_band(uk_mau: int) -> int:
    return (uk_mau > 700_000) + (uk_mau > 7_000_000)


class HarmInput(_Model):
    """The operator's assessment of one priority harm (or an upward adjustment of a CSEA sub-kind)."""

    level: RiskLevel
    reasons: list[str] = Field(default_factory=list)
    evidence: str | None = None

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> RiskLevel:
        return RiskLevel.parse(value)

    @field_validator("reasons", mode="before")
    @classmethod
    def _reasons(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class AlternativeMeasure(_Model):
    """An alternative to a Codes measure with what s.23(4) asks to be recorded."""

    description: str = Field(min_length=1)
    reason: str = Field(min_length=1, description="why the Codes measure was not taken")
    how_compliant: str | None = Field(default=None, description="how the alternative meets the duty")
    rights_considered: str | None = Field(default=None, description="s.49(5): expression and privacy")


class MeasureInput(_Model):
    """The operator's statement about a measure, or the alternative taken instead."""

    statement: str | None = None
    alternative: AlternativeMeasure | None = None

    @model_validator(mode="before")
    @classmethod
    def _flat_alternative(cls, data: Any) -> Any:
        # Accept the flat file form: alternative = "...", reason = "...", how_compliant = "...".
        if isinstance(data, dict) and isinstance(data.get("alternative"), str):
            data = dict(data)
            data["alternative"] = {
                "description": data.pop("alternative"),
                "reason": data.pop("reason", ""),
                "how_compliant": data.pop("how_compliant", None),
                "rights_considered": data.pop("rights_considered", None),
            }
        return data

    @model_validator(mode="after")
    def _something(self) -> MeasureInput:
        if not (self.statement or self.alternative):
            raise ValueError("give a statement or an alternative")
        return self


class ProfileDocument(_Model):
    """What the profile file and the API carry: the service, the operator's harm levels and statements."""

    service: ServiceProfile
    harms: dict[str, HarmInput] = Field(default_factory=dict)
    measures: dict[str, MeasureInput] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_keys(self) -> ProfileDocument:
        harms = set(load_risk_profiles().harms)
        unknown = sorted(set(self.harms) - harms)
        if unknown:
            raise ValueError(f"unknown harms {unknown}; known: {sorted(harms)}")
        measures = set(load_catalogue().ids)
        unknown = sorted(set(self.measures) - measures)
        if unknown:
            raise ValueError(f"unknown Codes measures {unknown}")
        return self

    @property
    def operator_csea(self) -> dict[str, HarmInput]:
        return {harm: value for harm, value in self.harms.items() if harm in CSEA_HARMS}

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


def parse_profile(data: Any) -> ProfileDocument:
    """Validate a profile document (a mapping); raises ``Invalid`` with every problem listed."""
    if not isinstance(data, dict):
        raise Invalid("a profile must be a mapping with a [service] section")
    try:
        return ProfileDocument.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or 'profile'}: {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        ]
        raise Invalid("invalid service profile: " + "; ".join(problems), details=problems) from None


def load_profile(path: Path) -> ProfileDocument:
    """Read a profile from a ``.toml``, ``.yaml``/``.yml`` or ``.json`` file."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise Invalid(f"cannot read profile {path}: {exc.strerror or exc}") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            data = tomllib.loads(raw)
        elif suffix in {".yaml", ".yml"}:
            data = yaml.safe_load(raw)
        elif suffix == ".json":
            data = json.loads(raw)
        else:
            raise Invalid(f"profile {path} must be .toml, .yaml, .yml or .json")
    except (tomllib.TOMLDecodeError, yaml.YAMLError, json.JSONDecodeError) as exc:
        raise Invalid(f"cannot parse profile {path}: {exc}") from None
    return parse_profile(data)
