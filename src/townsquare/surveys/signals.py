"""A member's deletion changes past months' NPS: their answers lose their member
(``on_delete=SET_NULL``) and each then counts, not only their latest of a month."""

from django.db.models.signals import pre_delete

from townsquare.accounts.models import User
from townsquare.surveys import actions


def _member_deleted(sender: type[User], instance: User, **kwargs: object) -> None:
    # Whatever deletes the member (privacy.delete_account, the admin, a shell): Django
    # sends this inside the deletion's transaction, before the answers are updated, so
    # the new stamps commit with the change.
    actions.stamp_member_months(instance)


def connect() -> None:
    pre_delete.connect(_member_deleted, sender=User, dispatch_uid="surveys.member_deleted")
