"""Forms for the forum's pages. They only parse input; the actions validate and decide."""

import secrets
import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models import TIMEZONE_CHOICES
from townsquare.forum.models import (
    Category,
    NotificationLevel,
    PinScope,
    Recurrence,
)
from townsquare.forum.models.categories import READ_AUDIENCES, WRITE_AUDIENCES
from townsquare.groups.models import Group


def new_client_token() -> str:
    return secrets.token_urlsafe(16)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Any number of files; each is checked by the upload action, not here."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(AttachmentsField, self).clean(item, initial) for item in files]


def _body_help() -> str:
    return _(
        "Markdown: **bold**, _italic_, `code`, lists, links, @mentions and #tags. "
        "At most %(max)d characters."
    ) % {"max": settings.FORUM_POST_MAX_LENGTH}


class ComposerMixin(forms.Form):
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 12}))
    attachments = AttachmentsField(
        label=_("Attach images or files"),
        required=False,
        help_text=_("Images (JPEG, PNG, GIF, WebP) up to 5 MB; PDF, text, CSV, ZIP and "
                    "office documents up to 10 MB."),
    )  # fmt: skip
    anonymous = forms.BooleanField(label=_("Post as “Anonymous”"), required=False)
    client_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, allow_anonymous: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = _body_help()
        self.fields["body"].widget.attrs["maxlength"] = settings.FORUM_POST_MAX_LENGTH
        if not allow_anonymous:
            del self.fields["anonymous"]
        if not self.is_bound:
            self.initial.setdefault("client_token", new_client_token())


class TopicForm(ComposerMixin):
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), empty_label=None
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=settings.FORUM_TITLE_MAX_LENGTH,
        help_text=_("A clear question or statement, %(min)d to %(max)d characters.")
        % {"min": settings.FORUM_TITLE_MIN_LENGTH, "max": settings.FORUM_TITLE_MAX_LENGTH},
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        help_text=_("Up to %(max)d, separated by commas or spaces.")
        % {"max": settings.FORUM_TAGS_PER_TOPIC},
    )

    field_order = ["category", "title", "body", "tags", "attachments", "anonymous"]

    def __init__(self, *args, categories=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if categories is not None:
            self.fields["category"].queryset = categories


class ReplyForm(ComposerMixin):
    reply_to = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class EditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=settings.FORUM_TITLE_MAX_LENGTH)
    tags = forms.CharField(label=_("Tags"), required=False)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 14}))
    reason = forms.CharField(
        label=_("Reason for the edit (optional)"), max_length=200, required=False
    )

    def __init__(self, *args, opening_post: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = _body_help()
        if not opening_post:
            del self.fields["title"]
            del self.fields["tags"]


def split_tags(value: str) -> list[str]:
    return [part for part in value.replace(",", " ").split() if part]


class PinForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("Pin"),
        choices=[(scope.value, scope.label) for scope in (PinScope.CATEGORY, PinScope.GLOBAL)],
    )
    until = forms.DateTimeField(
        label=_("Until (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class MoveForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Move to"), queryset=Category.objects.none())

    def __init__(self, *args, categories=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if categories is not None:
            self.fields["category"].queryset = categories


class SplitForm(MoveForm):
    title = forms.CharField(label=_("Title of the new topic"), max_length=200)
    posts = forms.TypedMultipleChoiceField(
        label=_("Replies to move"), coerce=int, widget=forms.CheckboxSelectMultiple
    )

    field_order = ["posts", "title", "category"]

    def __init__(self, *args, replies=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["posts"].choices = [(post.pk, f"#{post.number}") for post in replies]


class MergeForm(forms.Form):
    target = forms.CharField(
        label=_("Merge into"),
        help_text=_("The address or number of the topic that receives the posts."),
        max_length=300,
    )


class LevelForm(forms.Form):
    level = forms.TypedChoiceField(coerce=int, choices=NotificationLevel.choices)


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    slug = forms.CharField(
        label=_("Address"), max_length=100, required=False,
        help_text=_("Used in the category's link; made from the name when left empty."),
    )  # fmt: skip
    description = forms.CharField(
        label=_("Description"), max_length=1000, required=False, widget=forms.Textarea(
            attrs={"rows": 3}
        )
    )  # fmt: skip
    parent = forms.ModelChoiceField(
        label=_("Parent category"), queryset=Category.objects.none(), required=False
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Category._meta.get_field("kind").choices)
    color = forms.CharField(
        label=_("Colour"), max_length=7, widget=forms.TextInput(attrs={"type": "color"})
    )
    position = forms.IntegerField(label=_("Position"), initial=0)
    read_access = forms.ChoiceField(
        label=_("Who may read"), choices=[(a.value, a.label) for a in READ_AUDIENCES]
    )
    read_groups = forms.ModelMultipleChoiceField(
        label=_("Groups that may read"), queryset=Group.objects.all(), required=False
    )
    topic_access = forms.ChoiceField(
        label=_("Who may start topics"), choices=[(a.value, a.label) for a in WRITE_AUDIENCES]
    )
    topic_groups = forms.ModelMultipleChoiceField(
        label=_("Groups that may start topics"), queryset=Group.objects.all(), required=False
    )
    reply_access = forms.ChoiceField(
        label=_("Who may reply"), choices=[(a.value, a.label) for a in WRITE_AUDIENCES]
    )
    reply_groups = forms.ModelMultipleChoiceField(
        label=_("Groups that may reply"), queryset=Group.objects.all(), required=False
    )

    def __init__(self, *args, parents=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if parents is not None:
            self.fields["parent"].queryset = parents


class ScheduleForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), empty_label=None
    )
    title = forms.CharField(label=_("Title"), max_length=settings.FORUM_TITLE_MAX_LENGTH)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 10}))
    tags = forms.CharField(label=_("Tags"), required=False)
    host_name = forms.CharField(
        label=_("Shown as posted by (optional)"),
        max_length=120,
        required=False,
        help_text=_("A named host, e.g. “Jan Kowalski, CTO”. Leave empty to post as yourself."),
    )
    publish_at = forms.DateTimeField(
        label=_("Publish at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    timezone = forms.ChoiceField(label=_("Time zone"), choices=TIMEZONE_CHOICES)
    recurrence = forms.ChoiceField(label=_("Repeat"), choices=Recurrence.choices)

    def __init__(self, *args, categories=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if categories is not None:
            self.fields["category"].queryset = categories

    def clean(self):
        data = super().clean()
        # The date and time are read in the chosen zone, not the browser's.
        moment, zone = data.get("publish_at"), data.get("timezone")
        if moment is not None and zone:
            data["publish_at"] = moment.replace(tzinfo=None).replace(tzinfo=zoneinfo.ZoneInfo(zone))
        return data
