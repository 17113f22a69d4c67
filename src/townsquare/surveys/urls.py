from django.urls import path

from townsquare.surveys import views

app_name = "surveys"

urlpatterns = [
    path("surveys/nps/", views.nps, name="nps"),
    path("surveys/topics/<int:topic_id>/csat/", views.csat, name="csat"),
]
