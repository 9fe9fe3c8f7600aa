"""The REST resources: thin views over the pages' selectors and services. A customer is
looked up by the CRM's external id through ``customers_visible_to`` (another account
manager's customer is a 404); every write goes through the service the pages use."""

from __future__ import annotations

import builtins
import uuid
from datetime import date
from typing import Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from actions import selectors as action_selectors
from actions import services as action_services
from actions.models import Action, ActionType
from alerts import selectors as alert_selectors
from alerts import services as alert_services
from alerts.models import Alert
from api import selectors
from api import serializers as s
from api.auth import ManagementOnly, TokenScope
from api.pagination import IdCursorPagination
from api.problems import Unprocessable, django_errors
from api.services.customers import UpsertFailed, customers_upsert
from relations import services as relation_services
from relations.models import ContactMoment
from scoring import selectors as scoring_selectors
from scoring import services as scoring_services
from scoring.imports.cells import users_by_email
from scoring.models import Assessment, Customer, RespondentKind
from scoring.roles import is_management

UPDATED_SINCE = OpenApiParameter(
    "updated_since",
    OpenApiTypes.DATETIME,
    description="only what changed at or after this moment (ISO 8601 with a time zone)",
)
CUSTOMER_FILTER = OpenApiParameter(
    "customer", OpenApiTypes.STR, description="only this customer's (external id)"
)


class _Since(serializers.Serializer):
    updated_since = serializers.DateTimeField(required=False)
    customer = serializers.CharField(required=False)


def _filters(request: Request) -> dict[str, Any]:
    """The list filters of the query string, checked (422 naming a bad one)."""
    checked = _Since(data=request.query_params)
    checked.is_valid(raise_exception=True)
    return dict(checked.validated_data)


def _customer_filter(request: Request, queryset: QuerySet, field: str, **filters: Any) -> QuerySet:
    if "updated_since" in filters:
        queryset = queryset.filter(**{f"{field}__gte": filters["updated_since"]})
    if "customer" in filters:
        customer = selectors.customer_visible(request.user, filters["customer"])
        queryset = queryset.filter(customer=customer)
    return queryset


def _user_by_email(email: str, field: str) -> Any:
    if not email:
        return None
    user = users_by_email([email.strip().lower()], match_username=True).get(email.strip().lower())
    if user is None:
        raise Unprocessable(
            {field: [_("No user has the e-mail address “%(email)s”.") % {"email": email}]}
        )
    return user


def _signed_in(request: Request) -> User:
    """The request's user; TokenScope has refused anonymous requests before a view runs."""
    return cast(User, request.user)


class Base(APIView):
    permission_classes: list[type[BasePermission]] = [TokenScope]


class NotFoundView(APIView):
    """Every other address under /api/v1/: a problem+json 404 for any method."""

    permission_classes: list[type[BasePermission]] = []
    schema = None  # not an operation of the document

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise Http404


# ----------------------------------------------------------------------------------------------
# Who am I (also the trivial endpoint the benchmark compares with)
# ----------------------------------------------------------------------------------------------


class MeView(Base):
    @extend_schema(responses=s.MeSerializer, summary="The token's user and scope")
    def get(self, request: Request) -> Response:
        token = request.auth
        return Response(
            {
                "username": request.user.get_username(),
                "email": getattr(request.user, "email", ""),
                "management": is_management(request.user),
                "scope": getattr(token, "scope", "session"),
            }
        )


# ----------------------------------------------------------------------------------------------
# Customers
# ----------------------------------------------------------------------------------------------


class CustomerList(generics.ListAPIView):
    permission_classes = [TokenScope]
    serializer_class = s.CustomerSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self) -> QuerySet[Customer]:
        filters = _filters(self.request)
        customers = scoring_selectors.customers_visible_to(self.request.user)
        if "updated_since" in filters:
            customers = customers.filter(updated_at__gte=filters["updated_since"])
        return customers

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One page of customers as ``selectors.customer_rows`` builds them (the serializer's
        shape, without its cost)."""
        page = self.paginate_queryset(selectors.customers_with_score(self.get_queryset()))
        return self.get_paginated_response(selectors.customer_rows(page or []))

    def get_permissions(self) -> builtins.list[BasePermission]:
        if self.request.method == "POST":
            return [TokenScope(), ManagementOnly()]
        return [TokenScope()]

    @extend_schema(parameters=[UPDATED_SINCE], summary="Your customers, with their score")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.CustomerUpsertSerializer,
        responses={200: s.UpsertResultSerializer},
        summary="Create or update up to 1,000 customers by external id, all or nothing",
        description=(
            "Each row replaces the customer's fields as a row of the customer import does "
            "(an empty account manager e-mail leaves the customer without one). An unknown "
            "account manager e-mail becomes a user who is invited to choose a password. "
            "One bad row and nothing is written: 422 lists every problem."
        ),
    )
    def post(self, request: Request) -> Response:
        body = s.CustomerUpsertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rows = body.validated_data["customers"]
        try:
            summary = customers_upsert(rows=rows, user=_signed_in(request))
        except UpsertFailed as failed:
            raise Unprocessable(
                {e["pointer"].lstrip("/"): [e["detail"]] for e in failed.errors}
                if len({e["pointer"] for e in failed.errors}) == len(failed.errors)
                else [f"{e['pointer']}: {e['detail']}" for e in failed.errors]
            ) from failed
        return Response(
            {
                "created": summary.created,
                "updated": summary.updated,
                "unchanged": summary.skipped,
                "users_created": summary.users_created,
            }
        )


class CustomerDetail(Base):
    @extend_schema(responses=s.CustomerSerializer, summary="One customer by external id")
    def get(self, request: Request, external_id: str) -> Response:
        customer = selectors.customer_visible(request.user, external_id)
        rows = selectors.customers_with_score(Customer.objects.filter(pk=customer.pk))
        return Response(selectors.customer_rows(rows)[0])


# ----------------------------------------------------------------------------------------------
# Scores
# ----------------------------------------------------------------------------------------------


class _At(serializers.Serializer):
    at = serializers.DateField(required=False)


def _score_body(score: selectors.CustomerScore) -> dict[str, Any]:
    snapshot, previous, moved = score.snapshot, score.previous, score.movement
    change = None
    if moved is not None:
        change = moved.shown_change
    return {
        "customer": score.customer.external_id,
        "score": snapshot.binding_score,
        "band": snapshot.band,
        "provisional": snapshot.provisional,
        "coverage": snapshot.coverage,
        "factors": {
            "satisfaction": snapshot.satisfaction,
            "alternatives": snapshot.alternatives,
            "investment": snapshot.investment,
        },
        "model_version": snapshot.scoring_model.version,
        "computed_at": snapshot.computed_at,
        "previous": (
            {
                "score": previous.binding_score,
                "band": previous.band,
                "computed_at": previous.computed_at,
            }
            if previous is not None
            else None
        ),
        "change": change,
        "reweighted": bool(moved and moved.reweighted),
        "why": [
            {
                "element": line.code,
                "name": line.name,
                "change": line.shown,
            }
            for line in (moved.lines if moved is not None else ())
            if line.shown or not line.is_rest
        ],
        "perception_gap": score.gaps,
    }


class CustomerScoreView(Base):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "at", OpenApiTypes.DATE, description="the score at the end of this day"
            )
        ],
        responses=s.CustomerScoreSerializer,
        summary="A customer's score, the previous one and why it moved",
    )
    def get(self, request: Request, external_id: str) -> Response:
        query = _At(data=request.query_params)
        query.is_valid(raise_exception=True)
        day: date | None = query.validated_data.get("at")
        score = selectors.customer_score(request.user, external_id, day=day)
        if score is None:
            raise NotFound(
                _("This customer has no score yet.")
                if day is None
                else _("This customer had no score yet on %(day)s.") % {"day": day.isoformat()}
            )
        return Response(s.CustomerScoreSerializer(_score_body(score)).data)


class ScoreHistory(generics.ListAPIView):
    permission_classes = [TokenScope]
    serializer_class = s.ScoreHistorySerializer
    pagination_class = None

    def get_queryset(self) -> Any:
        customer = selectors.customer_visible(self.request.user, self.kwargs["external_id"])
        return [
            {
                "score": snap.binding_score,
                "band": snap.band,
                "provisional": snap.provisional,
                "coverage": snap.coverage,
                "factors": {
                    "satisfaction": snap.satisfaction,
                    "alternatives": snap.alternatives,
                    "investment": snap.investment,
                },
                "model_version": snap.scoring_model.version,
                "computed_at": snap.computed_at,
                "previous_score": snap.previous_score,
            }
            for snap in selectors.score_history(customer)
        ]

    @extend_schema(summary="Every stored score of a customer, newest first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


# ----------------------------------------------------------------------------------------------
# Assessments
# ----------------------------------------------------------------------------------------------


_ASSESSMENT_FIELDS = {"respondent_kind", "respondent_email", "user", "nps", "assessed_at"}


class AssessmentList(generics.ListAPIView):
    permission_classes = [TokenScope]
    serializer_class = s.AssessmentSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self) -> QuerySet[Assessment]:
        filters = _filters(self.request)
        assessments = scoring_selectors.assessments_visible_to(self.request.user)
        assessments = _customer_filter(self.request, assessments, "submitted_at", **filters)
        return assessments.select_related("customer", "scoring_model").prefetch_related(
            "scores__element"
        )

    @extend_schema(
        parameters=[UPDATED_SINCE, CUSTOMER_FILTER],
        summary="Assessments of your customers (submitted at or after updated_since)",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.AssessmentSubmitSerializer,
        responses={201: s.AssessmentSerializer, 200: s.AssessmentSerializer},
        summary="Submit one assessment (as the matrix does: every problem named in a 422)",
        description=(
            "A staff assessment is the token's user's own, filed under their e-mail address. "
            "Customer and market expert assessments are management's (as the import). A "
            "repeated submission_key returns the first assessment (200) and writes nothing."
        ),
    )
    def post(self, request: Request) -> Response:
        body = s.AssessmentSubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        customer = selectors.customer_visible(request.user, data["customer"])
        kind = data["respondent_kind"]
        user: Any = request.user
        if kind == RespondentKind.STAFF:
            email = (user.email or "").strip()
            if not email:
                raise Unprocessable(
                    [
                        _(
                            "Your user account has no e-mail address, and an assessment is filed "
                            "under it. Ask an administrator to add one."
                        )
                    ]
                )
            name, source, by = user.get_full_name(), Assessment.Source.MATRIX, user
        else:
            if not is_management(user):
                raise PermissionDenied(_("Customer and expert assessments are management's."))
            email, name = data["respondent_email"], data["respondent_name"]
            source, by = Assessment.Source.IMPORT, None
        key: uuid.UUID | None = data["submission_key"]
        try:
            submitted = scoring_services.assessment_submit(
                customer=customer,
                respondent_kind=kind,
                respondent_email=email,
                respondent_name=name,
                user=by,
                values=data["values"],
                comments=data["comments"],
                comment=data["comment"],
                nps=data["nps"],
                assessed_at=data["assessed_at"],
                source=source,
                submission_key=key,
            )
        except DjangoValidationError as error:
            errors = django_errors(error)
            if isinstance(errors, dict):
                errors = {
                    (k if k in _ASSESSMENT_FIELDS else f"values/{k}"): v for k, v in errors.items()
                }
            raise Unprocessable(errors) from error
        assessment = submitted.assessment
        if assessment.customer_id != customer.pk:
            raise Unprocessable(
                {"submission_key": [_("This submission key was used for another customer.")]}
            )
        assessment = (
            Assessment.objects.select_related("customer", "scoring_model")
            .prefetch_related("scores__element")
            .get(pk=assessment.pk)
        )
        return Response(
            s.AssessmentSerializer(assessment).data, status=201 if submitted.created else 200
        )


class AssessmentDetail(Base):
    @extend_schema(responses=s.AssessmentSerializer, summary="One assessment")
    def get(self, request: Request, pk: int) -> Response:
        assessment = (
            scoring_selectors.assessments_visible_to(request.user)
            .select_related("customer", "scoring_model")
            .prefetch_related("scores__element")
            .filter(pk=pk)
            .first()
        )
        if assessment is None:
            raise Http404
        return Response(s.AssessmentSerializer(assessment).data)


# ----------------------------------------------------------------------------------------------
# Contacts (the contact log)
# ----------------------------------------------------------------------------------------------


class ContactList(generics.ListAPIView):
    permission_classes = [TokenScope]
    serializer_class = s.ContactMomentSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self) -> QuerySet[ContactMoment]:
        filters = _filters(self.request)
        visible = scoring_selectors.customers_visible_to(self.request.user)
        moments = ContactMoment.objects.filter(customer__in=visible.values("pk"))
        moments = _customer_filter(self.request, moments, "logged_at", **filters)
        return moments.select_related("customer", "logged_by")

    @extend_schema(
        parameters=[UPDATED_SINCE, CUSTOMER_FILTER],
        summary="Logged contacts of your customers (logged at or after updated_since)",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.ContactCreateSerializer,
        responses={201: s.ContactMomentSerializer},
        summary="Log a contact (a visit, call, event … resets the contact rhythm)",
    )
    def post(self, request: Request) -> Response:
        body = s.ContactCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        customer = selectors.customer_visible(request.user, data["customer"])
        moment = relation_services.contact_log(
            customer=customer,
            kind=data["kind"],
            at=data["at"],
            summary=data["summary"],
            notes=data["notes"],
            user=_signed_in(request),
        )
        return Response(s.ContactMomentSerializer(moment).data, status=201)


# ----------------------------------------------------------------------------------------------
# Actions
# ----------------------------------------------------------------------------------------------


class ActionList(generics.ListAPIView):
    serializer_class = s.ActionSerializer
    pagination_class = IdCursorPagination

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [TokenScope(), ManagementOnly()]
        return [TokenScope()]

    def get_queryset(self) -> QuerySet[Action]:
        filters = _filters(self.request)
        actions = action_selectors.actions_visible_to(self.request.user)
        actions = _customer_filter(self.request, actions, "updated_at", **filters)
        return actions.select_related("customer", "action_type", "owner")

    @extend_schema(parameters=[UPDATED_SINCE, CUSTOMER_FILTER], summary="Improvement actions")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.ActionCreateSerializer,
        responses={201: s.ActionSerializer},
        summary="Create an action (management); decided at once unless decide is false",
    )
    def post(self, request: Request) -> Response:
        body = s.ActionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        customer = selectors.customer_visible(request.user, data["customer"])
        action_type = ActionType.objects.filter(code=data["action_type"], active=True).first()
        if action_type is None:
            raise Unprocessable(
                {
                    "action_type": [
                        _("“%(code)s” is not an action type.") % {"code": data["action_type"]}
                    ]
                }
            )
        action = action_services.action_propose(
            customer=customer,
            action_type=action_type,
            element_code=data["element_code"],
            title=data["title"],
            rationale=data["rationale"],
            owner=_user_by_email(data["owner_email"], "owner_email"),
            due_on=data["due_on"],
            by=_signed_in(request),
            decide=data["decide"],
        )
        return Response(s.ActionSerializer(action).data, status=201)


class ActionStatus(Base):
    @extend_schema(
        request=s.ActionStatusSerializer,
        responses=s.ActionSerializer,
        summary="Move an action: open (decide), in_progress, done (with an outcome), cancelled",
    )
    def patch(self, request: Request, pk: int) -> Response:
        action = (
            action_selectors.actions_visible_to(request.user)
            .select_related("customer", "action_type")
            .filter(pk=pk)
            .first()
        )
        if action is None:
            raise Http404
        body = s.ActionStatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        target, by = data["status"], _signed_in(request)
        if target == Action.Status.OPEN:
            action = action_services.action_decide(action=action, by=by)
        elif target == Action.Status.IN_PROGRESS:
            action = action_services.action_start(action=action, by=by)
        elif target == Action.Status.DONE:
            action = action_services.action_complete(
                action=action, by=by, outcome=data["outcome"], note=data["note"]
            )
        else:
            action = action_services.action_cancel(action=action, by=by, reason=data["note"])
        action = Action.objects.select_related("customer", "action_type", "owner").get(pk=action.pk)
        return Response(s.ActionSerializer(action).data)


# ----------------------------------------------------------------------------------------------
# Alerts
# ----------------------------------------------------------------------------------------------


class AlertList(generics.ListAPIView):
    permission_classes = [TokenScope]
    serializer_class = s.AlertSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self) -> QuerySet[Alert]:
        filters = _filters(self.request)
        alerts = alert_selectors.alerts_visible_to(self.request.user)
        alerts = _customer_filter(self.request, alerts, "opened_at", **filters)
        return alerts.select_related("customer")

    @extend_schema(
        parameters=[UPDATED_SINCE, CUSTOMER_FILTER],
        summary="Alerts on your customers (raised at or after updated_since)",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class AlertAcknowledge(Base):
    @extend_schema(request=None, responses=s.AlertSerializer, summary="Acknowledge an alert")
    def post(self, request: Request, pk: int) -> Response:
        alert = alert_selectors.alerts_visible_to(request.user).filter(pk=pk).first()
        if alert is None:
            raise Http404
        alert_services.alert_acknowledge(alert=alert, user=_signed_in(request))
        alert = Alert.objects.select_related("customer").get(pk=alert.pk)
        return Response(s.AlertSerializer(alert).data)


# ----------------------------------------------------------------------------------------------
# Departures
# ----------------------------------------------------------------------------------------------


class DepartureCreate(Base):
    permission_classes = [TokenScope, ManagementOnly]

    @extend_schema(
        request=s.DepartureCreateSerializer,
        responses={201: s.DepartureSerializer},
        summary="Record that a customer left (management); a full departure deactivates it",
    )
    def post(self, request: Request) -> Response:
        body = s.DepartureCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        customer = selectors.customer_visible(request.user, data["customer"])
        departure = relation_services.departure_record(
            customer=customer,
            kind=data["kind"],
            decided_on=data["decided_on"],
            left_on=data["left_on"],
            revenue_lost=data["revenue_lost"],
            competitor=data["competitor"],
            notes=data["notes"],
            user=_signed_in(request),
        )
        return Response(s.DepartureSerializer(departure).data, status=201)
