from __future__ import annotations

from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    # Management
    path("campaigns/", views.campaign_list, name="campaign-list"),
    path("campaigns/new/", views.campaign_edit, name="campaign-create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign-edit"),
    path("campaigns/<int:pk>/open-round/", views.campaign_open_round, name="campaign-open-round"),
    path("rounds/<int:pk>/", views.round_detail, name="round-detail"),
    path("rounds/<int:pk>/close/", views.round_close, name="round-close"),
    path("invitations/<int:pk>/resend/", views.invitation_resend, name="invitation-resend"),
    # Account managers (and management): the invitation status of their customers
    path("mine/", views.my_invitations, name="my-invitations"),
    # Respondents, through a personal link (no login)
    path("s/<str:token>/", views.link, name="link"),
    path("answer/<uuid:public_id>/", views.answer, name="answer"),
    path("answer/<uuid:public_id>/thanks/", views.thanks, name="thanks"),
    path("o/<str:token>/", views.opt_out_link, name="opt-out-link"),
    path("opt-out/<uuid:public_id>/", views.opt_out, name="opt-out"),
]
