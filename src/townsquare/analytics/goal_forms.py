"""The form managers set a goal with (analytics.goal_actions validates it again)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models import Role, User
from townsquare.analytics import metrics
from townsquare.analytics.goal_actions import MAX_TARGET, NOTE_MAX
from townsquare.analytics.models import Direction, Goal


def _metric_choices() -> list[tuple[str, str]]:
    return [(metric.key, str(metric.label)) for metric in metrics.METRICS.values()]


_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class GoalForm(forms.Form):
    metric = forms.ChoiceField(label=_("Metric"), choices=_metric_choices)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Direction.choices, initial=Direction.AT_LEAST
    )
    target = forms.DecimalField(
        label=_("Target"), max_digits=14, decimal_places=2, max_value=MAX_TARGET,
        min_value=-MAX_TARGET,
    )  # fmt: skip
    start = forms.DateField(label=_("Start"), widget=_DATE)
    deadline = forms.DateField(label=_("Deadline"), widget=_DATE)
    owner = forms.ModelChoiceField(User.objects.none(), label=_("Owner"), to_field_name="handle")
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Owners answer for a goal: managers and admins only (someone else's handle is
        # refused as "not one of the choices").
        self.fields["owner"].queryset = User.objects.filter(
            role__in=[Role.MANAGER, Role.ADMIN], is_active=True
        ).order_by("handle")

    def clean(self) -> dict:
        data = super().clean()
        start, deadline = data.get("start"), data.get("deadline")
        if start and deadline and deadline <= start:
            self.add_error("deadline", _("The deadline must be after the start date."))
        return data

    @classmethod
    def initial_for(cls, goal: Goal) -> dict:
        return {
            "metric": goal.metric,
            "direction": goal.direction,
            "target": goal.target,
            "start": goal.start,
            "deadline": goal.deadline,
            "owner": goal.owner.handle if goal.owner else None,
            "note": goal.note,
        }
