"""Site map images: what we accept (raster, by content) and where icons sit.

An uploaded file is trusted for nothing: its name and declared type are ignored, the
first bytes decide. SVG is refused on purpose: it is XML that may carry script, and a
floor plan does not need to be a vector.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}
ACCEPTED_TYPES = tuple(_EXTENSIONS)
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE_PX = 16384  # a bigger plan is a decompression bomb, not a floor plan


def max_bytes() -> int:
    return int(settings.UNMS.get("CONSOLE", {}).get("SITE_IMAGE_MAX_BYTES", DEFAULT_MAX_BYTES))


def extension_for(mime: str) -> str:
    return _EXTENSIONS.get(mime, ".bin")


@dataclass(frozen=True, slots=True)
class ImageInfo:
    mime: str
    width: int | None
    height: int | None


def sniff(head: bytes) -> ImageInfo | None:
    """The image type of `head` (the file's first bytes) and its size when the header
    tells it cheaply; None when it is not a PNG, JPEG or WebP."""
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        width, height = struct.unpack(">II", head[16:24])
        return ImageInfo("image/png", width, height)
    if head.startswith(b"\xff\xd8\xff"):
        return ImageInfo("image/jpeg", *_jpeg_size(head))
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ImageInfo("image/webp", *_webp_size(head))
    return None


def _jpeg_size(data: bytes) -> tuple[int | None, int | None]:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None, None
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        # SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None, None


def _webp_size(data: bytes) -> tuple[int | None, int | None]:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return width, height
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None, None


# Enough header for every format above, and for a JPEG's EXIF block before its SOF.
_HEAD_BYTES = 256 * 1024


def validate_image(upload: UploadedFile) -> ImageInfo:
    """Raise ValidationError unless `upload` is a PNG/JPEG/WebP within the size limits."""
    limit = max_bytes()
    if upload.size is None or upload.size > limit:
        raise ValidationError(f"The image is larger than {limit // (1024 * 1024)} MB.")
    upload.seek(0)
    head = upload.read(_HEAD_BYTES)
    upload.seek(0)
    info = sniff(head)
    if info is None:
        raise ValidationError("Only PNG, JPEG or WebP images are accepted (no SVG).")
    if (info.width or 0) > MAX_SIDE_PX or (info.height or 0) > MAX_SIDE_PX:
        raise ValidationError(f"The image is larger than {MAX_SIDE_PX} pixels on a side.")
    if not _ends_as_it_should(upload, info.mime, upload.size):
        # An image header with something appended (HTML, a ZIP, a script): a polyglot.
        raise ValidationError("The file is not a well-formed PNG, JPEG or WebP image.")
    return info


# Trailing bytes some tools leave after a JPEG's end-of-image marker (padding only).
_JPEG_PADDING = b"\x00\r\n \t"


def _ends_as_it_should(upload: UploadedFile, mime: str, size: int) -> bool:
    """The file ends where its format says: PNG with its IEND chunk, JPEG with its EOI
    marker, WebP at the length its RIFF header gives. The served type and nosniff keep a
    browser from running a polyglot anyway; this refuses the common kind outright."""
    tail_len = min(size, 64)
    upload.seek(size - tail_len)
    tail = upload.read(tail_len)
    upload.seek(0)
    if mime == "image/png":
        return tail.endswith(b"IEND\xae\x42\x60\x82")
    if mime == "image/jpeg":
        return tail.rstrip(_JPEG_PADDING).endswith(b"\xff\xd9")
    if mime == "image/webp":
        upload.seek(4)
        riff_size = int.from_bytes(upload.read(4), "little")
        upload.seek(0)
        return riff_size + 8 + (riff_size & 1) == size or riff_size + 8 == size
    return False


def clamp_fraction(value: object) -> float:
    """A coordinate from the browser as a fraction 0..1; ValueError if not a number."""
    number = float(value)  # type: ignore[arg-type]
    if number != number:  # NaN
        raise ValueError("not a number")
    return min(1.0, max(0.0, number))
