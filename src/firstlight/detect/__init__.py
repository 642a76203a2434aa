"""Detection: session risk before and during a stream (payments, accounts, chat) and frame classifiers.

Session risk, for the livestream room::

    from firstlight.detect import session_prior, update_session_risk, InStreamSignal

    risk = session_prior(db_session, stream_id="s1", streamer_account="a", viewer_accounts=["b"],
                         private=True, paid=True, countries={"b": "GB"}, at=now)
    risk.tier_hint          # "T0" | "T1" | "T2": start the stream at this tier
    risk.contributions      # [Contribution(feature, weight, value, population_level, explanation)]

    update_session_risk(db_session, stream_id="s1", at=later,
                        signals=[InStreamSignal("frame.classifier", 0.7, explanation="model x")])

``session_prior`` stores the session so later updates decay from it; chat messages and payments that carry
the session id update it automatically through the event handlers. ``tier_hint`` never rises above T1 on
population-level features (country corridor, payment channel) alone, and session risk never asks for more
than T2 (review): automated action needs a hard in-stream rule.

For the cases room: ``on_account_confirmed(db_session, account_id)`` after a reviewer confirms CSEA;
it marks the account and returns the accounts linked to it by payments, with their raised risk.

Frame classifiers (livestream room): ``FrameClassifier``, ``FrameScore`` and friends from ``frames``.
"""

from firstlight.detect._types import (
    AccountFacts,
    ChatFacts,
    Contribution,
    InStreamSignal,
    PaymentFacts,
    RiskScore,
)
from firstlight.detect.config import FEATURES, RiskConfig, get_risk_config, load_risk_config
from firstlight.detect.frames import (
    FrameClassifier,
    FrameScore,
    OnnxImageClassifier,
    available_frame_classifiers,
    load_frame_classifiers,
    register_frame_classifier,
)
from firstlight.detect.prior import (
    LinkedAccount,
    NetworkExpansion,
    account_risk,
    end_session_risk,
    get_session_risk,
    on_account_confirmed,
    session_prior,
    update_session_risk,
)
from firstlight.detect.termlists import ChatScorer, TermList, TermListClassifier, load_term_lists

__all__ = [
    "FEATURES",
    "AccountFacts",
    "ChatFacts",
    "ChatScorer",
    "Contribution",
    "FrameClassifier",
    "FrameScore",
    "InStreamSignal",
    "LinkedAccount",
    "NetworkExpansion",
    "OnnxImageClassifier",
    "PaymentFacts",
    "RiskConfig",
    "RiskScore",
    "TermList",
    "TermListClassifier",
    "account_risk",
    "available_frame_classifiers",
    "end_session_risk",
    "get_risk_config",
    "get_session_risk",
    "load_frame_classifiers",
    "load_risk_config",
    "load_term_lists",
    "on_account_confirmed",
    "register_frame_classifier",
    "session_prior",
    "update_session_risk",
]
