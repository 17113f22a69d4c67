"""Members export: the members a manager may see, as CSV rows in the import's columns, so
an exported file can be imported again. Cells a spreadsheet would run as a formula are
neutralised with a leading '."""

import csv
from collections.abc import Iterator

from django.db.models import Prefetch

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.core.models import Community
from townsquare.groups.models import GroupMembership
from townsquare.imports.checks import COLUMNS, GROUP_SEPARATOR
from townsquare.imports.csvfile import neutralize_formula

# Members read per query: memory stays flat however large the community.
CHUNK = 1000


class _Line:
    """A file-like sink that hands back the line csv.writer just wrote."""

    def write(self, value: str) -> str:
        return value


def export_rows(actor: User, community: Community) -> Iterator[str]:
    """The CSV text, line by line (for a streaming response)."""
    if not permissions.may_export_members(actor):
        return
    members = permissions.visible_members(actor, community)
    groups = permissions.visible_groups(actor, community)
    custom_columns = sorted(
        {
            key
            for fields in members.values_list("profile__custom_fields", flat=True).iterator()
            if isinstance(fields, dict)
            for key in fields
        }
    )
    writer = csv.writer(_Line())
    yield "\ufeff"  # so spreadsheets open the file as UTF-8
    yield writer.writerow([*COLUMNS, *custom_columns])
    last_pk = 0
    while True:
        chunk = list(
            members.filter(pk__gt=last_pk)
            .order_by("pk")
            .select_related("profile")
            .prefetch_related(
                Prefetch(
                    "group_memberships",
                    queryset=GroupMembership.objects.filter(group__in=groups)
                    .select_related("group")
                    .order_by("group__slug"),
                    to_attr="visible_memberships",
                )
            )[:CHUNK]
        )
        if not chunk:
            return
        for member in chunk:
            yield writer.writerow(
                [neutralize_formula(cell) for cell in _cells(member, custom_columns)]
            )
        last_pk = chunk[-1].pk


def _cells(member: User, custom_columns: list[str]) -> list[str]:
    profile = getattr(member, "profile", None)
    custom = (profile.custom_fields if profile else None) or {}
    return [
        member.display_name,
        member.email,
        member.handle,
        profile.company if profile else "",
        profile.job_title if profile else "",
        profile.location if profile else "",
        GROUP_SEPARATOR.join(m.group.slug for m in member.visible_memberships),
        profile.external_id if profile else "",
        *(str(custom.get(column, "")) for column in custom_columns),
    ]
