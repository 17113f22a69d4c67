"""Checking the files members attach to posts, before anything is stored.

What a file is gets decided from its bytes, never from the browser's content type: images
(JPEG, PNG, GIF, WebP, recognised by Pillow) go through `core.images` and are stored as WebP;
other files must have an allowed extension AND the content that extension promises. The
content type stored is the one decided here.
"""

import hashlib
import io
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from townsquare.core.images import ALLOWED_FORMATS, process_image

IMAGE_MAX_SIDE = 2048  # px on the long side after re-encoding
# Names that promise an image: refused when the content is not one.
IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "jpe", "png", "gif", "webp"})
NAME_MAX_CHARS = 120


def _is_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-")


def _is_utf8_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_zip(data: bytes) -> bool:
    """A zip archive (what DOCX, XLSX, ODT... are): its signature and a readable directory."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return bool(archive.namelist())  # reads the directory only, decompresses nothing
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


@dataclass(frozen=True)
class FileType:
    content_type: str
    matches: Callable[[bytes], bool]  # does the content really look like this type?


# Every non-image file type members may attach, by lowercase extension.
FILE_TYPES: dict[str, FileType] = {
    "pdf": FileType("application/pdf", _is_pdf),
    "txt": FileType("text/plain; charset=utf-8", _is_utf8_text),
    "md": FileType("text/markdown; charset=utf-8", _is_utf8_text),
    "csv": FileType("text/csv; charset=utf-8", _is_utf8_text),
    "zip": FileType("application/zip", _is_zip),
    "docx": FileType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", _is_zip
    ),
    "xlsx": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _is_zip),
    "pptx": FileType(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", _is_zip
    ),
    "odt": FileType("application/vnd.oasis.opendocument.text", _is_zip),
    "ods": FileType("application/vnd.oasis.opendocument.spreadsheet", _is_zip),
    "odp": FileType("application/vnd.oasis.opendocument.presentation", _is_zip),
}


@dataclass(frozen=True)
class CheckedUpload:
    """An attachment that passed the checks, ready to store."""

    content: ContentFile  # what to store (images re-encoded); named "<sha256[:32]>.<extension>"
    kind: str  # "image" | "file"
    content_type: str
    extension: str  # without dot, lowercase: webp, pdf, ...
    original_name: str  # cleaned: basename only, no control/bidi chars, <= 120 chars, never empty
    size: int
    width: int | None
    height: int | None
    sha256: str  # of the stored content


def _megabytes(size: int) -> str:
    return f"{round(size / (1024 * 1024), 1):g}"


def _allowed_types() -> str:
    return _(
        "Attach an image (JPEG, PNG, GIF or WebP) of up to %(image_mb)s MB, or a PDF, text "
        "(TXT, MD, CSV), ZIP or office file (DOCX, XLSX, PPTX, ODT, ODS, ODP) of up to "
        "%(file_mb)s MB."
    ) % {
        "image_mb": _megabytes(settings.FORUM_IMAGE_MAX_BYTES),
        "file_mb": _megabytes(settings.FORUM_FILE_MAX_BYTES),
    }


def _refuse(*problems: str) -> ValidationError:
    return ValidationError({"file": [*problems, _allowed_types()]})


def clean_name(name: str) -> str:
    """The file's own name, safe to show: no folders, no control, bidi or zero-width
    characters, whitespace collapsed, no leading or trailing dots, at most 120 characters
    (keeping the extension). May be "" when nothing is left."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    kept = []
    for char in name:
        category = unicodedata.category(char)
        if category[0] == "Z" or char.isspace():  # tabs and newlines too
            kept.append(" ")
        elif category[0] != "C":  # Cc controls, Cf bidi and zero-width, Co, Cs, Cn
            kept.append(char)
    name = " ".join("".join(kept).split()).strip(". ")
    if len(name) > NAME_MAX_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: NAME_MAX_CHARS - len(extension) - 1].rstrip(". ") + "." + extension
        else:
            name = name[:NAME_MAX_CHARS].rstrip(". ")
    return name


def _is_image(upload: UploadedFile) -> bool:
    """Does Pillow recognise one of the allowed image formats? Reads the header only."""
    upload.seek(0)
    try:
        with Image.open(upload, formats=ALLOWED_FORMATS):
            return True
    except (UnidentifiedImageError, OSError, ValueError, EOFError, Image.DecompressionBombError):
        return False
    finally:
        upload.seek(0)


def _checked(
    data: bytes,
    kind: str,
    content_type: str,
    extension: str,
    name: str,
    size: tuple[int | None, int | None],
) -> CheckedUpload:
    sha256 = hashlib.sha256(data).hexdigest()
    return CheckedUpload(
        content=ContentFile(data, name=f"{sha256[:32]}.{extension}"),
        kind=kind,
        content_type=content_type,
        extension=extension,
        original_name=name or f"{kind}.{extension}",
        size=len(data),
        width=size[0],
        height=size[1],
        sha256=sha256,
    )


def check_upload(upload: UploadedFile) -> CheckedUpload:
    """Decide what an uploaded attachment is and whether it may be stored.

    Images are re-encoded to WebP (at most 2048 px, metadata dropped, animation kept) and
    limited to settings.FORUM_IMAGE_MAX_BYTES and settings.IMAGE_MAX_PIXELS; other files must be
    one of FILE_TYPES by extension and content, at most settings.FORUM_FILE_MAX_BYTES.
    Raises ValidationError({"file": ...}) otherwise.
    """
    if not upload.size:
        raise ValidationError({"file": _("The file is empty.")})
    name = clean_name(upload.name or "")
    extension = name.rpartition(".")[2].lower() if "." in name else ""

    if _is_image(upload):
        try:
            image = process_image(
                upload,
                field="file",
                max_bytes=settings.FORUM_IMAGE_MAX_BYTES,
                max_side=IMAGE_MAX_SIDE,
                keep_animation=True,
            )
        except ValidationError as error:
            raise _refuse(*error.message_dict["file"]) from error
        data = image.content.read()
        return _checked(data, "image", "image/webp", "webp", name, (image.width, image.height))

    if extension in IMAGE_EXTENSIONS:
        raise _refuse(_("This file is not an image we can read."))
    file_type = FILE_TYPES.get(extension)
    if file_type is None:
        raise _refuse(_("Files of this type cannot be attached."))
    if upload.size > settings.FORUM_FILE_MAX_BYTES:
        raise _refuse(
            _("The file is larger than %(mb)s MB.")
            % {"mb": _megabytes(settings.FORUM_FILE_MAX_BYTES)}
        )
    upload.seek(0)
    data = upload.read(settings.FORUM_FILE_MAX_BYTES + 1)
    if len(data) > settings.FORUM_FILE_MAX_BYTES:  # the size it claimed was wrong
        raise _refuse(
            _("The file is larger than %(mb)s MB.")
            % {"mb": _megabytes(settings.FORUM_FILE_MAX_BYTES)}
        )
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    if not file_type.matches(data):
        raise _refuse(
            _("This file is not what its name says (.%(extension)s).") % {"extension": extension}
        )
    return _checked(data, "file", file_type.content_type, extension, name, (None, None))
