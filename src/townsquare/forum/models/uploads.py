import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


def upload_path(upload: "Upload", filename: str) -> str:
    # A random name: addresses cannot be guessed, and the member's file name stays in the row.
    now = timezone.now()
    return f"uploads/{now:%Y/%m}/{secrets.token_hex(12)}.{upload.extension}"


class Upload(models.Model):
    """An image or file a member attached to a post. Served only to those who may see a
    post that uses it (or to the uploader)."""

    IMAGE, FILE = "image", "file"

    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="uploads"
    )
    file = models.FileField(upload_to=upload_path, max_length=200)
    kind = models.CharField(max_length=5, choices=[(IMAGE, IMAGE), (FILE, FILE)])
    original_name = models.CharField(max_length=120)
    extension = models.CharField(max_length=10)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.original_name
