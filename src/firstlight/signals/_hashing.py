"""Content in, signals out: the one function every room calls to hash media."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from firstlight.errors import Invalid, TooLarge
from firstlight.media import DEFAULT_LIMITS, MediaKind, MediaLimits, sniff
from firstlight.signals._pdq import (
    load_for_pdq,
    pdq_dihedral_from_image,
    pdq_from_image,
    pdq_from_image_fast,
)
from firstlight.signals._types import MD5, PDQ, SHA256, VIDEO_MD5, VIDEO_SHA256, VPDQ, Signal
from firstlight.signals._vpdq import vpdq_from_video, vpdq_to_signal_str

__all__ = ["hash_bytes", "hash_file"]


def hash_bytes(
    data: bytes,
    *,
    dihedral: bool = False,
    fast: bool = False,
    vpdq_seconds: float = 1.0,
    limits: MediaLimits = DEFAULT_LIMITS,
) -> list[Signal]:
    """Every signal Firstlight derives from one piece of content, chosen by what the bytes are.

    - Photos (JPEG, PNG, GIF, WebP, BMP, TIFF): ``pdq`` (EXIF orientation honoured), ``md5``, ``sha256``.
      With ``dihedral=True`` the 7 rotated/flipped PDQ variants follow the original, each with
      ``extra["dihedral"]`` naming the transform, so a rotated copy of a banked photo still matches.
    - Videos (MP4, MOV, WebM, MKV, MPEG-TS, FLV, AVI): ``video_md5``, ``video_sha256`` and ``vpdq``
      (one PDQ per ``vpdq_seconds``).
    - Anything else, including images Pillow cannot decode (HEIF, AVIF): ``md5`` and ``sha256`` only.

    ``fast=True`` hashes PDQ by the fast path (JPEG luma decode; ~1–2 bits of drift, several times faster).
    Corrupt or truncated media raises ``Invalid``; over-limit media raises ``TooLarge``.
    """
    kind = sniff(data)
    if kind.is_video:
        if len(data) > limits.max_video_bytes:
            raise TooLarge(f"video is {len(data)} bytes; the limit is {limits.max_video_bytes}")
        frames = vpdq_from_video(data, seconds_per_hash=vpdq_seconds, limits=limits)
        return [
            Signal(VIDEO_MD5, hashlib.md5(data).hexdigest()),
            Signal(VIDEO_SHA256, hashlib.sha256(data).hexdigest()),
            Signal(VPDQ, vpdq_to_signal_str(frames), None, {"frames": len(frames)}),
        ]
    signals = _photo_signals(data, kind, dihedral=dihedral, fast=fast, limits=limits)
    signals.append(Signal(MD5, hashlib.md5(data).hexdigest()))
    signals.append(Signal(SHA256, hashlib.sha256(data).hexdigest()))
    return signals


def _photo_signals(
    data: bytes, kind: MediaKind, *, dihedral: bool, fast: bool, limits: MediaLimits
) -> list[Signal]:
    if kind.pillow_format is None:
        if len(data) > max(limits.max_image_bytes, limits.max_video_bytes):
            raise TooLarge(f"file is {len(data)} bytes; over the limit")
        return []
    image = load_for_pdq(data, fast=fast, limits=limits)
    if not dihedral:
        pdq_hex, quality = pdq_from_image_fast(image) if fast else pdq_from_image(image)
        return [Signal(PDQ, pdq_hex, quality)]
    variants, quality = pdq_dihedral_from_image(image)
    signals = [Signal(PDQ, variants["original"], quality)]
    seen = {variants["original"]}
    for name, pdq_hex in variants.items():
        if pdq_hex not in seen:
            seen.add(pdq_hex)
            signals.append(Signal(PDQ, pdq_hex, quality, {"dihedral": name}))
    return signals


def hash_file(
    path: str | os.PathLike[str],
    *,
    dihedral: bool = False,
    fast: bool = False,
    vpdq_seconds: float = 1.0,
    limits: MediaLimits = DEFAULT_LIMITS,
) -> list[Signal]:
    """``hash_bytes`` for a file on disk; videos are decoded from the path rather than read into memory."""
    file = Path(path)
    try:
        size = file.stat().st_size
        with file.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise Invalid(f"cannot read {file}: {exc.strerror or exc}") from exc
    kind = sniff(head)
    if kind.is_video:
        if size > limits.max_video_bytes:
            raise TooLarge(f"video is {size} bytes; the limit is {limits.max_video_bytes}")
        md5, sha256 = hashlib.md5(), hashlib.sha256()
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                md5.update(chunk)
                sha256.update(chunk)
        frames = vpdq_from_video(file, seconds_per_hash=vpdq_seconds, limits=limits)
        return [
            Signal(VIDEO_MD5, md5.hexdigest()),
            Signal(VIDEO_SHA256, sha256.hexdigest()),
            Signal(VPDQ, vpdq_to_signal_str(frames), None, {"frames": len(frames)}),
        ]
    if size > max(limits.max_image_bytes, limits.max_video_bytes):
        raise TooLarge(f"file is {size} bytes; over the limit")
    return hash_bytes(file.read_bytes(), dihedral=dihedral, fast=fast, limits=limits)
