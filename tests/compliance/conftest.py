"""Fixtures of the compliance tests: "Kite Live", a small livestreaming service with child users, and
activity snapshots built directly (no other room needed)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from firstlight.compliance import ActivitySnapshot, load_risk_profiles

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ALL_ROOMS = {"actions": True, "banks": True, "cases": True, "events": True, "reports": True}


def kite_live_document() -> dict[str, Any]:
    """Kite Live: a social livestreaming app, 40,000 UK users, children can join, self-declared ages.

    Profiles (3a), followers (4a), livestreaming (5a), direct messages (5b) and live chat comments (5d). The
    operator rates every other priority harm low, and states what Firstlight cannot see.
    """
    harms = {
        harm: {"level": "low", "reasons": [f"no {harm.replace('_', ' ')} reports in 12 months"]}
        for harm in load_risk_profiles().other_harms
    }
    return {
        "service": {
            "name": "Kite Live",
            "service_types": ["1a"],
            "children_can_access": True,
            "functionalities": ["3a", "4a", "5a", "5b", "5d"],
            "uk_mau": 40_000,
            "age_determination": "self_declared",
        },
        "harms": harms,
        "measures": {
            "ICU.A2": {"statement": "The CTO is accountable for the illegal content and reporting duties."},
        },
    }


@pytest.fixture
def kite_live() -> Callable[..., dict[str, Any]]:
    """``kite_live(service={...}, harms={...})``: the document with some fields changed."""

    def make(
        *,
        service: dict[str, Any] | None = None,
        harms: dict[str, Any] | None = None,
        measures: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        document = copy.deepcopy(kite_live_document())
        document["service"].update(service or {})
        document["harms"].update(harms or {})
        document["measures"].update(measures or {})
        return document

    return make


@pytest.fixture
def snapshot() -> Callable[..., ActivitySnapshot]:
    """``snapshot(confirmed_cases=[...], ...)``: every room readable, nothing happened unless given."""

    def make(**fields: Any) -> ActivitySnapshot:
        fields.setdefault("generated_at", NOW)
        fields.setdefault("available", dict(ALL_ROOMS))
        return ActivitySnapshot(**fields)

    return make
