from django.urls import path

from townsquare.moderation.views import trust

app_name = "moderation"

urlpatterns: list = [
    path("moderation/trust/", trust.trust_levels, name="trust"),
    path("moderation/trust/<int:member_id>/", trust.set_level, name="set_trust_level"),
]
