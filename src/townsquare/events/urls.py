from django.urls import path

from townsquare.events import views

app_name = "events"

urlpatterns = [
    path("events/", views.event_list, name="list"),
    path("events/calendar/", views.event_calendar_now, name="calendar_now"),
    path("events/calendar/<int:year>/<int:month>/", views.event_calendar, name="calendar"),
    path("events/new/", views.event_create, name="create"),
    path("events/propose/", views.event_propose, name="propose"),
    path("moderation/events/", views.proposal_queue, name="proposals"),
    path("moderation/events/<int:pk>/", views.proposal_decide, name="proposal_decide"),
    path("events/<int:pk>/", views.event_detail, name="detail_short"),
    path("events/<int:pk>/edit/", views.event_edit, name="edit"),
    path("events/<int:pk>/rsvp/", views.event_rsvp, name="rsvp"),
    path("events/<int:pk>/publish/", views.event_publish, name="publish"),
    path("events/<int:pk>/cancel/", views.event_cancel, name="cancel"),
    path("events/<int:pk>/resources/", views.event_resource, name="resource"),
    path("events/<int:pk>/attendees/", views.event_attendees, name="attendees"),
    path("events/<int:pk>/feedback/", views.event_feedback, name="feedback"),
    path("events/<int:pk>/<str:slug>/", views.event_detail, name="detail"),
    path("events/<int:pk>.ics", views.event_ics, name="ics"),
    path("events/calendar/<slug:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("settings/calendar/", views.calendar_settings, name="calendar_settings"),
    path("settings/calendar/reset/", views.calendar_reset, name="calendar_reset"),
]
