"""Online Safety Act compliance: the service profile, the illegal content risk assessment (s.9), the Codes
measures as versioned data, s.23 records, transparency data (s.77) and the enforcement check.

Public interface::

    from firstlight.compliance import (
        load_profile, parse_profile,          # the profile document (TOML/YAML/JSON, or the API body)
        ActivitySnapshot, gather_activity,    # Firstlight's evidence, read from every installed room
        build_assessment, assess_risk,        # Ofcom's four steps; pure over (profile, snapshot)
        load_catalogue,                       # the Codes measures (data/measures.yaml), versioned
        record_assessment, history,           # immutable, hash-chained records with review dates
        transparency_data,                    # s.77 figures incl. the cross-border breakdown
        check_compliance, run_check,          # the enforcement check (`firstlight assess --check`)
    )

Every assessment function takes an ``ActivitySnapshot``: tests build one directly, ``gather_activity``
builds one from the database, reading another room only when its tables exist.
"""

from firstlight.compliance._gather import gather_activity
from firstlight.compliance._levels import LEVELS, RiskLevel
from firstlight.compliance.assessment import Assessment, build_assessment
from firstlight.compliance.catalogue import CSEA_HARMS, Catalogue, Measure, load_catalogue, load_risk_profiles
from firstlight.compliance.check import CheckResult, Finding, RecordSummary, check_compliance
from firstlight.compliance.measures import EvidenceFact, MeasureResult, evaluate_measures
from firstlight.compliance.profile import (
    AlternativeMeasure,
    HarmInput,
    MeasureInput,
    ProfileDocument,
    ServiceProfile,
    load_profile,
    parse_profile,
)
from firstlight.compliance.records import (
    HistoryEntry,
    RecordCheck,
    current_profile,
    get_assessment,
    history,
    load_assessment,
    record_assessment,
    save_profile,
    verify_records,
)
from firstlight.compliance.risk import HarmRisk, Reason, RiskAssessment, assess_risk
from firstlight.compliance.service import (
    RunResult,
    gather_transparency,
    preview_assessment,
    run_assessment,
    run_check,
    set_profile,
)
from firstlight.compliance.snapshot import (
    ActionStats,
    ActivitySnapshot,
    BankFact,
    ConfigFacts,
    ConfirmedCase,
    DetectionCount,
    ReportCount,
)
from firstlight.compliance.transparency import CrossBorder, TransparencyData, transparency_data

__all__ = [
    "CSEA_HARMS",
    "LEVELS",
    "ActionStats",
    "ActivitySnapshot",
    "AlternativeMeasure",
    "Assessment",
    "BankFact",
    "Catalogue",
    "CheckResult",
    "ConfigFacts",
    "ConfirmedCase",
    "CrossBorder",
    "DetectionCount",
    "EvidenceFact",
    "Finding",
    "HarmInput",
    "HarmRisk",
    "HistoryEntry",
    "Measure",
    "MeasureInput",
    "MeasureResult",
    "ProfileDocument",
    "Reason",
    "RecordCheck",
    "RecordSummary",
    "ReportCount",
    "RiskAssessment",
    "RiskLevel",
    "RunResult",
    "ServiceProfile",
    "TransparencyData",
    "assess_risk",
    "build_assessment",
    "check_compliance",
    "current_profile",
    "evaluate_measures",
    "gather_activity",
    "gather_transparency",
    "get_assessment",
    "history",
    "load_assessment",
    "load_catalogue",
    "load_profile",
    "load_risk_profiles",
    "parse_profile",
    "preview_assessment",
    "record_assessment",
    "run_assessment",
    "run_check",
    "save_profile",
    "set_profile",
    "transparency_data",
    "verify_records",
]
