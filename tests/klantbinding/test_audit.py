"""The change history: who changed what and when, old → new, visible to management; and who
imported which assessments."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from klantbinding import audit
from scoring.imports import assessments_import, customers_import, table_read
from scoring.models import Assessment, Customer, Element
from scoring.roles import MANAGEMENT
from tests.factories import CustomerFactory, active_model, assess
from tests.surveys.support import make_campaign

pytestmark = pytest.mark.django_db
User = get_user_model()

CUSTOMERS = (
    "external_id,name,account_manager_email,sector,annual_revenue,margin_pct,"
    "revenue_potential,payment_behaviour\n"
)


@pytest.fixture
def admin_user(db) -> User:
    return User.objects.create_superuser("root", "root@example.nl", "beheer-wachtwoord-9")


def admin_change_customer(client: Client, customer: Customer, **changes: object) -> None:
    """Save the customer's admin form with ``changes``, as an administrator would."""
    data = {
        "external_id": customer.external_id,
        "name": customer.name,
        "account_manager": customer.account_manager_id or "",
        "sector": customer.sector,
        "annual_revenue": customer.annual_revenue,
        "margin_pct": "" if customer.margin_pct is None else customer.margin_pct,
        "revenue_potential": customer.revenue_potential,
        "payment_behaviour": customer.payment_behaviour,
        "active": "on" if customer.active else "",
        "contacts-TOTAL_FORMS": 0,
        "contacts-INITIAL_FORMS": 0,
        "contacts-MIN_NUM_FORMS": 0,
        "contacts-MAX_NUM_FORMS": 1000,
        **changes,
    }
    response = client.post(f"/admin/scoring/customer/{customer.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]


def test_moving_a_customer_to_another_account_manager_records_who_when_and_old_new(
    admin_user, anne, bart, mira
):
    customer = CustomerFactory(account_manager=anne, name="Acme B.V.")
    client = Client()
    client.force_login(admin_user)
    admin_change_customer(client, customer, account_manager=bart.pk)

    record = customer.history.latest()
    assert record.history_user == admin_user
    assert record.history_type == "~"
    assert record.prev_record.account_manager_id == anne.pk
    assert record.account_manager_id == bart.pk

    # Management sees it on the change log, in words.
    viewer = Client(HTTP_ACCEPT_LANGUAGE="en")
    viewer.force_login(mira)
    page = viewer.get("/audit/?kind=scoring.customer").content.decode()
    anne_name, bart_name = anne.get_full_name(), bart.get_full_name()
    assert "Acme B.V." in page
    assert admin_user.get_username() in page
    assert f"<del>{anne_name}</del> → <ins>{bart_name}</ins>" in page


def test_the_change_log_is_for_management_only(anne, mira):
    client = Client()
    client.force_login(anne)
    assert client.get("/audit/").status_code == 403
    assert Client().get("/audit/").status_code == 302  # to sign-in
    client.force_login(mira)
    assert client.get("/audit/").status_code == 200


def test_an_import_that_moves_a_customer_records_the_importing_user(anne, bart, mira):
    customer = CustomerFactory(account_manager=anne, external_id="K7", name="Bouw B.V.")
    row = f"K7,Bouw B.V.,{bart.email},Bouw,0,,0,\n"
    customers_import(table=table_read((CUSTOMERS + row).encode(), "c.csv"), imported_by=mira)
    record = customer.history.latest()
    assert record.history_user == mira
    assert record.history_change_reason == audit.IMPORT_REASON
    assert record.prev_record.account_manager_id == anne.pk
    assert record.account_manager_id == bart.pk

    with translation.override("en"):
        changes = audit.changes_recent(kind="scoring.customer").changes
    moved = next(c for c in changes if c.label == "Bouw B.V." and c.action == "changed")
    fields = {f.field: (f.old, f.new) for f in moved.fields}
    assert fields["account manager"] == (anne.get_full_name(), bart.get_full_name())
    assert fields["sector"] == ("Logistiek", "Bouw")


def test_a_customer_written_in_bulk_shows_what_it_was_at_its_first_change(admin_user, anne, bart):
    Customer.objects.bulk_create(
        [Customer(external_id="B1", name="Bulk B.V.", account_manager=anne)]
    )  # as the demo and the import write: no history yet
    customer = Customer.objects.get(external_id="B1")
    assert not customer.history.exists()
    client = Client()
    client.force_login(admin_user)
    admin_change_customer(client, customer, account_manager=bart.pk)
    change = customer.history.latest()
    assert change.prev_record.history_change_reason == audit.BASELINE
    assert change.prev_record.account_manager_id == anne.pk


def test_changes_to_models_elements_campaigns_contacts_and_users_are_recorded(
    admin_user, anne, mira
):
    element = Element.objects.filter(scoring_model=active_model()).first()
    element._history_user = mira
    element.name_en = "Delivery"
    element.save()
    campaign = make_campaign()
    campaign._history_user = mira
    campaign.expires_after_days = 30
    campaign.save()
    customer = CustomerFactory(account_manager=anne)
    contact = customer.contacts.create(name="Piet", email="piet@klant.example")
    contact.email = "p.jansen@klant.example"
    contact.save()
    anne.groups.add(Group.objects.get(name=MANAGEMENT))

    with translation.override("en"):
        changes = audit.changes_recent().changes
    by_kind = {}
    for change in changes:
        by_kind.setdefault(change.kind, []).append(change)
    assert any(
        ("name (English)", element.history.all()[1].name_en, "Delivery")
        in {(f.field, f.old, f.new) for f in c.fields}
        for c in by_kind["Element"]
    )
    assert any(
        {(f.field, f.old, f.new) for f in c.fields}
        >= {("invitation expires after (days)", "21", "30")}
        for c in by_kind["Campaign"]
    )
    assert any(
        ("e-mail", "piet@klant.example", "p.jansen@klant.example")
        in {(f.field, f.old, f.new) for f in c.fields}
        for c in by_kind["Contact person"]
    )
    assert any("+Management" in c.reason for c in by_kind["User"])
    assert all(c.by == (mira.get_full_name()) for c in by_kind["Campaign"] if c.fields)


def test_signing_in_records_no_change_of_the_user(anne):
    from tests.klantbinding.conftest import sign_in

    before = anne.history.count()
    assert sign_in(Client(), "anne").status_code == 302
    anne.refresh_from_db()
    assert anne.last_login is not None
    assert anne.history.count() == before


def test_a_password_never_lands_in_the_history(anne):
    anne.set_password("iets-heel-geheims-123")
    anne.save()
    assert not hasattr(anne.history.latest(), "password")


# --------------------------------------------------------------------------------------------
# Who imported which assessments
# --------------------------------------------------------------------------------------------

CODES = (
    "performance,service,price_level,perception,competition,distinctiveness,"
    "knowledge_advantage,perceived_alternatives,it_integration,contract,presence,personal_bond"
)
ASSESSMENTS = f"customer,respondent_kind,respondent_email,assessed_at,{CODES}\n"
ROW = "K1,customer,klant@example.nl,2025-03-01,5" + "," * 11 + "\n"


def test_imported_assessments_record_who_imported_them(anne, mira):
    CustomerFactory(external_id="K1", account_manager=anne)
    data = (ASSESSMENTS + ROW).encode()
    assessments_import(table=table_read(data, "a.csv"), imported_by=mira)
    assert Assessment.objects.get().imported_by == mira


def test_the_upload_page_records_the_manager_who_confirmed_it(anne, mira, settings, tmp_path):
    CustomerFactory(external_id="K1", account_manager=anne)
    client = Client()
    client.force_login(mira)
    data = (ASSESSMENTS + ROW).encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = client.post(
        "/import/",
        {"kind": "assessments", "file": SimpleUploadedFile("a.csv", data, "text/csv")},
    )
    assert upload.status_code == 302, upload.content.decode()[:2000]
    confirmed = client.post(upload.url)
    assert confirmed.status_code == 302
    assert Assessment.objects.get().imported_by == mira


def test_the_import_command_records_the_user_it_is_given(anne, mira, tmp_path):
    CustomerFactory(external_id="K1", account_manager=anne)
    path = tmp_path / "a.csv"
    path.write_text(ASSESSMENTS + ROW)
    call_command("import_assessments", str(path), "--no-progress", "--user", mira.email)
    assert Assessment.objects.get().imported_by == mira


def test_assessments_made_in_the_app_have_no_importer(anne):
    assert assess(CustomerFactory(account_manager=anne), {"performance": 3}).imported_by is None


def test_the_demo_shows_management_moving_a_customer(db):
    from django.utils import timezone

    from scoring.demo import seed_portfolio

    seed_portfolio(customers=12, seed=5, history_months=0)
    line = audit.demo_step(seed=5, now=timezone.now())
    assert "moved" in line
    with translation.override("en"):
        [moved] = [c for c in audit.changes_recent().changes if c.kind == "Customer"]
    boss = User.objects.get(username="directie")
    assert moved.by == (boss.get_full_name() or boss.username)
    assert [f.field for f in moved.fields] == ["account manager"]


def test_administrators_see_each_objects_history_in_the_admin(admin_user, anne, bart):
    customer = CustomerFactory(account_manager=anne, name="Acme B.V.")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin_user)
    admin_change_customer(client, customer, account_manager=bart.pk)
    page = client.get(f"/admin/scoring/customer/{customer.pk}/history/")
    assert page.status_code == 200
    assert admin_user.get_username() in page.content.decode()
    assert client.get(f"/admin/auth/user/{anne.pk}/history/").status_code == 200
