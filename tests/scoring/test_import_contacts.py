"""The customer import's optional contact person columns: one contact person a row, matched by
customer and e-mail, all or nothing with the customers, recorded in the change history."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from klantbinding import audit
from scoring.imports import ImportFailed, customers_import, table_read
from scoring.models import Contact, Customer
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "external_id,name,account_manager_email,sector,annual_revenue,margin_pct,"
    "revenue_potential,payment_behaviour,contact_name,contact_email,contact_role,contact_language\n"
)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def imported(text: str, user: object = None):
    return customers_import(table=table_read(text.encode(), "klanten.csv"), imported_by=user)


def problems(text: str) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(ImportFailed) as failure:
        imported(text)
    return [(e.row, e.column, e.message) for e in failure.value.errors]


def test_a_customer_with_three_contact_persons_takes_three_rows(anne):
    summary = imported(
        HEADER + f"K1,Acme B.V.,{anne.email},Bouw,1000,10,2000,good,Piet Jansen,Piet@Acme.example,"
        "decision maker,nl\n"
        "K1,,,,,,,,Sara de Vries,sara@acme.example,gebruiker,en\n"
        f"K1,Acme B.V.,{anne.email},Bouw,1000,10,2000,good,Tom Bakker,tom@acme.example,,\n"
        f"K2,Beta B.V.,{anne.email},Zorg,0,,0,,,,,\n"
    )
    assert (summary.created, summary.contacts_created, summary.contacts_updated) == (2, 3, 0)
    acme = Customer.objects.get(external_id="K1")
    assert acme.name == "Acme B.V." and acme.account_manager == anne
    contacts = {c.email: (c.name, c.role, c.language, c.active) for c in acme.contacts.all()}
    assert contacts == {
        "piet@acme.example": ("Piet Jansen", "decision_maker", "nl", True),
        "sara@acme.example": ("Sara de Vries", "user", "en", True),
        "tom@acme.example": ("Tom Bakker", "", "nl", True),
    }
    assert not Customer.objects.get(external_id="K2").contacts.exists()


def test_known_contact_persons_are_updated_by_email_and_their_opt_out_is_kept(anne, mira):
    acme = CustomerFactory(external_id="K1", name="Acme B.V.", account_manager=anne)
    piet = ContactFactory(
        customer=acme, name="P. Jansen", email="piet@acme.example", role="user", language="en"
    )
    Contact.objects.filter(pk=piet.pk).update(opted_out=True, active=False)
    summary = imported(
        HEADER + f"K1,Acme B.V.,{anne.email},Logistiek,100000,20,150000,good,Piet Jansen,"
        "PIET@acme.example,,\n",
        user=mira,
    )
    assert (summary.contacts_created, summary.contacts_updated) == (0, 1)
    piet.refresh_from_db()
    # The name from the file; the role and language the file leaves empty stay as they were.
    assert (piet.name, piet.role, piet.language) == ("Piet Jansen", "user", "en")
    assert piet.opted_out and not piet.active  # the import never changes either
    record = piet.history.latest()
    assert record.history_user == mira
    assert record.history_change_reason == audit.IMPORT_REASON
    assert record.prev_record.name == "P. Jansen"


def test_reimporting_the_same_contact_persons_changes_nothing(anne):
    text = HEADER + f"K1,Acme B.V.,{anne.email},Bouw,0,,0,,Piet,piet@acme.example,user,nl\n"
    imported(text)
    again = imported(text)
    assert (again.skipped, again.contacts_created, again.contacts_updated) == (1, 0, 0)
    assert Contact.objects.count() == 1


def test_a_bad_contact_person_writes_nothing_and_names_every_problem(anne):
    CustomerFactory(external_id="K9", name="Bestaand B.V.", account_manager=anne)
    before = (Customer.objects.count(), Contact.objects.count())
    found = problems(
        HEADER + f"K1,Acme B.V.,{anne.email},Bouw,0,,0,,Piet,piet@acme.example,,nl\n"
        "K1,,,,,,,,,sara@acme.example,,\n"
        "K1,,,,,,,,Tom,geen-adres,,\n"
        "K1,,,,,,,,Piet,piet@acme.example,,\n"
        "K1,Andere naam,,,,,,,Anna,anna@acme.example,,\n"
        "K1,,,,,,,,,,,\n"
        "K9,Bestaand B.V.,,,,,,,Jan,jan@b.example,,fr\n"
        "K9,,,,,,,,Kees,kees@b.example,baas,\n"
    )
    assert (Customer.objects.count(), Contact.objects.count()) == before
    messages = {(row, column): message for row, column, message in found}
    assert "name is missing" in messages[(3, "contact_name")]
    assert "not a valid e-mail address" in messages[(4, "contact_email")]
    assert "already in row 2" in messages[(5, "contact_email")]
    assert "differ from row 2" in messages[(6, "external_id")]
    assert "only for more contact persons" in messages[(7, "external_id")]
    assert "not a language" in messages[(8, "contact_language")]
    assert "is not a role" in messages[(9, "contact_role")]
    assert len(found) == 7


def test_without_contact_columns_a_customer_is_once_per_file(anne):
    plain = HEADER.split(",contact_name")[0] + "\n"
    found = problems(plain + "K1,Acme,,,,,,\nK1,Acme,,,,,,\n")
    assert any("each customer once per file" in message for _r, _c, message in found)


def test_the_import_command_reads_contact_columns_from_xlsx(anne, tmp_path: Path):
    path = tmp_path / "klanten.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["K1", "Acme", anne.email, "Bouw", 0, None, 0, None, "Piet", "piet@a.example"])
    sheet.append(["K1", None, None, None, None, None, None, None, "Sara", "sara@a.example"])
    workbook.save(path)
    out = io.StringIO()
    call_command("import_customers", str(path), "--no-progress", stdout=out, stderr=io.StringIO())
    assert "Contact persons: 2 created, 0 updated." in out.getvalue()
    assert sorted(Contact.objects.values_list("email", flat=True)) == [
        "piet@a.example",
        "sara@a.example",
    ]
    bad = tmp_path / "fout.csv"
    bad.write_text(HEADER + "K2,Beta,,,,,,,Jan,,,\n", encoding="utf-8")
    with pytest.raises(CommandError, match="e-mail address is missing"):
        call_command("import_customers", str(bad), "--no-progress", stdout=io.StringIO())
    assert not Customer.objects.filter(external_id="K2").exists()


def test_the_upload_page_counts_the_contact_persons_then_imports_them(
    client: Client, mira, settings, tmp_path
):
    settings.KB_UPLOAD_DIR = tmp_path / "uploads"
    existing = CustomerFactory(external_id="K1", name="Acme B.V.")
    ContactFactory(customer=existing, name="Piet", email="piet@acme.example")
    client.force_login(mira)
    text = (
        HEADER + "K1,Acme B.V.,,Bouw,0,,0,,Piet Jansen,piet@acme.example,,\n"
        "K1,,,,,,,,Sara,sara@acme.example,champion,\n"
        "K2,Beta B.V.,,Zorg,0,,0,,Jan,jan@beta.example,,\n"
    )
    page = client.get(reverse("scoring:upload"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "contact_name, contact_email, contact_role, contact_language" in page
    response = client.post(
        reverse("scoring:upload"),
        {"kind": "customers", "file": SimpleUploadedFile("k.csv", text.encode())},
    )
    preview = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "All 3 rows are correct." in preview
    assert "creates 1 new customer<" in preview and "updates 1 customer<" in preview
    assert "Contact persons: 2 new, 1 updated." in preview
    done = client.post(response["Location"], follow=True, HTTP_ACCEPT_LANGUAGE="en")
    text_done = done.content.decode()
    assert "2 contact persons added" in text_done and "1 contact person updated" in text_done
    assert Contact.objects.filter(customer__external_id="K1").count() == 2
    assert Contact.objects.get(email="sara@acme.example").role == "champion"
