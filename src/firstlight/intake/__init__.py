"""Intake: upload events in, scanned through the whole pipeline.

Public interface:

- ``scan_upload(session, pipeline, *, event_id, payload, accepted_at) -> UploadScan`` — the upload
  pipeline (media check → hash + match → policy → evidence, case, actions, report task), idempotent per
  event; ``UploadPipeline.from_settings(settings)`` builds what it needs.
- ``check_media(data, *, max_bytes)`` — sniff and decode-check bytes (413 / 415 / 422 on bad input).
- ``fetch_url(url, limits)`` / ``check_url`` — SSRF-safe fetch (public addresses only unless allow-listed
  in ``Settings.fetch_allow_networks``; size, time and redirect limits; DNS pinned to the checked address).
- The ``upload`` event handler and the outbox/purge jobs live in ``firstlight.intake.handler``.
"""

from firstlight.intake.fetch import FetchedMedia, FetchLimits, check_url, fetch_url, is_address_allowed
from firstlight.intake.models import UploadScan
from firstlight.intake.pipeline import (
    MediaCheck,
    UploadPipeline,
    action_key,
    check_media,
    decode_base64,
    exif_of,
    scan_upload,
)

__all__ = [
    "FetchLimits",
    "FetchedMedia",
    "MediaCheck",
    "UploadPipeline",
    "UploadScan",
    "action_key",
    "check_media",
    "check_url",
    "decode_base64",
    "exif_of",
    "fetch_url",
    "is_address_allowed",
    "scan_upload",
]
