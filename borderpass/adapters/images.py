"""Safe image intake: sniff the type, bound size and pixels, apply and strip EXIF.

Used by document upload and OCR. Dimensions are read from the header before any pixel
is decoded, so a decompression bomb is refused cheaply; the image is then re-encoded
from its pixels alone, which drops EXIF (GPS, device), XMP, ICC, comments and any
trailing payload. Refusals are ``FieldError(code, field="file")`` with the codes in
:data:`ERROR_CODES`.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from borderpass.core.errors import FieldError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
ERROR_CODES = ("image_empty", "image_type", "image_corrupt", "image_too_large",
               "image_too_many_pixels")
# What Pillow raises on a damaged file or damaged metadata.
_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
                  struct.error, IndexError, KeyError, TypeError, ZeroDivisionError)


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
    """Open and fully decode ``data`` after checking size, type and header dimensions."""
    if not data:
        raise FieldError("image_empty", "file")
    if len(data) > max_bytes:
        raise FieldError("image_too_large", "file", max_mb=max_bytes / (1024 * 1024))
    mime = sniff_image_type(data)
    if mime is None:
        raise FieldError("image_type", "file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[_FORMATS[mime]])  # header only
            width, height = image.size
            if width * height > max_pixels:
                raise FieldError("image_too_many_pixels", "file", max_pixels=max_pixels)
            if width < 1 or height < 1:
                raise FieldError("image_corrupt", "file")
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise FieldError("image_too_many_pixels", "file", max_pixels=max_pixels) from exc
    except _DECODE_ERRORS as exc:
        raise FieldError("image_corrupt", "file") from exc
    return image, mime


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a damaged EXIF block is ignored, not fatal."""
    try:
        return ImageOps.exif_transpose(image) or image
    except _DECODE_ERRORS:
        return image


def _pixels_only(image: Image.Image, mime: str) -> Image.Image:
    """A copy holding nothing but pixels, in a mode the output format can store."""
    if mime == "image/jpeg" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif mime == "image/webp" and image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    clean = image.copy()
    clean.info = {}
    return clean


def _has_alpha(image: Image.Image) -> bool:
    """Whether the image carries transparency."""
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def sanitize_image(
    data: bytes, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS
) -> SanitizedImage:
    """Validate an upload and re-encode it upright without metadata; FieldError when refused."""
    image, mime = _open_checked(data, max_bytes, max_pixels)
    clean = _pixels_only(_upright(image), mime)
    out = io.BytesIO()
    options: dict[str, object] = {"exif": b""}
    if mime in ("image/jpeg", "image/webp"):
        options["quality"] = 92
    try:
        clean.save(out, _FORMATS[mime], **options)
    except _DECODE_ERRORS as exc:
        raise FieldError("image_corrupt", "file") from exc
    return SanitizedImage(out.getvalue(), mime, clean.width, clean.height)


def decode_rgb(data: bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode an image (EXIF orientation applied, transparency on white) to RGB uint8 (h, w, 3)."""
    image, _ = _open_checked(data, max(len(data), 1), max_pixels)
    image = _upright(image)
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.asarray(image.convert("RGB"))
