from django.db.models import Q, QuerySet

from townsquare.accounts.models import User


def directory(members: QuerySet[User], search: str = "") -> QuerySet[User]:
    """Members for a list page: their profiles and expertise in a fixed number of queries."""
    if search:
        members = members.filter(
            Q(handle__icontains=search)
            | Q(display_name__icontains=search)
            | Q(profile__company__icontains=search)
            | Q(profile__location__icontains=search)
            | Q(profile__expertise__name__iexact=search)
        ).distinct()
    return (
        members.select_related("profile")
        .prefetch_related("profile__expertise")
        .order_by("-date_joined", "-id")
    )
