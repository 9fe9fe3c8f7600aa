"""What the API reads and writes, as JSON. Inputs are checked for shape here; every rule of
the data is the services' (the import, the matrix, the actions, relations and alerts apps)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from actions.models import Action
from alerts.models import Alert
from relations.models import ContactKind, ContactMoment, Departure
from scoring.models import Assessment, Band, Customer, PaymentBehaviour, RespondentKind

BANDS = ["", *Band.values]


def _email(user: Any) -> str | None:
    return (user.email or user.username) if user is not None else None


class ScoreSummarySerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True)
    band = serializers.ChoiceField(choices=BANDS)
    provisional = serializers.BooleanField()
    coverage = serializers.FloatField()
    computed_at = serializers.DateTimeField()
    previous_score = serializers.FloatField(allow_null=True)
    change = serializers.FloatField(allow_null=True)


def score_summary(snapshot: Any) -> dict[str, Any] | None:
    if snapshot is None:
        return None
    return {
        "score": snapshot.binding_score,
        "band": snapshot.band,
        "provisional": snapshot.provisional,
        "coverage": snapshot.coverage,
        "computed_at": serializers.DateTimeField().to_representation(snapshot.computed_at),
        "previous_score": snapshot.previous_score,
        "change": snapshot.change,
    }


class CustomerSerializer(serializers.ModelSerializer):
    """A customer with its current score (context ``snapshots``: customer id → snapshot)."""

    account_manager_email = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "external_id",
            "name",
            "account_manager_email",
            "sector",
            "annual_revenue",
            "margin_pct",
            "revenue_potential",
            "payment_behaviour",
            "active",
            "created_at",
            "updated_at",
            "score",
        ]

    def get_account_manager_email(self, customer: Customer) -> str | None:
        return _email(customer.account_manager)

    @extend_schema_field(ScoreSummarySerializer(allow_null=True))
    def get_score(self, customer: Customer) -> dict[str, Any] | None:
        return score_summary(self.context.get("snapshots", {}).get(customer.pk))


class CustomerUpsertRowSerializer(serializers.Serializer):
    """One customer to create or update by external id. Lengths, amounts, ranges and the
    account manager are checked by the customer import, as for a spreadsheet."""

    external_id = serializers.CharField(allow_blank=True, trim_whitespace=False)
    name = serializers.CharField(allow_blank=True)
    account_manager_email = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, default=""
    )
    sector = serializers.CharField(required=False, allow_blank=True, default="")
    annual_revenue = serializers.DecimalField(
        max_digits=None, decimal_places=None, required=False, allow_null=True, default=None
    )
    margin_pct = serializers.DecimalField(
        max_digits=None, decimal_places=None, required=False, allow_null=True, default=None
    )
    revenue_potential = serializers.DecimalField(
        max_digits=None, decimal_places=None, required=False, allow_null=True, default=None
    )
    payment_behaviour = serializers.ChoiceField(
        choices=["", *PaymentBehaviour.values], required=False, allow_blank=True, default=""
    )
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


class CustomerUpsertSerializer(serializers.Serializer):
    customers = serializers.ListField(
        child=CustomerUpsertRowSerializer(), allow_empty=False, max_length=1000
    )


class UpsertResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    users_created = serializers.IntegerField()


class MovementLineSerializer(serializers.Serializer):
    element = serializers.CharField(help_text='element code; "" for coverage or respondents')
    name = serializers.CharField()
    change = serializers.FloatField(help_text="score points, one decimal; the lines add up")


class PreviousScoreSerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True)
    band = serializers.ChoiceField(choices=BANDS)
    computed_at = serializers.DateTimeField()


class FactorScoresSerializer(serializers.Serializer):
    satisfaction = serializers.FloatField(allow_null=True)
    alternatives = serializers.FloatField(allow_null=True)
    investment = serializers.FloatField(allow_null=True)


class PerceptionGapSerializer(serializers.Serializer):
    element = serializers.CharField()
    name = serializers.CharField()
    staff = serializers.FloatField(allow_null=True)
    customer = serializers.FloatField(allow_null=True)
    expert = serializers.FloatField(allow_null=True)
    customer_gap = serializers.FloatField(allow_null=True, help_text="customer − staff")
    expert_gap = serializers.FloatField(allow_null=True, help_text="expert − staff")


class CustomerScoreSerializer(serializers.Serializer):
    customer = serializers.CharField(help_text="the customer's external id")
    score = serializers.FloatField(allow_null=True)
    band = serializers.ChoiceField(choices=BANDS)
    provisional = serializers.BooleanField()
    coverage = serializers.FloatField()
    factors = FactorScoresSerializer()
    model_version = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    previous = PreviousScoreSerializer(allow_null=True)
    change = serializers.FloatField(
        allow_null=True, help_text="score − previous score as shown (one decimal)"
    )
    reweighted = serializers.BooleanField(
        help_text="the previous score was stored with another model version; the lines "
        "compare both with the active model"
    )
    why = MovementLineSerializer(many=True)
    perception_gap = PerceptionGapSerializer(many=True)


class ScoreHistorySerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True)
    band = serializers.ChoiceField(choices=BANDS)
    provisional = serializers.BooleanField()
    coverage = serializers.FloatField()
    factors = FactorScoresSerializer()
    model_version = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    previous_score = serializers.FloatField(allow_null=True)


class AssessmentSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.external_id")
    model_version = serializers.IntegerField(source="scoring_model.version")
    values = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = [
            "id",
            "customer",
            "model_version",
            "respondent_kind",
            "respondent_email",
            "respondent_name",
            "assessed_at",
            "submitted_at",
            "source",
            "nps",
            "comment",
            "values",
        ]

    @extend_schema_field(
        serializers.DictField(child=serializers.IntegerField(allow_null=True, min_value=0))
    )
    def get_values(self, assessment: Assessment) -> dict[str, int | None]:
        return {score.element.code: score.value for score in assessment.scores.all()}


class AssessmentSubmitSerializer(serializers.Serializer):
    customer = serializers.CharField(help_text="external id")
    respondent_kind = serializers.ChoiceField(
        choices=RespondentKind.values, default=RespondentKind.STAFF
    )
    respondent_email = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="staff: the token's user"
    )
    respondent_name = serializers.CharField(required=False, allow_blank=True, default="")
    values = serializers.DictField(
        child=serializers.IntegerField(allow_null=True),
        help_text="element code → 0–6, or null for don't know",
    )
    comments = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, default=dict
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    nps = serializers.IntegerField(required=False, allow_null=True, default=None)
    assessed_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    submission_key = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="a retry with it writes nothing"
    )


class ContactMomentSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.external_id")
    logged_by = serializers.SerializerMethodField()

    class Meta:
        model = ContactMoment
        fields = ["id", "customer", "kind", "at", "summary", "notes", "logged_by", "logged_at"]

    def get_logged_by(self, moment: ContactMoment) -> str | None:
        return _email(moment.logged_by)


class ContactCreateSerializer(serializers.Serializer):
    customer = serializers.CharField(help_text="external id")
    kind = serializers.ChoiceField(choices=ContactKind.values)
    at = serializers.DateTimeField()
    summary = serializers.CharField(allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ActionSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.external_id")
    action_type = serializers.CharField(source="action_type.code")
    owner_email = serializers.SerializerMethodField()

    class Meta:
        model = Action
        fields = [
            "id",
            "customer",
            "action_type",
            "element_code",
            "title",
            "rationale",
            "origin",
            "status",
            "owner_email",
            "due_on",
            "proposed_at",
            "decided_at",
            "started_at",
            "completed_at",
            "cancelled_at",
            "outcome",
            "outcome_note",
            "baseline_score",
            "baseline_band",
            "baseline_value",
            "updated_at",
        ]

    def get_owner_email(self, action: Action) -> str | None:
        return _email(action.owner)


class ActionCreateSerializer(serializers.Serializer):
    customer = serializers.CharField(help_text="external id")
    action_type = serializers.CharField(help_text="the action type's code")
    element_code = serializers.CharField(
        required=False, allow_blank=True, default="", help_text='"" for the whole binding'
    )
    title = serializers.CharField(allow_blank=True)
    rationale = serializers.CharField(required=False, allow_blank=True, default="")
    owner_email = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="default: the account manager"
    )
    due_on = serializers.DateField(required=False, allow_null=True, default=None)
    decide = serializers.BooleanField(
        required=False, default=True, help_text="open it at once (the baseline is frozen now)"
    )


class ActionStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[Action.Status.OPEN, Action.Status.IN_PROGRESS, Action.Status.DONE, "cancelled"]
    )
    outcome = serializers.ChoiceField(
        choices=["", *Action.Outcome.values], required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AlertLineSerializer(serializers.Serializer):
    element = serializers.CharField()
    change = serializers.FloatField()


class AlertSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.external_id")
    why = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "customer",
            "trigger",
            "severity",
            "status",
            "opened_at",
            "acknowledged_at",
            "resolved_at",
            "score_before",
            "score_after",
            "band_before",
            "band_after",
            "element_code",
            "respondent_kind",
            "value_before",
            "value_after",
            "why",
        ]

    @extend_schema_field(AlertLineSerializer(many=True))
    def get_why(self, alert: Alert) -> list[dict[str, Any]]:
        return [
            {"element": code, "change": shown / 10.0}
            for code, _exact, shown in alert.lines or []
            if code or shown
        ]


class DepartureSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.external_id")

    class Meta:
        model = Departure
        fields = [
            "id",
            "customer",
            "kind",
            "decided_on",
            "left_on",
            "revenue_lost",
            "competitor",
            "notes",
            "recorded_at",
        ]


class DepartureCreateSerializer(serializers.Serializer):
    customer = serializers.CharField(help_text="external id")
    kind = serializers.ChoiceField(choices=Departure.Kind.values)
    decided_on = serializers.DateField()
    left_on = serializers.DateField()
    revenue_lost = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None
    )
    competitor = serializers.CharField(required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.CharField()
    management = serializers.BooleanField()
    scope = serializers.CharField(help_text="read, read_write, or session")
