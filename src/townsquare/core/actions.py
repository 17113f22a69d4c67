"""Every change to the community's configuration: settings, guidelines, roles."""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from townsquare.accounts.models import Role, User
from townsquare.core import jobs, markdown, permissions
from townsquare.core.areas import AREAS
from townsquare.core.images import clean_image
from townsquare.core.models import AccessMode, Community, FailedJob, GuidelinesVersion
from townsquare.core.queries import get_community
from townsquare.moderation import audit

SETTINGS_FIELDS = {
    "name", "tagline", "access_mode", "public_areas", "newcomers_group", "newcomers_days",
    "meetup_trust_level",
}  # fmt: skip
MISSION_FIELDS = {"mission", "goals"}


def _audited(value: Any) -> Any:
    """A setting as the audit log keeps it: a related row by its id."""
    return value.pk if isinstance(value, models.Model) else value


@transaction.atomic
def update_community(
    actor: User | None, *, logo: UploadedFile | bool | None = None, **changes: Any
) -> Community:
    """Change community settings. ``logo=False`` removes the logo."""
    unknown = set(changes) - SETTINGS_FIELDS - MISSION_FIELDS
    if unknown:
        raise TypeError(f"Unknown community fields: {sorted(unknown)}")
    if actor is not None:
        if (set(changes) - MISSION_FIELDS or logo is not None) and not (
            permissions.may_change_settings(actor)
        ):
            raise PermissionDenied
        if set(changes) & MISSION_FIELDS and not permissions.may_edit_mission(actor):
            raise PermissionDenied
    community = Community.objects.select_for_update().get(pk=get_community().pk)
    if "access_mode" in changes and changes["access_mode"] not in AccessMode.values:
        raise ValidationError({"access_mode": _("Choose public, private or hybrid.")})
    if "public_areas" in changes:
        areas = list(dict.fromkeys(changes["public_areas"]))
        if unknown_areas := [a for a in areas if a not in AREAS]:
            raise ValidationError({"public_areas": _("Unknown area: %s") % unknown_areas[0]})
        changes["public_areas"] = areas
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        if not changes["name"]:
            raise ValidationError({"name": _("The community needs a name.")})
    if "newcomers_days" in changes and not 1 <= int(changes["newcomers_days"]) <= 365:
        raise ValidationError(
            {"newcomers_days": _("Choose between 1 and 365 days in the newcomers group.")}
        )
    if "meetup_trust_level" in changes and not 0 <= int(changes["meetup_trust_level"]) <= 4:
        raise ValidationError({"meetup_trust_level": _("Choose a trust level from 0 to 4.")})
    changed = sorted(k for k, v in changes.items() if getattr(community, k) != v)
    before = {field: _audited(getattr(community, field)) for field in changed}
    if logo is not None:
        before["logo"] = community.logo.name
    for field, value in changes.items():
        setattr(community, field, value)
    if "mission" in changes:
        community.mission_html = markdown.render(community.mission)
    if "goals" in changes:
        community.goals_html = markdown.render(community.goals)
    if logo is False:
        community.logo.delete(save=False)
        changed.append("logo")
    elif logo is not None:
        community.logo.save(
            "logo.webp",
            clean_image(logo, field="logo", max_bytes=settings.LOGO_MAX_BYTES),
            save=False,
        )
        changed.append("logo")
    community.full_clean()
    community.save()
    if changed:
        after = {field: _audited(getattr(community, field)) for field in before}
        if "logo" in after:
            after["logo"] = community.logo.name
        audit.record(
            actor, "community.updated", community, before=before, after=after, fields=changed
        )
    return community


@transaction.atomic
def publish_guidelines(
    actor: User | None, body: str, change_summary: str = ""
) -> GuidelinesVersion:
    """Publish a new version of the guidelines; members accept it on their next visit."""
    if actor is not None and not permissions.may_edit_mission(actor):
        raise PermissionDenied
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("The guidelines cannot be empty.")})
    latest = GuidelinesVersion.objects.select_for_update().aggregate(v=Max("version"))["v"]
    version = GuidelinesVersion(
        version=(latest or 0) + 1,
        body=body,
        body_html=markdown.render_with_anchors(body),
        change_summary=change_summary.strip(),
        published_by=actor,
    )
    version.full_clean()
    version.save()
    audit.record(
        actor,
        "guidelines.published",
        version,
        reason=version.change_summary,
        after={"version": version.version},
        version=version.version,
    )
    return version


@transaction.atomic
def assign_role(actor: User | None, member: User, role: str) -> User:
    """Give a member a role. The last active admin cannot be demoted."""
    if actor is not None and not permissions.may_assign_roles(actor):
        raise PermissionDenied
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    member = User.objects.select_for_update().get(pk=member.pk)
    previous = member.role
    if previous == role:
        return member
    if previous == Role.ADMIN:
        other_admins = User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=member.pk)
        if not other_admins.exists():
            raise ValidationError({"role": _("The community needs at least one administrator.")})
    member.role = role
    member.save(update_fields=["role"])
    audit.record(
        actor,
        "role.changed",
        member,
        before={"role": previous},
        after={"role": role},
        previous=previous,
        role=role,
    )
    return member


@transaction.atomic
def retry_failed_job(actor: User, failed_job: FailedJob) -> FailedJob:
    """Queue a failed job again with the same arguments (it runs once this commits).

    If it fails again, the same entry is updated (attempts add up) and shows as failed.
    """
    if not permissions.may_manage_jobs(actor):
        raise PermissionDenied
    failed_job = FailedJob.objects.select_for_update().get(pk=failed_job.pk)
    if failed_job.status not in (FailedJob.Status.FAILED, FailedJob.Status.DISMISSED):
        raise ValidationError(_("This job is already being retried or has succeeded."))
    before = {"status": failed_job.status}
    task_id = jobs.retry_failed_job(failed_job)
    audit.record(
        actor,
        "job.retried",
        failed_job,
        before=before,
        after={"status": failed_job.status},
        task=failed_job.task_name,
        task_id=task_id,
    )
    return failed_job


@transaction.atomic
def dismiss_failed_job(actor: User, failed_job: FailedJob) -> FailedJob:
    """Mark a failed job as seen and not to be retried."""
    if not permissions.may_manage_jobs(actor):
        raise PermissionDenied
    failed_job = FailedJob.objects.select_for_update().get(pk=failed_job.pk)
    if failed_job.status != FailedJob.Status.FAILED:
        raise ValidationError(_("Only a failed job can be dismissed."))
    failed_job.status = FailedJob.Status.DISMISSED
    failed_job.save(update_fields=["status"])
    audit.record(
        actor,
        "job.dismissed",
        failed_job,
        before={"status": FailedJob.Status.FAILED},
        after={"status": failed_job.status},
        task=failed_job.task_name,
    )
    return failed_job
