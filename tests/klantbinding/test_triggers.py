"""Assessments and element scores are append-only and score snapshots keep their values,
down to the database: plain SQL cannot rewrite them (PostgreSQL and SQLite alike)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client

from klantbinding.lib import triggers
from scoring.models import Assessment, ElementScore, ScoreSnapshot
from tests.factories import CustomerFactory, assess

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def assessment(anne) -> Assessment:
    customer = CustomerFactory(account_manager=anne)
    return assess(customer, {"performance": 4, "service": 5})


def refused(sql: str, params: list) -> bool:
    """Whether the database refuses the statement (and leaves everything as it was)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except IntegrityError as error:
        assert "append-only" in str(error) or "keeps its values" in str(error)
        return True
    return False


def test_plain_sql_cannot_change_or_delete_an_assessment(assessment):
    table = Assessment._meta.db_table
    assert refused(f"UPDATE {table} SET nps = 10 WHERE id = %s", [assessment.pk])
    assert refused(f"UPDATE {table} SET assessed_at = assessed_at WHERE id = %s", [assessment.pk])
    assert refused(f"DELETE FROM {table} WHERE id = %s", [assessment.pk])
    assert Assessment.objects.filter(pk=assessment.pk, nps=None).exists()


def test_plain_sql_cannot_change_or_delete_an_element_score(assessment):
    table = ElementScore._meta.db_table
    score = assessment.scores.get(element__code="performance")
    assert refused(f"UPDATE {table} SET value = 0 WHERE id = %s", [score.pk])
    assert refused(f"DELETE FROM {table} WHERE assessment_id = %s", [assessment.pk])
    assert ElementScore.objects.get(pk=score.pk).value == 4


def test_the_base_manager_cannot_delete_or_update_assessments_either(assessment):
    with pytest.raises(IntegrityError), transaction.atomic():
        ElementScore._base_manager.filter(assessment=assessment).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment._base_manager.filter(pk=assessment.pk).update(comment="rewritten")
    assert Assessment.objects.get(pk=assessment.pk).comment == ""
    assert assessment.scores.count() == 12 or assessment.scores.count() >= 2


def test_a_snapshot_keeps_its_values_and_only_its_current_flag_changes(assessment):
    snapshot = ScoreSnapshot.objects.get(customer=assessment.customer, is_current=True)
    table = ScoreSnapshot._meta.db_table
    for column, value in (
        ("binding_score", 99.0),
        ("band", "red" if snapshot.band != "red" else "green"),
        ("coverage", 100.0),
        ("details", ""),
        ("computed_at", snapshot.computed_at.replace(year=2001)),
        ("reweighted", not snapshot.reweighted),  # added later: the trigger was made again
    ):
        assert refused(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, snapshot.pk])
    assert not refused(f"UPDATE {table} SET is_current = %s WHERE id = %s", [False, snapshot.pk])
    # Writing the same values again is no change either (an ORM save of the whole row).
    snapshot.refresh_from_db()
    assert not snapshot.is_current
    snapshot.is_current = True
    snapshot.save()
    after = ScoreSnapshot.objects.get(pk=snapshot.pk)
    assert (after.binding_score, after.band, after.is_current) == (
        snapshot.binding_score,
        snapshot.band,
        True,
    )


def test_new_assessments_and_snapshots_still_go_in(assessment):
    second = assess(assessment.customer, {"performance": 1})
    assert Assessment.objects.count() == 2
    current = ScoreSnapshot.objects.get(customer=assessment.customer, is_current=True)
    assert current.last_assessed_at == second.assessed_at
    assert ScoreSnapshot.objects.filter(customer=assessment.customer).count() == 2


def test_the_migrations_made_the_triggers():
    assert triggers.trigger_names(connection, Assessment._meta.db_table) == {
        "kb_scoring_assessment_no_update",
        "kb_scoring_assessment_no_delete",
    }
    assert triggers.trigger_names(connection, ElementScore._meta.db_table) == {
        "kb_scoring_elementscore_no_update",
        "kb_scoring_elementscore_no_delete",
    }
    assert triggers.trigger_names(connection, ScoreSnapshot._meta.db_table) == {
        "kb_scoring_scoresnapshot_keep_values"
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_flush_empties_the_database_and_the_triggers_stay(anne):
    """The test runner's flush between transactional tests (TRUNCATE on PostgreSQL, DELETE
    on SQLite) must work, and leave the protection in place."""
    assess(CustomerFactory(account_manager=anne), {"performance": 3})
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    assert not Assessment.objects.exists()
    assert len(triggers.trigger_names(connection, Assessment._meta.db_table)) == 2
    # What the migrations wrote (the default scoring model) back, as the test runner does.
    connection.creation.deserialize_db_from_string(connection._test_serialized_contents)
    again = User.objects.create_user("again", "again@example.nl")
    customer = CustomerFactory(account_manager=again)
    kept = assess(customer, {"performance": 3})
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Assessment._meta.db_table} WHERE id = %s", [kept.pk])


def test_the_admin_cannot_delete_a_snapshot(assessment):
    admin = User.objects.create_superuser("root", "root@example.nl", "beheer-wachtwoord-9")
    snapshot = ScoreSnapshot.objects.get(customer=assessment.customer, is_current=True)
    client = Client()
    client.force_login(admin)
    assert client.get(f"/admin/scoring/scoresnapshot/{snapshot.pk}/delete/").status_code == 403
    changelist = client.get("/admin/scoring/scoresnapshot/")
    assert changelist.status_code == 200
    assert "delete_selected" not in changelist.content.decode()
    client.post(
        "/admin/scoring/scoresnapshot/",
        {"action": "delete_selected", "_selected_action": [snapshot.pk], "post": "yes"},
    )
    assert ScoreSnapshot.objects.filter(pk=snapshot.pk).exists()
