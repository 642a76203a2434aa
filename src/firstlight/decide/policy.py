"""Decision policy as data: detections in, one explained :class:`Decision` out.

Why data and not code: a trust-and-safety lead must be able to read and change what happens on a match
without a release, and a regulator must be able to see it. The policy is a TOML or YAML file; the default
ships in ``decide/data/default_policy.toml``. :func:`decide` is a pure function so that the upload path,
livestreams and tests all reach the same outcome for the same detections.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from firstlight.errors import Invalid

__all__ = [
    "ACTION_KINDS",
    "OUTCOMES",
    "Decision",
    "Detection",
    "Policy",
    "Rule",
    "decide",
    "detections_from_match_report",
]

OUTCOMES = ("act", "review", "none")
ACTION_KINDS = (
    "block_content",
    "restrict_account",
    "end_stream",
    "remove_content",
    "notify_platform",
    "restore_content",
    "lift_restriction",
)
_STRENGTHS = ("strong", "weak", "any")
_PRIORITIES = ("P1", "P2", "P3")


@dataclass(frozen=True)
class Detection:
    """One signal that something may be wrong: a bank match, a classifier score or a rule hit."""

    kind: str
    signal_type: str | None = None
    bank_name: str | None = None
    bank_kind: str | None = None
    entry_id: int | str | None = None
    matched_signal: str | None = None
    query_signal: str | None = None
    distance: int | float | None = None
    threshold: int | float | None = None
    category: str | None = None
    source: str | None = None
    suppressed_by: str | None = None
    score: float | None = None
    label: str | None = None

    def strength(self, weak_ratio: float) -> str:
        """``strong`` when comfortably inside the threshold, ``weak`` when near it."""
        if self.kind != "bank_match":
            return "strong" if (self.score or 0.0) >= 0.99 else "weak"
        if not self.distance or not self.threshold:
            return "strong"  # exact hash, or an exact bank with threshold 0
        return "strong" if self.distance <= weak_ratio * self.threshold else "weak"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def detections_from_match_report(report: Any) -> list[Detection]:
    """Turn a ``firstlight.banks.MatchReport`` (or any object with ``.matches``) into detections."""
    found = []
    for m in getattr(report, "matches", []) or []:
        found.append(
            Detection(
                kind="bank_match",
                signal_type=getattr(m, "signal_type", None),
                bank_name=getattr(m, "bank_name", None),
                bank_kind=getattr(m, "bank_kind", None),
                entry_id=getattr(m, "entry_id", None),
                matched_signal=getattr(m, "matched_signal", None),
                query_signal=getattr(m, "query_signal", None),
                distance=getattr(m, "distance", None),
                threshold=getattr(m, "threshold", None),
                category=getattr(m, "category", None),
                source=getattr(m, "source", None),
                suppressed_by=_suppressor(getattr(m, "suppressed_by", None)),
            )
        )
    return found


def _suppressor(value: Any) -> str | None:
    """An allow-bank match (object or string) as ``"bank#entry"`` for the explanation."""
    if value is None or isinstance(value, str):
        return value
    return f"{getattr(value, 'bank_name', '?')}#{getattr(value, 'entry_id', '?')}"


@dataclass(frozen=True)
class Rule:
    name: str
    when: Mapping[str, Any]
    outcome: str
    actions: tuple[str, ...] = ()
    open_case: bool = False
    preserve: bool = False
    report: bool = False
    report_priority: str = "P2"
    severity: int = 1

    def matches(self, d: Detection, weak_ratio: float) -> bool:
        w = self.when
        if w.get("detection", "bank_match") != d.kind:
            return False
        if "bank_kind" in w and w["bank_kind"] != d.bank_kind:
            return False
        if "bank" in w and w["bank"] != d.bank_name:
            return False
        if "signal_type" in w and w["signal_type"] != d.signal_type:
            return False
        if "categories" in w and d.category not in w["categories"]:
            return False
        if "min_score" in w and (d.score is None or d.score < float(w["min_score"])):
            return False
        strength = w.get("strength", "any")
        return strength == "any" or strength == d.strength(weak_ratio)


@dataclass(frozen=True)
class Decision:
    """What to do about one item, and why. ``explanation`` is stored with every action and case item."""

    outcome: str
    rule: str | None
    actions: tuple[str, ...] = ()
    open_case: bool = False
    preserve: bool = False
    report: bool = False
    report_priority: str | None = None
    severity: int = 0
    likelihood: float = 0.0
    explanation: dict[str, Any] = field(default_factory=dict)

    @property
    def flagged(self) -> bool:
        return self.outcome != "none"


@dataclass(frozen=True)
class Policy:
    name: str
    version: int
    rules: tuple[Rule, ...]
    weak_ratio: float = 0.8
    surfaces: tuple[str, ...] = ("public",)
    source: str = "<default>"

    @classmethod
    def load(cls, path: str | Path | None = None) -> Policy:
        """Load a TOML/YAML policy file, or the shipped default when ``path`` is None or ``"default"``."""
        if path is None or str(path) == "default":
            text = resources.files("firstlight.decide").joinpath("data/default_policy.toml").read_text()
            return cls.from_mapping(tomllib.loads(text), source="<default>")
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise Invalid(f"cannot read policy file {p}: {exc.strerror}") from exc
        try:
            is_yaml = p.suffix.lower() in (".yaml", ".yml")
            data = yaml.safe_load(text) if is_yaml else tomllib.loads(text)
        except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
            raise Invalid(f"policy file {p} is not valid: {exc}") from exc
        return cls.from_mapping(data, source=str(p))

    @classmethod
    def from_mapping(cls, data: Any, *, source: str = "<mapping>") -> Policy:
        if not isinstance(data, Mapping):
            raise Invalid(f"policy {source}: expected a table at the top level")
        raw_rules = data.get("rule") or data.get("rules") or []
        if not isinstance(raw_rules, Sequence) or not raw_rules:
            raise Invalid(f"policy {source}: needs at least one [[rule]]")
        rules = tuple(_parse_rule(r, source) for r in raw_rules)
        weak_ratio = float(data.get("weak_ratio", 0.8))
        if not 0.0 < weak_ratio <= 1.0:
            raise Invalid(f"policy {source}: weak_ratio must be in (0, 1]")
        scope = data.get("scope") or {}
        surfaces = tuple(scope.get("surfaces", ("public",)))
        return cls(
            name=str(data.get("name", "unnamed")),
            version=int(data.get("version", 1)),
            rules=rules,
            weak_ratio=weak_ratio,
            surfaces=surfaces,
            source=source,
        )

    def in_scope(self, surface: str) -> bool:
        return "*" in self.surfaces or surface in self.surfaces


def _parse_rule(raw: Any, source: str) -> Rule:
    if not isinstance(raw, Mapping) or "name" not in raw:
        raise Invalid(f"policy {source}: every rule needs a name")
    name = str(raw["name"])
    when = raw.get("when") or {}
    outcome = raw.get("outcome", "review")
    actions = tuple(raw.get("actions", ()))
    priority = str(raw.get("report_priority", "P2"))
    problems = []
    if outcome not in OUTCOMES:
        problems.append(f"outcome must be one of {OUTCOMES}")
    if unknown := [a for a in actions if a not in ACTION_KINDS]:
        problems.append(f"unknown actions {unknown}")
    if when.get("strength", "any") not in _STRENGTHS:
        problems.append(f"strength must be one of {_STRENGTHS}")
    if priority not in _PRIORITIES:
        problems.append(f"report_priority must be one of {_PRIORITIES}")
    if outcome == "act" and when.get("bank_kind") == "block" and not raw.get("report", False):
        # Zero threshold: confirmed CSEA is always reported, whatever the volume.
        problems.append("an 'act' rule on a block bank must set report = true (zero threshold)")
    if outcome != "act" and actions:
        problems.append("only 'act' rules may list actions; weak signals go to review")
    if problems:
        raise Invalid(f"policy {source}: rule {name!r}: " + "; ".join(problems))
    return Rule(
        name=name,
        when=dict(when),
        outcome=outcome,
        actions=actions,
        open_case=bool(raw.get("open_case", outcome != "none")),
        preserve=bool(raw.get("preserve", outcome != "none")),
        report=bool(raw.get("report", False)),
        report_priority=priority,
        severity=int(raw.get("severity", 1)),
    )


def _likelihood(d: Detection) -> float:
    """Likelihood of illegality for prioritisation: expert-bank exact match 1.0, near-threshold lower."""
    if d.kind == "bank_match":
        if not d.distance or not d.threshold:
            return 1.0
        return round(max(0.5, 1.0 - 0.5 * float(d.distance) / float(d.threshold)), 3)
    return round(float(d.score or 0.0), 3)


def decide(policy: Policy, detections: Iterable[Detection]) -> Decision:
    """Apply ``policy`` to ``detections``: the first rule (in file order) any live detection fires wins."""
    all_detections = list(detections)
    live = [d for d in all_detections if not d.suppressed_by]
    suppressed = [d for d in all_detections if d.suppressed_by]
    base = {
        "policy": policy.name,
        "policy_version": policy.version,
        "detections": [d.to_dict() for d in all_detections],
        "suppressed": [d.to_dict() for d in suppressed],
    }
    for rule in policy.rules:
        fired = [d for d in live if rule.matches(d, policy.weak_ratio)]
        if not fired:
            continue
        best = min(fired, key=lambda d: (d.distance or 0, -(d.score or 0.0)))
        reason = _reason(rule, best, policy.weak_ratio)
        return Decision(
            outcome=rule.outcome,
            rule=rule.name,
            actions=rule.actions if rule.outcome == "act" else (),
            open_case=rule.open_case,
            preserve=rule.preserve,
            report=rule.report,
            report_priority=rule.report_priority if rule.report else None,
            severity=rule.severity,
            likelihood=max(_likelihood(d) for d in fired),
            explanation={**base, "rule": rule.name, "outcome": rule.outcome, "reason": reason,
                         "fired_on": [d.to_dict() for d in fired]},
        )
    reason = "no detection fired a rule"
    if suppressed:
        reason = "matches were suppressed by an allow bank: " + ", ".join(
            sorted({str(d.suppressed_by) for d in suppressed})
        )
    return Decision(outcome="none", rule=None, explanation={**base, "rule": None, "outcome": "none",
                                                            "reason": reason, "fired_on": []})


def _reason(rule: Rule, d: Detection, weak_ratio: float) -> str:
    if d.kind == "bank_match":
        return (
            f"rule {rule.name}: {d.signal_type} match in {d.bank_kind} bank {d.bank_name!r} "
            f"entry {d.entry_id} at distance {d.distance} (threshold {d.threshold}, "
            f"{d.strength(weak_ratio)})"
        )
    return f"rule {rule.name}: {d.kind} {d.label or ''} score {d.score}".strip()
