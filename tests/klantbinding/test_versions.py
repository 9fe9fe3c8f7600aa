"""Table versions: every table a dashboard panel reads counts every write to it, including
the writes no signal sees (QuerySet.update and delete, bulk_create, plain SQL)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.utils import timezone

from klantbinding.lib import versions
from relations.models import ContactKind, ContactMoment, Segment
from scoring.extensions import _dashboard_panels
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def version(table: str) -> int:
    return versions.versions([table])[table]


def test_every_table_a_dashboard_panel_reads_is_watched():
    from django.apps import apps

    labels = {label for p in _dashboard_panels for label in p.inputs}
    assert {"relations.ContactMoment", "surveys.Invitation", "auth.User"} <= labels
    CustomerFactory()  # a user (the account manager) and a customer
    quote = connection.ops.quote_name
    for label in sorted(labels):
        meta = apps.get_model(label)._meta
        table, key = quote(meta.db_table), quote(meta.pk.column)
        before = version(meta.db_table)
        with connection.cursor() as cursor:  # plain SQL, past the ORM and its signals
            cursor.execute(f"INSERT INTO {table} SELECT * FROM {table} WHERE 1 = 0")
            cursor.execute(f"UPDATE {table} SET {key} = {key}")
            cursor.execute(f"DELETE FROM {table} WHERE {key} IS NULL")
        if connection.vendor == "postgresql":  # bumps per statement, even of no rows
            assert version(meta.db_table) == before + 3, label
        if apps.get_model(label).objects.exists():
            assert version(meta.db_table) > before, label


def test_bulk_writes_updates_and_deletes_each_bump_the_version():
    customer = CustomerFactory()
    table = ContactMoment._meta.db_table
    start = version(table)
    moments = ContactMoment.objects.bulk_create(
        [
            ContactMoment(
                customer=customer,
                kind=ContactKind.CALL,
                at=timezone.now(),
                summary=f"{i}",
            )
            for i in range(3)
        ]
    )
    after_insert = version(table)
    assert after_insert > start
    ContactMoment.objects.filter(pk__in=[m.pk for m in moments]).update(summary="bijgewerkt")
    after_update = version(table)
    assert after_update > after_insert
    ContactMoment.objects.filter(pk=moments[0].pk).delete()
    assert version(table) > after_update


def test_a_rolled_back_write_leaves_the_version_as_it_was():
    table = Segment._meta.db_table
    before = version(table)
    with pytest.raises(RuntimeError), transaction.atomic():
        Segment.objects.update(order=99)
        raise RuntimeError
    assert version(table) == before
