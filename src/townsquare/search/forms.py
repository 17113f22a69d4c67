from django import forms
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models import User
from townsquare.forum.models import Category
from townsquare.search.queries import MAX_QUERY_LENGTH, MAX_RESULTS

PER_PAGE = 20
MAX_PAGES = MAX_RESULTS // PER_PAGE
TAG_MAX_LENGTH = 40


def category_choices(categories: list[Category]) -> list[tuple[str, str]]:
    """Visible categories, each followed by its visible subcategories."""
    choices = [("", _("All categories"))]
    top = [c for c in categories if c.parent_id is None]
    children: dict[int, list[Category]] = {}
    for category in categories:
        if category.parent_id is not None:
            children.setdefault(category.parent_id, []).append(category)
    for parent in top:
        choices.append((parent.slug, parent.name))
        choices += [(child.slug, f"— {child.name}") for child in children.get(parent.pk, [])]
    return choices


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        # The browser stops at the limit; the server says so clearly when it is passed.
        widget=forms.TextInput(attrs={"type": "search", "maxlength": MAX_QUERY_LENGTH}),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=TAG_MAX_LENGTH)
    author = forms.CharField(
        label=_("Author"), required=False, max_length=60, help_text=_("A member's @handle.")
    )
    solved = forms.BooleanField(label=_("Only solved questions"), required=False)
    after = forms.DateField(
        label=_("Posted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    before = forms.DateField(
        label=_("Posted until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    order = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("relevance", _("Most relevant")), ("latest", _("Newest"))],
    )
    page = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGES,
        widget=forms.HiddenInput,
        error_messages={
            "invalid": _("That is not a page number."),
            "min_value": _("That is not a page number."),
            "max_value": _("Results are shown up to page %(limit_value)s."),
        },
    )

    def __init__(self, *args, categories: list[Category], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.categories = {category.slug: category for category in categories}
        self.fields["category"].choices = category_choices(categories)

    def clean_author(self) -> str:
        return self.cleaned_data["author"].strip().lstrip("@")

    def search_arguments(self) -> dict | None:
        """Keyword arguments for queries.search, or None when a filter names something that
        does not exist (an unknown author): nothing can match."""
        data = self.cleaned_data
        author = None
        if data["author"]:
            author = User.objects.filter(handle__iexact=data["author"], is_active=True).first()
            if author is None:
                return None
        return {
            "query": data["q"],
            "category": self.categories.get(data["category"]),
            "tag": data["tag"] or None,
            "author": author,
            "solved": True if data["solved"] else None,
            "after": data["after"],
            "before": data["before"],
            "order": data["order"] or "relevance",
            "limit": PER_PAGE,
            "offset": ((data["page"] or 1) - 1) * PER_PAGE,
        }
