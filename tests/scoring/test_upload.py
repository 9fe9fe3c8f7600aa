"""Upload pages: check a spreadsheet, show the first rows and every problem, then import."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from scoring.models import Assessment, Customer, ScoreSnapshot
from tests.factories import CustomerFactory
from tests.scoring.test_matrix import CODES

CUSTOMERS_CSV = (
    "external_id;name;account_manager_email;sector;annual_revenue;margin_pct;"
    "revenue_potential;payment_behaviour\n"
    "K-100;Bakkerij Jansen;anne@example.nl;Food;1.250.000,50;12,5;2000000;goed\n"
    "K-101;Garage Pietersen;nieuw@example.nl;Auto;80000;;90000;average\n"
)


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.KB_UPLOAD_DIR = tmp_path / "uploads"
    return settings.KB_UPLOAD_DIR


@pytest.fixture
def manager_client(client, mira):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(mira)
    return client


def upload(client, content: bytes, name: str = "file.csv", kind: str = "customers"):
    return client.post(
        reverse("scoring:upload"),
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
    )


def test_account_managers_cannot_upload(client, anne):
    client.force_login(anne)
    assert client.get(reverse("scoring:upload")).status_code == 403
    response = upload(client, CUSTOMERS_CSV.encode())
    assert response.status_code == 403
    assert not Customer.objects.exists()


def test_customer_upload_previews_the_rows_then_imports_on_confirm(
    manager_client, anne, upload_dir
):
    response = upload(manager_client, CUSTOMERS_CSV.encode("utf-8"), "klanten.csv")
    assert response.status_code == 302
    preview_url = response["Location"]
    preview = manager_client.get(preview_url)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Bakkerij Jansen" in html and "Garage Pietersen" in html
    assert "All 2 rows are correct." in html
    assert "creates 2 new customers" in html and "updates 0 customers" in html
    assert not Customer.objects.exists()  # nothing is written before the confirmation
    # The parsed rows and the preview stay on the server (not the file's bytes); the page
    # carries only the token in its URL.
    assert sorted(p.name.split(".", 1)[1] for p in upload_dir.iterdir()) == [
        "preview.json",
        "table.json",
    ]
    assert "Bakkerij" not in re.search(r"<form method=\"post\".*?</form>", html, re.S).group(0)

    done = manager_client.post(preview_url, follow=True)
    summary = done.content.decode()
    assert "Import done" in summary
    assert "2 created" in summary
    assert "1 new account manager user" in summary
    jansen = Customer.objects.get(external_id="K-100")
    assert jansen.account_manager == anne
    assert str(jansen.annual_revenue) == "1250000.50"
    assert list(upload_dir.iterdir()) == []


def test_confirming_twice_imports_once(manager_client):
    preview_url = upload(manager_client, CUSTOMERS_CSV.encode())["Location"]
    manager_client.post(preview_url)
    again = manager_client.post(preview_url, follow=True)
    assert "Import done" in again.content.decode()
    assert Customer.objects.count() == 2


def test_a_file_with_problems_lists_each_with_row_and_column_and_writes_nothing(manager_client):
    CustomerFactory(external_id="K-1", name="Existing")
    bad = (
        "external_id,name,account_manager_email,sector,annual_revenue,margin_pct,"
        "revenue_potential,payment_behaviour\n"
        "K-1,Renamed,anne@example.nl,Food,100,10,100,good\n"
        "K-2,,not-an-email,Food,veel,10,100,good\n"
        "K-3,Fine,,Food,-5,300,100,sometimes\n"
    )
    preview_url = upload(manager_client, bad.encode())["Location"]
    response = manager_client.get(preview_url)
    assert response.status_code == 200
    html = response.content.decode()
    errors = html[html.index('id="import-errors"') :].split("</table>")[0]
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", errors)
    assert [(row, column) for row, column, _message in rows] == [
        ("3", "name"),
        ("3", "account_manager_email"),
        ("3", "annual_revenue"),
        ("4", "annual_revenue"),
        ("4", "margin_pct"),
        ("4", "payment_behaviour"),
    ]
    assert "6 problems. Nothing was written." in html
    assert 'id="confirm-import"' not in html
    # Posting the confirmation anyway writes nothing either.
    assert manager_client.post(preview_url).status_code == 200
    assert Customer.objects.get(external_id="K-1").name == "Existing"
    assert Customer.objects.count() == 1


def test_assessment_upload_imports_and_refreshes_the_scores(manager_client, anne):
    customer = CustomerFactory(external_id="K-7", account_manager=anne)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["customer", "respondent_kind", "respondent_email", "assessed_at", *CODES])
    sheet.append(["K-7", "customer", "inkoop@klant.example", "2026-01-15", 6, *[None] * 11])
    sheet.append(["K-7", "expert", "expert@markt.example", "2026-01-16", 3, *[None] * 11])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(manager_client, buffer.getvalue(), "scores.xlsx", kind="assessments")
    preview = manager_client.get(response["Location"]).content.decode()
    assert "All 2 rows are correct." in preview and "adds 2 new assessments" in preview
    assert not Assessment.objects.exists()
    done = manager_client.post(response["Location"], follow=True).content.decode()
    assert "2 created" in done
    assert Assessment.objects.filter(customer=customer).count() == 2
    assert ScoreSnapshot.objects.filter(customer=customer, is_current=True).exists()


def test_an_assessment_file_for_an_unknown_customer_is_refused(manager_client):
    content = ",".join(["customer", "respondent_kind", "respondent_email", "assessed_at", *CODES])
    content += "\nK-404,staff,someone@example.nl,2026-01-15,4" + "," * 11 + "\n"
    preview_url = upload(manager_client, content.encode(), kind="assessments")["Location"]
    html = manager_client.get(preview_url).content.decode()
    assert "there is no customer with external id “K-404”" in html
    assert not Assessment.objects.exists()


def test_a_file_that_is_no_spreadsheet_gets_a_clear_message(manager_client):
    response = upload(manager_client, b"%PDF-1.4", "scores.pdf")
    assert response.status_code == 200
    assert "“scores.pdf” is not a CSV or Excel (.xlsx) file" in response.content.decode()
    damaged = upload(manager_client, b"not a zip at all", "scores.xlsx")
    html = manager_client.get(damaged["Location"]).content.decode()
    assert "The file cannot be read as an Excel (.xlsx) workbook." in html


def test_upload_problems_are_reported_in_dutch(client, mira):
    client.force_login(mira)
    response = client.post(
        reverse("scoring:upload"),
        {"kind": "customers", "file": SimpleUploadedFile("x.csv", b"external_id\n")},
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    html = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Het bestand kan niet geïmporteerd worden" in html


def test_an_upload_belongs_to_the_session_that_made_it(manager_client, client, mira):
    preview_url = upload(manager_client, CUSTOMERS_CSV.encode())["Location"]
    other = type(client)()
    other.force_login(mira)  # the same user in another browser has no access to it
    assert other.get(preview_url).status_code == 404
    assert other.post(preview_url).status_code == 404
    assert manager_client.get("/import/../../etc/passwd/").status_code == 404
    assert not Customer.objects.exists()
