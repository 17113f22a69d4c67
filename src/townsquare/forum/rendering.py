"""Post bodies to HTML, with mentions and hashtags resolved against the database."""

from django.db.models.functions import Lower

from townsquare.accounts.models import User
from townsquare.forum.cooking import Cooked, cook
from townsquare.forum.models import Tag


def _existing_handles(candidates: set[str]) -> dict[str, str]:
    handles = (
        User.objects.filter(is_active=True)
        .annotate(folded=Lower("handle"))
        .filter(folded__in=candidates)
        .values_list("handle", flat=True)
    )
    return {handle.casefold(): handle for handle in handles}


def _existing_tags(candidates: set[str]) -> set[str]:
    return set(Tag.objects.filter(name__in=candidates).values_list("name", flat=True))


def render_post(body: str) -> Cooked:
    """Cook a post body: at most one query for mentions and one for hashtags."""
    return cook(body, resolve_handles=_existing_handles, resolve_tags=_existing_tags)
