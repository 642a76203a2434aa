"""Synthetic scenarios for evaluating session risk: benign background traffic with offender and
facilitator patterns planted in it, parameterised from the published figures.

This module knows nothing about the detector (it imports nothing from it): it writes a timeline of
platform events and the ground truth, and ``firstlight.detect.evaluate`` feeds the timeline to the real
detector. All wording is neutral; the sensitive chat categories use placeholder phrases, the same ones the
shipped example term lists hold, plus paraphrases no list contains (lexicons miss things).

Where the numbers come from (``../shared/research/detection.md`` §1):

- offender payments A$20–80 per session, up to about twice a day (AUSTRAC, 826 payments over 3 years);
  paid *before* the show (Pathfinder Labs);
- activity is heavy-tailed, a few buyers make most of the transactions (AIC T&I 589: 3 % made half), and
  amounts and frequency rise as a buyer continues (AIC 589: escalation);
- buyers pay several facilitators (AMLC: "multiple non-familial counterparties") and facilitators are paid by
  several buyers (AUSTRAC: fan-in); demand mostly US, AU, GB, CA (AMLC 2023), facilitators in PH, TH, CO,
  MX, DO (FINTRAC 2025);
- chats negotiate price, ask for age or gender, confirm payment and direct acts (Rights Lab, UK offenders).

Benign traffic includes the hard cases a careless detector would flag: fans who tip their favourite creator
again and again, paid one-to-one calls (coaching, fan calls) paid minutes before they start with a price
agreed in chat, family remittances from demand to source countries followed by private family video calls,
and creators in source countries with fans abroad.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["Scenario", "ScenarioEvent", "ScenarioParams", "SessionTruth", "generate"]

START = datetime(2026, 1, 1, tzinfo=UTC)
DEMAND = ["US"] * 50 + ["AU"] * 8 + ["GB"] * 7 + ["CA"] * 5 + ["DE"] * 3 + ["JP"] * 2 + ["SA"] * 2
SOURCE = ["PH"] * 6 + ["TH", "CO", "MX", "DO"]
OTHER = ["NZ", "IN", "BR", "ZA", "KE", "PL", "ES", "IT"]
CURRENCY = {"US": "USD", "AU": "AUD", "GB": "GBP", "CA": "CAD", "DE": "EUR", "PH": "PHP", "ES": "EUR",
            "IT": "EUR", "NZ": "AUD"}
AUD_TO = {"AUD": 1.0, "USD": 0.66, "GBP": 0.52, "CAD": 0.9, "EUR": 0.61, "PHP": 37.0}

BENIGN_CHAT = ["great stream today", "see you tomorrow", "what game is this", "love the music",
               "hello from the other side", "thanks for the tips", "good luck with the exam",
               "that was fun", "can you say hi to my sister", "what time tomorrow"]
PRICE = ["how much", "what is the price", "your rate for a session", "what would it cost me"]
PAID = ["payment sent", "sent the money", "check your account", "it's done, look now"]
OFF = ["add me on the other app", "message me on another platform", "let us talk somewhere else"]
AGE = ["example age request phrase", "placeholder-age-term", "unlisted age paraphrase"]
DIRECT = ["example directing phrase", "placeholder-directing-term", "unlisted directing paraphrase"]
NOTES = ["for the show", "special request", "thanks", ""]


@dataclass(frozen=True)
class ScenarioParams:
    """Sizes and rates. The defaults are the full run; ``quick()`` is for tests and CI."""

    seed: int = 20260101
    days: int = 30
    benign_viewers: int = 2000
    benign_streamers: int = 200
    offenders: int = 50
    facilitators: int = 15
    public_streams_per_streamer_day: float = 0.4
    viewers_per_public_stream: tuple[int, int] = (5, 30)
    tip_probability: float = 0.12
    benign_private_calls_per_day: int = 40
    families: int = 60
    listed_facilitator_share: float = 0.25
    offender_sessions_median: float = 4.0

    @classmethod
    def quick(cls, seed: int = 7) -> ScenarioParams:
        return cls(seed=seed, days=10, benign_viewers=400, benign_streamers=50, offenders=15,
                   facilitators=5, benign_private_calls_per_day=15, families=15)


@dataclass(frozen=True)
class ScenarioEvent:
    at: datetime
    type: str  # account | payment | chat.message | user.report | stream.start | stream.end
    payload: dict[str, Any]


@dataclass(frozen=True)
class SessionTruth:
    stream_id: str
    offender: bool
    kind: str  # public | benign_call | family_call | offender_show
    streamer: str
    viewers: tuple[str, ...]
    start: datetime
    end: datetime


@dataclass
class Scenario:
    params: ScenarioParams
    events: list[ScenarioEvent] = field(default_factory=list)
    sessions: dict[str, SessionTruth] = field(default_factory=dict)
    offenders: set[str] = field(default_factory=set)
    facilitators: set[str] = field(default_factory=set)
    benign: set[str] = field(default_factory=set)
    listed: set[str] = field(default_factory=set)  # the operator's known-facilitator list


class _Builder:
    def __init__(self, params: ScenarioParams) -> None:
        self.p = params
        self.r = random.Random(params.seed)
        self.s = Scenario(params=params)
        self.country: dict[str, str] = {}
        self.minors: set[str] = set()
        self.n = 0

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def emit(self, at: datetime, type_: str, payload: dict[str, Any]) -> None:
        self.s.events.append(ScenarioEvent(at, type_, payload))

    def account(self, account_id: str, country: str, *, days_old: float, age_band: str | None,
                assurance: str | None) -> None:
        self.country[account_id] = country
        if age_band and age_band != "18+":
            self.minors.add(account_id)
        self.emit(START, "account", {
            "account_id": account_id, "country": country, "age_band": age_band,
            "age_assurance": assurance, "created_at": (START - timedelta(days=days_old)).isoformat()})

    def pay(self, at: datetime, payer: str, payee: str, aud: float, *, channel: str, note: str = "",
            session_id: str | None = None) -> None:
        currency = CURRENCY.get(self.country[payer], "USD")
        amount = round(aud * AUD_TO.get(currency, 0.66), 2)
        payload = {"payment_id": self._id("pay"), "payer": payer, "payee": payee,
                   "amount": str(amount), "currency": currency, "channel": channel,
                   "payer_country": self.country[payer], "payee_country": self.country[payee],
                   "paid_at": at.isoformat()}
        if note:
            payload["note"] = note
        if session_id:
            payload["session_id"] = session_id
        self.emit(at, "payment", payload)

    def chat(self, at: datetime, sender: str, recipients: list[str], text: str,
             session_id: str | None = None) -> None:
        self.emit(at, "chat.message", {"message_id": self._id("msg"), "sender": sender,
                                       "recipients": recipients, "text": text, "session_id": session_id,
                                       "sent_at": at.isoformat()})

    def session(self, truth: SessionTruth, *, visibility: str, paid: bool) -> None:
        self.s.sessions[truth.stream_id] = truth
        self.emit(truth.start, "stream.start", {
            "stream_id": truth.stream_id, "streamer_account": truth.streamer,
            "viewer_accounts": list(truth.viewers), "visibility": visibility, "paid": paid,
            "countries": {a: self.country[a] for a in (truth.streamer, *truth.viewers)}})
        self.emit(truth.end, "stream.end", {"stream_id": truth.stream_id})

    def moment(self, day: int) -> datetime:
        return START + timedelta(days=day, seconds=self.r.uniform(3600, 86400 - 7200))

    def conversation(self, at: datetime, a: str, b: str, lines: list[str], *,
                     step: tuple[int, int] = (20, 120), session_id: str | None = None) -> datetime:
        for i, text in enumerate(lines):
            at += timedelta(seconds=self.r.randint(*step))
            sender, other = (a, b) if i % 2 == 0 else (b, a)
            self.chat(at, sender, [other], text, session_id=session_id)
        return at


def generate(params: ScenarioParams | None = None) -> Scenario:
    """A reproducible scenario (same ``seed`` → same events) sorted by time."""
    p = params or ScenarioParams()
    b = _Builder(p)
    r = b.r
    viewers = [f"viewer{i}" for i in range(p.benign_viewers)]
    streamers = [f"creator{i}" for i in range(p.benign_streamers)]
    offenders = [f"buyer{i}" for i in range(p.offenders)]
    facilitators = [f"host{i}" for i in range(p.facilitators)]
    relatives = [f"relative{i}" for i in range(p.families)]
    b.s.benign = set(viewers) | set(streamers) | set(relatives)
    b.s.offenders, b.s.facilitators = set(offenders), set(facilitators)

    adults: list[str] = []
    for v in viewers:
        pool = r.choices([DEMAND, OTHER, SOURCE], weights=[60, 25, 15])[0]
        minor = r.random() < 0.1
        if not minor:
            adults.append(v)
        b.account(v, r.choice(pool), days_old=r.choice([3, 40, 200, 900]) if r.random() < 0.1
                  else r.uniform(30, 1500), age_band=r.choice(["13-15", "16-17"]) if minor else "18+",
                  assurance=r.choice(["verified", "estimated", None]))
    for c in streamers:
        pool = r.choices([DEMAND, SOURCE, OTHER], weights=[50, 30, 20])[0]
        b.account(c, r.choice(pool), days_old=r.uniform(5, 1500),
                  age_band="16-17" if r.random() < 0.15 else "18+",
                  assurance=r.choice(["verified", "estimated", "estimated", None]))
    for rel in relatives:
        b.account(rel, r.choice(SOURCE), days_old=r.uniform(30, 1500), age_band="18+", assurance=None)
    for o in offenders:
        b.account(o, r.choice(DEMAND if r.random() < 0.9 else OTHER), days_old=r.uniform(180, 3000),
                  age_band="18+", assurance=r.choice(["verified", None]))
    for f in facilitators:
        b.account(f, r.choice(SOURCE if r.random() < 0.9 else OTHER),
                  days_old=r.uniform(1, 6) if r.random() < 0.4 else r.uniform(10, 400),
                  age_band=r.choice(["18+", None]), assurance=None)
    b.s.listed = {f for f in facilitators if r.random() < p.listed_facilitator_share}

    favourites = {v: r.sample(streamers, k=r.randint(1, 3)) for v in viewers}
    for day in range(p.days):
        _public_streams(b, day, streamers, viewers, favourites)
        for _ in range(p.benign_private_calls_per_day):
            _benign_call(b, day, r.choice(adults), favourites)
        for i, rel in enumerate(relatives):
            sender = viewers[(i * 7919) % len(viewers)]
            if r.random() < 1 / 10:
                _family_contact(b, day, sender, rel)
    for o in offenders:
        _offender(b, o, facilitators)
    b.s.events.sort(key=lambda e: (e.at, e.type != "account"))
    return b.s


def _public_streams(b: _Builder, day: int, streamers: list[str], viewers: list[str],
                    favourites: dict[str, list[str]]) -> None:
    r, p = b.r, b.p
    fans: dict[str, list[str]] = {}
    for v, favs in favourites.items():
        for c in favs:
            fans.setdefault(c, []).append(v)
    for c in streamers:
        if r.random() >= p.public_streams_per_streamer_day:
            continue
        start = b.moment(day)
        end = start + timedelta(minutes=r.randint(20, 120))
        n = r.randint(*p.viewers_per_public_stream)
        audience = list(dict.fromkeys(r.sample(fans.get(c, []), k=min(n // 2, len(fans.get(c, []))))
                                      + r.sample(viewers, k=n)))
        sid = b._id("pub")
        b.session(SessionTruth(sid, False, "public", c, tuple(audience), start, end),
                  visibility="public", paid=False)
        for v in audience:
            if r.random() < p.tip_probability * (3 if c in favourites[v] else 1):
                at = start + (end - start) * r.random()
                b.pay(at, v, c, math.exp(r.gauss(math.log(8), 1.0)),
                      channel=r.choices(["card", "wallet", "gift_card", "crypto"], [70, 25, 3, 2])[0],
                      session_id=sid)
        for _ in range(r.randint(2, 6)):
            at = start + (end - start) * r.random()
            text = r.choice(PRICE) + " is the merch" if r.random() < 0.05 else r.choice(BENIGN_CHAT)
            b.chat(at, r.choice(audience), [], text, session_id=sid)


def _benign_call(b: _Builder, day: int, viewer: str, favourites: dict[str, list[str]]) -> None:
    """A paid or free one-to-one call with a favourite adult creator (coaching, fan call). Paid private
    calls between adult strangers and minors are not benign background: policy sends them to review."""
    r = b.r
    adults = [c for c in favourites[viewer] if c not in b.minors]
    if not adults:
        return
    creator = r.choice(adults)
    start = b.moment(day)
    lines = [r.choice(BENIGN_CHAT)]
    if r.random() < 0.3:
        lines.append(r.choice(PRICE))
    if r.random() < 0.05:
        lines.append(r.choice(OFF))
    paid = r.random() < 0.6
    if paid and r.random() < 0.4:
        lines.append(r.choice(PAID))
    t = b.conversation(start - timedelta(minutes=r.randint(15, 90)), viewer, creator, lines)
    if paid:
        just_before = r.random() < 0.7
        paid_at = min(t, start - timedelta(minutes=1)) if just_before else start - timedelta(
            hours=r.randint(2, 48))
        b.pay(paid_at, viewer, creator, r.uniform(15, 150), channel=r.choice(["card", "wallet"]))
    sid = b._id("call")
    end = start + timedelta(minutes=r.randint(10, 40))
    b.session(SessionTruth(sid, False, "benign_call", creator, (viewer,), start, end),
              visibility="one_to_one", paid=paid)
    b.conversation(start, viewer, creator, [r.choice(BENIGN_CHAT) for _ in range(r.randint(2, 8))],
                   step=(30, 200), session_id=sid)


def _family_contact(b: _Builder, day: int, sender: str, relative: str) -> None:
    """A remittance from a demand country to a relative in a source country, then a private call."""
    r = b.r
    at = b.moment(day)
    b.pay(at, sender, relative, r.uniform(100, 500), channel=r.choice(["remittance", "card", "p2p_app"]))
    if r.random() < 0.7:
        start = at + timedelta(hours=r.uniform(0.1, 30))
        sid = b._id("fam")
        b.session(SessionTruth(sid, False, "family_call", relative, (sender,), start,
                               start + timedelta(minutes=r.randint(10, 60))),
                  visibility="one_to_one", paid=False)


def _offender(b: _Builder, buyer: str, facilitators: list[str]) -> None:
    """A buyer's sessions with one to three facilitators, paid before the show, escalating."""
    r, p = b.r, b.p
    hosts = r.sample(facilitators, k=min(len(facilitators), r.choice([1, 1, 2, 3])))
    n = max(1, min(int(math.exp(r.gauss(math.log(p.offender_sessions_median), 1.0))), 2 * p.days))
    base = r.uniform(20, 80)
    risky = r.random() < 0.4
    chatty = r.random() < 0.7  # the rest negotiate off-platform
    first_day = r.randint(0, max(0, p.days - 2))
    days = sorted(r.randint(first_day, p.days - 1) for _ in range(n))
    for k, day in enumerate(days):
        host = r.choice(hosts)
        start = b.moment(day)
        lines: list[str] = []
        if chatty:
            if r.random() < 0.7:
                lines.append(r.choice(PRICE))
            if r.random() < 0.4:
                lines.append(r.choice(AGE))
            if r.random() < 0.2:
                lines.append(r.choice(OFF))
            if r.random() < 0.6:
                lines.append(r.choice(PAID))
            lines.insert(0, r.choice(BENIGN_CHAT))
        t = start
        if lines:
            t = b.conversation(start - timedelta(minutes=r.randint(10, 60)), buyer, host, lines)
        paid_before = r.random() < 0.85
        amount = base * (1 + 0.08 * k) * r.uniform(0.85, 1.15)
        channel = r.choice(["remittance", "p2p_app", "gift_card", "crypto"] if risky else ["card", "wallet"])
        note = r.choice(NOTES) if r.random() < 0.3 else ""
        if paid_before:
            b.pay(min(t + timedelta(minutes=1), start - timedelta(minutes=r.randint(2, 25))), buyer, host,
                  amount, channel=channel, note=note)
        sid = b._id("show")
        end = start + timedelta(minutes=r.randint(10, 30))
        b.session(SessionTruth(sid, True, "offender_show", host, (buyer,), start, end),
                  visibility="one_to_one", paid=r.random() < 0.8)
        in_session = [r.choice(BENIGN_CHAT)]
        if chatty and r.random() < 0.6:
            in_session += [r.choice(DIRECT) for _ in range(r.randint(1, 3))]
        r.shuffle(in_session)
        b.conversation(start, buyer, host, in_session, step=(30, 240), session_id=sid)
        if not paid_before or r.random() < 0.3:
            b.pay(start + timedelta(seconds=r.randint(20, 300)), buyer, host, amount * 0.5,
                  channel=channel, session_id=sid)
        if r.random() < 0.05:
            b.emit(end + timedelta(hours=1), "user.report", {
                "report_id": b._id("rep"), "reporter_account": f"viewer{r.randrange(p.benign_viewers)}",
                "subject_account": host, "reason": "other"})
