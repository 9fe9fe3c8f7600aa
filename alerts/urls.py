from __future__ import annotations

from django.urls import path

from alerts import views

app_name = "alerts"

urlpatterns: list = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.alert_detail, name="detail"),
    path("<int:pk>/acknowledge/", views.alert_acknowledge, name="acknowledge"),
    path("<int:pk>/snooze/", views.alert_snooze, name="snooze"),
    path("<int:pk>/reopen/", views.alert_reopen, name="reopen"),
    path("settings/", views.alert_settings, name="settings"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/<slug:trigger>/", views.rule_create, name="rule-create"),
    path("rules/<int:pk>/", views.rule_edit, name="rule-edit"),
]
