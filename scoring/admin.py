"""Django admin for all scoring models; submitted assessments are read-only here."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from scoring.models import (
    Assessment,
    Contact,
    Customer,
    Element,
    ElementScore,
    MarketExpert,
    ScoreSnapshot,
    ScoringModel,
)


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    list_display = ("name", "external_id", "account_manager", "sector", "annual_revenue", "active")
    list_filter = ("active", "sector", "payment_behaviour", "account_manager")
    search_fields = ("name", "external_id")
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(SimpleHistoryAdmin):
    list_display = ("name", "email", "customer", "role", "language", "active", "opted_out")
    list_filter = ("role", "language", "active", "opted_out")
    search_fields = ("name", "email", "customer__name")
    raw_id_fields = ("customer",)


@admin.register(MarketExpert)
class MarketExpertAdmin(SimpleHistoryAdmin):
    list_display = ("name", "email", "organisation", "language", "active", "opted_out")
    list_filter = ("active", "language")
    search_fields = ("name", "email", "organisation")
    filter_horizontal = ("customers",)


class ElementInline(admin.StackedInline):
    model = Element
    extra = 0

    def has_change_permission(self, request: HttpRequest, obj: ScoringModel | None = None) -> bool:
        # A published version is history: new weights go into a new version.
        return obj is None or obj.is_draft

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


@admin.register(ScoringModel)
class ScoringModelAdmin(SimpleHistoryAdmin):
    list_display = ("version", "name", "is_active", "published_at")
    readonly_fields = ("is_active", "published_at", "published_by")
    inlines = [ElementInline]

    def has_delete_permission(self, request: HttpRequest, obj: ScoringModel | None = None) -> bool:
        return obj is not None and obj.is_draft


class ElementScoreInline(admin.TabularInline):
    model = ElementScore
    extra = 0
    fields = ("element", "value", "comment")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Assessment | None = None) -> bool:
        return False


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    """The audit trail: visible, never editable or deletable."""

    list_display = ("customer", "respondent_kind", "respondent_email", "assessed_at", "source")
    list_filter = ("respondent_kind", "source", "scoring_model")
    search_fields = ("customer__name", "customer__external_id", "respondent_email")
    date_hierarchy = "assessed_at"
    inlines = [ElementScoreInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Assessment | None = None) -> list:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Assessment | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Assessment | None = None) -> bool:
        return False


@admin.register(ScoreSnapshot)
class ScoreSnapshotAdmin(admin.ModelAdmin):
    list_display = ("customer", "binding_score", "band", "coverage", "computed_at", "is_current")
    list_filter = ("band", "is_current", "provisional")
    search_fields = ("customer__name", "customer__external_id")
    raw_id_fields = ("customer",)

    def get_readonly_fields(self, request: HttpRequest, obj: ScoreSnapshot | None = None) -> list:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ScoreSnapshot | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ScoreSnapshot | None = None) -> bool:
        # Snapshots are the score's history; a database trigger keeps their values too.
        return False
