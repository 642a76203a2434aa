"""The indicators, as pure functions over facts about one viewer→streamer pair.

Each function returns ``Contribution``s (nothing when it does not fire) so each can be tested on a crafted
case and its benign twin without a database. The relationship store (``firstlight.detect.ledger``) builds
a ``PairView`` from stored rows; tests build one by hand.

Sources of each indicator: ``../shared/research/detection.md`` §1.2 (P1–P9) and §6.2 (A1–A4, C1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from firstlight.detect._types import AccountFacts, ChatFacts, Contribution, PaymentFacts
from firstlight.detect.config import FEATURES, RiskConfig

__all__ = ["PairView", "is_small_payment", "pair_contributions", "spearman"]


@dataclass(frozen=True)
class PairView:
    """What the store knows about a viewer (payer) and a streamer (payee) at time ``at``."""

    viewer: AccountFacts
    streamer: AccountFacts
    at: datetime
    pair_payments: Sequence[PaymentFacts] = ()  # viewer → streamer, within the window
    payee_payments: Sequence[PaymentFacts] = ()  # anyone → streamer, within the window
    payer_payments: Sequence[PaymentFacts] = ()  # viewer → anyone, within the window
    pair_chat: Sequence[ChatFacts] = ()  # messages between the two, within the chat look-back
    viewer_minor_contacts: int = 0
    reporters: dict[str, int] = field(default_factory=dict)  # account → distinct reporters
    confirmed_links: dict[str, tuple[str, ...]] = field(default_factory=dict)
    private: bool = False
    paid: bool = False
    in_session: bool = True  # False for account-level views: no session features


def _c(cfg: RiskConfig, feature: str, value: float, explanation: str) -> Contribution:
    return Contribution(
        feature=feature,
        weight=cfg.weight(feature),
        value=value,
        population_level=FEATURES[feature].population_level if feature in FEATURES else False,
        explanation=explanation,
    )


def is_small_payment(p: PaymentFacts, cfg: RiskConfig) -> bool:
    band = cfg.small_payment_ranges.get(p.currency.upper())
    return band is not None and band[0] <= float(p.amount) <= band[1]


def _grow(n: int, threshold: int) -> float:
    """1 at the threshold, +1 per doubling, capped at 2."""
    return min(2.0, 1.0 + math.log2(n / threshold))


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Spearman's rank correlation (average ranks for ties); 0 when undefined."""
    if len(xs) != len(ys) or len(xs) < 2:
        return 0.0

    def ranks(v: Sequence[float]) -> list[float]:
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2.0
            i = j + 1
        return r

    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = math.sqrt(sum((a - mx) ** 2 for a in rx))
    vy = math.sqrt(sum((b - my) ** 2 for b in ry))
    return 0.0 if vx == 0 or vy == 0 else cov / (vx * vy)


def payment_contributions(v: PairView, cfg: RiskConfig) -> list[Contribution]:
    out: list[Contribution] = []
    viewer, streamer = v.viewer.account_id, v.streamer.account_id
    # Tips inside a public broadcast are how fans support creators; the typologies describe
    # person-to-person transfers, so the repetition, fan-in/out and escalation indicators skip tips.
    direct = [p for p in v.pair_payments if not p.public_tip]
    small = [p for p in direct if is_small_payment(p, cfg)]
    if len(small) >= cfg.min_repeat_payments:
        out.append(_c(cfg, "low_value_repetition", _grow(len(small), cfg.min_repeat_payments),
                      f"{len(small)} small payments {viewer}→{streamer} in {cfg.window_days} days"))

    per_payer: dict[str, int] = {}
    for p in v.payee_payments:
        if not p.public_tip and is_small_payment(p, cfg):
            per_payer[p.payer] = per_payer.get(p.payer, 0) + 1
    repeat_payers = sorted(a for a, n in per_payer.items() if n >= 2)
    if len(repeat_payers) >= cfg.fan_in_min_payers:
        out.append(_c(cfg, "fan_in", _grow(len(repeat_payers), cfg.fan_in_min_payers),
                      f"{len(repeat_payers)} distinct repeat payers to {streamer} in {cfg.window_days} days"))

    payees = {p.payee for p in v.payer_payments if not p.public_tip and is_small_payment(p, cfg)}
    if len(payees) >= cfg.fan_out_min_payees:
        out.append(_c(cfg, "fan_out", _grow(len(payees), cfg.fan_out_min_payees),
                      f"{viewer} paid {len(payees)} distinct recipients in {cfg.window_days} days"))

    earlier = [p.at for p in v.pair_payments if p.at <= v.at]
    if v.in_session and v.private and earlier:
        gap = v.at - max(earlier)
        if gap <= timedelta(minutes=cfg.pay_before_show_minutes):
            out.append(_c(cfg, "pay_before_show", 1.0,
                          f"{viewer} paid {streamer} {gap.total_seconds() / 60:.0f} min before "
                          "this private session"))

    ordered = sorted(direct, key=lambda p: p.at)[-10:]
    if len(ordered) >= cfg.escalation_min_payments:
        idx = list(range(len(ordered)))
        rho_amount = spearman(idx, [float(p.amount) for p in ordered])
        gaps = [(b.at - a.at).total_seconds() for a, b in zip(ordered, ordered[1:], strict=False)]
        rho_gap = spearman(list(range(len(gaps))), gaps)
        parts = []
        if rho_amount >= cfg.escalation_min_rho:
            parts.append(f"amounts rising (ρ={rho_amount:.2f})")
        if -rho_gap >= cfg.escalation_min_rho:
            parts.append(f"gaps shrinking (ρ={rho_gap:.2f})")
        if parts:
            out.append(_c(cfg, "escalation", 0.5 * len(parts),
                          f"last {len(ordered)} payments {viewer}→{streamer}: " + ", ".join(parts)))

    noted = [p for p in v.pair_payments if p.note_categories]
    if noted:
        cats = sorted({c for p in noted for c in p.note_categories})
        out.append(_c(cfg, "note_keywords", 1.0,
                      f"{len(noted)} payment notes match term lists ({', '.join(cats)})"))

    if v.pair_payments:
        risky = [p for p in v.pair_payments if (p.channel or "").lower() in cfg.risky_channels]
        if risky:
            share = len(risky) / len(v.pair_payments)
            channels = sorted({(p.channel or "").lower() for p in risky})
            out.append(_c(cfg, "risky_channel", share,
                          f"{len(risky)}/{len(v.pair_payments)} payments via {', '.join(channels)}"))
    return out


def _country(account: AccountFacts, payments: Sequence[PaymentFacts], payer: bool) -> str | None:
    if account.country:
        return account.country
    for p in payments:
        c = p.payer_country if payer else p.payee_country
        if c:
            return c
    return None


def account_contributions(v: PairView, cfg: RiskConfig) -> list[Contribution]:
    out: list[Contribution] = []
    pair = (v.viewer, v.streamer)
    viewer_country = _country(v.viewer, v.pair_payments, payer=True)
    streamer_country = _country(v.streamer, v.pair_payments, payer=False)
    if viewer_country in cfg.demand_countries and streamer_country in cfg.source_countries:
        out.append(_c(cfg, "corridor", 1.0,
                      f"{viewer_country}→{streamer_country} is on the configured demand→source list"))

    listed = [(a.account_id, a.listed) for a in pair if a.listed]
    if listed:
        out.append(_c(cfg, "indicator_list", 1.0,
                      "; ".join(f"{a} on {', '.join(lists)}" for a, lists in listed)))

    ages = sorted(((v.at - a.created_at).days, a.account_id) for a in pair if a.created_at is not None)
    if ages and ages[0][0] < cfg.new_account_days:
        out.append(_c(cfg, "new_account", 1.0, f"{ages[0][1]} is {ages[0][0]} days old"))

    if v.in_session and (v.private or v.paid):
        minors = [a.account_id for a in pair if a.is_minor]
        if minors and len(minors) < len(pair):
            out.append(_c(cfg, "minor_in_session", 1.0,
                          f"minor age band ({', '.join(minors)}) in a private/paid session"))
        if not v.streamer.age_assurance:
            out.append(_c(cfg, "unverified_age", 1.0, f"{v.streamer.account_id} has no age check"))
        value = 1.0 if (v.private and v.paid) else 0.5
        kind = "paid private" if value == 1.0 else ("private" if v.private else "paid")
        out.append(_c(cfg, "private_session", value, f"{kind} session"))

    if v.viewer_minor_contacts >= cfg.minor_contact_min:
        out.append(_c(cfg, "minor_contact_breadth", min(2.0, v.viewer_minor_contacts / cfg.minor_contact_min),
                      f"{v.viewer.account_id} messaged {v.viewer_minor_contacts} minor accounts "
                      f"in {cfg.minor_contact_days} days"))

    reporters = sum(v.reporters.values())
    if reporters:
        who = ", ".join(f"{a}: {n}" for a, n in sorted(v.reporters.items()))
        out.append(_c(cfg, "user_reports", min(2.0, math.log2(1 + reporters)),
                      f"distinct reporters ({who})"))

    confirmed = [a.account_id for a in pair if a.confirmed]
    if confirmed:
        out.append(_c(cfg, "confirmed_account", 1.0, f"confirmed in a case: {', '.join(confirmed)}"))
    links = {a: ls for a, ls in v.confirmed_links.items() if ls}
    n_links = len({x for ls in links.values() for x in ls})
    if n_links:
        detail = "; ".join(f"{a} ↔ {', '.join(ls)}" for a, ls in sorted(links.items()))
        out.append(_c(cfg, "linked_to_confirmed", min(2.0, float(n_links)),
                      f"payments link to confirmed accounts: {detail}"))
    return out


def chat_contributions(v: PairView, cfg: RiskConfig) -> list[Contribution]:
    counts: dict[str, float] = {}
    for msg in v.pair_chat:
        for cat, value in msg.categories.items():
            counts[cat] = counts.get(cat, 0.0) + value
    out = []
    for cat, total in sorted(counts.items()):
        feature = f"chat.{cat}"
        if feature not in FEATURES:
            continue  # e.g. payment_note: scored on payments, not chat
        out.append(_c(cfg, feature, min(1.0, total / 2.0),
                      f"{total:g} message hit(s) for {cat} between {v.viewer.account_id} and "
                      f"{v.streamer.account_id} in {cfg.chat_lookback_hours} h"))
    return out


def pair_contributions(v: PairView, cfg: RiskConfig) -> list[Contribution]:
    """Every indicator that fires for this pair (zero-weight ones dropped)."""
    found = payment_contributions(v, cfg) + account_contributions(v, cfg) + chat_contributions(v, cfg)
    return [c for c in found if c.weight != 0 and c.value != 0]
