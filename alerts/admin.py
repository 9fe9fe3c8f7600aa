from __future__ import annotations

from django.contrib import admin

from alerts.models import Alert, AlertEmail, AlertRule, AlertSettings


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ("trigger", "name", "severity", "scope", "active")
    list_filter = ("trigger", "severity", "scope", "active")


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("trigger", "customer", "severity", "status", "opened_at", "resolved_at")
    list_filter = ("trigger", "severity", "status")
    raw_id_fields = ("customer", "rule", "snapshot_before", "snapshot_after", "acknowledged_by")
    date_hierarchy = "opened_at"


@admin.register(AlertSettings)
class AlertSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "critical", "warning", "info", "language", "weekly_summary")


@admin.register(AlertEmail)
class AlertEmailAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "key", "status", "sent_at", "alerts")
    list_filter = ("kind", "status")
