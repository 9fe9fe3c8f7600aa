"""Importing contacts from CSV and XLSX: all rows or none, every problem with row and column."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from relations.imports import contacts_import
from relations.models import CadenceStatus, ContactMoment
from scoring.imports import ImportFailed, table_read
from tests.factories import ContactFactory, CustomerFactory
from tests.relations.factories import put_in

pytestmark = pytest.mark.django_db

HEADER = "customer;kind;at;summary;notes;staff;contacts"


@pytest.fixture
def customers(anne):
    first = put_in(CustomerFactory(account_manager=anne, external_id="K1"), "engaging")
    ContactFactory(customer=first, email="inkoop@k1.example")
    second = put_in(CustomerFactory(account_manager=anne, external_id="K2"), "engaging")
    return first, second


def _csv(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def test_a_good_csv_imports_every_row_and_updates_the_rhythm(customers, anne, frozen):
    first, _second = customers
    data = _csv(
        "K1;bezoek;2026-03-10 14:30;Jaarplan;Goed gesprek;anne@example.nl;inkoop@k1.example",
        "K1;Telefoon;12-3-2026;Nagebeld;;;",
        "K2;e-mail;2026-01-05;Offerte;;;",
        "K2;note;2026-03-15;Intern;;;",
    )
    summary = contacts_import(table=table_read(data, "contacten.csv"))
    assert (summary.created, summary.skipped) == (4, 0)
    visit = ContactMoment.objects.get(customer=first, kind="visit")
    assert visit.source == "import" and list(visit.staff.all()) == [anne]
    assert [c.email for c in visit.contact_persons.all()] == ["inkoop@k1.example"]
    status = CadenceStatus.objects.get(customer=first)
    assert status.last_on is not None  # the visit counted
    # A second import of the same file writes nothing new.
    again = contacts_import(table=table_read(data, "contacten.csv"))
    assert (again.created, again.skipped) == (0, 4)
    assert ContactMoment.objects.count() == 4


def test_an_xlsx_file_with_date_cells_imports(customers, frozen):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["customer", "kind", "at", "summary"])
    from datetime import datetime

    sheet.append(["K1", "visit", datetime(2026, 3, 2, 10, 0), "Bezoek"])
    sheet.append(["K2", "call", datetime(2026, 3, 3), "Gebeld"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    summary = contacts_import(table=table_read(buffer.getvalue(), "contacten.xlsx"))
    assert summary.created == 2


def test_a_bad_file_lists_every_problem_with_row_and_column_and_writes_nothing(customers, frozen):
    data = _csv(
        "K1;bezoek;2026-03-10;Goed;;;",
        "K9;visit;2026-03-10;Onbekende klant;;;",
        "K1;lunch;2026-03-10;Verkeerd soort;;;",
        "K1;call;2027-01-01;In de toekomst;;;",
        "K1;call;31-2-2026;Geen datum;;;",
        "K2;call;2026-03-10;;;;",
        "K2;call;2026-03-10;Vreemde collega;;iemand@elders.example;",
        "K2;call;2026-03-10;Contact van een ander;;;inkoop@k1.example",
    )
    with translation.override("en"), pytest.raises(ImportFailed) as failure:
        contacts_import(table=table_read(data, "contacten.csv"))
    found = [(e.row, e.column) for e in failure.value.errors]
    assert found == [
        (3, "customer"),
        (4, "kind"),
        (5, "at"),
        (6, "at"),
        (7, "summary"),
        (8, "staff"),
        (9, "contacts"),
    ]
    with translation.override("en"):
        text = failure.value.text()
    assert 'Row 3, column "customer": there is no customer with external id “K9”' in text
    assert "“lunch” is not a kind of contact" in text
    assert not ContactMoment.objects.exists()


def test_a_wrong_header_is_reported_before_the_rows(customers):
    data = b"klant;kind;at\nK1;visit;2026-03-01\n"
    with translation.override("en"), pytest.raises(ImportFailed) as failure:
        contacts_import(table=table_read(data, "contacten.csv"))
    with translation.override("en"):
        messages = [str(e) for e in failure.value.errors]
    assert any('column "klant"' in m for m in messages)
    assert any('column "summary": the column is missing' in m for m in messages)


def test_the_command_imports_or_fails_with_every_problem(customers, tmp_path: Path, frozen):
    good = tmp_path / "goed.csv"
    good.write_bytes(_csv("K1;visit;2026-03-10;Bezoek;;;"))
    bad = tmp_path / "fout.csv"
    bad.write_bytes(_csv("K1;visit;morgen;Bezoek;;;"))
    out = io.StringIO()
    call_command("import_contacts", str(good), "--check", stdout=out)
    assert not ContactMoment.objects.exists()
    call_command("import_contacts", str(good), stdout=out)
    assert ContactMoment.objects.count() == 1
    with pytest.raises(CommandError) as error:
        call_command("import_contacts", str(bad))
    assert "Rij 2" in str(error.value)  # commands speak the site language (nl)
    with pytest.raises(CommandError):
        call_command("import_contacts", str(tmp_path / "missing.csv"))


def test_management_imports_through_the_page(client, customers, mira, anne, frozen):
    client.force_login(anne)
    assert client.get(reverse("relations:contacts-import")).status_code == 403
    client.force_login(mira)
    url = reverse("relations:contacts-import")
    upload = SimpleUploadedFile("c.csv", _csv("K1;visit;2026-03-10;Bezoek;;;"))
    response = client.post(url, {"file": upload, "check_only": "on"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "The file is fine" in response.content.decode()
    assert not ContactMoment.objects.exists()
    upload = SimpleUploadedFile("c.csv", _csv("K1;visit;2026-03-10;Bezoek;;;"))
    response = client.post(url, {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    assert 'id="import-done"' in response.content.decode()
    assert ContactMoment.objects.count() == 1
    upload = SimpleUploadedFile("c.pdf", b"%PDF")
    response = client.post(url, {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "is not a CSV or Excel (.xlsx) file" in response.content.decode()
