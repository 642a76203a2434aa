"""Step 2 of Ofcom's method: a risk level, with its reasons, for each kind of priority illegal harm.

The three CSEA sub-kinds are assessed by Firstlight from the Risk Profile tables (``risk_profiles.yaml``,
RAG Tables 13.1–13.3) and Firstlight's own evidence; the other priority harms are recorded from the
operator's input. The rules, in the order they are applied to each CSEA sub-kind:

1. **Gate.** If the table's precondition is not met (e.g. no images or videos can be shared) the level is
   *negligible* — unless there is evidence of incidence (rule 5), which outweighs the profile.
2. **Risk factors.** A high-row trigger (file-sharing or adult service for image CSAM; sharing without an
   account for CSAM URLs; network expansion prompts, visible connection lists or child-identifiable profiles
   for grooming) gives *high*; otherwise the count of factors present gives low / medium / high with the
   table's cut-offs; grooming is at least *medium* once its gate is met ("we would normally expect…").
3. **Mitigation.** A *medium* from factor count (not a high-row trigger) becomes *low* where the table's
   comprehensive-systems route applies (hash matching and classifiers on every surface for image CSAM; URL
   checking for CSAM URLs) **and** there is no evidence of incidence.
4. **No evidence cannot be shown.** *Low* needs "no evidence"; if Firstlight could not read its detections
   or cases, that is inconclusive and the higher level (*medium*) is chosen.
5. **Severity outweighs volume.** Any confirmed CSEA incidence keeps the level at *medium* or above; so do
   flagged items or user reports not yet reviewed (inconclusive evidence: the higher level is chosen).
6. **Operator input** may raise a CSEA level (with its reasons) but never lower it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from firstlight.compliance._levels import RiskLevel
from firstlight.compliance.catalogue import CSEA_HARMS, CseaTable, RiskProfiles, load_risk_profiles
from firstlight.compliance.profile import ProfileDocument, ServiceProfile
from firstlight.compliance.snapshot import ActivitySnapshot

__all__ = ["HarmRisk", "Reason", "RiskAssessment", "assess_risk", "required_surfaces"]

RAG_RULES = "RAG §3.3 (via GH_PQP, S)"


class Reason(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["gate", "factors", "trigger", "mitigation", "evidence", "rule", "operator"]
    text: str
    ref: str | None = None


class HarmRisk(BaseModel):
    """The level of one harm and why."""

    model_config = ConfigDict(frozen=True)

    harm: str
    name: str
    level: RiskLevel | None = Field(description="None: not assessed")
    basis: Literal["firstlight", "operator", "not_assessed"]
    table: str | None = None
    factors: list[str] = Field(default_factory=list, description="risk factors present (ids)")
    evidence: dict[str, int] = Field(default_factory=dict)
    reasons: list[Reason] = Field(default_factory=list)
    decisive: str = Field(default="", description="the reason that set the level")


class RiskAssessment(BaseModel):
    """Steps 1 and 2: the risk factors present and a level for every kind of harm."""

    model_config = ConfigDict(frozen=True)

    risk_factors: list[str] = Field(description="the profile's risk factors, named with Ofcom's codes")
    children_can_access: bool
    harms: dict[str, HarmRisk]
    large: bool
    multi_risk: bool | None = Field(description="None: depends on harms not yet assessed")
    risk_profiles_version: str

    def level(self, harm: str) -> RiskLevel | None:
        return self.harms[harm].level

    @property
    def levels(self) -> dict[str, RiskLevel | None]:
        return {harm: risk.level for harm, risk in self.harms.items()}

    @property
    def not_assessed(self) -> list[str]:
        return [harm for harm, risk in self.harms.items() if risk.level is None]


def required_surfaces(profile: ServiceProfile) -> set[str]:
    """The surfaces on which users share content, from the profile (what "all images" has to cover)."""
    surfaces = {"public"}
    if profile.factors & {
        "direct_messaging",
        "messaging_service",
        "encrypted_messaging",
        "user_groups_group_msg",
    }:
        surfaces.add("private")
    if "livestreaming" in profile.factors:
        surfaces.add("livestream")
    return surfaces


def _comprehensive(mitigation: str | None, profile: ServiceProfile, snapshot: ActivitySnapshot) -> bool:
    config = snapshot.config
    covered = required_surfaces(profile) <= set(config.scanned_surfaces)
    if mitigation == "comprehensive_image_scanning":
        return bool(config.hash_matching_on and config.classifiers_on and covered)
    if mitigation == "comprehensive_url_checking":
        return bool(config.url_matching_on and covered)
    return False


def _factor_level(
    table: CseaTable, profile: ServiceProfile, profiles: RiskProfiles, present: list[str]
) -> tuple[RiskLevel, list[Reason], bool]:
    """The level the risk factors alone give, its reasons, and whether a high-row trigger fired."""
    ref = f"RAG Table {table.table}"
    reasons: list[Reason] = []
    named = ", ".join(profiles.factor_name(f) for f in present) or "none"
    reasons.append(
        Reason(
            kind="factors",
            text=f"{len(present)} of {len(table.factors)} risk factors present: {named}",
            ref=ref,
        )
    )
    triggers = [f for f in table.high_if_any if f in profile.factors]
    if triggers:
        reasons.append(Reason(kind="trigger", text=f"high: {table.high_if_any_text}", ref=ref))
        return RiskLevel.HIGH, reasons, True
    anchor = table.high_if_all_with_other
    if anchor and anchor in profile.factors and len([f for f in present if f != anchor]) >= 1:
        reasons.append(Reason(kind="trigger", text=f"high: {table.high_if_any_text}", ref=ref))
        return RiskLevel.HIGH, reasons, True
    flags = [flag for flag in table.high_if_flag if getattr(profile, flag, False)]
    if flags:
        for flag in flags:
            reasons.append(
                Reason(kind="trigger", text=f"high: {table.high_if_flag_text.get(flag, flag)}", ref=ref)
            )
        return RiskLevel.HIGH, reasons, True
    cutoffs = (
        f"(Firstlight's reading of 'several' = {table.medium_at_least}, "
        f"'a lot of' = {table.high_at_least}; U)"
    )
    if len(present) >= table.high_at_least:
        level = RiskLevel.HIGH
        reasons.append(Reason(kind="factors", text=f"high: a lot of risk factors {cutoffs}", ref=ref))
    elif len(present) >= table.medium_at_least:
        level = RiskLevel.MEDIUM
        reasons.append(Reason(kind="factors", text=f"medium: several risk factors {cutoffs}", ref=ref))
    else:
        level = RiskLevel.LOW
        reasons.append(Reason(kind="factors", text=f"low: few risk factors {cutoffs}", ref=ref))
    if table.floor_when_gated and level < table.floor_when_gated:
        level = RiskLevel.parse(table.floor_when_gated)
        reasons.append(
            Reason(
                kind="rule",
                text=f"{level}: Ofcom would normally expect such services to be assessed at least medium",
                ref=ref,
            )
        )
    return level, reasons, False


def _assess_csea(
    harm: str, document: ProfileDocument, snapshot: ActivitySnapshot, profiles: RiskProfiles
) -> HarmRisk:
    table = profiles.csea[harm]
    profile = document.service
    ref = f"RAG Table {table.table}"
    present = [f for f in table.factors if f in profile.factors]
    confirmed = snapshot.confirmed_for(harm)
    pending = snapshot.pending_review.get(harm, 0)
    evidence = {
        "detections_proactive": snapshot.detections_for(harm, proactive=True),
        "detections_user_reported": snapshot.detections_for(harm, proactive=False),
        "confirmed_cases": len(confirmed),
        "reported_cases": sum(1 for case in confirmed if case.reported),
        "pending_review": snapshot.pending_review.get(harm, 0),
        "user_reports": snapshot.user_reports.get(harm, 0),
    }
    gated = bool(set(table.gate_any_of) & profile.factors) and (
        profile.children_can_access or not table.gate_children
    )
    reasons: list[Reason] = []
    if not gated:
        level = RiskLevel.NEGLIGIBLE
        reasons.append(
            Reason(kind="gate", text=f"negligible: the table applies only where {table.gate_text}", ref=ref)
        )
        trigger = False
        decisive = reasons[-1].text
    else:
        reasons.append(Reason(kind="gate", text=f"applies: {table.gate_text}", ref=ref))
        level, factor_reasons, trigger = _factor_level(table, profile, profiles, present)
        reasons += factor_reasons
        decisive = factor_reasons[-1].text

    evidence_readable = snapshot.has("cases") and snapshot.has("events")
    incidence = bool(confirmed) or pending > 0
    mitigable = gated and level == RiskLevel.MEDIUM and not trigger and not incidence
    if mitigable and evidence_readable and _comprehensive(table.mitigation, profile, snapshot):
        level = RiskLevel.LOW
        reasons.append(
            Reason(
                kind="mitigation",
                text=f"low: {table.mitigation_text} on every surface, and no evidence of incidence",
                ref=f"{ref} (paraphrase, S; applying it to a medium is Firstlight's reading, U)",
            )
        )
        decisive = reasons[-1].text
    if level == RiskLevel.LOW and not evidence_readable:
        level = RiskLevel.MEDIUM
        reasons.append(
            Reason(
                kind="rule",
                text="medium: low needs no evidence of incidence, and Firstlight could not read its cases "
                "or events to show that; where evidence is inconclusive the higher level is chosen",
                ref=RAG_RULES,
            )
        )
        decisive = reasons[-1].text
    if confirmed:
        ids = ", ".join(str(case.case_id) for case in confirmed[:10])
        more = "" if len(confirmed) <= 10 else f" and {len(confirmed) - 10} more"
        reasons.append(
            Reason(
                kind="evidence",
                text=f"{len(confirmed)} confirmed incidence(s) (case {ids}{more}): severity outweighs "
                "volume, so never below medium",
                ref=RAG_RULES,
            )
        )
        if level < RiskLevel.MEDIUM:
            level, decisive = RiskLevel.MEDIUM, reasons[-1].text
    elif pending:
        reasons.append(
            Reason(
                kind="evidence",
                text=f"{pending} flagged item(s) or user report(s) not yet reviewed: evidence is "
                "inconclusive, so the higher level is chosen (at least medium)",
                ref=RAG_RULES,
            )
        )
        if level < RiskLevel.MEDIUM:
            level, decisive = RiskLevel.MEDIUM, reasons[-1].text
    elif evidence_readable:
        reasons.append(
            Reason(kind="evidence", text="no detections, user reports or confirmed cases in the period")
        )

    basis: Literal["firstlight", "operator"] = "firstlight"
    operator = document.harms.get(harm)
    if operator is not None:
        if operator.level > level:
            level = operator.level
            basis = "operator"
            reasons += [
                Reason(kind="operator", text=f"{level}: {text}")
                for text in operator.reasons or ["raised by the operator"]
            ]
            decisive = reasons[-1].text
        elif operator.level < level:
            reasons.append(
                Reason(
                    kind="operator",
                    text=f"the operator's {operator.level} is below the level the evidence supports "
                    "and is not used",
                )
            )
    return HarmRisk(
        harm=harm,
        name=table.name,
        level=level,
        basis=basis,
        table=table.table,
        factors=present,
        evidence=evidence,
        reasons=reasons,
        decisive=decisive,
    )


def _assess_other(harm: str, document: ProfileDocument, profiles: RiskProfiles) -> HarmRisk:
    operator = document.harms.get(harm)
    if operator is None:
        return HarmRisk(
            harm=harm,
            name=profiles.harm_name(harm),
            level=None,
            basis="not_assessed",
            reasons=[
                Reason(
                    kind="operator",
                    text="not assessed: the operator has not recorded a level",
                    ref="OSA s.9(5)(b)",
                )
            ],
            decisive="not assessed: the operator has not recorded a level",
        )
    reasons = [Reason(kind="operator", text=text) for text in operator.reasons]
    if operator.evidence:
        reasons.append(Reason(kind="evidence", text=operator.evidence))
    return HarmRisk(
        harm=harm,
        name=profiles.harm_name(harm),
        level=operator.level,
        basis="operator",
        reasons=reasons,
        decisive=reasons[0].text if reasons else "recorded by the operator",
    )


def assess_risk(
    document: ProfileDocument, snapshot: ActivitySnapshot, *, large_threshold: int = 7_000_000
) -> RiskAssessment:
    """Steps 1–2 for every kind of priority illegal harm (CSEA from the tables, the rest from the
    operator)."""
    profiles = load_risk_profiles()
    harms: dict[str, HarmRisk] = {}
    for harm in CSEA_HARMS:
        harms[harm] = _assess_csea(harm, document, snapshot, profiles)
    for harm in profiles.other_harms:
        harms[harm] = _assess_other(harm, document, profiles)
    profile = document.service
    # Multi-risk: medium or high risk of >= 2 kinds, excluding the CSEA sub-kinds (Codes para 5.6, S).
    counted = [
        risk.level
        for harm, risk in harms.items()
        if harm not in CSEA_HARMS and harm != "other_illegal_content"
    ]
    at_least_medium = sum(1 for level in counted if level is not None and level >= RiskLevel.MEDIUM)
    unknown = sum(1 for level in counted if level is None)
    multi_risk: bool | None
    if at_least_medium >= 2:
        multi_risk = True
    elif at_least_medium + unknown < 2:
        multi_risk = False
    else:
        multi_risk = None
    factors = sorted(profile.factors, key=lambda f: profiles.factor_name(f).split("(")[-1])
    return RiskAssessment(
        risk_factors=[profiles.factor_name(f) for f in factors],
        children_can_access=profile.children_can_access,
        harms=harms,
        large=profile.uk_mau > large_threshold,
        multi_risk=multi_risk,
        risk_profiles_version=profiles.version,
    )
