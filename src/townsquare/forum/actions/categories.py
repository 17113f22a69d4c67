"""Creating and changing categories (community managers and admins)."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.forum.models import Audience, Category, CategoryKind
from townsquare.groups.models import Group
from townsquare.moderation import audit

FIELDS = {
    "name", "slug", "description", "color", "position", "kind", "parent", "read_access",
    "topic_access", "reply_access",
}  # fmt: skip
GROUP_FIELDS = {"read_groups", "topic_groups", "reply_groups"}


def _check(actor: User | None) -> None:
    if actor is not None and not permissions.may_manage_categories(actor):
        raise PermissionDenied


def _validate(category: Category, groups: dict[str, list[Group]]) -> None:
    category.name = " ".join(category.name.split())
    if not category.name:
        raise ValidationError({"name": _("The category needs a name.")})
    category.slug = slugify(category.slug or category.name, allow_unicode=True)[:100]
    if not category.slug:
        raise ValidationError({"slug": _("Choose an address with letters or digits.")})
    if Category.objects.filter(slug=category.slug).exclude(pk=category.pk).exists():
        raise ValidationError({"slug": _("Another category already uses this address.")})
    parent = category.parent
    if parent is not None:
        if parent.parent_id is not None:
            raise ValidationError(
                {"parent": _("Subcategories cannot have subcategories of their own.")}
            )
        if category.pk and (parent.pk == category.pk or category.children.exists()):
            raise ValidationError(
                {"parent": _("A category with subcategories cannot become a subcategory.")}
            )
    if category.kind == CategoryKind.ANNOUNCEMENTS:
        category.topic_access = Audience.STAFF
    for access, field in (
        ("read_access", "read_groups"),
        ("topic_access", "topic_groups"),
        ("reply_access", "reply_groups"),
    ):
        if getattr(category, access) == Audience.GROUPS and not groups.get(field):
            raise ValidationError({field: _("Choose at least one group.")})
    category.full_clean(exclude=["parent"])


def _groups(changes: dict[str, Any]) -> dict[str, list[Group]]:
    return {field: list(changes.pop(field)) for field in GROUP_FIELDS if field in changes}


def _values(category: Category, fields: Iterable[str]) -> dict[str, Any]:
    """The fields as the audit log keeps them (ids for the parent and groups)."""
    values: dict[str, Any] = {}
    for field in sorted(fields):
        if field in GROUP_FIELDS:
            values[field] = sorted(g.pk for g in getattr(category, field).all())
        else:
            value = getattr(category, "parent_id" if field == "parent" else field)
            values[field] = value
    return values


def _save(
    actor: User | None,
    category: Category,
    groups: dict[str, list[Group]],
    verb: str,
    *,
    audited: bool,
    before: dict[str, Any] | None = None,
    changed: Iterable[str] = (),
) -> Category:
    category.save()
    for field, chosen in groups.items():
        getattr(category, field).set(chosen)
    permissions.forget_forum_access()
    if audited:
        audit.record(actor, verb, category, before=before, after=_values(category, changed) or None)
    else:
        activity.record(actor, verb, category)
    return category


@transaction.atomic
def create_category(
    actor: User | None, *, name: str, audited: bool = True, **fields: Any
) -> Category:
    """``audited=False``: a step of another action that leaves the audit entry itself (a
    group's category); the activity event is still written."""
    _check(actor)
    unknown = set(fields) - FIELDS - GROUP_FIELDS
    if unknown:
        raise TypeError(f"Unknown category fields: {sorted(unknown)}")
    groups = _groups(fields)
    category = Category(name=name, **fields)
    _validate(category, groups)
    return _save(actor, category, groups, "category.created", audited=audited)


@transaction.atomic
def update_category(
    actor: User | None, category: Category, *, audited: bool = True, **changes: Any
) -> Category:
    _check(actor)
    unknown = set(changes) - FIELDS - GROUP_FIELDS
    if unknown:
        raise TypeError(f"Unknown category fields: {sorted(unknown)}")
    category = Category.objects.select_for_update().get(pk=category.pk)
    changed = set(changes)
    before = _values(category, changed)
    groups = _groups(changes)
    for field in GROUP_FIELDS - set(groups):
        groups[field] = list(getattr(category, field).all())
    for field, value in changes.items():
        setattr(category, field, value)
    _validate(category, groups)
    return _save(
        actor, category, groups, "category.updated", audited=audited, before=before, changed=changed
    )


@transaction.atomic
def delete_category(actor: User | None, category: Category) -> None:
    """Only an empty category without subcategories can go; move its topics first."""
    _check(actor)
    if category.topics.exists() or category.children.exists():
        raise ValidationError(
            _("Move this category's topics and subcategories elsewhere before deleting it.")
        )
    audit.record(actor, "category.deleted", category, name=category.name)
    category.delete()
    permissions.forget_forum_access()


@transaction.atomic
def reorder_categories(actor: User | None, ordered: Iterable[Category]) -> None:
    _check(actor)
    ordered = list(ordered)
    for position, category in enumerate(ordered):
        Category.objects.filter(pk=category.pk).update(position=position)
    audit.record(actor, "category.reordered", None, after={"order": [c.pk for c in ordered]})
