from django.urls import path

from townsquare.messaging import views

app_name = "messaging"

urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/new/", views.new_conversation, name="new"),
    path("messages/reports/", views.reports, name="reports"),
    path("messages/<int:conversation_id>/", views.conversation, name="conversation"),
    path("messages/<int:conversation_id>/reply/", views.reply, name="reply"),
    path("messages/<int:conversation_id>/leave/", views.leave, name="leave"),
    path(
        "messages/<int:conversation_id>/report/<int:message_id>/",
        views.report,
        name="report",
    ),
    path("messages/block/<str:handle>/", views.block, name="block"),
]
