"""Safe media intake: what the bytes are, and decoding them within limits.

Public interface (other rooms call these):

- ``sniff(data) -> MediaKind`` — the format from the leading bytes, never from a file name.
- ``load_image(data, *, limits=DEFAULT_LIMITS) -> PIL.Image.Image`` — EXIF-transposed, bomb-safe; raises
  ``firstlight.errors.Invalid`` (corrupt/truncated), ``TooLarge`` (over the limits) or ``Unsupported``
  (not an image Pillow can decode).
- ``iter_video_frames(path_or_bytes, *, every_seconds=0.0, limits=DEFAULT_LIMITS)`` — RGB frames via PyAV.
"""

from firstlight.media._image import load_image
from firstlight.media._limits import DEFAULT_LIMITS, MediaLimits
from firstlight.media._sniff import MediaKind, sniff
from firstlight.media._video import VideoFrame, VideoSource, iter_video_frames

__all__ = [
    "DEFAULT_LIMITS",
    "MediaKind",
    "MediaLimits",
    "VideoFrame",
    "VideoSource",
    "iter_video_frames",
    "load_image",
    "sniff",
]
