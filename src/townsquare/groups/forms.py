from django import forms
from django.utils.translation import gettext_lazy as _

from townsquare.forum.models import Audience
from townsquare.groups.actions import CATEGORY_AUDIENCES
from townsquare.groups.models import GroupKind, GroupRole, JoinPolicy


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    slug = forms.CharField(
        label=_("Address"),
        max_length=80,
        required=False,
        help_text=_("Used in the group's web address; made from the name when left empty."),
    )
    description = forms.CharField(
        label=_("Description"), max_length=2000, required=False, widget=forms.Textarea
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=GroupKind.choices)
    policy = forms.ChoiceField(
        label=_("Membership"),
        choices=[("", _("As usual for this kind")), *list(JoinPolicy.choices)],
        required=False,
        help_text=_(
            "Interest and product groups are open; chapters and early adopters join on "
            "request; committees and newcomers by invitation; advisory boards are secret."
        ),
    )
    location = forms.CharField(
        label=_("Location"),
        max_length=100,
        required=False,
        help_text=_("Needed for a local chapter."),
    )
    cover = forms.ImageField(label=_("Cover image"), required=False)
    remove_cover = forms.BooleanField(label=_("Remove the cover image"), required=False)


class JoinRequestForm(forms.Form):
    note = forms.CharField(
        label=_("A note for the owners (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InviteForm(forms.Form):
    who = forms.CharField(
        label=_("Handle or email address"),
        max_length=254,
        help_text=_("A member's @handle, or the email address of someone to invite."),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=GroupRole.choices)


AUDIENCE_LABELS = {
    Audience.GROUPS: _("This group only"),
    Audience.MEMBERS: _("All members"),
    Audience.EVERYONE: _("Everyone, visitors included"),
}


class CategoryAudienceForm(forms.Form):
    audience = forms.ChoiceField(
        label=_("Who may read the group's discussions"),
        choices=[(value, AUDIENCE_LABELS[value]) for value in CATEGORY_AUDIENCES],
    )
