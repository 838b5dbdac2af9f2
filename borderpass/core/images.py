"""Safe image intake: sniff the type, bound size and pixels, apply and strip EXIF.

Dimensions are read from the header before any pixel is decoded, so a
decompression bomb is refused cheaply; the image is then re-encoded, which drops
EXIF (GPS, device) and any trailing payload.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from borderpass.core.errors import FieldError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


@dataclass(frozen=True)
class SanitizedImage:
    """A re-encoded, metadata-free image and its facts."""

    data: bytes
    mime: str
    width: int
    height: int


def sniff_image_type(data: bytes) -> str | None:
    """The MIME type from the magic number: JPEG, PNG or WebP only."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _open_checked(data: bytes, max_bytes: int, max_pixels: int) -> tuple[Image.Image, str]:
    if not data:
        raise FieldError("image_empty", "file")
    if len(data) > max_bytes:
        raise FieldError("image_too_large", "file", max_mb=max_bytes // (1024 * 1024))
    mime = sniff_image_type(data)
    if mime is None:
        raise FieldError("image_type", "file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > max_pixels:
                raise FieldError("image_too_many_pixels", "file", max_pixels=max_pixels)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise FieldError("image_too_many_pixels", "file", max_pixels=max_pixels) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise FieldError("image_corrupt", "file") from exc
    return image, mime


def sanitize_image(
    data: bytes, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS
) -> SanitizedImage:
    """Validate and re-encode an upload; raise FieldError(field='file') when refused."""
    image, mime = _open_checked(data, max_bytes, max_pixels)
    image = ImageOps.exif_transpose(image) or image
    if mime == "image/jpeg" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    options = {"quality": 92} if mime in ("image/jpeg", "image/webp") else {}
    image.save(out, _FORMATS[mime], **options)
    return SanitizedImage(out.getvalue(), mime, image.width, image.height)


def decode_rgb(data: bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode an image (EXIF orientation applied) to an RGB uint8 array (h, w, 3)."""
    image, _ = _open_checked(data, max(len(data), 1), max_pixels)
    image = ImageOps.exif_transpose(image) or image
    return np.asarray(image.convert("RGB"))
