"""The livestream room starts a session at the tier the session prior suggests."""

from __future__ import annotations

import pytest
from tests.detect.conftest import T0, Ledger

from firstlight.store import Database

streams = pytest.importorskip("firstlight.streams")


def test_livestream_tier_starts_from_the_prior(db: Database) -> None:
    payload = {"stream_id": "call-9", "streamer_account": "host", "viewer_accounts": ["buyer"],
               "visibility": "one_to_one", "paid": True, "countries": {"buyer": "AU"}}
    with db.session() as s:  # never committed: no stream worker is started
        ledger = Ledger(s)
        ledger.account("host", country="PH", days_old=2)
        for i in range(5):
            ledger.pay("buyer", "host", 30 + 10 * i, minutes_ago=60 * 24 * (4 - i) + 5)
        ledger.chat("buyer", "host", "what is the price per session", minutes_ago=30)
        risky = streams.start_stream(s, payload, started_at=T0,
                                     scan_visibilities=["public", "private", "one_to_one"])
        benign = streams.start_stream(s, {**payload, "stream_id": "call-10", "viewer_accounts": ["fan"]},
                                      started_at=T0, scan_visibilities=["public", "private", "one_to_one"])
        s.rollback()
    assert risky.tier == "T2"
    assert {"pay_before_show", "low_value_repetition"} <= {c["feature"] for c in risky.prior["contributions"]}
    assert benign.tier in ("T0", "T1") and benign.tier != risky.tier
