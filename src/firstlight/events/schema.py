"""The events a platform sends, as typed, validated records.

Every event arrives in one envelope: ``{"id", "type", "occurred_at", "payload"}``. ``id`` is the platform's
own event id and makes delivery idempotent: a retried event is acknowledged, not stored twice. Payloads are
validated per type; fields the platform adds beyond these are kept (``extra="allow"``) so newer platform
versions do not break older Firstlight versions, but known fields must have the right types.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, IPvAnyAddress

__all__ = [
    "EVENT_TYPES",
    "AccountPayload",
    "ChatMessagePayload",
    "EventEnvelope",
    "PaymentPayload",
    "StreamEndPayload",
    "StreamFramePayload",
    "StreamStartPayload",
    "UploadPayload",
    "UserReportPayload",
    "validate_payload",
]

Id = Annotated[str, Field(min_length=1, max_length=200)]
Surface = Literal["public", "private"]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class UploadPayload(_Payload):
    """A photo, video or file a user uploaded: the bytes (base64) or a URL, plus platform context."""

    content_id: Id
    account_id: Id
    surface: Surface = "public"
    media_url: str | None = Field(default=None, max_length=4096)
    media_base64: str | None = None
    media_type: str | None = Field(default=None, max_length=100)
    filename: str | None = Field(default=None, max_length=500)
    uploaded_at: AwareDatetime | None = None
    uploader_ip: IPvAnyAddress | None = None
    uploader_port: int | None = Field(default=None, ge=0, le=65535)


class StreamStartPayload(_Payload):
    """A livestream or private call begins (or is requested)."""

    stream_id: Id
    streamer_account: Id
    viewer_accounts: list[Id] = Field(default_factory=list, max_length=10000)
    visibility: Literal["public", "private", "one_to_one"] = "public"
    paid: bool = False
    countries: dict[str, Country] = Field(
        default_factory=dict, description="account id → country, where known"
    )
    stream_url: str | None = Field(default=None, max_length=4096)


class StreamFramePayload(_Payload):
    """A sampled frame (JPEG) or media segment of a live session, pushed by the platform."""

    stream_id: Id
    frame_base64: str | None = None
    frame_url: str | None = Field(default=None, max_length=4096)
    media_type: str | None = Field(default=None, max_length=100)
    offset_seconds: float | None = Field(default=None, ge=0)


class StreamEndPayload(_Payload):
    stream_id: Id
    reason: str | None = Field(default=None, max_length=500)


class ChatMessagePayload(_Payload):
    message_id: Id
    sender: Id
    recipients: list[Id] = Field(default_factory=list, max_length=10000)
    session_id: str | None = Field(default=None, max_length=200)
    text: str = Field(max_length=20000)
    sent_at: AwareDatetime | None = None
    surface: Surface = "private"


class PaymentPayload(_Payload):
    payment_id: Id
    payer: Id
    payee: Id
    amount: Decimal = Field(ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    channel: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=2000)
    payer_country: Country | None = None
    payee_country: Country | None = None
    paid_at: AwareDatetime | None = None
    session_id: str | None = Field(default=None, max_length=200, description="live session paid in")


class AccountPayload(_Payload):
    account_id: Id
    created_at: AwareDatetime | None = None
    username: str | None = Field(default=None, max_length=200)
    age_band: str | None = Field(default=None, max_length=20, description="e.g. '13-15', '18+'")
    age_assurance: str | None = Field(
        default=None, max_length=100, description="result of the platform's age check, if any"
    )
    country: Country | None = None


class UserReportPayload(_Payload):
    report_id: Id
    reporter_account: str | None = Field(default=None, max_length=200)
    subject_account: str | None = Field(default=None, max_length=200)
    content_id: str | None = Field(default=None, max_length=200)
    stream_id: str | None = Field(default=None, max_length=200)
    reason: str = Field(max_length=200)
    text: str | None = Field(default=None, max_length=20000)


EVENT_TYPES: dict[str, type[_Payload]] = {
    "upload": UploadPayload,
    "stream.start": StreamStartPayload,
    "stream.frame": StreamFramePayload,
    "stream.end": StreamEndPayload,
    "chat.message": ChatMessagePayload,
    "payment": PaymentPayload,
    "account": AccountPayload,
    "user.report": UserReportPayload,
}

EventType = Literal[
    "upload",
    "stream.start",
    "stream.frame",
    "stream.end",
    "chat.message",
    "payment",
    "account",
    "user.report",
]


class EventEnvelope(BaseModel):
    """What the platform POSTs to ``/v1/events``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Id = Field(description="The platform's event id; resending the same id is safe.")
    type: EventType
    occurred_at: datetime | None = Field(
        default=None, description="When it happened on the platform (timezone-aware)."
    )
    payload: dict[str, Any]


def validate_payload(event_type: str, payload: dict[str, Any]) -> _Payload:
    """Validate a payload for its type (raises ``pydantic.ValidationError``)."""
    return EVENT_TYPES[event_type].model_validate(payload)
