"""Session prior latency: ``session_prior`` at stream request time against one indexed look-up.

Fills a SQLite store with the synthetic scenario of ``firstlight.detect.scenarios`` (through the real event
handlers), then re-scores every private call of the scenario at its own request time and a set of public
streams with their audiences, plus a public stream with 2,000 viewers. Prints p50/p95/max and the ratio
against the anchor measured in the same run: one indexed SELECT of the viewer→streamer payments (the least
any payment-based prior must do). Goal: p95 < 50 ms for a private call (detection.md §6.4).

    python benchmarks/bench_session_risk.py            # 30-day scenario (minutes to fill the store)
    python benchmarks/bench_session_risk.py --quick    # 10-day scenario
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from firstlight.detect.config import RiskConfig
from firstlight.detect.evaluate import _DETECT_TABLES, run_scenario
from firstlight.detect.models import RiskPayment
from firstlight.detect.prior import session_prior
from firstlight.detect.scenarios import ScenarioParams, generate
from firstlight.store.db import Base, Database


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    params = ScenarioParams.quick() if args.quick else ScenarioParams()
    config = RiskConfig()
    scenario = generate(params)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        Base.metadata.create_all(db.engine, tables=[Base.metadata.tables[t] for t in _DETECT_TABLES])
        t = time.perf_counter()
        run_scenario(scenario, db, config)
        print(f"store filled with {len(scenario.events)} events in {time.perf_counter() - t:.0f} s")
        private = [s for s in scenario.sessions.values() if s.kind != "public"]
        public = [s for s in scenario.sessions.values() if s.kind == "public"][:200]
        everyone = sorted(scenario.benign)[:2000]
        results: dict[str, list[float]] = {"private call": [], "public stream": [], "2,000 viewers": []}
        anchor: list[float] = []
        with db.session() as s:
            for i, truth in enumerate(private):
                t = time.perf_counter()
                session_prior(s, stream_id=f"bench-{i}", streamer_account=truth.streamer,
                              viewer_accounts=list(truth.viewers), private=True, paid=True,
                              at=truth.start, config=config)
                results["private call"].append(1000 * (time.perf_counter() - t))
                t = time.perf_counter()
                s.scalars(select(RiskPayment).where(
                    RiskPayment.payer == truth.viewers[0], RiskPayment.payee == truth.streamer,
                    RiskPayment.paid_at <= truth.start)).all()
                anchor.append(1000 * (time.perf_counter() - t))
            for i, truth in enumerate(public):
                t = time.perf_counter()
                session_prior(s, stream_id=f"bench-pub-{i}", streamer_account=truth.streamer,
                              viewer_accounts=list(truth.viewers), at=truth.start, config=config)
                results["public stream"].append(1000 * (time.perf_counter() - t))
            for i, truth in enumerate(public[:20]):
                t = time.perf_counter()
                session_prior(s, stream_id=f"bench-big-{i}", streamer_account=truth.streamer,
                              viewer_accounts=everyone, at=truth.start, config=config)
                results["2,000 viewers"].append(1000 * (time.perf_counter() - t))
            s.rollback()
        db.dispose()
    a50 = statistics.median(anchor)
    print(f"anchor: one indexed SELECT of pair payments: p50 {a50:.2f} ms, p95 {_pct(anchor, 0.95):.2f} ms")
    for name, values in results.items():
        p50, p95 = statistics.median(values), _pct(values, 0.95)
        print(f"{name:14s} n={len(values):5d}  p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  "
              f"max {max(values):6.1f} ms"
              f"  ratio p50/anchor {p50 / a50:5.1f}×  p95 vs 50 ms goal: {'met' if p95 < 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
