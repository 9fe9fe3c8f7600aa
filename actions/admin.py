"""Django admin for the actions app; campaign assignments are read-only here (they never
change), and the life of an action goes through the app's pages, not the admin."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from actions.models import (
    Action,
    ActionCampaign,
    ActionStep,
    ActionType,
    CampaignAssignment,
    DigestPreference,
    DigestSent,
    MeasurementRequest,
)


@admin.register(ActionType)
class ActionTypeAdmin(admin.ModelAdmin):
    list_display = ("name_en", "name_nl", "code", "element_code", "default_duration_days", "active")
    list_filter = ("active",)
    search_fields = ("name_en", "name_nl", "code")


class ActionStepInline(admin.TabularInline):
    model = ActionStep
    extra = 0
    raw_id_fields = ("done_by",)


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ("title", "customer", "action_type", "element_code", "status", "owner", "due_on")
    list_filter = ("status", "origin", "action_type")
    search_fields = ("title", "customer__name", "customer__external_id")
    raw_id_fields = ("customer", "owner", "campaign", "proposed_by", "decided_by", "cancelled_by")
    readonly_fields = tuple(
        f"baseline_{name}"
        for name in (
            "model_version",
            "score",
            "band",
            "coverage",
            "value",
            "staff",
            "customer",
            "expert",
        )
    )
    inlines = [ActionStepInline]


@admin.register(ActionCampaign)
class ActionCampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "action_type", "element_code", "holdout_pct", "launched_at")
    raw_id_fields = ("target_account_manager", "created_by")


@admin.register(CampaignAssignment)
class CampaignAssignmentAdmin(admin.ModelAdmin):
    list_display = ("campaign", "customer", "arm", "draw", "assigned_at")
    list_filter = ("arm", "campaign")
    search_fields = ("customer__name",)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(DigestPreference)
class DigestPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "language", "enabled")


@admin.register(DigestSent)
class DigestSentAdmin(admin.ModelAdmin):
    list_display = ("owner", "day", "actions", "sent_at")


@admin.register(MeasurementRequest)
class MeasurementRequestAdmin(admin.ModelAdmin):
    list_display = ("action_type", "element_code", "requested_at", "treated", "controls")
