"""Photos taken at a hand-over: accepted by what they are, not by what they are called.

An upload is opened with Pillow and fully decoded (a file that is not an image, or is truncated,
is refused whatever its name), bounded in bytes and in pixels (a small file may still decode into
a huge picture), and re-encoded without its metadata: EXIF (with the GPS position of the phone
that took it), comments and colour profiles are dropped. The orientation EXIF records is applied
first, so the stored picture stands the right way up. The cleaned bytes are stored through
Django's storage API by the service that records the hand-over.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .exceptions import PhotoError

# Formats kept as they are (re-encoded in the same format); anything else Pillow can read
# (HEIC is not among them without a plug-in) is refused.
FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
EXTENSIONS = {"JPEG": {"jpg", "jpeg"}, "PNG": {"png"}, "WEBP": {"webp"}}


def max_bytes() -> int:
    return int(getattr(settings, "LOGISTICS_PHOTO_MAX_BYTES", 8 * 1024 * 1024))


def max_pixels() -> int:
    return int(getattr(settings, "LOGISTICS_PHOTO_MAX_PIXELS", 40_000_000))


def max_count() -> int:
    return int(getattr(settings, "LOGISTICS_PHOTO_MAX_COUNT", 6))


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes
    extension: str
    content_type: str
    width: int
    height: int
    original_name: str

    @property
    def size(self) -> int:
        return len(self.content)


def _read(upload: IO[bytes], limit: int) -> bytes:
    upload.seek(0)
    data = upload.read(limit + 1)
    return data if isinstance(data, bytes) else bytes(data)


def photo_clean(upload: IO[bytes], *, name: str = "", position: int = 0) -> CleanPhoto:
    """The photo in ``upload``, checked and re-encoded without metadata; PhotoError otherwise.

    ``name`` is the uploaded file name (its extension must agree with the content), ``position``
    the photo's place in the request (0-based), named in the error."""
    label = name or _("photo %(number)d") % {"number": position + 1}
    limit = max_bytes()
    data = _read(upload, limit)
    if len(data) > limit:
        raise PhotoError(
            _("%(name)s is larger than %(size)d MB.")
            % {"name": label, "size": limit // (1024 * 1024)},
            code="photo_too_large",
        )
    if not data:
        raise PhotoError(_("%(name)s is empty.") % {"name": label}, code="photo_empty")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format or ""
            width, height = probe.size
            if image_format not in FORMATS:
                raise PhotoError(
                    _("%(name)s is not a JPEG, PNG or WebP image.") % {"name": label},
                    code="photo_not_image",
                )
            if width * height > max_pixels():
                raise PhotoError(
                    _("%(name)s has too many pixels (%(width)d x %(height)d).")
                    % {"name": label, "width": width, "height": height},
                    code="photo_too_large",
                )
            probe.load()  # decodes everything: a truncated or forged file fails here
            image = ImageOps.exif_transpose(probe)
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PhotoError(
            _("%(name)s is not an image this service can read (JPEG, PNG or WebP).")
            % {"name": label},
            code="photo_not_image",
        ) from None
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension and extension not in EXTENSIONS[image_format]:
        raise PhotoError(
            _("%(name)s is a %(format)s image: its name says .%(extension)s.")
            % {"name": label, "format": image_format, "extension": extension},
            code="photo_wrong_extension",
        )
    return CleanPhoto(
        content=_encode(image, image_format),
        extension=FORMATS[image_format][0],
        content_type=FORMATS[image_format][1],
        width=image.width,
        height=image.height,
        original_name=name[:200],
    )


def _encode(image: Image.Image, image_format: str) -> bytes:
    """``image`` re-encoded with no metadata: only the pixels are copied."""
    if image_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    bare = Image.new(image.mode, image.size)
    bare.paste(image)
    if image.mode == "P" and image.getpalette():
        bare.putpalette(image.getpalette() or [])
    out = io.BytesIO()
    options: dict[str, dict[str, Any]] = {
        "JPEG": {"quality": 88},
        "PNG": {"optimize": True},
        "WEBP": {"quality": 85},
    }
    bare.save(out, format=image_format, **options[image_format])
    return out.getvalue()


def photos_clean(uploads: list[tuple[IO[bytes], str]]) -> list[CleanPhoto]:
    """Every photo of a request checked before anything is stored: one bad photo refuses all."""
    if len(uploads) > max_count():
        raise PhotoError(
            _("At most %(count)d photos per hand-over.") % {"count": max_count()},
            code="too_many_photos",
        )
    return [
        photo_clean(upload, name=name, position=position)
        for position, (upload, name) in enumerate(uploads)
    ]
