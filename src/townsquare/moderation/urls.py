from django.urls import path

from townsquare.moderation.views import review

app_name = "moderation"

urlpatterns = [
    path("moderation/", review.queue, name="queue"),
    path("moderation/review/<int:item_id>/", review.item_detail, name="item"),
    path("moderation/flag/<str:kind>/<str:ref>/", review.flag_form, name="flag"),
]
