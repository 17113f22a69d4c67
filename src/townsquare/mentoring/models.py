"""Mentor matching: members opt in as mentors or mentees with their areas of expertise;
mentees ask suggested mentors, and an accepted request pairs them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models import ExpertiseTag


class MentoringProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentoring"
    )
    is_mentor = models.BooleanField(_("I offer mentoring"), default=False)
    is_mentee = models.BooleanField(_("I am looking for a mentor"), default=False)
    # What a mentor knows or what a mentee wants to learn.
    areas = models.ManyToManyField(
        ExpertiseTag, blank=True, related_name="mentoring_profiles", verbose_name=_("areas")
    )
    about = models.TextField(_("a few words"), blank=True, max_length=1000)
    capacity = models.PositiveSmallIntegerField(_("mentees at a time"), default=2)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"mentoring of {self.user}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class MentorRequest(models.Model):
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentor_requests_sent"
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="mentor_requests_received",
    )
    note = models.TextField(_("note"), max_length=1000)
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Opened between the two when the mentor accepts.
    conversation = models.ForeignKey(
        "messaging.Conversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["mentee", "mentor"],
                condition=models.Q(status__in=["pending", "accepted"]),
                name="one_open_request_per_pair",
            ),
            models.CheckConstraint(
                condition=~models.Q(mentee=models.F("mentor")), name="no_self_mentoring"
            ),
        ]
        indexes = [models.Index(fields=["mentor", "status"])]

    def __str__(self) -> str:
        return f"{self.mentee} asks {self.mentor} ({self.status})"
