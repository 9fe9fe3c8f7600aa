"""The score export: the stored current score of every active customer, as CSV or XLSX."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from scoring.exports import COLUMNS, export_bytes, score_rows
from scoring.models import Customer, ScoreSnapshot
from tests.factories import CustomerFactory, active_model, assess

EXPECTED_COLUMNS = [
    "Customer id",
    "Customer",
    "Account manager",
    "Sector",
    "Annual revenue",
    "Binding score",
    "Band",
    "Change",
    "Band change",
    "Satisfaction",
    "Alternatives",
    "Investment",
    "Coverage %",
    "Respondents",
    "NPS",
    "Last assessed",
]
ELEMENT_HEADERS = [
    "Performance and delivery reliability",
    "Service and reachability",
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
    call_command("export_scores", "--language", "en", *args, stdout=out, stderr=io.StringIO())
    return list(csv.DictReader(io.StringIO(out.getvalue().removeprefix("\ufeff"))))


def test_export_csv_has_exactly_the_specified_columns(db):
    CustomerFactory()
    out = io.StringIO()

    call_command("export_scores", "--language", "en", stdout=out)

    header = next(csv.reader(io.StringIO(out.getvalue().removeprefix("\ufeff"))))
    assert header[: len(EXPECTED_COLUMNS)] == EXPECTED_COLUMNS
    assert header[len(EXPECTED_COLUMNS) :][:2] == ELEMENT_HEADERS
    assert len(header) == len(COLUMNS) + 12  # one column per element of the active model


def test_export_writes_the_stored_scores_with_one_decimal_rounded_half_up(db):
    customer = CustomerFactory(
        external_id="K1", name="Bakkerij, De Vries", sector="Bouw", annual_revenue=1234.5
    )
    stored_score(customer)

    [row] = export_csv()

    assert {k: row[k] for k in EXPECTED_COLUMNS if k not in ("Account manager",)} == {
        "Customer id": "K1",
        "Customer": "Bakkerij, De Vries",
        "Sector": "Bouw",
        "Annual revenue": "1234.50",
        "Binding score": "40.0",
        "Band": "orange",
        "Change": "",
        "Band change": "",
        "Satisfaction": "62.3",
        "Alternatives": "12.0",
        "Investment": "100.0",
        "Coverage %": "84",
        "Respondents": "3",
        "NPS": "",
        "Last assessed": "1 Jun 2025 12:00",
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

    assert (row["Binding score"], row["Band"]) == ("12.3", "red")


def test_export_of_a_customer_scored_through_the_app_matches_its_snapshot(db):
    customer = CustomerFactory(external_id="K1")
    at = timezone.now() - timedelta(days=1)
    assess(customer, {"performance": 6, "service": 3, "it_integration": 0}, at=at)
    snapshot = ScoreSnapshot.objects.get(customer=customer, is_current=True)

    [row] = export_csv()

    assert row["Binding score"] == f"{snapshot.binding_score:.1f}"
    assert row["Band"] == snapshot.band
    assert row["Respondents"] == "1"
    assert row["Coverage %"] == str(round(snapshot.coverage))
    assert row["Last assessed"] == timezone.localtime(at).strftime("%-d %b %Y %H:%M")
    assert row["Performance and delivery reliability"] == "6.0"
    assert row["Service and reachability"] == "3.0"
    assert row["IT integration"] == "0.0"
    assert row["Price level"] == ""


def test_export_carries_account_manager_change_band_change_and_nps(db, anne):
    customer = CustomerFactory(external_id="K1", account_manager=anne, sector="Zorg")
    assess(customer, {"performance": 6, "service": 6}, user=anne)  # 100.0, green
    assess(customer, {"performance": 2, "service": 3}, user=anne)  # replaces it: 41.7, orange
    for email, nps in [("a@klant.example", 10), ("b@klant.example", 3)]:
        assess(customer, {"performance": 2, "service": 3}, kind="customer", email=email, nps=nps)
    snapshot = ScoreSnapshot.objects.get(customer=customer, is_current=True)

    [row] = export_csv()

    assert row["Account manager"] == (anne.get_full_name() or anne.username)
    assert row["Sector"] == "Zorg"
    assert row["NPS"] == "0"  # one promoter, one detractor
    assert row["Change"] == f"{snapshot.binding_score - snapshot.previous_score:.1f}"
    assert row["Band change"] == ""  # the previous score was orange too


def test_a_band_change_is_named_from_the_previous_scores_band(db, anne):
    customer = CustomerFactory(external_id="K1", account_manager=anne)
    assess(customer, {"performance": 6, "service": 6}, user=anne)
    assess(customer, {"performance": 2, "service": 2}, user=anne)  # 33.3: red

    [row] = export_csv()

    assert row["Band"] == "red"
    assert row["Change"] == "-66.7"
    assert row["Band change"] == "green → red"


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

    rows = {row["Customer id"]: row for row in export_csv()}

    for external_id in (never.external_id, unanswered.external_id):
        row = rows[external_id]
        assert [row[c] for c in ("Binding score", "Satisfaction", "Investment", "Band")] == [
            "",
            "",
            "",
            "",
        ]
        assert (row["Coverage %"], row["Respondents"]) == ("0", "0")
    assert rows["K1"]["Last assessed"] == ""


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

    assert [(r["Binding score"], r["Band"]) for r in rows] == [
        ("20.0", "red"),
        ("40.0", "orange"),
        ("70.0", "green"),
        ("55.0", "yellow"),
    ]
    assert {r["Alternatives"] for r in rows} == {""}


def test_export_rounds_coverage_half_up_to_a_whole_percent(db):
    stored_score(CustomerFactory(external_id="K1", name="A"), coverage=62.5)
    stored_score(CustomerFactory(external_id="K2", name="B"), coverage=62.49)
    stored_score(CustomerFactory(external_id="K3", name="C"), coverage=100.0)

    rows = export_csv()

    assert [r["Coverage %"] for r in rows] == ["63", "62", "100"]


def test_export_leaves_out_inactive_customers(db):
    CustomerFactory(external_id="K1", name="Actief")
    stored_score(CustomerFactory(external_id="K2", name="Gestopt", active=False))

    rows = export_csv()

    assert [r["Customer id"] for r in rows] == ["K1"]


def test_export_to_a_csv_file(db, tmp_path):
    stored_score(CustomerFactory(external_id="K1", name="Één"))
    path = tmp_path / "scores.csv"

    call_command(
        "export_scores",
        "--language",
        "en",
        "--output",
        str(path),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads é
    with path.open(newline="", encoding="utf-8-sig") as stream:
        [row] = list(csv.DictReader(stream))
    assert (row["Customer"], row["Binding score"]) == ("Één", "40.0")


def _dutch_excel_number(text: str) -> float | None:
    """A cell as Dutch Excel reads it: a decimal comma, no point (a point would make 12.5 text
    or a date)."""
    if text == "":
        return None
    assert "." not in text, text
    return float(text.replace(",", "."))


def test_a_dutch_users_csv_export_reads_back_as_dutch_excel_reads_it(db, anne, tmp_path):
    customer = CustomerFactory(
        external_id="K1", name="Bakkerij Één", account_manager=anne, annual_revenue=1234.5
    )
    assess(customer, {"performance": 2, "service": 3}, kind="customer", email="c@k.example", nps=9)
    assess(customer, {"performance": 6, "service": 6}, user=anne)  # 70.8: green
    assess(customer, {"performance": 2, "service": 3}, user=anne)  # 41.7: orange
    snapshot = ScoreSnapshot.objects.get(customer=customer, is_current=True)
    path = tmp_path / "export.csv"
    call_command(
        "export_scores",
        "--language",
        "nl",
        "--output",
        str(path),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    # Excel on a double click: UTF-8 by its BOM, fields split on its list separator ";".
    with path.open(newline="", encoding="utf-8-sig") as stream:
        header, row = list(csv.reader(stream, delimiter=";"))
    cells = dict(zip(header, row, strict=True))
    assert len(header) == len(COLUMNS) + 12
    assert cells["Klant"] == "Bakkerij Één"
    assert cells["Accountmanager"] == (anne.get_full_name() or anne.username)
    assert _dutch_excel_number(cells["Bindingsscore"]) == round(snapshot.binding_score, 1)
    assert _dutch_excel_number(cells["Jaaromzet"]) == 1234.5
    assert snapshot.previous_score is not None
    assert _dutch_excel_number(cells["Wijziging"]) == pytest.approx(
        round(snapshot.binding_score, 1) - round(snapshot.previous_score, 1)
    )
    assert cells["Band"] == "oranje" and cells["Bandwissel"] == "groen → oranje"
    assert _dutch_excel_number(cells["NPS"]) == 100
    assert _dutch_excel_number(cells["Prestaties en leverbetrouwbaarheid"]) == 2.0
    # The display date in Dutch (day-month-year), as Dutch Excel reads a date.
    at = datetime.strptime(cells["Laatst beoordeeld"], "%d-%m-%Y %H:%M")
    assert at.date() == timezone.localdate()


def test_an_english_users_csv_export_has_commas_and_decimal_points(db):
    stored_score(CustomerFactory(external_id="K1", name="A", annual_revenue=1234.5))

    with translation.override("en"):
        body = export_bytes(score_rows(), "csv")

    header, row = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    cells = dict(zip(header, row, strict=True))
    assert (cells["Binding score"], cells["Annual revenue"]) == ("40.0", "1234.50")
    assert body.startswith(b"\xef\xbb\xbf")


def test_export_xlsx_round_trips_through_openpyxl(db, tmp_path):
    stored_score(CustomerFactory(external_id="K1", name="Met score", sector="Bouw"))
    CustomerFactory(external_id="K2", name="Zonder score", sector="Zorg")
    path = tmp_path / "scores.xlsx"

    call_command(
        "export_scores",
        "--language",
        "en",
        "--format",
        "xlsx",
        "--output",
        str(path),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    header, scored, unscored = list(sheet.iter_rows(values_only=True))
    assert list(header[: len(EXPECTED_COLUMNS)]) == EXPECTED_COLUMNS
    cells = dict(zip(header, scored, strict=True))
    assert (cells["Customer id"], cells["Customer"], cells["Sector"]) == ("K1", "Met score", "Bouw")
    scores = (cells["Binding score"], cells["Satisfaction"], cells["Investment"])
    assert scores == (40.0, 62.3, 100.0)
    assert (cells["Band"], cells["Coverage %"], cells["Respondents"]) == ("orange", 84, 3)
    assert cells["Last assessed"] == datetime(2025, 6, 1, 12, 0, 5)
    empty = dict(zip(header, unscored, strict=True))
    assert (empty["Binding score"], empty["Band"], empty["Coverage %"]) == (None, None, 0)


def test_export_xlsx_has_a_frozen_header_a_filter_and_dutch_headers_for_a_dutch_user(db):
    stored_score(CustomerFactory(external_id="K1", name="A"))
    stored_score(CustomerFactory(external_id="K2", name="B"), band="red", binding_score=20.0)

    with translation.override("nl"):
        body = export_bytes(score_rows(), "xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    assert sheet.freeze_panes == "A2"
    last = openpyxl.utils.get_column_letter(len(COLUMNS) + 12)
    assert sheet.auto_filter.ref == f"A1:{last}3"
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Klantnummer", "Klant", "Accountmanager"]
    assert all(cell.font.bold for cell in sheet[1])
    bands = [row[header.index("Band")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert bands == ["oranje", "rood"]
    moment = sheet.cell(row=2, column=header.index("Laatst beoordeeld") + 1)
    assert moment.is_date and moment.number_format == "d-m-yyyy hh:mm"


def test_export_xlsx_to_a_binary_stdout(db):
    stored_score(CustomerFactory(external_id="K1"))
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8")

    call_command("export_scores", "--format", "xlsx", stdout=stdout)

    sheet = openpyxl.load_workbook(io.BytesIO(raw.getvalue())).worksheets[0]
    assert sheet["A2"].value == "K1"
    assert sheet["F2"].value == 40.0


def test_export_xlsx_without_output_to_a_text_only_stdout_asks_for_output(db):
    with pytest.raises(CommandError, match="--output"):
        call_command("export_scores", "--format", "xlsx", stdout=io.StringIO())


def test_the_language_option_chooses_the_files_language_whatever_language_is_active(db):
    stored_score(CustomerFactory(external_id="K1", name="A", annual_revenue=1234.5))

    with translation.override("nl"):
        english = export_csv()
    dutch = io.StringIO()
    with translation.override("en"):
        call_command("export_scores", "--language", "nl", stdout=dutch)

    assert (english[0]["Binding score"], english[0]["Band"]) == ("40.0", "orange")
    header, row = list(csv.reader(io.StringIO(dutch.getvalue()), delimiter=";"))
    cells = dict(zip(header, row, strict=True))
    assert header[0] == "\ufeffKlantnummer"
    assert (cells["Bindingsscore"], cells["Band"], cells["Jaaromzet"]) == (
        "40,0",
        "oranje",
        "1234,50",
    )


def test_without_the_language_option_the_file_is_in_the_site_language(db, settings):
    stored_score(CustomerFactory(external_id="K1"))
    out = io.StringIO()

    call_command("export_scores", stdout=out)  # English is active here (the autouse fixture)

    assert settings.LANGUAGE_CODE == "nl"
    assert out.getvalue().startswith("\ufeffKlantnummer;Klant;Accountmanager;")


def _portfolio(anne: object) -> None:
    """A customer whose band changed, one with a stored score and one without a score."""
    moved = CustomerFactory(external_id="K1", name="Bakkerij Één", account_manager=anne)
    assess(moved, {"performance": 2, "service": 3}, kind="customer", email="c@k.example", nps=9)
    assess(moved, {"performance": 6, "service": 6}, user=anne)
    assess(moved, {"performance": 2, "service": 3}, user=anne)
    stored_score(CustomerFactory(external_id="K2", name="=Formule", annual_revenue=1234.5))
    CustomerFactory(external_id="K3", name="Zonder score")


def _dashboard_export(user: object, language: str, file_format: str) -> bytes:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    response = client.get(reverse("scoring:dashboard-export", args=[file_format]))
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_commands_csv_is_the_dashboards_csv_in_that_language(db, anne, mira, language):
    _portfolio(anne)
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8")

    call_command("export_scores", "--language", language, stdout=stdout)

    assert raw.getvalue() == _dashboard_export(mira, language, "csv")
    header = raw.getvalue().decode("utf-8-sig").split("\r\n")[0]
    expected = "Klantnummer;Klant;" if language == "nl" else "Customer id,Customer,"
    assert header.startswith(expected)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_commands_xlsx_holds_the_dashboards_cells_in_that_language(
    db, anne, mira, language, tmp_path
):
    _portfolio(anne)
    path = tmp_path / "scores.xlsx"

    call_command(
        "export_scores",
        "--language",
        language,
        "--output",
        str(path),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    # Not the bytes: a workbook carries the moment it was written.
    web = openpyxl.load_workbook(io.BytesIO(_dashboard_export(mira, language, "xlsx"))).active
    ours = openpyxl.load_workbook(path).active
    assert list(ours.iter_rows(values_only=True)) == list(web.iter_rows(values_only=True))
    assert [c.number_format for c in ours[2]] == [c.number_format for c in web[2]]
    assert ours.title == web.title and ours["A1"].value == (
        "Klantnummer" if language == "nl" else "Customer id"
    )


def test_an_unknown_language_is_refused_with_the_languages_there_are(db):
    with pytest.raises(CommandError, match="invalid choice: 'de'"):
        call_command("export_scores", "--language", "de", stdout=io.StringIO())
    # call_command's keyword arguments skip argparse's check: the command makes its own.
    with pytest.raises(CommandError, match="Unknown language de: choose one of nl, en"):
        call_command("export_scores", language="de", stdout=io.StringIO())


def test_score_rows_can_be_limited_to_a_queryset_for_the_web_pages(db):
    stored_score(CustomerFactory(external_id="K1", sector="Bouw"))
    CustomerFactory(external_id="K2", sector="Zorg")

    rows = score_rows(Customer.objects.filter(sector="Bouw"))

    assert [(r["customer"], r["binding_score"], r["coverage"]) for r in rows] == [("K1", 40.0, 84)]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice (soffice)")
def test_libreoffice_in_dutch_reads_the_dutch_csv_export_as_numbers_and_dates(db, anne, tmp_path):
    """An office suite, not our own reading: LibreOffice Calc opens the Dutch export as a
    Dutch user's does (";" between fields, UTF-8, Dutch number and date reading)."""
    customer = CustomerFactory(
        external_id="K1", name="Bakkerij Één", account_manager=anne, annual_revenue=1234.5
    )
    assess(customer, {"performance": 6, "service": 6}, user=anne)
    assess(customer, {"performance": 2, "service": 3}, user=anne)
    snapshot = ScoreSnapshot.objects.get(customer=customer, is_current=True)
    source = tmp_path / "export.csv"
    with translation.override("nl"):
        source.write_bytes(export_bytes(score_rows(), "csv"))

    # Field separator 59 (;), text delimiter 34 ("), UTF-8 (76), from line 1, locale nl-NL.
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--convert-to",
            "xlsx",
            "--infilter=CSV:59,34,76,1,,1043",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )

    sheet = openpyxl.load_workbook(tmp_path / "export.xlsx").active
    header = [cell.value for cell in sheet[1]]
    cells = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert header[0] == "Klantnummer"  # the byte order mark is not part of the first header
    assert cells["Klant"] == "Bakkerij Één"
    assert cells["Bindingsscore"] == pytest.approx(round(snapshot.binding_score, 1))
    assert cells["Jaaromzet"] == 1234.5
    assert cells["Wijziging"] == pytest.approx(round(snapshot.binding_score, 1) - 100.0)
    assert cells["Band"] == "oranje" and cells["Bandwissel"] == "groen → oranje"
    assert isinstance(cells["Laatst beoordeeld"], datetime)
    assert cells["Laatst beoordeeld"].date() == timezone.localdate()
