"""Links built from routes reversed once are exactly what reverse() gives."""

from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from townsquare.forum.links import url_for

slugs = st.text(
    alphabet=st.characters(blacklist_characters="/", blacklist_categories=("Cs",)), min_size=1
)


@settings(deadline=None)  # the first call loads the URL configuration
@given(slug=slugs, pk=st.integers(min_value=1, max_value=2**40))
def test_url_for_is_reverse(slug, pk):
    assert url_for("forum:topic", slug, pk) == reverse("forum:topic", args=[slug, pk])
    assert url_for("forum:category", slug) == reverse("forum:category", args=[slug])
    assert url_for("forum:post_link", pk, 7) == reverse("forum:post_link", args=[pk, 7])
    assert url_for("forum:edit", pk) == reverse("forum:edit", args=[pk])
