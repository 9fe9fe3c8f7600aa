"""The resources: customers upserted all or nothing through the import's checks, the score
with its previous value and why it moved, assessments with every problem named, and the
writes of the other apps through their services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from actions.models import Action
from alerts.models import Alert
from relations.models import ContactMoment, Departure
from scoring.models import Assessment, Customer
from tests.factories import CustomerFactory, assess

pytestmark = pytest.mark.django_db


def _row(external_id: str, **fields):
    return {"external_id": external_id, "name": f"Klant {external_id}", **fields}


def test_an_upsert_creates_and_updates_customers_by_external_id(client_for, mira, anne):
    client = client_for(mira)
    body = {
        "customers": [
            _row(
                "CRM-1",
                account_manager_email=anne.email,
                annual_revenue="125000.50",
                sector="Bouw",
                payment_behaviour="good",
            ),
            _row("CRM-2", account_manager_email="nieuw@example.nl", margin_pct=12.5),
        ]
    }
    response = client.post("/api/v1/customers/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0, "users_created": 1}
    first = Customer.objects.get(external_id="CRM-1")
    assert first.account_manager == anne and str(first.annual_revenue) == "125000.50"
    body = {
        "customers": [
            _row(
                "CRM-1",
                name="Nieuwe naam",
                account_manager_email=anne.email,
                annual_revenue="125000.50",
                sector="Bouw",
                payment_behaviour="good",
                active=False,
            )
        ]
    }
    response = client.post("/api/v1/customers/", body, format="json")
    assert response.json()["updated"] == 1
    first.refresh_from_db()
    assert first.name == "Nieuwe naam" and first.active is False
    read = client.get("/api/v1/customers/CRM-1/").json()
    assert read["name"] == "Nieuwe naam" and read["account_manager_email"] == anne.email
    assert read["active"] is False and read["score"] is None


def test_an_upsert_batch_with_one_bad_row_writes_nothing(client_for, mira):
    CustomerFactory(external_id="CRM-1", name="Bestaand")
    body = {
        "customers": [
            _row("CRM-1", name="Gewijzigd"),
            _row("CRM-2"),
            _row("CRM-3", annual_revenue="-5"),
            _row("CRM-4", account_manager_email="geen-adres"),
        ]
    }
    response = client_for(mira).post("/api/v1/customers/", body, format="json")
    assert response.status_code == 422
    problem = response.json()
    assert response["Content-Type"] == "application/problem+json"
    pointers = {e["pointer"] for e in problem["errors"]}
    assert pointers == {"/customers/2/annual_revenue", "/customers/3/account_manager_email"}
    assert "2 problems" in problem["detail"]
    assert Customer.objects.get(external_id="CRM-1").name == "Bestaand"
    assert not Customer.objects.filter(external_id__in=["CRM-2", "CRM-3", "CRM-4"]).exists()


def test_an_upsert_takes_at_most_1000_customers(client_for, mira):
    body = {"customers": [_row(f"CRM-{i}") for i in range(1001)]}
    response = client_for(mira).post("/api/v1/customers/", body, format="json")
    assert response.status_code == 422
    assert not Customer.objects.exists()


def test_the_customer_list_walks_every_page_with_a_cursor(client_for, mira):
    for i in range(7):
        CustomerFactory(external_id=f"CRM-{i}")
    client, seen, url = client_for(mira), [], "/api/v1/customers/?limit=3"
    while url:
        page = client.get(url).json()
        seen += [c["external_id"] for c in page["results"]]
        url = page["next"]
    assert sorted(seen) == [f"CRM-{i}" for i in range(7)] and len(seen) == 7


def test_updated_since_lists_only_what_changed(client_for, mira):
    old = CustomerFactory(external_id="OUD")
    Customer.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=3))
    CustomerFactory(external_id="NIEUW")
    since = (timezone.now() - timedelta(days=1)).isoformat()
    page = client_for(mira).get("/api/v1/customers/", {"updated_since": since}).json()
    assert [c["external_id"] for c in page["results"]] == ["NIEUW"]
    bad = client_for(mira).get("/api/v1/customers/", {"updated_since": "gisteren"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/updated_since"


def test_a_score_comes_with_its_previous_value_and_why_it_moved(client_for, anne):
    customer = CustomerFactory(account_manager=anne, external_id="CRM-1")
    week_ago = timezone.now() - timedelta(days=7)
    assess(customer, {"performance": 6, "service": 6, "it_integration": 2}, user=anne, at=week_ago)
    assess(customer, {"performance": 6, "service": 2, "it_integration": 2}, user=anne)
    assess(customer, {"service": 5}, kind="customer", email="inkoop@klant.example")
    body = client_for(anne).get("/api/v1/customers/CRM-1/score/").json()
    assert body["customer"] == "CRM-1" and body["model_version"] >= 1
    assert body["previous"]["score"] is not None
    assert body["change"] == pytest.approx(round(body["score"] - body["previous"]["score"], 1))
    assert sum(line["change"] for line in body["why"]) == pytest.approx(body["change"], abs=0.05)
    service = next(line for line in body["why"] if line["element"] == "service")
    assert service["change"] > 0
    gap = next(g for g in body["perception_gap"] if g["element"] == "service")
    assert gap["staff"] == 2 and gap["customer"] == 5 and gap["customer_gap"] == 3
    history = client_for(anne).get("/api/v1/customers/CRM-1/score/history/").json()
    assert len(history) == 3 and history[0]["score"] == body["score"]


def test_a_score_on_a_past_date(client_for, anne):
    customer = CustomerFactory(account_manager=anne, external_id="CRM-1")
    client = client_for(anne)
    assess(customer, {"performance": 6, "service": 6}, user=anne)
    today = timezone.localdate()
    assert client.get("/api/v1/customers/CRM-1/score/", {"at": str(today)}).json()["score"] == 100
    yesterday = str(today - timedelta(days=1))
    response = client.get("/api/v1/customers/CRM-1/score/", {"at": yesterday})
    assert response.status_code == 404 and yesterday in response.json()["detail"]
    assert client.get("/api/v1/customers/CRM-1/score/", {"at": "1-2-3"}).status_code == 422


def test_an_assessment_with_problems_names_every_one_and_writes_nothing(client_for, anne):
    CustomerFactory(account_manager=anne, external_id="CRM-1")
    body = {
        "customer": "CRM-1",
        "values": {"performance": 9, "service": 4, "bestaat_niet": 3},
        "nps": 8,
    }
    response = client_for(anne).post("/api/v1/assessments/", body, format="json")
    assert response.status_code == 422
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert pointers == {"/values/performance", "/values/bestaat_niet", "/nps"}
    assert not Assessment.objects.exists()


def test_an_assessment_is_submitted_once_per_submission_key(client_for, anne):
    customer = CustomerFactory(account_manager=anne, external_id="CRM-1")
    body = {
        "customer": "CRM-1",
        "values": {"performance": 5, "service": None},
        "submission_key": "6f1c7c7e-8d0e-4f57-9c43-3d6a1b7a0c11",
    }
    client = client_for(anne)
    first = client.post("/api/v1/assessments/", body, format="json")
    assert first.status_code == 201
    assert first.json()["values"]["performance"] == 5
    assert first.json()["respondent_email"] == anne.email
    again = client.post("/api/v1/assessments/", body, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert customer.assessments.count() == 1
    assert client.get(f"/api/v1/assessments/{first.json()['id']}/").status_code == 200


def test_contacts_actions_alerts_and_departures_go_through_the_services(
    client_for, anne, mira, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(account_manager=anne, external_id="CRM-1")
    with django_capture_on_commit_callbacks(execute=True):  # alerts evaluate after commit
        assess(
            customer,
            {"performance": 6, "service": 6},
            user=anne,
            at=timezone.now() - timedelta(days=3),
        )
        assess(customer, {"performance": 1, "service": 1}, user=anne)  # the band goes down
    anne_client, mira_client = client_for(anne), client_for(mira)

    contact = {
        "customer": "CRM-1",
        "kind": "visit",
        "at": timezone.now().isoformat(),
        "summary": "Jaarplan besproken",
    }
    assert anne_client.post("/api/v1/contacts/", contact, format="json").status_code == 201
    future = {**contact, "at": (timezone.now() + timedelta(days=2)).isoformat()}
    refused = anne_client.post("/api/v1/contacts/", future, format="json")
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/at"
    assert ContactMoment.objects.filter(customer=customer).count() == 1
    listed = anne_client.get("/api/v1/contacts/").json()["results"]
    assert [c["summary"] for c in listed] == ["Jaarplan besproken"]

    action = {
        "customer": "CRM-1",
        "action_type": "knowledge_event",
        "element_code": "performance",
        "title": "Kennissessie",
    }
    from actions.models import ActionType

    if not ActionType.objects.filter(code="knowledge_event").exists():
        action["action_type"] = ActionType.objects.first().code
    assert anne_client.post("/api/v1/actions/", action, format="json").status_code == 403
    made = mira_client.post("/api/v1/actions/", action, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["status"] == "open" and made.json()["owner_email"] == anne.email
    pk = made.json()["id"]
    moved = anne_client.patch(f"/api/v1/actions/{pk}/", {"status": "in_progress"}, format="json")
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"
    undone = anne_client.patch(f"/api/v1/actions/{pk}/", {"status": "done"}, format="json")
    assert undone.status_code == 422  # done needs an outcome, as on the page
    assert (
        anne_client.patch(
            f"/api/v1/actions/{pk}/", {"status": "cancelled"}, format="json"
        ).status_code
        == 403
    )  # management cancels
    assert Action.objects.get(pk=pk).status == "in_progress"

    alerts = anne_client.get("/api/v1/alerts/").json()["results"]
    band_down = next(a for a in alerts if a["trigger"] == "band_down")
    assert band_down["why"] and band_down["customer"] == "CRM-1"
    acknowledged = anne_client.post(f"/api/v1/alerts/{band_down['id']}/acknowledge/")
    assert acknowledged.status_code == 200 and acknowledged.json()["status"] == "acknowledged"
    assert Alert.objects.get(pk=band_down["id"]).acknowledged_by == anne

    today = timezone.localdate()
    departure = {
        "customer": "CRM-1",
        "kind": "full",
        "decided_on": str(today),
        "left_on": str(today),
        "competitor": "NordSupply",
    }
    assert anne_client.post("/api/v1/departures/", departure, format="json").status_code == 403
    recorded = mira_client.post("/api/v1/departures/", departure, format="json")
    assert recorded.status_code == 201
    customer.refresh_from_db()
    assert customer.active is False and Departure.objects.filter(customer=customer).count() == 1


def test_the_lists_hand_built_rows_equal_the_serializers(anne, mira):
    """api.selectors.customer_rows is the fast path of serializers.CustomerSerializer."""
    from api import selectors
    from api.serializers import CustomerSerializer

    scored = CustomerFactory(account_manager=anne, margin_pct=None, payment_behaviour="")
    assess(scored, {"performance": 4}, user=anne, at=timezone.now() - timedelta(days=1))
    assess(scored, {"performance": 5, "service": 3}, user=anne)
    CustomerFactory(account_manager=None, annual_revenue="1234.50")
    customers = list(Customer.objects.select_related("account_manager").order_by("id"))
    snapshots = selectors.current_snapshots_of([c.pk for c in customers])
    expected = CustomerSerializer(customers, many=True, context={"snapshots": snapshots}).data
    built = selectors.customer_rows(selectors.customers_with_score(Customer.objects.order_by("id")))
    for mine, theirs in zip(built, expected, strict=True):
        for key in theirs:
            assert mine[key] == theirs[key], (key, mine[key], theirs[key])
    assert built == [dict(row) for row in expected]


def test_the_scores_perception_gap_is_the_dashboards_rule_for_one_customer(anne):
    """api.selectors._gaps is calculations.perception_gap for one customer, without frames."""
    import numpy as np
    import pandas as pd

    from api import selectors
    from scoring import calculations
    from scoring.models import Element

    customer = CustomerFactory(account_manager=anne)
    assess(customer, {"performance": 2, "service": 5, "contract": 3}, user=anne)
    assess(customer, {"performance": 6, "service": 1}, kind="customer", email="k@klant.example")
    assess(customer, {"performance": 3}, kind="expert", email="e@markt.example")
    snapshot = customer.snapshots.get(is_current=True)
    codes = list(
        Element.objects.filter(scoring_model=snapshot.scoring_model)
        .order_by("order", "pk")
        .values_list("code", flat=True)
    )
    means = [snapshot.element_values(codes, kind) for kind in calculations.KINDS]
    frame = pd.DataFrame(
        [[m[c] for m in means for c in codes]],
        columns=pd.MultiIndex.from_product([calculations.KINDS, codes]),
        dtype=float,
    )
    expected = calculations.perception_gap(frame, codes)
    gaps = selectors._gaps(snapshot)
    assert [g["element"] for g in gaps] == list(expected.index)
    for gap, (_code, row) in zip(gaps, expected.iterrows(), strict=True):
        for key in ("staff", "customer", "expert", "customer_gap", "expert_gap"):
            value = row[key]
            assert (gap[key] is None) == bool(np.isnan(value))
            if gap[key] is not None:
                assert gap[key] == pytest.approx(value, abs=1e-3)
