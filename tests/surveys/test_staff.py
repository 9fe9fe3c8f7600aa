"""Staff answer in the app's matrix: submitting it answers their open invitation."""

from __future__ import annotations

import uuid

from django.urls import reverse

from scoring.models import Assessment, RespondentKind
from scoring.selectors import asked_elements, scoring_model_active
from surveys import services
from surveys.models import Invitation
from tests.factories import assess, manager
from tests.surveys.support import make_campaign


def staff_round(portfolio, count: int = 1):
    customers = portfolio(count)
    opened = services.round_open(campaign=make_campaign(ask_customers=False, ask_staff=True))
    return customers, opened.round


def test_submitting_the_matrix_answers_the_open_staff_invitation(portfolio, anne):
    [customer], _ = staff_round(portfolio)
    assessment = assess(customer, {"performance": 4}, user=anne)
    invitation = Invitation.objects.get(customer=customer)
    assert invitation.status == "answered"
    assert invitation.assessment == assessment
    assert invitation.answered_at is not None


def test_the_matrix_page_submission_answers_the_invitation(client, portfolio, anne):
    [customer], _ = staff_round(portfolio)
    client.force_login(anne)
    elements = asked_elements(scoring_model_active(), RespondentKind.STAFF)
    data = {f"value_{e.code}": "x" for e in elements}
    data.update({"value_performance": "5", "submission_key": str(uuid.uuid4())})

    response = client.post(reverse("scoring:customer-matrix", args=[customer.pk]), data)

    assert response.status_code == 302
    invitation = Invitation.objects.get(customer=customer)
    assert invitation.status == "answered"
    assert invitation.assessment == Assessment.objects.get(customer=customer)


def test_a_second_submission_leaves_the_answered_invitation_as_it_was(portfolio, anne):
    [customer], _ = staff_round(portfolio)
    first = assess(customer, {"performance": 4}, user=anne)
    assess(customer, {"performance": 2}, user=anne)
    assert Invitation.objects.get(customer=customer).assessment == first


def test_a_colleagues_matrix_does_not_answer_the_account_managers_invitation(portfolio, anne):
    [customer], _ = staff_round(portfolio)
    colleague = manager("mila")
    assess(customer, {"performance": 4}, user=colleague)
    assert Invitation.objects.get(customer=customer).status == "pending"


def test_only_the_customer_scored_has_its_invitation_answered(portfolio, anne):
    customers, _ = staff_round(portfolio, 2)
    assess(customers[0], {"performance": 4}, user=anne)
    statuses = dict(Invitation.objects.values_list("customer_id", "status"))
    assert statuses == {customers[0].pk: "answered", customers[1].pk: "pending"}


def test_a_staff_invitation_answered_before_it_was_mailed_is_never_mailed(portfolio, anne, smtp):
    [customer], round_ = staff_round(portfolio)
    assess(customer, {"performance": 4}, user=anne)
    services.invitations_send(invitation_ids=list(round_.invitations.values_list("pk", flat=True)))
    assert smtp.inbox.messages == []


def test_a_closed_rounds_staff_invitation_stays_expired(portfolio, anne):
    [customer], round_ = staff_round(portfolio)
    services.round_close(round_=round_)
    assess(customer, {"performance": 4}, user=anne)
    assert Invitation.objects.get(customer=customer).status == "expired"
