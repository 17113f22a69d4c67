"""A members import: the uploaded file, kept between the dry run and the import, with the
report of its check and the result of the import."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    CHECKED = "checked", _("Checked, not imported")
    QUEUED = "queued", _("Waiting to run")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class MemberImport(models.Model):
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=255)
    # The uploaded bytes, exactly as sent; emptied once the import has run (they hold
    # personal data that the accounts now hold).
    content = models.BinaryField(editable=False)
    size = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    rows_bad = models.PositiveIntegerField(default=0)
    # What the dry run found, in the language of the manager who uploaded the file:
    # file_errors ["..."], row_errors [{"row": 3, "column": "email", "message": "..."}].
    file_errors = models.JSONField(default=list)
    row_errors = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default="checked")
    only_good_rows = models.BooleanField(default=False)
    # Where the invitation links point (the address the manager used).
    site_url = models.CharField(max_length=200, blank=True)
    imported_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"members import {self.pk} ({self.filename})"

    @property
    def rows_good(self) -> int:
        return self.rows_total - self.rows_bad

    @property
    def is_clean(self) -> bool:
        return not self.file_errors and not self.rows_bad
