"""Storing members' attachments and linking them from what they write."""

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.forum.models import Upload
from townsquare.forum.uploads import CheckedUpload, check_upload


def _store(actor: User, checked: CheckedUpload) -> Upload:
    # The same file again from the same member: the copy already kept.
    existing = Upload.objects.filter(uploader=actor, sha256=checked.sha256).first()
    if existing is not None:
        return existing
    stored = Upload(
        uploader=actor,
        kind=checked.kind,
        original_name=checked.original_name,
        extension=checked.extension,
        content_type=checked.content_type,
        size=checked.size,
        width=checked.width,
        height=checked.height,
        sha256=checked.sha256,
    )
    stored.file.save(f"upload.{checked.extension}", checked.content, save=False)
    stored.save()
    activity.record(actor, "upload.created", stored, kind=stored.kind, size=stored.size)
    return stored


@transaction.atomic
def store_upload(actor: User, upload: UploadedFile) -> Upload:
    """Check an uploaded file (its type by content, its size) and keep it."""
    permissions.refuse_if_silenced(actor)
    if not permissions.may_upload(actor):
        raise PermissionDenied
    return _store(actor, check_upload(upload))


def upload_markdown(upload: Upload) -> str:
    """How a post links an attachment: images are shown, other files are links."""
    name = "".join(f"\\{c}" if c in "[]\\()*_`<>!" else c for c in upload.original_name)
    url = upload.file.url
    return f"![{name}]({url})" if upload.kind == Upload.IMAGE else f"[{name}]({url})"


@transaction.atomic
def attach_uploads(actor: User, body: str, files: Sequence[UploadedFile]) -> str:
    """Store the files of a composer form and return the text with a link to each. Every
    file is checked before any is kept, so a bad one leaves nothing half-done."""
    if not files:
        return body
    permissions.refuse_if_silenced(actor)
    if not permissions.may_upload(actor):
        raise PermissionDenied
    checked = [check_upload(file) for file in files]
    links = [upload_markdown(_store(actor, item)) for item in checked]
    return (body.rstrip() + "\n\n" + "\n".join(links)).lstrip()
