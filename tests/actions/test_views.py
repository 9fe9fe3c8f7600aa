"""The actions pages: who sees and changes what (another manager's action is a 404), and what
the pages show: My actions late first, the board, the customer panel, proposing from a link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions import services
from actions.models import Action
from tests.actions.factories import action_type, make_action
from tests.factories import CustomerFactory, assess

pytestmark = pytest.mark.django_db


def client_for(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def annes_action(anne, mira) -> Action:
    return make_action(CustomerFactory(account_manager=anne, name="Annes Klant"), by=mira)


ACTION_PAGES = ("action-detail", "action-complete")
ACTION_POSTS = ("action-start", "action-steps", "action-complete")
MANAGEMENT_ONLY = ("action-decide", "action-cancel", "action-edit")


@pytest.mark.parametrize("name", ACTION_PAGES)
def test_an_account_manager_cannot_open_another_managers_action(bart, annes_action, name):
    response = client_for(bart).get(reverse(f"actions:{name}", args=[annes_action.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ACTION_POSTS)
def test_an_account_manager_cannot_change_another_managers_action(bart, annes_action, name):
    data = {"done": ["1"], "outcome": "achieved"}
    response = client_for(bart).post(reverse(f"actions:{name}", args=[annes_action.pk]), data)
    assert response.status_code == 404
    annes_action.refresh_from_db()
    assert annes_action.status == Action.Status.OPEN
    assert not annes_action.steps.filter(done_at__isnull=False).exists()


@pytest.mark.parametrize("name", MANAGEMENT_ONLY)
def test_an_account_manager_cannot_decide_cancel_or_edit_even_their_own(anne, mira, name):
    action = make_action(CustomerFactory(account_manager=anne), by=mira, decide=False)
    response = client_for(anne).post(
        reverse(f"actions:{name}", args=[action.pk]), {"reason": "x", "title": "y"}
    )
    assert response.status_code == 403
    action.refresh_from_db()
    assert action.status == Action.Status.PROPOSED and action.decided_at is None


def test_an_account_manager_cannot_decide_by_proposing(anne):
    customer = CustomerFactory(account_manager=anne)
    url = reverse("actions:propose") + f"?customer={customer.pk}&element=knowledge_advantage"
    response = client_for(anne).post(
        url,
        {
            "action_type": action_type().pk,
            "element_code": "knowledge_advantage",
            "title": "Kennisdag",
            "origin": "wall",
            "decide": "on",
            "owner": str(anne.pk),
        },
    )
    assert response.status_code == 302
    action = Action.objects.get(customer=customer)
    assert action.status == Action.Status.PROPOSED and action.owner == anne


def test_an_account_manager_cannot_propose_for_another_managers_customer(anne, bart):
    barts = CustomerFactory(account_manager=bart)
    client = client_for(anne)
    assert client.get(reverse("actions:propose") + f"?customer={barts.pk}").status_code == 404
    assert client.post(reverse("actions:propose") + f"?customer={barts.pk}", {}).status_code == 404
    assert not Action.objects.exists()


def test_the_board_types_and_campaigns_are_for_management_only(anne):
    client = client_for(anne)
    for name in ("board", "type-list", "type-create", "campaign-list", "campaign-create"):
        assert client.get(reverse(f"actions:{name}")).status_code == 403, name


def test_my_actions_shows_only_my_own_with_the_late_ones_first(anne, bart, mira):
    today = timezone.localdate()
    customer = CustomerFactory(account_manager=anne)
    on_track = make_action(customer, by=mira, title="Op schema", due_on=today + dt.timedelta(30))
    soon = make_action(
        customer, by=mira, type_code="relationship-event", title="Binnenkort",
        due_on=today + dt.timedelta(3),
    )  # fmt: skip
    # An overdue and a stuck action: due dates in the past, as the database would hold them.
    late = make_action(customer, by=mira, type_code="contract-renewal", title="Te laat")
    stuck = make_action(customer, by=mira, type_code="it-integration", title="Vastgelopen")
    Action.objects.filter(pk=late.pk).update(due_on=today - dt.timedelta(days=5))
    Action.objects.filter(pk=stuck.pk).update(due_on=today - dt.timedelta(days=45))
    make_action(CustomerFactory(account_manager=bart), by=mira, title="Van Bart")

    page = client_for(anne).get(reverse("actions:mine")).content.decode()

    running = page.split('id="running-actions"')[1].split("</table>")[0]
    order = [running.index(t) for t in ("Vastgelopen", "Te laat", "Binnenkort", "Op schema")]
    assert order == sorted(order)
    assert 'data-timeliness="stuck"' in running and 'data-timeliness="overdue"' in running
    assert 'data-timeliness="due_soon"' in running and 'data-timeliness="on_track"' in running
    assert "Van Bart" not in page
    assert on_track.title in page and soon.title in page


def test_the_board_filters_on_element_owner_type_and_band(anne, bart, mira):
    a = make_action(CustomerFactory(account_manager=anne), by=mira, title="Actie Anne")
    b = make_action(
        CustomerFactory(account_manager=bart), by=mira, type_code="it-integration",
        title="Actie Bart",
    )  # fmt: skip
    client = client_for(mira)
    everything = client.get(reverse("actions:board")).content.decode()
    assert a.title in everything and b.title in everything
    by_owner = client.get(reverse("actions:board"), {"owner": bart.pk}).content.decode()
    assert b.title in by_owner and a.title not in by_owner
    by_element = client.get(reverse("actions:board"), {"element": "knowledge_advantage"})
    assert a.title in by_element.content.decode() and b.title not in by_element.content.decode()
    by_type = client.get(
        reverse("actions:board"), {"action_type": action_type("it-integration").pk}
    )
    assert b.title in by_type.content.decode() and a.title not in by_type.content.decode()
    by_band = client.get(reverse("actions:board"), {"band": "green"}).content.decode()
    assert a.title not in by_band and b.title not in by_band  # nobody has a score
    odd = client.get(reverse("actions:board"), {"owner": "x", "band": "purple", "element": "?"})
    assert odd.status_code == 200


def test_proposing_from_the_wall_link_prefills_the_element_and_decides(anne, mira):
    customer = CustomerFactory(account_manager=anne)
    url = reverse("actions:propose") + f"?customer={customer.pk}&element=it_integration&origin=wall"
    client = client_for(mira)
    form = client.get(url).content.decode()
    assert 'value="it_integration" selected' in form
    response = client.post(
        url,
        {
            "action_type": action_type("it-integration").pk,
            "element_code": "it_integration",
            "title": "Koppeling met hun ERP",
            "owner": str(anne.pk),
            "origin": "wall",
            "decide": "on",
        },
    )
    action = Action.objects.get(customer=customer)
    assert response["Location"] == reverse("actions:action-detail", args=[action.pk])
    assert action.status == Action.Status.OPEN and action.origin == "wall"
    assert action.due_on == timezone.localdate() + dt.timedelta(days=120)


def test_a_duplicate_proposal_shows_a_clear_message_on_the_form(anne, mira):
    customer = CustomerFactory(account_manager=anne)
    make_action(customer, by=mira)
    url = reverse("actions:propose") + f"?customer={customer.pk}"
    response = client_for(mira).post(
        url,
        {
            "action_type": action_type().pk,
            "element_code": "knowledge_advantage",
            "title": "Nog een",
            "owner": str(anne.pk),
            "origin": "manual",
        },
    )
    assert response.status_code == 200
    assert "already has an open action of the type" in response.content.decode()
    assert Action.objects.filter(customer=customer).count() == 1


def test_the_customer_page_shows_the_actions_panel_with_baseline_and_today(anne, mira):
    customer = CustomerFactory(account_manager=anne)
    assess(customer, {"knowledge_advantage": 2, "performance": 4})
    action = make_action(customer, by=mira, title="Kennisdag voor hun inkoop")
    assess(customer, {"knowledge_advantage": 5, "performance": 4})
    page = client_for(anne).get(reverse("scoring:customer-detail", args=[customer.pk]))
    html = page.content.decode()
    panel = html.split('id="panel-actions"')[1].split("</section>")[0]
    assert action.title in panel
    assert "2.0" in panel and "5.0" in panel  # baseline and today
    assert "propose an action" in html  # the wall panel's link
    timeline = html.split('id="timeline"')[1].split("</section>")[0]
    assert "Action decided: Kennisdag voor hun inkoop" in timeline


def test_the_owner_ticks_the_checklist_and_completes_in_dutch(anne, annes_action):
    client = client_for(anne, "nl")
    detail = client.get(reverse("actions:action-detail", args=[annes_action.pk]))
    assert "Verstuur de uitnodiging" in detail.content.decode()
    client.post(reverse("actions:action-steps", args=[annes_action.pk]), {"done": ["1", "3"]})
    annes_action.refresh_from_db()
    assert annes_action.status == Action.Status.IN_PROGRESS
    response = client.post(
        reverse("actions:action-complete", args=[annes_action.pk]),
        {"outcome": "achieved", "note": "Drie mensen kwamen"},
    )
    assert response.status_code == 302
    annes_action.refresh_from_db()
    assert annes_action.status == Action.Status.DONE and annes_action.outcome == "achieved"


def test_completing_without_an_outcome_shows_the_form_again(anne, annes_action):
    response = client_for(anne).post(
        reverse("actions:action-complete", args=[annes_action.pk]), {"note": "x"}
    )
    assert response.status_code == 200
    annes_action.refresh_from_db()
    assert annes_action.status == Action.Status.OPEN


def test_ticking_a_finished_actions_checklist_is_refused_with_a_message(anne, annes_action):
    services.action_complete(action=annes_action, outcome="unknown", by=anne)
    client = client_for(anne)
    response = client.post(
        reverse("actions:action-steps", args=[annes_action.pk]), {"done": ["1"]}, follow=True
    )
    assert "cannot change any more" in response.content.decode()
    assert not annes_action.steps.filter(done_at__isnull=False).exists()


def test_management_edits_an_action_type_with_its_checklist(mira):
    kind = action_type()
    response = client_for(mira).post(
        reverse("actions:type-edit", args=[kind.pk]),
        {
            "code": kind.code,
            "name_en": "Knowledge event",
            "name_nl": "Kennisevent",
            "element_code": "knowledge_advantage",
            "default_duration_days": 30,
            "horizon_days": 180,
            "order": 1,
            "active": "on",
            "checklist_en": "Invite\nAttend",
            "checklist_nl": "Uitnodigen\nDeelnemen",
        },
    )
    assert response.status_code == 302
    kind.refresh_from_db()
    assert kind.checklist == [
        {"en": "Invite", "nl": "Uitnodigen"},
        {"en": "Attend", "nl": "Deelnemen"},
    ]
    assert kind.default_duration_days == 30


def test_a_checklist_with_unequal_languages_is_refused(mira):
    kind = action_type()
    response = client_for(mira).post(
        reverse("actions:type-edit", args=[kind.pk]),
        {
            "code": kind.code,
            "name_en": "Knowledge event",
            "name_nl": "Kennisevent",
            "element_code": "knowledge_advantage",
            "default_duration_days": 30,
            "horizon_days": 180,
            "order": 1,
            "checklist_en": "Invite\nAttend",
            "checklist_nl": "Uitnodigen",
        },
    )
    assert response.status_code == 200
    assert (
        "The Dutch and English checklists differ in length (1 and 2 steps)"
        in response.content.decode()
    )
