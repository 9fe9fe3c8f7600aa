from __future__ import annotations

from django.contrib import admin

from relations.models import (
    CadenceTarget,
    ContactMoment,
    Departure,
    DepartureReason,
    ExitSurvey,
    ReasonSet,
    RelationshipType,
    Segment,
    SegmentRule,
)


@admin.register(ContactMoment)
class ContactMomentAdmin(admin.ModelAdmin):
    list_display = ("customer", "kind", "at", "summary", "logged_by", "source")
    list_filter = ("kind", "source")
    search_fields = ("customer__name", "customer__external_id", "summary")
    raw_id_fields = ("customer", "contact_persons", "staff", "logged_by")
    date_hierarchy = "at"


class SegmentRuleInline(admin.TabularInline):
    model = SegmentRule
    extra = 0


class CadenceTargetInline(admin.TabularInline):
    model = CadenceTarget
    extra = 0


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name_nl", "name_en", "order")
    inlines = [CadenceTargetInline, SegmentRuleInline]


@admin.register(RelationshipType)
class RelationshipTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name_nl", "name_en", "order", "active")


@admin.register(DepartureReason)
class DepartureReasonAdmin(admin.ModelAdmin):
    list_display = ("code", "name_nl", "name_en", "element_code", "needs_note", "order", "active")


class ReasonSetInline(admin.TabularInline):
    """Saved sets are locked: shown, never edited here."""

    model = ReasonSet
    extra = 0
    can_delete = False
    readonly_fields = ("perspective", "reasons", "note", "source", "recorded_by", "recorded_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Departure)
class DepartureAdmin(admin.ModelAdmin):
    list_display = ("customer", "kind", "decided_on", "left_on", "revenue_lost", "competitor")
    list_filter = ("kind",)
    search_fields = ("customer__name", "competitor")
    raw_id_fields = ("customer",)
    inlines = [ReasonSetInline]


@admin.register(ExitSurvey)
class ExitSurveyAdmin(admin.ModelAdmin):
    list_display = ("departure", "email", "status", "sent_at", "answered_at")
    list_filter = ("status",)
    exclude = ("token_hash",)
