from django.urls import path

from townsquare.groups import views

app_name = "groups"

urlpatterns = [
    path("groups/", views.group_list, name="list"),
    path("groups/new/", views.group_create, name="create"),
    path("g/<str:slug>/", views.group_detail, name="detail"),
    path("g/<str:slug>/edit/", views.group_edit, name="edit"),
    path("g/<str:slug>/join/", views.group_join, name="join"),
    path("g/<str:slug>/request/", views.group_request, name="request"),
    path("g/<str:slug>/request/withdraw/", views.group_withdraw, name="withdraw"),
    path("g/<str:slug>/leave/", views.group_leave, name="leave"),
    path("g/<str:slug>/requests/<int:request_id>/", views.group_decide, name="decide"),
    path("g/<str:slug>/invite/", views.group_invite, name="invite"),
    path(
        "g/<str:slug>/invitations/<int:invitation_id>/",
        views.group_invitation,
        name="invitation",
    ),
    path("g/<str:slug>/members/<str:handle>/", views.group_member, name="member"),
    path("g/<str:slug>/category/", views.group_category, name="category"),
]
