from django.urls import path

from townsquare.events.views import calendar_files, detail, editing, listing, meetups

app_name = "events"

urlpatterns = [
    path("events/", listing.event_list, name="list"),
    path("events/calendar/", listing.event_calendar_now, name="calendar_now"),
    path("events/calendar/<int:year>/<int:month>/", listing.event_calendar, name="calendar"),
    path("events/new/", editing.event_create, name="create"),
    path("events/propose/", meetups.event_propose, name="propose"),
    path("moderation/events/", meetups.proposal_queue, name="proposals"),
    path("moderation/events/<int:pk>/", meetups.proposal_decide, name="proposal_decide"),
    path("events/<int:pk>/", detail.event_detail, name="detail_short"),
    path("events/<int:pk>/edit/", editing.event_edit, name="edit"),
    path("events/<int:pk>/rsvp/", detail.event_rsvp, name="rsvp"),
    path("events/<int:pk>/publish/", editing.event_publish, name="publish"),
    path("events/<int:pk>/cancel/", editing.event_cancel, name="cancel"),
    path("events/<int:pk>/resources/", editing.event_resource, name="resource"),
    path("events/<int:pk>/attendees/", editing.event_attendees, name="attendees"),
    path("events/<int:pk>/feedback/", detail.event_feedback, name="feedback"),
    path("events/<int:pk>/<str:slug>/", detail.event_detail, name="detail"),
    path("events/<int:pk>.ics", calendar_files.event_ics, name="ics"),
    path("events/calendar/<slug:token>.ics", calendar_files.calendar_feed, name="calendar_feed"),
    path("settings/calendar/", calendar_files.calendar_settings, name="calendar_settings"),
    path("settings/calendar/reset/", calendar_files.calendar_reset, name="calendar_reset"),
]
