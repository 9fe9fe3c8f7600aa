"""The score export: the stored current score of every active customer, as CSV or XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from scoring.exports import COLUMNS, score_rows
from scoring.models import Customer, ScoreSnapshot
from tests.factories import CustomerFactory, active_model, assess

EXPECTED_COLUMNS = [
    "customer",
    "customer_name",
    "binding_score",
    "satisfaction",
    "alternatives",
    "investment",
    "band",
    "coverage",
    "respondents",
    "last_assessed_at",
]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def stored_score(customer: Customer, **fields: object) -> ScoreSnapshot:
    """A current snapshot as a refresh would store it (the export must only read it)."""
    values: dict[str, object] = {
        "customer": customer,
        "scoring_model": active_model(),
        "computed_at": timezone.now(),
        "is_current": True,
        "binding_score": 39.95,
        "satisfaction": 62.25,
        "alternatives": 12.04,
        "investment": 100.0,
        "coverage": 83.5,
        "provisional": False,
        "band": "orange",
        "respondents": 3,
        "last_assessed_at": datetime(2025, 6, 1, 10, 0, 5, 123456, tzinfo=UTC),
    }
    values.update(fields)
    return ScoreSnapshot.objects.create(**values)


def export_csv(*args: str) -> list[dict[str, str]]:
    out = io.StringIO()
    call_command("export_scores", *args, stdout=out, stderr=io.StringIO())
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_export_csv_has_exactly_the_specified_columns(db):
    CustomerFactory()
    out = io.StringIO()

    call_command("export_scores", stdout=out)

    header = next(csv.reader(io.StringIO(out.getvalue())))
    assert header == EXPECTED_COLUMNS
    assert list(COLUMNS) == EXPECTED_COLUMNS


def test_export_writes_the_stored_scores_with_one_decimal_rounded_half_up(db):
    customer = CustomerFactory(external_id="K1", name="Bakkerij, De Vries")
    stored_score(customer)

    [row] = export_csv()

    assert row == {
        "customer": "K1",
        "customer_name": "Bakkerij, De Vries",
        "binding_score": "40.0",
        "satisfaction": "62.3",
        "alternatives": "12.0",
        "investment": "100.0",
        "band": "orange",
        "coverage": "84",
        "respondents": "3",
        "last_assessed_at": "2025-06-01T12:00:05+02:00",
    }


def test_export_reads_the_stored_score_and_never_recomputes(db):
    customer = CustomerFactory(external_id="K1")
    assess(customer, {"performance": 6, "service": 6})
    snapshot = ScoreSnapshot.objects.get(customer=customer, is_current=True)
    # Snapshots keep their values (a trigger), so a different stored score is a new snapshot.
    ScoreSnapshot.objects.filter(pk=snapshot.pk).update(is_current=False)
    snapshot.pk = None
    snapshot.binding_score, snapshot.band, snapshot.is_current = 12.34, "red", True
    snapshot.save()

    [row] = export_csv()

    assert (row["binding_score"], row["band"]) == ("12.3", "red")


def test_export_of_a_customer_scored_through_the_app_matches_its_snapshot(db):
    customer = CustomerFactory(external_id="K1")
    at = timezone.now() - timedelta(days=1)
    assess(customer, {"performance": 6, "service": 3, "it_integration": 0}, at=at)
    snapshot = ScoreSnapshot.objects.get(customer=customer, is_current=True)

    [row] = export_csv()

    assert row["binding_score"] == f"{snapshot.binding_score:.1f}"
    assert row["band"] == snapshot.band
    assert row["respondents"] == "1"
    assert row["coverage"] == str(round(snapshot.coverage))
    assert row["last_assessed_at"] == timezone.localtime(at).isoformat(timespec="seconds")


def test_export_leaves_scores_empty_for_customers_without_a_score(db):
    never = CustomerFactory(external_id="K1")
    unanswered = CustomerFactory(external_id="K2")
    stored_score(
        unanswered,
        binding_score=None,
        satisfaction=None,
        alternatives=None,
        investment=None,
        coverage=0,
        band="",
        respondents=0,
    )

    rows = {row["customer"]: row for row in export_csv()}

    for external_id in (never.external_id, unanswered.external_id):
        row = rows[external_id]
        assert [row[c] for c in ("binding_score", "satisfaction", "investment", "band")] == [
            "",
            "",
            "",
            "",
        ]
        assert (row["coverage"], row["respondents"]) == ("0", "0")
    assert rows["K1"]["last_assessed_at"] == ""


def test_export_writes_band_words_and_factor_scores_that_are_missing_as_empty(db):
    for number, (score, band) in enumerate(
        [(20.0, "red"), (40.0, "orange"), (69.95, "green"), (55.0, "yellow")]
    ):
        stored_score(
            CustomerFactory(external_id=f"K{number}", name=f"Klant {number}"),
            binding_score=score,
            band=band,
            alternatives=None,
        )

    rows = export_csv()

    assert [(r["binding_score"], r["band"]) for r in rows] == [
        ("20.0", "red"),
        ("40.0", "orange"),
        ("70.0", "green"),
        ("55.0", "yellow"),
    ]
    assert {r["alternatives"] for r in rows} == {""}


def test_export_rounds_coverage_half_up_to_a_whole_percent(db):
    stored_score(CustomerFactory(external_id="K1", name="A"), coverage=62.5)
    stored_score(CustomerFactory(external_id="K2", name="B"), coverage=62.49)
    stored_score(CustomerFactory(external_id="K3", name="C"), coverage=100.0)

    rows = export_csv()

    assert [r["coverage"] for r in rows] == ["63", "62", "100"]


def test_export_leaves_out_inactive_customers(db):
    CustomerFactory(external_id="K1", name="Actief")
    stored_score(CustomerFactory(external_id="K2", name="Gestopt", active=False))

    rows = export_csv()

    assert [r["customer"] for r in rows] == ["K1"]


def test_export_to_a_csv_file(db, tmp_path):
    stored_score(CustomerFactory(external_id="K1", name="Één"))
    path = tmp_path / "scores.csv"

    call_command("export_scores", "--output", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    with path.open(newline="", encoding="utf-8") as stream:
        [row] = list(csv.DictReader(stream))
    assert (row["customer_name"], row["binding_score"]) == ("Één", "40.0")


def test_export_xlsx_round_trips_through_openpyxl(db, tmp_path):
    stored_score(CustomerFactory(external_id="K1", name="Met score"))
    CustomerFactory(external_id="K2", name="Zonder score")
    path = tmp_path / "scores.xlsx"

    call_command(
        "export_scores",
        "--format",
        "xlsx",
        "--output",
        str(path),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    header, scored, unscored = list(sheet.iter_rows(values_only=True))
    assert list(header) == EXPECTED_COLUMNS
    assert list(scored) == [
        "K1",
        "Met score",
        40.0,
        62.3,
        12.0,
        100.0,
        "orange",
        84,
        3,
        datetime(2025, 6, 1, 12, 0, 5),
    ]
    assert list(unscored) == ["K2", "Zonder score", None, None, None, None, None, 0, 0, None]


def test_export_xlsx_to_a_binary_stdout(db):
    stored_score(CustomerFactory(external_id="K1"))
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8")

    call_command("export_scores", "--format", "xlsx", stdout=stdout)

    sheet = openpyxl.load_workbook(io.BytesIO(raw.getvalue())).worksheets[0]
    assert sheet["A2"].value == "K1"
    assert sheet["C2"].value == 40.0


def test_export_xlsx_without_output_to_a_text_only_stdout_asks_for_output(db):
    with pytest.raises(CommandError, match="--output"):
        call_command("export_scores", "--format", "xlsx", stdout=io.StringIO())


def test_score_rows_can_be_limited_to_a_queryset_for_the_web_pages(db):
    stored_score(CustomerFactory(external_id="K1", sector="Bouw"))
    CustomerFactory(external_id="K2", sector="Zorg")

    rows = score_rows(Customer.objects.filter(sector="Bouw"))

    assert [(r["customer"], r["binding_score"], r["coverage"]) for r in rows] == [("K1", 40.0, 84)]
