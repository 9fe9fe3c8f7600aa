"""The customer and assessment imports: happy paths, every bad-file case, all or nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from scoring.imports import ImportFailed, table_read
from scoring.models import Assessment, Customer, ElementScore, ScoreSnapshot
from scoring.roles import ACCOUNT_MANAGERS
from tests.factories import CustomerFactory, UserFactory, assess

User = get_user_model()
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

CODES = [
    "performance",
    "service",
    "price_level",
    "perception",
    "competition",
    "distinctiveness",
    "knowledge_advantage",
    "perceived_alternatives",
    "it_integration",
    "contract",
    "presence",
    "personal_bond",
]
HEADER = [
    "customer",
    "respondent_kind",
    "respondent_email",
    "assessed_at",
    "nps",
    "respondent_name",
    "comment",
    *CODES,
]
CUSTOMER_HEADER = [
    "external_id",
    "name",
    "account_manager_email",
    "sector",
    "annual_revenue",
    "margin_pct",
    "revenue_potential",
    "payment_behaviour",
]
ALL_SIX = {code: 6 for code in CODES}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def days_ago(days: int) -> str:
    return (timezone.localdate() - timedelta(days=days)).isoformat()


def assessment_row(
    customer: str = "K1",
    kind: str = "staff",
    email: str = "anne@example.nl",
    assessed_at: str = "",
    *,
    nps: object = "",
    name: str = "",
    comment: str = "",
    values: dict[str, object] | None = None,
) -> list[object]:
    """A row in HEADER order; elements not asked of ``kind`` are left empty by default."""
    if values is None:
        values = {code: 4 for code in CODES}
        if kind == "customer":
            values["competition"] = ""
        if kind == "expert":
            values.update(contract="", presence="", personal_bond="")
    cells = [customer, kind, email, assessed_at or days_ago(3), nps, name, comment]
    return cells + [values.get(code, "") for code in CODES]


def write_csv(
    path: Path,
    rows: Sequence[Sequence[object]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> Path:
    with path.open("w", newline="", encoding=encoding) as stream:
        csv.writer(stream, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append([None if cell == "" else cell for cell in row])
    workbook.save(path)
    return path


def run(command: str, path: Path) -> str:
    out = io.StringIO()
    call_command(command, str(path), "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def fails(command: str, path: Path) -> str:
    with pytest.raises(CommandError) as excinfo:
        run(command, path)
    return str(excinfo.value)


def database_state() -> tuple:
    """What an import could change: counts, customers' fields and the snapshots."""
    return (
        Assessment.objects.count(),
        ElementScore.objects.count(),
        User.objects.count(),
        list(Customer.objects.order_by("pk").values_list()),
        list(ScoreSnapshot.objects.order_by("pk").values_list()),
    )


@pytest.fixture
def customer(db) -> Customer:
    """K1, with a current score from an earlier staff assessment of all ones."""
    customer = CustomerFactory(external_id="K1", name="Klant Eén B.V.")
    assess(customer, {code: 1 for code in CODES}, at=timezone.now() - timedelta(days=30))
    return customer


def current_score(customer: Customer) -> float | None:
    return ScoreSnapshot.objects.get(customer=customer, is_current=True).binding_score


# --------------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------------


def test_customer_import_from_csv_creates_customers_with_their_fields(db, tmp_path):
    anne = UserFactory(username="anne", email="anne@example.nl")
    path = write_csv(
        tmp_path / "customers.csv",
        [
            CUSTOMER_HEADER,
            [
                "K1",
                "Bakkerij De Vries",
                "anne@example.nl",
                "Food",
                "1234.56",
                "12.5",
                "5000",
                "good",
            ],
            ["K2", "Bouw B.V.", "", "", "", "", "", ""],
        ],
    )

    output = run("import_customers", path)

    assert "2 created, 0 updated, 0 skipped" in output
    k1 = Customer.objects.get(external_id="K1")
    assert (k1.name, k1.account_manager, k1.sector) == ("Bakkerij De Vries", anne, "Food")
    assert (k1.annual_revenue, k1.margin_pct, k1.revenue_potential) == (
        Decimal("1234.56"),
        Decimal("12.5"),
        Decimal("5000"),
    )
    assert k1.payment_behaviour == "good"
    k2 = Customer.objects.get(external_id="K2")
    assert k2.account_manager is None
    assert (k2.annual_revenue, k2.margin_pct, k2.revenue_potential) == (0, None, 0)
    assert k2.payment_behaviour == ""


def test_customer_import_reads_dutch_excel_csv_with_bom_semicolons_and_decimal_commas(db, tmp_path):
    path = write_csv(
        tmp_path / "klanten.csv",
        [
            CUSTOMER_HEADER,
            ["K1", "Één B.V.", "", "Bouw", "1.234,56", "-12,5", "€ 1.234", "Goed"],
            ["K2", "Twee B.V.", "", "Bouw", "1234,56", "7,25", "€ 2.500.000,-", "gemiddeld"],
            ["K3", "Drie B.V.", "", "Bouw", "0", "", "10", "SLECHT"],
        ],
        delimiter=";",
        encoding="utf-8-sig",
    )

    run("import_customers", path)

    customers = {c.external_id: c for c in Customer.objects.all()}
    assert customers["K1"].name == "Één B.V."
    assert customers["K1"].annual_revenue == Decimal("1234.56")
    assert customers["K1"].margin_pct == Decimal("-12.5")
    assert customers["K1"].revenue_potential == Decimal("1234")
    assert customers["K2"].annual_revenue == Decimal("1234.56")
    assert customers["K2"].revenue_potential == Decimal("2500000")
    assert [customers[k].payment_behaviour for k in ("K1", "K2", "K3")] == [
        "good",
        "average",
        "poor",
    ]


def test_customer_import_reads_cp1252_csv(db, tmp_path):
    path = write_csv(
        tmp_path / "klanten.csv",
        [CUSTOMER_HEADER, ["K1", "Café Müller", "", "Horeca", "10", "", "", ""]],
        delimiter=";",
        encoding="cp1252",
    )

    run("import_customers", path)

    assert Customer.objects.get(external_id="K1").name == "Café Müller"


def test_customer_import_from_xlsx_reads_numeric_cells(db, tmp_path):
    path = write_xlsx(
        tmp_path / "customers.xlsx",
        [
            CUSTOMER_HEADER,
            [1001, "Numeriek B.V.", None, "ICT", 1234.56, 12.5, 250000, "poor"],
        ],
    )

    run("import_customers", path)

    customer = Customer.objects.get(external_id="1001")
    assert customer.annual_revenue == Decimal("1234.56")
    assert customer.margin_pct == Decimal("12.5")
    assert customer.revenue_potential == Decimal("250000")
    assert customer.payment_behaviour == "poor"


def test_customer_import_updates_existing_customers_by_external_id(db, tmp_path):
    existing = CustomerFactory(external_id="K1", name="Oude Naam", annual_revenue=5)
    unchanged = CustomerFactory(
        external_id="K2",
        name="Zelfde",
        account_manager=None,
        sector="Bouw",
        annual_revenue=10,
        margin_pct=None,
        revenue_potential=20,
        payment_behaviour="",
    )
    path = write_csv(
        tmp_path / "customers.csv",
        [
            CUSTOMER_HEADER,
            ["K1", "Nieuwe Naam", "", "Zorg", "99", "1", "2", "good"],
            ["K2", "Zelfde", "", "Bouw", "10", "", "20", ""],
            ["K3", "Nieuw", "", "", "", "", "", ""],
        ],
    )

    output = run("import_customers", path)

    assert "1 created, 1 updated, 1 skipped" in output
    assert Customer.objects.count() == 3
    existing.refresh_from_db()
    assert (existing.name, existing.sector, existing.annual_revenue) == (
        "Nieuwe Naam",
        "Zorg",
        Decimal("99"),
    )
    assert existing.account_manager is None
    unchanged.refresh_from_db()
    assert unchanged.name == "Zelfde"


def test_customer_import_creates_unknown_account_manager_without_usable_password_in_group(
    db, tmp_path
):
    path = write_csv(
        tmp_path / "customers.csv",
        [
            CUSTOMER_HEADER,
            ["K1", "Een", "Nieuwe.AM@Example.nl", "", "", "", "", ""],
            ["K2", "Twee", "nieuwe.am@example.nl", "", "", "", "", ""],
        ],
    )

    output = run("import_customers", path)

    user = User.objects.get(username="nieuwe.am@example.nl")
    assert user.email == "nieuwe.am@example.nl"
    assert not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == [ACCOUNT_MANAGERS]
    assert set(Customer.objects.values_list("account_manager", flat=True)) == {user.pk}
    assert "1 new account manager user" in output


def test_customer_import_links_existing_account_manager_by_email_ignoring_case(db, tmp_path):
    anne = UserFactory(username="anne", email="Anne@Example.nl")
    path = write_csv(
        tmp_path / "customers.csv",
        [CUSTOMER_HEADER, ["K1", "Een", "anne@example.NL", "", "", "", "", ""]],
    )

    run("import_customers", path)

    assert Customer.objects.get(external_id="K1").account_manager == anne
    assert User.objects.count() == 1


CUSTOMER_PROBLEMS = [
    (["", "Naam", "", "", "", "", "", ""], "external_id", "external id is missing"),
    (["K9", "", "", "", "", "", "", ""], "name", "name is missing"),
    (["K9", "Naam", "geen-mail", "", "", "", "", ""], "account_manager_email", "not a valid"),
    (["K9", "Naam", "", "", "-5", "", "", ""], "annual_revenue", "negative"),
    (["K9", "Naam", "", "", "veel", "", "", ""], "annual_revenue", "not an amount"),
    (["K9", "Naam", "", "", "", "150", "", ""], "margin_pct", "outside the range"),
    (["K9", "Naam", "", "", "", "-100,5", "", ""], "margin_pct", "outside the range"),
    (["K9", "Naam", "", "", "", "", "-1", ""], "revenue_potential", "negative"),
    (["K9", "Naam", "", "", "", "", "", "matig"], "payment_behaviour", "not a payment"),
    (["K1", "Dubbel", "", "", "", "", "", ""], "external_id", "already in row 2"),
]


@pytest.mark.parametrize(("row", "column", "words"), CUSTOMER_PROBLEMS)
def test_customer_import_with_a_bad_value_writes_nothing_and_names_row_and_column(
    db, tmp_path, row, column, words
):
    existing = CustomerFactory(external_id="K1", name="Oud")
    path = write_csv(
        tmp_path / "customers.csv",
        [
            CUSTOMER_HEADER,
            ["K1", "Nieuw", "new.manager@example.nl", "", "", "", "", ""],
            row,
        ],
    )
    before = database_state()

    message = fails("import_customers", path)

    assert f'Row 3, column "{column}": ' in message
    assert words in message
    assert database_state() == before
    existing.refresh_from_db()
    assert existing.name == "Oud"


def test_customer_import_with_missing_and_unknown_columns_names_them_in_row_one(db, tmp_path):
    header = [c for c in CUSTOMER_HEADER if c != "sector"] + ["branche"]
    path = write_csv(tmp_path / "customers.csv", [header, ["K1", "Een", "", "", "", "", "", ""]])

    message = fails("import_customers", path)

    assert 'Row 1, column "branche": unknown column' in message
    assert 'Row 1, column "sector": the column is missing' in message
    assert Customer.objects.count() == 0


# --------------------------------------------------------------------------------------------
# Assessments: happy paths
# --------------------------------------------------------------------------------------------


def test_assessment_import_from_csv_creates_assessments_and_changes_the_current_score(
    customer, tmp_path
):
    before = current_score(customer)
    path = write_csv(
        tmp_path / "assessments.csv",
        [
            HEADER,
            assessment_row(values=ALL_SIX),
            assessment_row(kind="customer", email="jan@klant.nl", nps=9, name="Jan Jansen"),
            assessment_row(kind="expert", email="eva@markt.nl", comment="Sterk in IT"),
        ],
    )

    output = run("import_assessments", path)

    assert "3 created, 0 updated, 0 skipped" in output
    imported = Assessment.objects.filter(source=Assessment.Source.IMPORT)
    assert imported.count() == 3
    jan = imported.get(respondent_kind="customer")
    assert (jan.respondent_email, jan.nps, jan.respondent_name) == ("jan@klant.nl", 9, "Jan Jansen")
    assert imported.get(respondent_kind="expert").comment == "Sterk in IT"
    assert ScoreSnapshot.objects.filter(customer=customer, is_current=True).count() == 1
    after = current_score(customer)
    assert after is not None and before is not None and after > before


def test_assessment_import_reads_dutch_excel_csv_with_bom_and_semicolons(customer, tmp_path):
    path = write_csv(
        tmp_path / "beoordelingen.csv",
        [HEADER, assessment_row(values={**ALL_SIX, "performance": "5,0"}, name="Renée")],
        delimiter=";",
        encoding="utf-8-sig",
    )

    run("import_assessments", path)

    assessment = Assessment.objects.get(source=Assessment.Source.IMPORT)
    assert assessment.respondent_name == "Renée"
    values = dict(assessment.scores.values_list("element__code", "value"))
    assert values["performance"] == 5
    assert values["service"] == 6


def test_assessment_import_falls_back_to_cp1252_when_the_bytes_are_not_utf8(customer, tmp_path):
    path = write_csv(
        tmp_path / "beoordelingen.csv",
        [HEADER, assessment_row(name="Jérôme Façade")],
        delimiter=";",
        encoding="cp1252",
    )

    run("import_assessments", path)

    assert Assessment.objects.get(source="import").respondent_name == "Jérôme Façade"


def test_assessment_import_from_xlsx_reads_date_and_number_cells(customer, tmp_path):
    when = datetime.combine(timezone.localdate() - timedelta(days=2), datetime.min.time())
    row = assessment_row(kind="customer", email="jan@klant.nl", nps=8)
    row[3] = when.replace(hour=9, minute=15)
    path = write_xlsx(tmp_path / "assessments.xlsx", [HEADER, row])

    run("import_assessments", path)

    assessment = Assessment.objects.get(source="import")
    assert assessment.nps == 8
    assert timezone.localtime(assessment.assessed_at, AMSTERDAM).replace(
        tzinfo=None
    ) == when.replace(hour=9, minute=15)
    assert assessment.scores.filter(value=4).count() == 11


def test_assessment_import_reads_a_date_as_midnight_amsterdam_and_a_naive_time_as_local(
    customer, tmp_path
):
    path = write_csv(
        tmp_path / "assessments.csv",
        [
            HEADER,
            assessment_row(email="a@example.nl", assessed_at="2025-06-01"),
            assessment_row(email="b@example.nl", assessed_at="2025-01-15T14:30:00"),
            assessment_row(email="c@example.nl", assessed_at="2025-01-15T14:30:00+00:00"),
        ],
    )

    run("import_assessments", path)

    at = dict(
        Assessment.objects.filter(source="import").values_list("respondent_email", "assessed_at")
    )
    assert at["a@example.nl"] == datetime(2025, 5, 31, 22, 0, tzinfo=UTC)  # summer time
    assert at["b@example.nl"] == datetime(2025, 1, 15, 13, 30, tzinfo=UTC)  # winter time
    assert at["c@example.nl"] == datetime(2025, 1, 15, 14, 30, tzinfo=UTC)


def test_assessment_import_without_assessed_at_uses_now(customer, tmp_path):
    start = timezone.now()
    row = assessment_row()
    row[3] = ""
    path = write_csv(tmp_path / "assessments.csv", [HEADER, row])

    run("import_assessments", path)

    assessed_at = Assessment.objects.get(source="import").assessed_at
    assert start - timedelta(seconds=1) <= assessed_at <= timezone.now()


def test_assessment_import_links_staff_rows_to_the_user_with_that_email(customer, tmp_path):
    anne = UserFactory(username="anne", email="Anne@Example.nl")
    path = write_csv(
        tmp_path / "assessments.csv",
        [
            HEADER,
            assessment_row(email="anne@example.nl"),
            assessment_row(email="nobody@example.nl"),
            assessment_row(kind="customer", email="anne@example.nl"),
        ],
    )

    run("import_assessments", path)

    imported = Assessment.objects.filter(source="import")
    assert imported.get(respondent_email="anne@example.nl", respondent_kind="staff").user == anne
    assert imported.get(respondent_email="nobody@example.nl").user is None
    assert imported.get(respondent_kind="customer").user is None


def test_assessment_import_leaves_empty_values_as_dont_know(customer, tmp_path):
    path = write_csv(
        tmp_path / "assessments.csv",
        [HEADER, assessment_row(values={"performance": 0, "it_integration": 6})],
    )

    run("import_assessments", path)

    values = dict(
        Assessment.objects.get(source="import").scores.values_list("element__code", "value")
    )
    assert values["performance"] == 0
    assert values["it_integration"] == 6
    assert values["service"] is None


def test_reimporting_the_same_assessments_file_skips_rows_already_present(customer, tmp_path):
    path = write_csv(
        tmp_path / "assessments.csv",
        [
            HEADER,
            assessment_row(email="a@example.nl"),
            assessment_row(kind="customer", email="jan@klant.nl"),
        ],
    )
    run("import_assessments", path)
    count = Assessment.objects.count()
    snapshots = list(ScoreSnapshot.objects.values_list("pk", "binding_score", "is_current"))

    output = run("import_assessments", path)

    assert "0 created, 0 updated, 2 skipped (already present)" in output
    assert Assessment.objects.count() == count
    assert list(ScoreSnapshot.objects.values_list("pk", "binding_score", "is_current")) == (
        snapshots
    )


def test_reimport_recognises_rows_at_local_times_around_the_clock_change(customer, tmp_path):
    path = write_csv(
        tmp_path / "assessments.csv",
        [
            HEADER,
            assessment_row(email="fold@example.nl", assessed_at="2025-10-26 02:30"),
            assessment_row(email="gap@example.nl", assessed_at="2025-03-30 02:30"),
        ],
    )
    run("import_assessments", path)

    output = run("import_assessments", path)

    assert "0 created, 0 updated, 2 skipped" in output


def test_assessment_import_reads_dates_as_dutch_excel_writes_them(customer, tmp_path):
    path = write_csv(
        tmp_path / "assessments.csv",
        [
            HEADER,
            assessment_row(email="a@example.nl", assessed_at="31-3-2025"),
            assessment_row(email="b@example.nl", assessed_at="01-02-2025 09:05"),
        ],
        delimiter=";",
    )

    run("import_assessments", path)

    at = dict(
        Assessment.objects.filter(source="import").values_list("respondent_email", "assessed_at")
    )
    assert at["a@example.nl"] == datetime(2025, 3, 30, 22, 0, tzinfo=UTC)
    assert at["b@example.nl"] == datetime(2025, 2, 1, 8, 5, tzinfo=UTC)


def test_reimport_adds_only_the_new_rows_of_a_grown_file(customer, tmp_path):
    first = assessment_row(email="a@example.nl")
    second = assessment_row(email="b@example.nl")
    run("import_assessments", write_csv(tmp_path / "one.csv", [HEADER, first]))

    output = run("import_assessments", write_csv(tmp_path / "two.csv", [HEADER, first, second]))

    assert "1 created, 0 updated, 1 skipped" in output
    assert Assessment.objects.filter(source="import").count() == 2


def test_completely_empty_rows_are_skipped_silently(customer, tmp_path):
    path = write_csv(
        tmp_path / "assessments.csv",
        [HEADER, [""] * len(HEADER), assessment_row(), [], [""] * len(HEADER)],
    )

    output = run("import_assessments", path)

    assert "1 created" in output


def test_table_read_gives_the_row_numbers_the_spreadsheet_shows():
    data = b"a;b\n1;2\n;\n3;4\n"

    table = table_read(data, "upload.CSV")

    assert table.header == ("a", "b")
    assert [(row.number, row.cells) for row in table.rows] == [(2, ("1", "2")), (4, ("3", "4"))]


# --------------------------------------------------------------------------------------------
# Assessments: bad files write nothing and name every problem
# --------------------------------------------------------------------------------------------


def future_date() -> str:
    return (timezone.localdate() + timedelta(days=2)).isoformat()


def with_value(code: str, value: object) -> list[object]:
    return assessment_row(values={**ALL_SIX, code: value})


BAD_ROWS = [
    pytest.param(
        lambda: assessment_row(customer="K404"),
        "customer",
        "no customer with external id “K404”",
        id="unknown-customer",
    ),
    pytest.param(
        lambda: with_value("performance", 7),
        "performance",
        "7 is outside the scale: use a whole number from 0 to 6.",
        id="seven",
    ),
    pytest.param(
        lambda: with_value("service", -1),
        "service",
        "-1 is outside the scale: use a whole number from 0 to 6.",
        id="minus-one",
    ),
    pytest.param(
        lambda: with_value("contract", "3.5"),
        "contract",
        "3.5 is not a whole number",
        id="three-and-a-half",
    ),
    pytest.param(
        lambda: with_value("presence", "vier"),
        "presence",
        "“vier” is not a score",
        id="vier",
    ),
    pytest.param(
        lambda: assessment_row(kind="klant"),
        "respondent_kind",
        "“klant” is not a respondent kind",
        id="unknown-kind",
    ),
    pytest.param(
        lambda: assessment_row(assessed_at="2025-02-30"),
        "assessed_at",
        "2025-02-30 is not an existing date",
        id="impossible-date",
    ),
    pytest.param(
        lambda: assessment_row(assessed_at="gisteren"),
        "assessed_at",
        "“gisteren” is not a date",
        id="not-a-date",
    ),
    pytest.param(
        lambda: assessment_row(assessed_at=future_date()),
        "assessed_at",
        "lies in the future",
        id="future-date",
    ),
    pytest.param(
        lambda: assessment_row(email="anne.example.nl"),
        "respondent_email",
        "“anne.example.nl” is not a valid e-mail address",
        id="bad-email",
    ),
    pytest.param(
        lambda: assessment_row(email=""),
        "respondent_email",
        "e-mail address is missing",
        id="missing-email",
    ),
    pytest.param(
        lambda: assessment_row(kind="customer", email="jan@klant.nl", nps=11),
        "nps",
        "11 is outside the scale: use a whole number from 0 to 10.",
        id="nps-eleven",
    ),
    pytest.param(
        lambda: assessment_row(kind="customer", email="jan@klant.nl", nps=-1),
        "nps",
        "outside the scale",
        id="nps-negative",
    ),
    pytest.param(
        lambda: assessment_row(nps=8),
        "nps",
        "Only customers answer the recommendation question.",
        id="nps-for-staff",
    ),
    pytest.param(
        lambda: assessment_row(kind="customer", email="jan@klant.nl", values=ALL_SIX),
        "competition",
        "not asked about this element",
        id="element-not-asked-of-customers",
    ),
    pytest.param(
        lambda: assessment_row(kind="expert", email="e@markt.nl", values=ALL_SIX),
        "contract",
        "not asked about this element",
        id="element-not-asked-of-experts",
    ),
]


@pytest.mark.parametrize(("make_row", "column", "words"), BAD_ROWS)
def test_assessment_import_with_a_bad_value_writes_nothing_and_names_row_and_column(
    customer, tmp_path, make_row, column, words
):
    path = write_csv(
        tmp_path / "assessments.csv",
        [HEADER, assessment_row(email="good@example.nl"), make_row()],
    )
    before = database_state()

    message = fails("import_assessments", path)

    assert f'Row 3, column "{column}": ' in message
    assert words in message
    assert "nothing was written" in message
    assert database_state() == before


def test_assessment_import_with_value_seven_says_exactly_what_is_wrong(customer, tmp_path):
    rows = [HEADER, *(assessment_row(email=f"r{i}@example.nl") for i in range(3))]
    rows.append(with_value("performance", 7))
    path = write_csv(tmp_path / "assessments.csv", rows)

    message = fails("import_assessments", path)

    assert message.splitlines()[1:] == [
        'Row 5, column "performance": 7 is outside the scale: use a whole number from 0 to 6.'
    ]


def test_assessment_import_with_an_error_on_the_last_of_many_rows_writes_nothing(
    customer, tmp_path
):
    rows = [HEADER, *(assessment_row(email=f"r{i}@example.nl") for i in range(600))]
    rows.append(with_value("it_integration", 7))
    path = write_csv(tmp_path / "assessments.csv", rows)
    before = database_state()

    message = fails("import_assessments", path)

    assert 'Row 602, column "it_integration": 7 is outside the scale' in message
    assert database_state() == before


def test_xlsx_import_with_a_bad_cell_names_the_excel_row(customer, tmp_path):
    path = write_xlsx(
        tmp_path / "assessments.xlsx",
        [HEADER, assessment_row(), [], with_value("service", 3.5)],
    )
    before = database_state()

    message = fails("import_assessments", path)

    assert 'Row 4, column "service": 3.5 is not a whole number' in message
    assert database_state() == before


def test_assessment_import_lists_every_problem_of_a_file(customer, tmp_path):
    path = write_csv(
        tmp_path / "assessments.csv",
        [
            HEADER,
            assessment_row(customer="K404"),
            assessment_row(),
            assessment_row(values={**ALL_SIX, "performance": 7, "service": "vier"}),
            assessment_row(kind="expert", email="x@", assessed_at="2025-13-01"),
        ],
    )
    before = database_state()

    message = fails("import_assessments", path)

    lines = message.splitlines()
    assert "5 problems" in lines[0]
    assert [line.split(":")[0] for line in lines[1:]] == [
        'Row 2, column "customer"',
        'Row 4, column "performance"',
        'Row 4, column "service"',
        'Row 5, column "respondent_email"',
        'Row 5, column "assessed_at"',
    ]
    assert database_state() == before


def test_assessment_import_rejects_the_same_respondent_twice_at_the_same_moment(customer, tmp_path):
    row = assessment_row(assessed_at=days_ago(4))
    path = write_csv(tmp_path / "assessments.csv", [HEADER, row, row])

    message = fails("import_assessments", path)

    assert "Row 3: the same respondent assessed the same customer at the same time in row 2" in (
        message
    )
    assert Assessment.objects.filter(source="import").count() == 0


def header_without(column: str) -> list[str]:
    return [c for c in HEADER if c != column]


def row_without(column: str) -> list[object]:
    row = assessment_row()
    return [cell for name, cell in zip(HEADER, row, strict=True) if name != column]


BAD_HEADERS = [
    pytest.param(
        [*HEADER, "colour"],
        [*assessment_row(), "blue"],
        'Row 1, column "colour": unknown column',
        id="unknown-column",
    ),
    pytest.param(
        [*HEADER[:-1], "personal_bnd"],
        assessment_row(),
        'Row 1, column "personal_bnd": unknown column; did you mean “personal_bond”?',
        id="misspelt-column",
    ),
    pytest.param(
        header_without("contract"),
        row_without("contract"),
        'Row 1, column "contract": the column is missing from the header.',
        id="missing-element-column",
    ),
    pytest.param(
        header_without("customer"),
        row_without("customer"),
        'Row 1, column "customer": the column is missing from the header.',
        id="missing-customer-column",
    ),
    pytest.param(
        [*HEADER, "performance"],
        [*assessment_row(), "4"],
        'Row 1, column "performance": the column appears twice (columns 8 and 20).',
        id="duplicate-column",
    ),
]


@pytest.mark.parametrize(("header", "row", "expected"), BAD_HEADERS)
def test_assessment_import_with_a_bad_header_writes_nothing_and_names_the_column(
    customer, tmp_path, header, row, expected
):
    path = write_csv(tmp_path / "assessments.csv", [header, row])
    before = database_state()

    message = fails("import_assessments", path)

    assert expected in message
    assert database_state() == before


def test_assessment_import_with_a_short_row_names_the_row_and_the_missing_column(
    customer, tmp_path
):
    path = write_csv(
        tmp_path / "assessments.csv",
        [HEADER, assessment_row(), assessment_row()[:-2]],
    )
    before = database_state()

    message = fails("import_assessments", path)

    assert 'Row 3, column "presence": the value is missing: the row has 17 fields' in message
    assert database_state() == before


def test_assessment_import_with_a_row_of_too_many_fields_names_the_row(customer, tmp_path):
    path = write_csv(
        tmp_path / "assessments.csv",
        [HEADER, [*assessment_row(), "5"], assessment_row(email="b@example.nl")],
    )
    before = database_state()

    message = fails("import_assessments", path)

    assert "Row 2: the row has 20 fields where the header has 19." in message
    assert database_state() == before


def test_xlsx_row_with_a_value_beyond_the_header_names_the_row_and_column(customer, tmp_path):
    path = write_xlsx(tmp_path / "assessments.xlsx", [HEADER, [*assessment_row(), 5]])

    message = fails("import_assessments", path)

    assert "Row 2: column 20 has a value but no heading." in message


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        pytest.param("empty.csv", b"", "The file is empty.", id="empty-csv"),
        pytest.param("blank.csv", b"\r\n;;;\r\n", "The file is empty.", id="blank-csv"),
        pytest.param(
            "header.csv",
            (",".join(HEADER) + "\r\n").encode(),
            "The file has a header but no rows to import.",
            id="header-only",
        ),
        pytest.param(
            "assessments.xls",
            b"\xd0\xcf\x11\xe0",
            "“assessments.xls” is not a CSV or Excel (.xlsx) file",
            id="old-excel",
        ),
        pytest.param("assessments.json", b"[]", "is not a CSV or Excel (.xlsx) file", id="json"),
        pytest.param(
            "broken.xlsx",
            b"not a zip file",
            "cannot be read as an Excel (.xlsx) workbook",
            id="broken-xlsx",
        ),
    ],
)
def test_assessment_import_of_an_unusable_file_writes_nothing(
    customer, tmp_path, name, content, expected
):
    path = tmp_path / name
    path.write_bytes(content)
    before = database_state()

    message = fails("import_assessments", path)

    assert expected in message
    assert database_state() == before


def test_empty_xlsx_and_header_only_xlsx_are_refused(customer, tmp_path):
    assert "The file is empty." in fails("import_assessments", write_xlsx(tmp_path / "e.xlsx", []))
    message = fails("import_assessments", write_xlsx(tmp_path / "h.xlsx", [HEADER]))
    assert "header but no rows" in message


def test_customer_import_of_a_missing_file_says_so(db, tmp_path):
    message = fails("import_customers", tmp_path / "nowhere.csv")

    assert "There is no file" in message


def test_import_failed_from_the_api_carries_every_row_error(customer):
    data = "\n".join(
        [",".join(HEADER), ",".join(str(c) for c in with_value("performance", 9))]
    ).encode()
    from scoring.imports import assessments_import

    with pytest.raises(ImportFailed) as excinfo:
        assessments_import(table=table_read(data, "upload.csv"))

    [error] = excinfo.value.errors
    assert (error.row, error.column) == (2, "performance")
    assert error.message == "9 is outside the scale: use a whole number from 0 to 6."
