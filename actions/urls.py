from __future__ import annotations

from django.urls import path

from actions.views import actions, catalogue, report, transfer

app_name = "actions"

urlpatterns: list = [
    path("", actions.my_actions, name="mine"),
    path("digest/", actions.digest_preference, name="digest-preference"),
    path("board/", actions.action_board, name="board"),
    path("propose/", actions.propose, name="propose"),
    path("<int:pk>/", actions.action_detail, name="action-detail"),
    path("<int:pk>/decide/", actions.action_decide, name="action-decide"),
    path("<int:pk>/start/", actions.action_start, name="action-start"),
    path("<int:pk>/steps/", actions.action_steps, name="action-steps"),
    path("<int:pk>/complete/", actions.action_complete, name="action-complete"),
    path("<int:pk>/cancel/", actions.action_cancel, name="action-cancel"),
    path("<int:pk>/edit/", actions.action_edit, name="action-edit"),
    path("types/", catalogue.type_list, name="type-list"),
    path("types/new/", catalogue.type_edit, name="type-create"),
    path("types/<int:pk>/", catalogue.type_edit, name="type-edit"),
    path("campaigns/", catalogue.campaign_list, name="campaign-list"),
    path("campaigns/new/", catalogue.campaign_create, name="campaign-create"),
    path("campaigns/<int:pk>/", catalogue.campaign_detail, name="campaign-detail"),
    path("report/", report.effect_report, name="report"),
    path("report/export/<str:fmt>/", report.effect_report_export, name="report-export"),
    path("export/<str:fmt>/", transfer.actions_export, name="export"),
    path("import/", transfer.actions_upload, name="import"),
]
