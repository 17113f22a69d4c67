"""The dashboard's and the API's filters: a period of UTC days, a group, a category."""

from datetime import UTC, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.analytics.models import AnalyticsSettings
from townsquare.analytics.periods import DEFAULT_DAYS, Period
from townsquare.core import permissions
from townsquare.core.models import Community
from townsquare.forum.models import Category

#: The longest period one request may ask for (about five years), so one request's work
#: stays bounded.
MAX_DAYS = 1830


class FilterForm(forms.Form):
    """Every field is optional: an empty form means the last 30 days, whole community.

    The date fields are called "from" and "to", as in the API's query string, which are
    not Python names, so they are added in ``__init__``.
    """

    def __init__(self, data, *, user, community: Community, initial: dict | None = None) -> None:
        super().__init__(data, initial=initial)
        date = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["from"] = forms.DateField(label=_("From"), required=False, widget=date)
        self.fields["to"] = forms.DateField(label=_("To"), required=False, widget=date)
        self.fields["group"] = forms.ModelChoiceField(
            permissions.visible_groups(user, community).order_by("name"),
            to_field_name="slug",
            required=False,
            label=_("Group"),
            empty_label=_("All groups"),
        )
        self.fields["category"] = forms.ModelChoiceField(
            permissions.visible_categories(user, community).order_by("position", "name"),
            required=False,
            label=_("Category"),
            empty_label=_("All categories"),
        )

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        today = timezone.now().astimezone(UTC).date()
        end = data.get("to") or today
        start = data.get("from") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise ValidationError({"from": _("The start date must not be after the end date.")})
        if (end - start).days >= MAX_DAYS:
            raise ValidationError(
                {"from": _("A period may be at most %(days)d days long.") % {"days": MAX_DAYS}}
            )
        data["period"] = Period(start, end)
        return data

    @property
    def period(self) -> Period:
        return self.cleaned_data["period"]

    def categories(self) -> list[int] | None:
        """The categories the filter covers, or None for the whole community. A group
        stands for the categories it may read or start topics in (as they are set now)."""
        group, category = self.cleaned_data.get("group"), self.cleaned_data.get("category")
        if group is None and category is None:
            return None
        chosen = Category.objects.all()
        if group is not None:
            chosen = chosen.filter(Q(read_groups=group) | Q(topic_groups=group))
        if category is not None:
            chosen = chosen.filter(pk=category.pk)
        return sorted(set(chosen.values_list("pk", flat=True)))


class CrmFileForm(forms.Form):
    """A CRM export to check (analytics.crm reads it)."""

    file = forms.FileField(
        label=_("CSV file"),
        allow_empty_file=True,  # the check says "The file is empty", with the others
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):  # type: ignore[no-untyped-def]
        from townsquare.analytics.crm import MAX_BYTES

        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; at most %(max)s can be imported at once. Split it.")
                % {"size": filesizeformat(upload.size), "max": filesizeformat(MAX_BYTES)}
            )
        return upload


class AnalyticsSettingsForm(forms.ModelForm):
    """The analytics settings page; saved by analytics.actions.change_settings, never by
    ``form.save()``."""

    class Meta:
        model = AnalyticsSettings
        fields = ["inactive_after_days", "cost_per_ticket", "currency"]

    def clean_currency(self) -> str:
        # "eur" means EUR; the model's validator then checks three letters A–Z.
        return (self.cleaned_data.get("currency") or "").strip().upper()
