"""Safe image intake: type sniffing, refusals, bomb guard, EXIF orientation and stripping."""

from __future__ import annotations

import io
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from borderpass.adapters.images import decode_rgb, sanitize_image, sniff_image_type
from borderpass.core.errors import FieldError


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _photo(width: int = 60, height: int = 30) -> Image.Image:
    """Left half red, right half blue: orientation is visible in the pixels."""
    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    return image


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SecretCam"
    return exif.tobytes()


def _refused(data: bytes, **limits: int) -> str:
    with pytest.raises(FieldError) as info:
        sanitize_image(data, **limits)
    assert info.value.field == "file"
    return info.value.code


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width×height but carries almost no data."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize(("fmt", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png"),
                                           ("WEBP", "image/webp")])
def test_sniff_and_sanitize_each_type(fmt: str, mime: str) -> None:
    data = _encode(_photo(), fmt)
    assert sniff_image_type(data) == mime
    clean = sanitize_image(data)
    assert (clean.mime, clean.width, clean.height) == (mime, 60, 30)
    assert sniff_image_type(clean.data) == mime


@pytest.mark.parametrize("data", [b"GIF89a....", b"%PDF-1.7", b"<svg/>", b"\x00" * 32,
                                  b"BM" + b"\x00" * 60])
def test_other_types_are_refused(data: bytes) -> None:
    assert sniff_image_type(data) is None
    assert _refused(data) == "image_type"


def test_empty_file() -> None:
    assert _refused(b"") == "image_empty"


def test_text_file_is_not_an_image() -> None:
    assert _refused("姓名 艾喃\n".encode()) == "image_type"


def test_truncated_jpeg() -> None:
    data = _encode(Image.effect_noise((400, 300), 60).convert("RGB"), "JPEG", quality=90)
    assert _refused(data[: len(data) // 2]) == "image_corrupt"


def test_garbage_behind_a_jpeg_magic() -> None:
    assert _refused(b"\xff\xd8\xff\xe0" + b"\x13" * 500) == "image_corrupt"


def test_too_many_bytes() -> None:
    data = _encode(_photo(), "PNG")
    assert _refused(data, max_bytes=len(data) - 1) == "image_too_large"


def test_fifty_megapixels_refused_from_the_header_alone() -> None:
    data = _png_header_only(10_000, 5_000)
    assert len(data) < 200
    started = time.perf_counter()
    assert _refused(data) == "image_too_many_pixels"
    assert time.perf_counter() - started < 0.5  # nothing was decoded
    with pytest.raises(FieldError) as info:
        decode_rgb(data)
    assert info.value.code == "image_too_many_pixels"


def test_fifty_megapixel_jpeg_header() -> None:
    small = _encode(Image.new("RGB", (16, 16), "white"), "JPEG")
    sof = small.index(b"\xff\xc0")
    forged = small[: sof + 5] + struct.pack(">HH", 5_000, 10_000) + small[sof + 9:]
    assert _refused(forged) == "image_too_many_pixels"


def test_exif_orientation_applied_then_stripped() -> None:
    data = _encode(_photo(), "JPEG", exif=_exif(6), comment=b"secret comment",
                   xmp=b"<x:xmpmeta>secret</x:xmpmeta>")
    clean = sanitize_image(data)
    assert (clean.width, clean.height) == (30, 60)  # turned upright
    again = Image.open(io.BytesIO(clean.data))
    assert not again.getexif()
    assert "comment" not in again.info and "xmp" not in again.info
    assert b"secret" not in clean.data and b"SecretCam" not in clean.data
    top = np.asarray(again.convert("RGB"))[2, 15]
    assert top[0] > 200 and top[2] < 60  # orientation 6: the red left half is now on top


def test_png_text_chunks_are_dropped() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret")
    clean = sanitize_image(_encode(_photo(), "PNG", pnginfo=info, exif=_exif(1)))
    assert b"secret" not in clean.data and b"SecretCam" not in clean.data


def test_decode_rgb_shape_orientation_and_alpha() -> None:
    rgb = decode_rgb(_encode(_photo(), "JPEG", exif=_exif(6)))
    assert rgb.shape == (60, 30, 3) and rgb.dtype == np.uint8
    clear = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    assert decode_rgb(_encode(clear, "PNG"))[0, 0].tolist() == [255, 255, 255]
    grey = decode_rgb(_encode(Image.new("L", (5, 4), 128), "PNG"))
    assert grey.shape == (4, 5, 3)


def test_cmyk_jpeg_becomes_rgb() -> None:
    clean = sanitize_image(_encode(_photo().convert("CMYK"), "JPEG"))
    assert Image.open(io.BytesIO(clean.data)).mode == "RGB"
