"""Uploaded images: checked by content, not by name, and re-encoded so nothing else rides along.

One pipeline for every image members upload: avatars and logos (`clean_image`, 512 px) and
forum attachments (`process_image` with a larger size and animation kept). Re-encoding to WebP
drops EXIF (GPS, camera serials), XMP, ICC profiles and anything appended to the file; the
EXIF orientation is applied first so photos stay upright.
"""

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

ALLOWED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
# An animation keeps every frame in memory while it is encoded: frames x width x height of the
# source is capped (32 Mi pixels: 128 frames at 512 x 512, about 128 MB while encoding).
ANIMATION_MAX_PIXELS = 32 * 1024 * 1024


@dataclass(frozen=True)
class ProcessedImage:
    """A re-encoded WebP image and what it is."""

    content: ContentFile
    width: int
    height: int
    frames: int  # 1 for a still image


def _reencode_still(image: Image.Image, max_side: int) -> tuple[bytes, tuple[int, int]]:
    image.thumbnail((max_side, max_side))  # before loading: JPEG decodes at a reduced size
    image = ImageOps.exif_transpose(image)
    image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=85)
    return out.getvalue(), image.size


def _reencode_animation(image: Image.Image, max_side: int) -> tuple[bytes, tuple[int, int]]:
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        still = frame.convert("RGBA")  # loads the frame, and with it (for WebP) its duration
        duration = int(frame.info.get("duration") or 0)
        durations.append(duration if duration > 10 else 100)  # as browsers show GIF frames
        still.thumbnail((max_side, max_side))
        frames.append(still)
    out = io.BytesIO()
    frames[0].save(
        out,
        format="WEBP",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=image.info.get("loop", 1),  # a GIF without a loop count plays once
        quality=85,
    )
    return out.getvalue(), frames[0].size


def process_image(
    upload: UploadedFile,
    *,
    field: str,
    max_bytes: int,
    max_side: int = 512,
    keep_animation: bool = False,
) -> ProcessedImage:
    """Validate an uploaded image and re-encode it as WebP, at most max_side on its long side.

    JPEG, PNG, GIF and WebP are accepted, decided by the content. With keep_animation, an
    animated GIF, PNG or WebP stays animated; otherwise its first frame is kept. Errors are
    ValidationError({field: message}).
    """
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(
            {field: _("The image is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)}}
        )
    upload.seek(0)
    try:
        with Image.open(upload, formats=ALLOWED_FORMATS) as image:
            if image.width * image.height > settings.IMAGE_MAX_PIXELS:
                raise ValidationError({field: _("The image has too many pixels.")})
            frames = getattr(image, "n_frames", 1) if keep_animation else 1
            if frames > 1:
                if frames * image.width * image.height > ANIMATION_MAX_PIXELS:
                    raise ValidationError(
                        {field: _("The animation has too many frames for its size.")}
                    )
                data, (width, height) = _reencode_animation(image, max_side)
            else:
                data, (width, height) = _reencode_still(image, max_side)
    except UnidentifiedImageError as error:
        raise ValidationError({field: _("Upload a JPEG, PNG, GIF or WebP image.")}) from error
    except Image.DecompressionBombError as error:
        raise ValidationError({field: _("The image has too many pixels.")}) from error
    except (OSError, ValueError, EOFError) as error:
        raise ValidationError({field: _("This file is not an image we can read.")}) from error
    return ProcessedImage(
        content=ContentFile(data, name="image.webp"), width=width, height=height, frames=frames
    )


def clean_image(
    upload: UploadedFile, *, field: str, max_bytes: int, max_side: int = 512
) -> ContentFile:
    """Validate an uploaded image and return it re-encoded as WebP, at most max_side wide."""
    return process_image(upload, field=field, max_bytes=max_bytes, max_side=max_side).content


COVER_MAX_SIDE = 1600


def replace_cover(field_file: FieldFile, cover: UploadedFile | bool | None) -> None:
    """A group's or an event's cover image: ``False`` removes it, an upload replaces it
    (checked and re-encoded), None leaves it. The model is saved by the caller."""
    if cover is False:
        field_file.delete(save=False)
    elif cover is not None:
        content = clean_image(
            cover, field="cover", max_bytes=settings.AVATAR_MAX_BYTES * 2, max_side=COVER_MAX_SIDE
        )
        field_file.delete(save=False)
        field_file.save("cover.webp", content, save=False)
