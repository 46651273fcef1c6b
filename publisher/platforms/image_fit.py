"""Fitting a picture into a platform's byte limit: re-encoded as JPEG at decreasing quality,
then scaled down step by step (never up), keeping its aspect ratio.

Bluesky takes a link card's thumbnail up to 1,000,000 bytes; a typical 1280×720 PNG (a
YouTube thumbnail) is larger. Pillow does the decoding, scaling and encoding.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image as Picture

log = logging.getLogger(__name__)

#: JPEG qualities tried at each size, best first.
QUALITIES = (90, 82, 74, 66, 58)
#: Each smaller size is at most this fraction of the one before (both sides); smaller still
#: when the bytes at the lowest quality show it must be.
SCALE_STEP = 0.8
#: Below this many pixels on the shorter side the picture is no use on a card.
MIN_SIDE = 64


@dataclass(frozen=True)
class Fitted:
    """The re-encoded picture and how it came out."""

    data: bytes
    width: int
    height: int
    quality: int
    mime: str = "image/jpeg"


def fit_jpeg(data: bytes, max_bytes: int) -> Fitted | None:
    """`data` (any format Pillow reads) as a JPEG of at most `max_bytes`: the full size at
    decreasing quality first, then ever smaller sizes with the same aspect ratio. None when
    the picture cannot be read or does not fit even at `MIN_SIDE` pixels."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            picture = _flattened(ImageOps.exif_transpose(opened))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError,
            SyntaxError) as exc:  # SyntaxError: how Pillow reports some corrupt files
        log.warning("the picture cannot be read (%s: %s)", type(exc).__name__, exc)
        return None
    width, height = picture.size
    scale = 1.0
    while True:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        if scale < 1.0 and min(size) < MIN_SIDE:
            return None
        frame = picture if scale == 1.0 else picture.resize(size, Image.Resampling.LANCZOS)
        lowest = _jpeg(frame, QUALITIES[-1])
        if len(lowest) <= max_bytes:  # this size can fit: the best quality that does
            for quality in QUALITIES[:-1]:
                encoded = _jpeg(frame, quality)
                if len(encoded) <= max_bytes:
                    return Fitted(encoded, size[0], size[1], quality)
            return Fitted(lowest, size[0], size[1], QUALITIES[-1])
        # Bytes grow with the area: aim straight at a size that may fit (a little under it),
        # at least one step smaller.
        scale *= min(SCALE_STEP, 0.95 * (max_bytes / len(lowest)) ** 0.5)


def _jpeg(picture: Picture, quality: int) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _flattened(picture: Picture) -> Picture:
    """RGB (or greyscale) for JPEG: transparency is laid on white, palettes expanded."""
    from PIL import Image

    if picture.mode in ("RGB", "L"):
        return picture
    rgba = picture.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat
