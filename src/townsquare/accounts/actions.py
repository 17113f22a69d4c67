"""Every change to members: registration, profile, preferences, guidelines, API tokens."""

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import (
    PROFILE_FIELDS,
    ApiToken,
    ExpertiseTag,
    FieldAudience,
    Follow,
    GuidelinesAcceptance,
    Profile,
    Role,
    User,
    hash_token,
)
from townsquare.accounts.validators import normalize_display_name, normalize_handle
from townsquare.core import activity, permissions
from townsquare.core.images import clean_image
from townsquare.core.models import GuidelinesVersion

MAX_EXPERTISE = 10
# A member seen again after this long starts a new visit; "last seen" is written at most
# this often.
VISIT_GAP = timedelta(hours=1)
SEEN_RESOLUTION = timedelta(minutes=1)


def handle_taken(handle: str, exclude: User | None = None) -> bool:
    others = User.objects.filter(handle__iexact=handle)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return others.exists()


def email_taken(email: str) -> bool:
    return User.objects.filter(email__iexact=email.strip()).exists()


@transaction.atomic
def register_member(
    *,
    email: str,
    handle: str,
    display_name: str,
    password: str | None,
    language: str = "en",
    timezone_name: str = "UTC",
    role: str = Role.MEMBER,
) -> User:
    """Create an account and its empty profile. Without a password the account cannot log
    in until one is set (demo members, imported members)."""
    user = User(
        email=User.objects.normalize_email(email.strip()),
        handle=normalize_handle(handle),
        display_name=normalize_display_name(display_name),
        language=language,
        timezone=timezone_name,
        role=role,
    )
    errors: dict[str, list[str]] = {}
    if email_taken(user.email):
        errors["email"] = [_("A member with this email address already exists.")]
    if handle_taken(user.handle):
        errors["handle"] = [_("This handle is taken; please choose another.")]
    if errors:
        raise ValidationError(errors)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:  # a concurrent sign-up took the email or handle
        raise ValidationError(_("This email address or handle was just taken.")) from error
    Profile.objects.create(user=user)
    activity.record(user, "member.signed_up", user, role=role)
    return user


@transaction.atomic
def accept_guidelines(user: User, version: GuidelinesVersion) -> None:
    if user.guidelines_version == version.version:
        return
    becomes_member = user.guidelines_version is None
    GuidelinesAcceptance.objects.get_or_create(user=user, version=version.version)
    user.guidelines_version = version.version
    user.save(update_fields=["guidelines_version"])
    activity.record(user, "guidelines.accepted", version, version=version.version)
    if becomes_member:
        from townsquare.groups.actions import welcome_member  # groups builds on accounts

        welcome_member(user)


@transaction.atomic
def touch_visit(member: User, *, at: datetime | None = None) -> None:
    """Note that a member is here. After a gap of over an hour a new visit starts, and the
    end of the one before becomes ``previous_visit_at``: the forum's "new since your last
    visit". ``at``: a past visit replayed in order (the demo's history, importers)."""
    now = at or timezone.now()
    last = member.last_seen_at
    if last is not None and now - last < SEEN_RESOLUTION:
        return
    changes = {"last_seen_at": now}
    if last is None or now - last >= VISIT_GAP:
        changes["previous_visit_at"] = last or member.date_joined
        activity.record(member, "member.visited", member, at=now)
    User.objects.filter(pk=member.pk).update(**changes)
    for field, value in changes.items():
        setattr(member, field, value)


@transaction.atomic
def update_account(
    actor: User, member: User, *, display_name: str, language: str, timezone_name: str
) -> User:
    if not permissions.may_edit_profile(actor, member):
        raise PermissionDenied
    member.display_name = normalize_display_name(display_name)
    member.language = language
    member.timezone = timezone_name
    member.full_clean(exclude=["password"])
    member.save(update_fields=["display_name", "language", "timezone"])
    activity.record(actor, "member.account_updated", member)
    return member


@transaction.atomic
def set_language(member: User, language: str) -> None:
    """Remember the interface language a member picked in the language switcher."""
    if language not in dict(User._meta.get_field("language").choices):
        raise ValidationError({"language": _("Unknown language.")})
    if member.language != language:
        member.language = language
        member.save(update_fields=["language"])
        activity.record(member, "member.language_changed", member, language=language)


def expertise_tags(names: Iterable[str]) -> list[ExpertiseTag]:
    """The tags of these names (trimmed, lower case), made when new; at most ten."""
    cleaned = list(dict.fromkeys(n.strip().lower()[:40] for n in names if n.strip()))
    if len(cleaned) > MAX_EXPERTISE:
        raise ValidationError(
            {"expertise": _("At most %(n)d areas of expertise.") % {"n": MAX_EXPERTISE}}
        )
    existing = {t.name: t for t in ExpertiseTag.objects.filter(name__in=cleaned)}
    missing = [ExpertiseTag(name=n) for n in cleaned if n not in existing]
    ExpertiseTag.objects.bulk_create(missing, ignore_conflicts=True)
    return list(ExpertiseTag.objects.filter(name__in=cleaned))


@transaction.atomic
def update_profile(
    actor: User,
    member: User,
    *,
    bio: str,
    company: str,
    job_title: str,
    location: str,
    expertise: Iterable[str],
    avatar: UploadedFile | bool | None = None,
    field_visibility: Mapping[str, str] | None = None,
) -> Profile:
    """Update a member's public profile. ``avatar=False`` removes the avatar;
    ``field_visibility`` ({field: FieldAudience}) changes who sees which field."""
    if not permissions.may_edit_profile(actor, member):
        raise PermissionDenied
    profile = Profile.objects.select_for_update().get(user=member)
    if field_visibility is not None:
        profile.field_visibility = _clean_visibility(profile.field_visibility, field_visibility)
    profile.bio, profile.company = bio.strip(), company.strip()
    profile.job_title, profile.location = job_title.strip(), location.strip()
    profile.full_clean(exclude=["avatar", "user"])
    tags = expertise_tags(expertise)
    if avatar is False:
        profile.avatar.delete(save=False)
    elif avatar is not None:
        profile.avatar.delete(save=False)
        profile.avatar.save(
            "avatar.webp",
            clean_image(avatar, field="avatar", max_bytes=settings.AVATAR_MAX_BYTES),
            save=False,
        )
    profile.save()
    profile.expertise.set(tags)
    activity.record(actor, "member.profile_updated", member)
    return profile


def _clean_visibility(current: dict, changes: Mapping[str, str]) -> dict:
    unknown = [field for field in changes if field not in PROFILE_FIELDS]
    if unknown:
        raise ValidationError(
            {"field_visibility": _("Unknown profile field: %(field)s.") % {"field": unknown[0]}}
        )
    wrong = [value for value in changes.values() if value not in FieldAudience.values]
    if wrong:
        raise ValidationError(
            {"field_visibility": _("Unknown audience: %(value)s.") % {"value": wrong[0]}}
        )
    return {**(current or {}), **changes}


@transaction.atomic
def set_field_visibility(actor: User, member: User, changes: Mapping[str, str]) -> Profile:
    """Change who sees some of a member's profile fields, leaving the rest as they are."""
    if not permissions.may_edit_profile(actor, member):
        raise PermissionDenied
    profile = Profile.objects.select_for_update().get(user=member)
    profile.field_visibility = _clean_visibility(profile.field_visibility, changes)
    profile.save(update_fields=["field_visibility", "updated_at"])
    activity.record(actor, "member.visibility_changed", member, fields=dict(changes))
    return profile


@transaction.atomic
def follow(actor: User, member: User) -> Follow:
    """Follow a member: hear about their new topics. Following twice is following once."""
    if actor.is_authenticated and actor.pk == member.pk:
        raise ValidationError(_("You cannot follow yourself."))
    if not permissions.may_follow(actor, member):
        raise PermissionDenied
    existing = Follow.objects.filter(follower=actor, followed=member).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            relation = Follow.objects.create(follower=actor, followed=member)
    except IntegrityError:  # a concurrent request followed first
        return Follow.objects.get(follower=actor, followed=member)
    activity.record(actor, "member.followed", member)
    return relation


@transaction.atomic
def unfollow(actor: User, member: User) -> None:
    """Stop following a member; unfollowing someone not followed changes nothing."""
    if not permissions.is_member(actor):
        raise PermissionDenied
    deleted, _rows = Follow.objects.filter(follower=actor, followed=member).delete()
    if deleted:
        activity.record(actor, "member.unfollowed", member)


@transaction.atomic
def create_api_token(actor: User, member: User, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token; the raw token is returned once and never stored."""
    if not permissions.may_edit_profile(actor, member):
        raise PermissionDenied
    name = name.strip()
    if not name or len(name) > 60:
        raise ValidationError({"name": _("Give the token a name of at most 60 characters.")})
    raw = ApiToken.PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=member, name=name, key_hash=hash_token(raw), hint=raw[:8])
    activity.record(actor, "apitoken.created", token)
    return token, raw


@transaction.atomic
def revoke_api_token(actor: User, token: ApiToken) -> None:
    if not permissions.may_edit_profile(actor, token.user):
        raise PermissionDenied
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        activity.record(actor, "apitoken.revoked", token)


@dataclass(frozen=True)
class NewMember:
    """One member to create from an import file, already checked (imports.checks)."""

    email: str
    handle: str
    display_name: str
    company: str = ""
    job_title: str = ""
    location: str = ""
    external_id: str = ""
    custom_fields: dict[str, str] = dataclass_field(default_factory=dict)


@transaction.atomic
def import_members(actor: User, new_members: Sequence[NewMember]) -> list[User]:
    """Create many accounts at once (a members import), with their profiles and verified
    email addresses: the manager vouches for the address, and the member proves it by
    following the invitation link sent there. The accounts have no password until the
    member sets one. Written in bulk, so thousands of rows take seconds, not minutes."""
    from allauth.account.models import EmailAddress

    if not permissions.may_import_members(actor):
        raise PermissionDenied
    users = [
        User(
            email=User.objects.normalize_email(new.email.strip()),
            handle=normalize_handle(new.handle),
            display_name=normalize_display_name(new.display_name),
        )
        for new in new_members
    ]
    emails = [u.email.lower() for u in users]
    handles = [u.handle.lower() for u in users]
    if len(set(emails)) != len(emails) or len(set(handles)) != len(handles):
        raise ValidationError(_("The same email address or handle is in the list twice."))
    taken = values_taken("email", emails) | values_taken("handle", handles)
    if taken:
        raise ValidationError(
            _("Already taken by a member: %(values)s.") % {"values": ", ".join(sorted(taken))}
        )
    for user in users:
        user.set_unusable_password()
        # Uniqueness was checked above for the whole list, in two queries.
        user.full_clean(exclude=["password"], validate_constraints=False)
    try:
        with transaction.atomic():
            User.objects.bulk_create(users, batch_size=500)
    except IntegrityError as error:  # someone signed up with one of them meanwhile
        raise ValidationError(_("An email address or handle was just taken.")) from error
    profiles = [
        Profile(
            user=user,
            company=new.company.strip(),
            job_title=new.job_title.strip(),
            location=new.location.strip(),
            external_id=new.external_id.strip(),
            custom_fields=dict(new.custom_fields),
        )
        for user, new in zip(users, new_members, strict=True)
    ]
    for profile in profiles:
        profile.full_clean(exclude=["avatar", "user", "expertise"], validate_unique=False)
    Profile.objects.bulk_create(profiles, batch_size=500)
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
        batch_size=500,
    )
    for user in users:
        activity.record(actor, "member.imported", user)
    return users


def values_taken(column: str, values: Sequence[str]) -> set[str]:
    """Which of these lower-cased emails or handles (``column``) a member already has; in
    chunks that stay under every database's limit on query parameters."""
    found: set[str] = set()
    for start in range(0, len(values), 900):
        chunk = values[start : start + 900]
        found.update(
            User.objects.annotate(key=Lower(column))
            .filter(key__in=chunk)
            .values_list("key", flat=True)
        )
    return found
