from django.urls import path

from townsquare.mentoring import views

app_name = "mentoring"

urlpatterns = [
    path("mentoring/", views.mentoring, name="home"),
    path("mentoring/ask/<str:handle>/", views.ask, name="ask"),
    path("mentoring/requests/<int:request_id>/<str:decision>/", views.answer, name="answer"),
    path("manage/mentoring/", views.overview, name="overview"),
]
