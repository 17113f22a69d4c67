"""Staff page of trust levels (/moderation/trust/): the requirements and new members' limits,
how many members are at each level, and promoting or demoting a member by hand."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from townsquare.accounts.models import User
from townsquare.accounts.validators import normalize_handle
from townsquare.core import permissions
from townsquare.core.forms import apply_errors
from townsquare.moderation.actions import trust as actions
from townsquare.moderation.models import ModerationSettings
from townsquare.moderation.queries import moderation_settings
from townsquare.moderation.trust import LEVEL_NAMES, MAX_LEVEL, level_counts

SEARCH_RESULTS = 20
SETTINGS_GROUPS = [
    ("tl0_", gettext_lazy("Limits of new members (trust level 0)")),
    ("tl1_", gettext_lazy("Trust level 1 asks")),
    ("tl2_", gettext_lazy("Trust level 2 asks")),
    ("tl3_", gettext_lazy("Trust level 3 asks")),
]
LEVEL_CHOICES = [(level, f"{level} · {name}") for level, name in LEVEL_NAMES.items()]


class TrustSettingsForm(forms.ModelForm):
    class Meta:
        model = ModerationSettings
        fields = actions.TRUST_SETTINGS_FIELDS


class TrustLevelForm(forms.Form):
    level = forms.TypedChoiceField(label=gettext_lazy("Trust level"), coerce=int)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)
    lock = forms.BooleanField(
        label=gettext_lazy("Keep this level (no automatic promotion)"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = LEVEL_CHOICES


def _require(request: HttpRequest) -> None:
    permissions.require(permissions.may_manage_defences(request.user))


def _prefix(member: User) -> str:
    # One form per member found: their fields need ids of their own.
    return f"member-{member.pk}"


def _search(query: str) -> list[User]:
    handle = normalize_handle(query.strip().lstrip("@"))
    if not handle:
        return []
    return list(
        User.objects.filter(is_active=True, handle__istartswith=handle).order_by(Lower("handle"))[
            :SEARCH_RESULTS
        ]
    )


def _page(
    request: HttpRequest,
    *,
    settings_form: TrustSettingsForm | None = None,
    level_form: TrustLevelForm | None = None,
    level_member: User | None = None,
    status: int = 200,
) -> HttpResponse:
    query = request.GET.get("q", "")
    found = _search(query)
    if level_member is not None and level_member not in found:
        found.insert(0, level_member)
    rows = []
    for member in found:
        form = level_form if level_member is not None and member.pk == level_member.pk else None
        rows.append(
            (
                member,
                form
                or TrustLevelForm(
                    prefix=_prefix(member), initial={"level": member.trust_level, "lock": True}
                ),
            )
        )
    counts = level_counts()
    settings_form = settings_form or TrustSettingsForm(instance=moderation_settings())
    context = {
        "settings_form": settings_form,
        "settings_groups": [
            (title, [settings_form[name] for name in settings_form.fields if name.startswith(key)])
            for key, title in SETTINGS_GROUPS
        ],
        "counts": [(level, LEVEL_NAMES[level], counts[level]) for level in range(MAX_LEVEL + 1)],
        "query": query,
        "rows": rows,
    }
    return render(request, "moderation/trust.html", context, status=status)


@login_required
def trust_levels(request: HttpRequest) -> HttpResponse:
    _require(request)
    if request.method != "POST":
        return _page(request)
    form = TrustSettingsForm(request.POST, instance=moderation_settings())
    if form.is_valid():
        try:
            actions.update_trust_settings(request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The trust level settings are saved."))
            return redirect("moderation:trust")
    return _page(request, settings_form=form, status=400)


@login_required
@require_POST
def set_level(request: HttpRequest, member_id: int) -> HttpResponse:
    _require(request)
    member = get_object_or_404(User, pk=member_id, is_active=True)
    form = TrustLevelForm(request.POST, prefix=_prefix(member))
    if form.is_valid():
        try:
            actions.set_trust_level(
                request.user,
                member,
                form.cleaned_data["level"],
                reason=form.cleaned_data["reason"],
                lock=form.cleaned_data["lock"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("@%(handle)s is now at trust level %(level)d.")
                % {"handle": member.handle, "level": form.cleaned_data["level"]},
            )
            url = reverse("moderation:trust") + "?" + urlencode({"q": member.handle})
            return redirect(url)
    return _page(request, level_form=form, level_member=member, status=400)
