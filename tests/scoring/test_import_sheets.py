"""Spreadsheets as Dutch offices save them: short dates with a two-digit year, percentage
cells, a total row at the bottom, a file uploaded as the wrong kind, the check page's counts
against what the import does, and Dutch singular and plural forms."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from scoring.imports import ImportFailed, assessments_clean, customers_import, table_read
from scoring.models import Assessment, Customer
from tests.factories import CustomerFactory, UserFactory
from tests.scoring.test_imports import CUSTOMER_HEADER, HEADER, assessment_row


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.KB_UPLOAD_DIR = tmp_path / "uploads"


def csv_bytes(rows: list[list[object]]) -> bytes:
    return "\n".join(";".join(str(c) for c in row) for row in rows).encode("utf-8")


def xlsx_bytes(rows: list[list[object]], formats: dict[str, str] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append([None if cell == "" else cell for cell in row])
    for ref, number_format in (formats or {}).items():
        sheet[ref].number_format = number_format
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()


def problems(table) -> list[str]:
    with pytest.raises(ImportFailed) as failure:
        customers_import(table=table)
    return [str(error) for error in failure.value.errors]


def test_a_dutch_short_date_with_a_two_digit_year_is_this_century(db):
    CustomerFactory(external_id="K1")
    table = table_read(
        csv_bytes(
            [
                HEADER,
                assessment_row(assessed_at="01-10-26"),
                assessment_row(email="b@example.nl", assessed_at="31-12-25 14:30"),
            ]
        ),
        "beoordelingen.csv",
    )

    plan = assessments_clean(table=table, now=timezone.now())

    tz = timezone.get_default_timezone()
    assert [clean.assessed_at for clean in plan.new] == [
        datetime(2026, 10, 1, tzinfo=tz),
        datetime(2025, 12, 31, 14, 30, tzinfo=tz),
    ]


def test_an_unreadable_date_lists_every_form_that_is_read(db):
    CustomerFactory(external_id="K1")
    table = table_read(csv_bytes([HEADER, assessment_row(assessed_at="1 okt")]), "b.csv")

    with translation.override("en"), pytest.raises(ImportFailed) as failure:
        assessments_clean(table=table)

    [message] = [e.message for e in failure.value.errors]
    for form in ("2025-03-31", "31-3-2025", "31-03-2025", "31-03-25", "2000–2099", "14:30"):
        assert form in message


def test_a_percentage_cell_imports_as_the_percentage_it_shows(db):
    data = xlsx_bytes(
        [CUSTOMER_HEADER, ["K1", "Bakkerij", "", "Food", 1000, 0.15, 0, ""]],
        formats={"F2": "0%"},
    )

    customers_import(table=table_read(data, "klanten.xlsx"))

    assert str(Customer.objects.get().margin_pct) == "15.00"


def test_a_plain_number_cell_is_not_taken_for_a_percentage(db):
    data = xlsx_bytes([CUSTOMER_HEADER, ["K1", "Bakkerij", "", "Food", 1000, 0.15, 0, ""]])

    customers_import(table=table_read(data, "klanten.xlsx"))

    assert str(Customer.objects.get().margin_pct) == "0.15"


@pytest.mark.parametrize("word", ["Totaal", "Gemiddelde:", "Total", "Average"])
def test_a_total_or_average_row_at_the_bottom_is_named_as_such(db, word):
    rows = [
        CUSTOMER_HEADER,
        ["K1", "Bakkerij", "", "Food", "1000", "10", "0", ""],
        ["K2", "Garage", "", "Auto", "3000", "20", "0", ""],
        ["", word, "", "", "4000", "15", "0", ""],
    ]

    with translation.override("en"):
        found = problems(table_read(csv_bytes(rows), "klanten.csv"))

    assert found == [
        f"Row 4: this is a total or average row (“{word}”), not a customer: remove it from "
        "the file, the app adds up and averages itself."
    ]
    assert not Customer.objects.exists()


def test_a_row_of_sums_without_a_name_is_recognised(db):
    rows = [
        CUSTOMER_HEADER,
        ["K1", "Bakkerij", "", "Food", 1000, 10, 0, ""],
        ["K2", "Garage", "", "Auto", 3000, 20, 0, ""],
        ["", "", "", "", 4000, "", 0, ""],
    ]

    with translation.override("en"):
        found = problems(table_read(xlsx_bytes(rows), "klanten.xlsx"))

    assert len(found) == 1 and found[0].startswith("Row 4: this row has numbers but nothing")
    assert "row of totals" in found[0]


def test_a_total_row_is_reported_next_to_the_other_problems(db):
    rows = [
        CUSTOMER_HEADER,
        ["K1", "", "", "Food", "1000", "10", "0", ""],
        ["", "Totaal", "", "", "1000", "10", "0", ""],
    ]

    with translation.override("en"):
        found = problems(table_read(csv_bytes(rows), "klanten.csv"))

    assert [f.split(":")[0] for f in found] == ['Row 2, column "name"', "Row 3"]


def upload(client, content: bytes, kind: str, name: str = "file.csv"):
    return client.post(
        reverse("scoring:upload"), {"kind": kind, "file": SimpleUploadedFile(name, content)}
    )


@pytest.fixture
def manager(client, mira):
    client.force_login(mira)
    return client


def test_an_assessments_file_uploaded_as_customers_says_what_it_looks_like(manager):
    CustomerFactory(external_id="K1")
    manager.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    preview = manager.get(upload(manager, csv_bytes([HEADER, assessment_row()]), "customers").url)

    html = preview.content.decode()
    assert "This looks like an assessments file, not a customers file" in html
    assert "the column is missing" not in html  # the one problem, not ten column errors


def test_a_customers_file_uploaded_as_assessments_says_what_it_looks_like(manager):
    manager.defaults["HTTP_ACCEPT_LANGUAGE"] = "nl"
    rows = [CUSTOMER_HEADER, ["K1", "Bakkerij", "", "Food", "1000", "10", "0", ""]]

    preview = manager.get(upload(manager, csv_bytes(rows), "assessments").url)

    assert "Dit lijkt een klantenbestand, geen bestand met beoordelingen" in (
        preview.content.decode()
    )


def test_the_check_pages_counts_are_what_the_import_then_does(manager, anne):
    manager.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    CustomerFactory(
        external_id="K1",
        name="Gelijk",
        account_manager=anne,
        sector="Food",
        annual_revenue=1000,
        margin_pct=10,
        revenue_potential=0,
        payment_behaviour="",
    )
    CustomerFactory(external_id="K2", name="Oud", account_manager=anne)
    rows = [
        CUSTOMER_HEADER,
        ["K1", "Gelijk", anne.email, "Food", "1000", "10", "0", ""],  # unchanged
        ["K2", "Nieuwe naam", anne.email, "Food", "1000", "10", "0", ""],  # an update
        ["K3", "Nieuw", "nieuw@example.nl", "Food", "1000", "10", "0", ""],  # new
        ["K4", "Ook nieuw", "nieuw@example.nl", "Food", "1000", "10", "0", ""],  # new
    ]
    preview_url = upload(manager, csv_bytes(rows), "customers").url
    check = manager.get(preview_url).context["check"]

    manager.post(preview_url)

    summary = manager.session["kb_uploads"][preview_url.rstrip("/").split("/")[-1]]["summary"]
    assert (check["create"], check["update"], check["skip"], check["users"]) == (2, 1, 1, 1)
    assert (summary["created"], summary["updated"], summary["skipped"]) == (2, 1, 1)
    assert summary["users_created"] == check["users"]


def test_the_check_pages_assessment_counts_are_what_the_import_then_does(manager, anne):
    CustomerFactory(external_id="K1", account_manager=anne)
    rows = [HEADER, assessment_row(email="a@example.nl"), assessment_row(email="b@example.nl")]
    first = upload(manager, csv_bytes(rows), "assessments").url
    manager.post(first)
    rows.append(assessment_row(email="c@example.nl"))
    preview_url = upload(manager, csv_bytes(rows), "assessments").url
    check = manager.get(preview_url).context["check"]

    manager.post(preview_url)

    summary = manager.session["kb_uploads"][preview_url.rstrip("/").split("/")[-1]]["summary"]
    assert (check["create"], check["skip"]) == (summary["created"], summary["skipped"]) == (1, 2)
    assert Assessment.objects.filter(source="import").count() == 3


def test_dutch_counts_are_singular_for_one_and_plural_for_more(manager):
    manager.defaults["HTTP_ACCEPT_LANGUAGE"] = "nl"
    UserFactory(email="anne@example.nl")
    one = [CUSTOMER_HEADER, ["K1", "Bakkerij", "", "Food", "1000", "10", "0", ""]]
    two = [*one, ["K2", "Garage", "", "Auto", "1000", "10", "0", ""]]

    single = manager.get(upload(manager, csv_bytes(one), "customers").url).content.decode()
    plural = manager.get(upload(manager, csv_bytes(two), "customers").url).content.decode()

    assert "De 1 rij is correct." in single and "1 nieuwe klant aan" in single
    assert "rijen" not in single.split('id="import-check"')[1].split("</div>")[0]
    assert "Alle 2 rijen zijn correct." in plural and "2 nieuwe klanten aan" in plural
