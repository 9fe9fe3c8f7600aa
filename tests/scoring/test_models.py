"""Database constraints, the append-only audit trail and the admin's read-only view."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from scoring.models import (
    Assessment,
    Element,
    ElementScore,
    ImmutableAssessmentError,
    ScoringModel,
)
from tests.factories import CustomerFactory, active_model, assess


def raw_insert(table: str, **values) -> None:
    columns = ", ".join(values)
    placeholders = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", list(values.values())
        )


def staff_assessment(anne) -> Assessment:
    return assess(CustomerFactory(account_manager=anne), {"performance": 4}, user=anne)


def bare_assessment(anne) -> Assessment:
    """An assessment row without element scores, to test the score table's constraints."""
    return Assessment.objects.create(
        customer=CustomerFactory(account_manager=anne),
        scoring_model=active_model(),
        respondent_kind="staff",
        respondent_email=anne.email,
        user=anne,
        assessed_at=timezone.now(),
    )


@pytest.mark.parametrize("value", [-1, 7, 100])
def test_database_refuses_element_values_outside_0_to_6(anne, value):
    assessment = bare_assessment(anne)
    element = active_model().elements.get(code="service")
    with pytest.raises(IntegrityError), transaction.atomic():
        raw_insert(
            ElementScore._meta.db_table,
            assessment_id=assessment.pk,
            element_id=element.pk,
            value=value,
            comment="",
        )


def test_database_allows_an_empty_value_for_dont_know(anne):
    assessment = bare_assessment(anne)
    element = active_model().elements.get(code="service")
    raw_insert(
        ElementScore._meta.db_table,
        assessment_id=assessment.pk,
        element_id=element.pk,
        value=None,
        comment="",
    )


def test_database_refuses_a_second_score_for_the_same_element(anne):
    assessment = staff_assessment(anne)
    element = active_model().elements.get(code="performance")
    with pytest.raises(IntegrityError), transaction.atomic():
        raw_insert(
            ElementScore._meta.db_table,
            assessment_id=assessment.pk,
            element_id=element.pk,
            value=3,
            comment="",
        )


@pytest.mark.parametrize("nps", [-1, 11])
def test_database_refuses_nps_outside_0_to_10(anne, nps):
    customer = CustomerFactory(account_manager=anne)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.create(
            customer=customer,
            scoring_model=active_model(),
            respondent_kind="customer",
            respondent_email="c@klant.nl",
            assessed_at=timezone.now(),
            nps=nps,
        )


@pytest.mark.parametrize("weight", [0, -2])
def test_database_refuses_weights_that_are_not_positive(db, weight):
    with pytest.raises(IntegrityError), transaction.atomic():
        Element.objects.create(
            scoring_model=active_model(),
            code="extra",
            factor="satisfaction",
            name_nl="x",
            name_en="x",
            weight=weight,
        )


def test_database_allows_only_one_active_model(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoringModel.objects.create(
            version=99,
            name_nl="tweede",
            name_en="second",
            is_active=True,
            published_at=timezone.now(),
        )


def test_submitted_assessment_cannot_be_changed_or_deleted(anne):
    assessment = staff_assessment(anne)
    assessment.comment = "changed"
    with pytest.raises(ImmutableAssessmentError):
        assessment.save()
    with pytest.raises(ImmutableAssessmentError):
        assessment.delete()
    with pytest.raises(ImmutableAssessmentError):
        Assessment.objects.filter(pk=assessment.pk).update(comment="changed")
    with pytest.raises(ImmutableAssessmentError):
        Assessment.objects.all().delete()
    score = assessment.scores.first()
    score.value = 0
    with pytest.raises(ImmutableAssessmentError):
        score.save()
    with pytest.raises(ImmutableAssessmentError):
        ElementScore.objects.all().update(value=0)
    assessment.refresh_from_db()
    assert assessment.comment == ""
    assert assessment.scores.get(element__code="performance").value == 4


def test_customer_with_assessments_cannot_be_deleted(anne):
    assessment = staff_assessment(anne)
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        assessment.customer.delete()


def test_admin_shows_assessments_read_only(anne, client):
    from django.contrib.auth import get_user_model

    assessment = staff_assessment(anne)
    admin = get_user_model().objects.create_superuser("root", "root@example.nl", "x-secret-9")
    client.force_login(admin)
    page = client.get(f"/admin/scoring/assessment/{assessment.pk}/change/")
    assert page.status_code == 200
    assert b'name="comment"' not in page.content
    assert b"deletelink" not in page.content
    posted = client.post(f"/admin/scoring/assessment/{assessment.pk}/change/", {"comment": "x"})
    assert posted.status_code == 403
    deleted = client.post(f"/admin/scoring/assessment/{assessment.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    assert Assessment.objects.filter(pk=assessment.pk, comment="").exists()


def test_role_groups_exist_with_their_permissions(db):
    from django.contrib.auth.models import Group

    management = Group.objects.get(name="Management")
    managers = Group.objects.get(name="Account managers")
    assert management.permissions.filter(codename="change_scoringmodel").exists()
    assert not managers.permissions.filter(codename="change_scoringmodel").exists()
    assert managers.permissions.filter(codename="add_assessment").exists()
