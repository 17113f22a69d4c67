"""Uploaded images: checked by content, not by name, and re-encoded so nothing else rides along."""

import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


def clean_image(
    upload: UploadedFile, *, field: str, max_bytes: int, max_side: int = 512
) -> ContentFile:
    """Validate an uploaded image and return it re-encoded as WebP, at most max_side wide."""
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(
            {field: _("The image is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)}}
        )
    try:
        with Image.open(upload) as image:
            if image.format not in ALLOWED_FORMATS:
                raise ValidationError({field: _("Upload a JPEG, PNG, GIF or WebP image.")})
            if image.width * image.height > settings.IMAGE_MAX_PIXELS:
                raise ValidationError({field: _("The image has too many pixels.")})
            image.thumbnail((max_side, max_side))
            out = io.BytesIO()
            image.convert("RGBA").save(out, format="WEBP", quality=85)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise ValidationError({field: _("This file is not an image we can read.")}) from error
    return ContentFile(out.getvalue(), name="image.webp")
