"""Action campaigns with a holdout: each customer assigned once and reproducibly to action or
control, the assignment stored for good, and no action of the type for a control customer
during the horizon."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions import services
from actions.models import (
    Action,
    ActionCampaign,
    CampaignAssignment,
    ImmutableAssignmentError,
)
from tests.actions.factories import action_type, make_action
from tests.factories import CustomerFactory, assess

pytestmark = pytest.mark.django_db


def launch(mira, *, holdout: int = 20, **target) -> ActionCampaign:
    kind = action_type()
    return services.campaign_launch(
        name="Kennisdagen voorjaar",
        target=services.CampaignTarget(action_type=kind, element_code=kind.element_code, **target),
        holdout_pct=holdout,
        horizon_days=180,
        due_on=timezone.localdate() + dt.timedelta(days=60),
        by=mira,
    )


def test_the_draw_is_a_hash_of_campaign_and_customer():
    draws = [services.campaign_draw(7, customer) for customer in range(1, 2001)]
    assert draws == [services.campaign_draw(7, customer) for customer in range(1, 2001)]
    assert all(0 <= d < 1 for d in draws)
    assert draws != [services.campaign_draw(8, customer) for customer in range(1, 2001)]
    control = sum(services.arm_of(d, 20) == "control" for d in draws)
    assert 330 <= control <= 470  # 20 % of 2000, give or take three standard deviations


def test_launching_assigns_every_targeted_customer_once_and_opens_the_action_arm(anne, mira):
    customers = CustomerFactory.create_batch(40, account_manager=anne)
    campaign = launch(mira, holdout=30)

    assignments = {a.customer_id: a for a in campaign.assignments.all()}
    assert set(assignments) == {c.pk for c in customers}
    for customer_id, assignment in assignments.items():
        draw = services.campaign_draw(campaign.pk, customer_id)
        assert assignment.draw == pytest.approx(draw)
        assert assignment.arm == services.arm_of(draw, 30)
    treated = {pk for pk, a in assignments.items() if a.arm == "action"}
    actions = Action.objects.filter(campaign=campaign)
    assert set(actions.values_list("customer_id", flat=True)) == treated
    assert set(actions.values_list("status", flat=True)) == {"open"}
    assert all(a.decided_at == campaign.launched_at for a in actions)
    assert actions.first().steps.count() == len(action_type().checklist)


def test_an_assignment_never_changes(anne, mira):
    CustomerFactory.create_batch(5, account_manager=anne)
    campaign = launch(mira)
    assignment = campaign.assignments.first()
    assignment.arm = "control" if assignment.arm == "action" else "action"
    with pytest.raises(ImmutableAssignmentError):
        assignment.save()
    with pytest.raises(ImmutableAssignmentError):
        CampaignAssignment.objects.filter(campaign=campaign).update(arm="control")


def test_a_control_customer_gets_no_action_of_the_type_during_the_horizon(anne, mira):
    CustomerFactory.create_batch(30, account_manager=anne)
    campaign = launch(mira, holdout=50)
    control = campaign.assignments.filter(arm="control").select_related("customer").first()
    assert control is not None

    with pytest.raises(ValidationError) as refused:
        make_action(control.customer, by=mira)
    message = " ".join(refused.value.messages)
    assert "control group of the campaign “Kennisdagen voorjaar”" in message
    assert "would spoil the comparison" in message

    # Proposed before and decided now: refused at the decision too.
    other = make_action(control.customer, by=mira, type_code="it-integration")  # another type: fine
    assert other.status == "open"

    # After the horizon the block is lifted.
    later = timezone.now() + dt.timedelta(days=181)
    action = make_action(control.customer, by=mira, now=later)
    assert action.status == "open"


def test_deciding_a_proposal_for_a_control_customer_is_refused(anne, mira):
    customer = CustomerFactory(account_manager=anne)
    proposal = make_action(customer, by=mira, decide=False)
    services.action_cancel(action=proposal, by=mira)
    proposal = make_action(customer, by=mira, decide=False)
    CampaignAssignment.objects.create(
        campaign=ActionCampaign.objects.create(
            name="Holdout",
            action_type=action_type(),
            element_code="knowledge_advantage",
            due_on=timezone.localdate(),
            launched_at=timezone.now(),
        ),
        customer=customer,
        arm="control",
        draw=0.1,
        assigned_at=timezone.now(),
    )
    with pytest.raises(ValidationError) as refused:
        services.action_decide(action=proposal, by=mira)
    assert "control group" in " ".join(refused.value.messages)


def test_the_target_narrows_by_band_element_value_sector_and_manager(anne, bart, mira):
    low = CustomerFactory(account_manager=anne, sector="Bouw")
    high = CustomerFactory(account_manager=anne, sector="Bouw")
    other_sector = CustomerFactory(account_manager=anne, sector="Zorg")
    barts = CustomerFactory(account_manager=bart, sector="Bouw")
    for customer, value in ((low, 1), (high, 5), (other_sector, 1), (barts, 1)):
        assess(customer, {"knowledge_advantage": value, "performance": 3})
    CustomerFactory(account_manager=anne, sector="Bouw")  # no score: no element value

    campaign = launch(mira, element_max=2, sector="Bouw", account_manager_id=anne.pk)

    assert set(campaign.assignments.values_list("customer_id", flat=True)) == {low.pk}


def test_customers_with_an_open_action_of_the_type_are_left_out(anne, mira):
    busy, free = CustomerFactory.create_batch(2, account_manager=anne)
    make_action(busy, by=mira)
    campaign = launch(mira)
    assert list(campaign.assignments.values_list("customer_id", flat=True)) == [free.pk]


def test_a_target_that_reaches_nobody_is_refused(mira):
    with pytest.raises(ValidationError) as refused:
        launch(mira, sector="Nergens")
    assert "No customer matches this target" in " ".join(refused.value.messages)
    assert not ActionCampaign.objects.exists()


def test_the_campaign_page_checks_the_reach_then_launches(anne, mira):
    CustomerFactory.create_batch(12, account_manager=anne)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(mira)
    data = {
        "name": "Kennisdagen",
        "action_type": action_type().pk,
        "element_code": "knowledge_advantage",
        "holdout_pct": 20,
        "horizon_days": 180,
        "due_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
    }
    check = client.post(reverse("actions:campaign-create"), {**data, "check": "1"})
    assert "12 customers can take part" in check.content.decode()
    assert not ActionCampaign.objects.exists()
    launched = client.post(reverse("actions:campaign-create"), {**data, "launch": "1"})
    campaign = ActionCampaign.objects.get()
    assert launched["Location"] == campaign.get_absolute_url()
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert f'id="control-arm">{campaign.assignments.filter(arm="control").count()}<' in page
