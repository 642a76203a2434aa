"""Tables of the compliance room: service profile versions and risk assessment records (OSA s.23).

Both are append-only. A row is never updated or deleted: a new profile or a new assessment is a new
version, and each row carries the SHA-256 of its content and of the version before it, so a changed or
removed record is detectable (``records.verify_records``). The ORM refuses updates and deletes outright.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from firstlight.errors import Conflict
from firstlight.store.db import Base, UTCDateTime

__all__ = ["AssessmentRow", "ProfileRow"]


class ProfileRow(Base):
    """One version of the service profile document (service facts, operator harm levels and statements)."""

    __tablename__ = "compliance_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    author: Mapped[str] = mapped_column(String(200), nullable=False)
    document: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class AssessmentRow(Base):
    """One immutable version of the illegal content risk assessment record."""

    __tablename__ = "compliance_assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    author: Mapped[str] = mapped_column(String(200), nullable=False)
    trigger: Mapped[str] = mapped_column(String(40), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    review_due: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    profile_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    catalogue_version: Mapped[str] = mapped_column(String(40), nullable=False)
    levels: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    body: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


def _refuse(action: str):  # type: ignore[no-untyped-def]
    def listener(mapper: Any, connection: Any, target: Any) -> None:
        raise Conflict(
            f"{target.__tablename__} rows are immutable records (OSA s.23): {action} refused; "
            "record a new version instead",
            code="immutable_record",
        )

    return listener


for _model in (ProfileRow, AssessmentRow):
    event.listen(_model, "before_update", _refuse("update"))
    event.listen(_model, "before_delete", _refuse("delete"))
