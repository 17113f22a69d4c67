from django.urls import path

from townsquare.onboarding import views

app_name = "onboarding"

urlpatterns = [
    path("manage/onboarding/", views.steps, name="steps"),
    path("manage/onboarding/new/", views.step_form, name="step_new"),
    path("manage/onboarding/<int:step_id>/", views.step_form, name="step_edit"),
    path("manage/onboarding/<int:step_id>/delete/", views.step_delete, name="step_delete"),
    path(
        "manage/onboarding/<int:step_id>/move/<str:direction>/",
        views.step_move,
        name="step_move",
    ),
    path("manage/onboarding/<int:step_id>/preview/", views.step_preview, name="step_preview"),
    path("manage/onboarding/<int:step_id>/test/", views.step_test, name="step_test"),
]
