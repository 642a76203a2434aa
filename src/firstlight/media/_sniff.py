"""Content sniffing from bytes.

Why from bytes: a file name or a client-declared content type is whatever the uploader says it is. The decoder
we pick must follow what the bytes are, so a PNG renamed ``.mp4`` goes to Pillow, and an executable renamed
``.jpg`` is refused before any decoder sees it.
"""

from __future__ import annotations

import enum

__all__ = ["MediaKind", "sniff"]


class MediaKind(enum.StrEnum):
    """What a blob of bytes is, named by its MIME type (the value is what an API would report)."""

    JPEG = "image/jpeg"
    PNG = "image/png"
    GIF = "image/gif"
    WEBP = "image/webp"
    BMP = "image/bmp"
    TIFF = "image/tiff"
    HEIF = "image/heif"
    AVIF = "image/avif"
    MP4 = "video/mp4"
    QUICKTIME = "video/quicktime"
    WEBM = "video/webm"
    MATROSKA = "video/x-matroska"
    MPEG_TS = "video/mp2t"
    FLV = "video/x-flv"
    AVI = "video/x-msvideo"
    PDF = "application/pdf"
    UNKNOWN = "application/octet-stream"

    @property
    def is_image(self) -> bool:
        return self.value.startswith("image/")

    @property
    def is_video(self) -> bool:
        return self.value.startswith("video/")

    @property
    def pillow_format(self) -> str | None:
        """The Pillow plugin that decodes this kind, or None where Pillow cannot (HEIF, AVIF here)."""
        return _PILLOW_FORMATS.get(self)


_PILLOW_FORMATS = {
    MediaKind.JPEG: "JPEG",
    MediaKind.PNG: "PNG",
    MediaKind.GIF: "GIF",
    MediaKind.WEBP: "WEBP",
    MediaKind.BMP: "BMP",
    MediaKind.TIFF: "TIFF",
}

# ISO-BMFF major/compatible brands (bytes 8..12 of an ``ftyp`` box) that mean a still image, not a video.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_TS_PACKET = 188


def sniff(data: bytes) -> MediaKind:
    """Name the container format of ``data`` from its leading bytes (never from a file name).

    Only the first few kilobytes are read, so this is cheap on a large video.
    """
    head = bytes(data[:4096])
    if head.startswith(b"\xff\xd8\xff"):
        return MediaKind.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaKind.PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return MediaKind.GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return MediaKind.WEBP
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return MediaKind.AVI
    if head[:2] == b"BM" and len(head) >= 26:
        return MediaKind.BMP
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return MediaKind.TIFF
    if head[4:8] == b"ftyp":
        return _sniff_iso_bmff(head)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # EBML header: the DocType element says webm or matroska.
        return MediaKind.WEBM if b"webm" in head[:64] else MediaKind.MATROSKA
    if head.startswith(b"FLV\x01"):
        return MediaKind.FLV
    if _looks_like_mpeg_ts(data):
        return MediaKind.MPEG_TS
    if head.startswith(b"%PDF-"):
        return MediaKind.PDF
    return MediaKind.UNKNOWN


def _sniff_iso_bmff(head: bytes) -> MediaKind:
    box_size = int.from_bytes(head[0:4], "big")
    brands = {head[8:12]}
    end = min(max(box_size, 16), len(head))
    brands.update(head[i : i + 4] for i in range(16, end - 3, 4))
    if head[8:12] in _AVIF_BRANDS or (brands & _AVIF_BRANDS and not brands & _HEIF_BRANDS):
        return MediaKind.AVIF
    if head[8:12] in _HEIF_BRANDS:
        return MediaKind.HEIF
    if head[8:12] == b"qt  ":
        return MediaKind.QUICKTIME
    return MediaKind.MP4


def _looks_like_mpeg_ts(data: bytes) -> bool:
    """MPEG-TS has no magic number: a sync byte 0x47 every 188 bytes is the signature."""
    if len(data) < _TS_PACKET * 3:
        return len(data) >= _TS_PACKET and data[0] == 0x47 and len(data) % _TS_PACKET == 0
    return all(data[i * _TS_PACKET] == 0x47 for i in range(3))
