"""The life of an action: proposing, deciding (with its frozen baseline), the allowed moves,
the checklist, and the database's guard against two open actions of one kind."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from actions import services
from actions.models import Action, ActionStep
from tests.actions.factories import action_type, make_action
from tests.factories import CustomerFactory, assess

pytestmark = pytest.mark.django_db

VALUES = {
    "performance": 4,
    "service": 4,
    "price_level": 3,
    "perception": 4,
    "competition": 3,
    "distinctiveness": 3,
    "knowledge_advantage": 2,
    "perceived_alternatives": 3,
    "it_integration": 1,
    "contract": 3,
    "presence": 4,
    "personal_bond": 5,
}


def test_deciding_freezes_the_baseline_from_the_current_score(anne, mira):
    customer = CustomerFactory(account_manager=anne)
    assess(customer, VALUES)
    assess(customer, {"knowledge_advantage": 4}, kind="customer", email="inkoop@klant.example")
    action = make_action(customer, by=mira, decide=False)
    assert action.status == Action.Status.PROPOSED
    assert action.baseline_value is None

    services.action_decide(action=action, by=mira)
    action.refresh_from_db()

    assert action.status == Action.Status.OPEN
    assert action.decided_by == mira and action.decided_at is not None
    assert action.baseline_value == pytest.approx(3.0)  # staff 2, customer 4
    assert action.baseline_staff == pytest.approx(2.0)
    assert action.baseline_customer == pytest.approx(4.0)
    assert action.baseline_expert is None
    assert action.baseline_band != "" and action.baseline_score is not None
    assert action.baseline_coverage == pytest.approx(100.0)

    # Later assessments do not move a frozen baseline.
    assess(customer, {**VALUES, "knowledge_advantage": 6})
    action.refresh_from_db()
    assert action.baseline_value == pytest.approx(3.0)


def test_the_checklist_is_copied_from_the_type_in_order(anne, mira):
    customer = CustomerFactory(account_manager=anne)
    action = make_action(customer, by=mira)
    steps = list(action.steps.order_by("position"))
    assert [s.text_en for s in steps] == [s["en"] for s in action_type().checklist]
    assert [s.position for s in steps] == [1, 2, 3, 4]


def test_ticking_a_step_starts_an_open_action_and_unticking_keeps_it_running(anne, mira):
    customer = CustomerFactory(account_manager=anne)
    action = make_action(customer, by=mira)

    services.action_steps_set(action=action, done_positions=[1, 2], by=anne)
    action.refresh_from_db()
    assert action.status == Action.Status.IN_PROGRESS
    done = set(action.steps.filter(done_at__isnull=False).values_list("position", flat=True))
    assert done == {1, 2}
    assert ActionStep.objects.get(action=action, position=1).done_by == anne

    services.action_steps_set(action=action, done_positions=[2], by=anne)
    done = set(action.steps.filter(done_at__isnull=False).values_list("position", flat=True))
    assert done == {2}


def test_complete_records_the_outcome_in_the_owners_words(anne, mira):
    action = make_action(CustomerFactory(account_manager=anne), by=mira)
    services.action_complete(
        action=action, outcome="partly", note="Twee van de drie kwamen", by=anne
    )
    action.refresh_from_db()
    assert action.status == Action.Status.DONE
    assert action.outcome == "partly" and action.outcome_note == "Twee van de drie kwamen"
    assert action.completed_at is not None and action.started_at is not None


@pytest.mark.parametrize(
    ("start", "move", "allowed"),
    [
        ("proposed", "decide", True),
        ("proposed", "start", False),
        ("proposed", "complete", False),
        ("proposed", "cancel", True),
        ("open", "decide", False),
        ("open", "start", True),
        ("open", "complete", True),
        ("open", "cancel", True),
        ("in_progress", "start", False),
        ("in_progress", "complete", True),
        ("in_progress", "cancel", True),
        ("done", "start", False),
        ("done", "complete", False),
        ("done", "cancel", False),
        ("done", "decide", False),
        ("cancelled", "decide", False),
        ("cancelled", "start", False),
        ("cancelled", "complete", False),
    ],
)
def test_only_the_allowed_moves_of_an_action_are_made(anne, mira, start, move, allowed):
    action = make_action(CustomerFactory(account_manager=anne), by=mira, decide=start != "proposed")
    if start == "in_progress":
        services.action_start(action=action, by=anne)
    elif start == "done":
        services.action_complete(action=action, outcome="achieved", by=anne)
    elif start == "cancelled":
        services.action_cancel(action=action, by=mira)
    action.refresh_from_db()
    assert action.status == start
    moves = {
        "decide": lambda: services.action_decide(action=action, by=mira),
        "start": lambda: services.action_start(action=action, by=anne),
        "complete": lambda: services.action_complete(action=action, outcome="unknown", by=anne),
        "cancel": lambda: services.action_cancel(action=action, by=mira),
    }
    if allowed:
        moves[move]()
        action.refresh_from_db()
        assert action.status != start
    else:
        with pytest.raises(ValidationError):
            moves[move]()
        action.refresh_from_db()
        assert action.status == start


def test_only_management_decides_and_cancels(anne, mira):
    customer = CustomerFactory(account_manager=anne)
    action = make_action(customer, by=mira, decide=False)
    with pytest.raises(PermissionDenied):
        services.action_decide(action=action, by=anne)
    with pytest.raises(PermissionDenied):
        services.action_cancel(action=action, by=anne)
    with pytest.raises(PermissionDenied):
        services.action_propose(
            customer=customer,
            action_type=action_type("it-integration"),
            element_code="it_integration",
            title="Koppeling",
            by=anne,
            decide=True,
        )
    action.refresh_from_db()
    assert action.status == Action.Status.PROPOSED


def test_an_account_manager_proposes_only_for_own_customers(anne, bart):
    barts = CustomerFactory(account_manager=bart)
    with pytest.raises(PermissionDenied):
        services.action_propose(
            customer=barts,
            action_type=action_type(),
            element_code="knowledge_advantage",
            title="x",
            by=anne,
        )
    own = services.action_propose(
        customer=CustomerFactory(account_manager=anne),
        action_type=action_type(),
        element_code="knowledge_advantage",
        title="Kennisdag",
        by=anne,
    )
    assert own.status == Action.Status.PROPOSED and own.owner == anne


def test_a_second_open_action_of_the_same_type_and_element_is_refused_with_a_message(anne, mira):
    customer = CustomerFactory(account_manager=anne)
    make_action(customer, by=mira)
    with pytest.raises(ValidationError) as refused:
        make_action(customer, by=mira)
    assert "already has an open action" in " ".join(refused.value.messages)
    # Another element, or another type, is fine; so is the same once the first is done.
    make_action(customer, by=mira, element="presence")
    make_action(customer, by=mira, type_code="relationship-event")
    first = Action.objects.get(customer=customer, element_code="knowledge_advantage")
    services.action_complete(action=first, outcome="achieved", by=anne)
    make_action(customer, by=mira)
    assert Action.objects.filter(customer=customer).count() == 4


def test_the_database_itself_refuses_a_second_open_action(anne, mira):
    customer = CustomerFactory(account_manager=anne)
    first = make_action(customer, by=mira)
    copy = Action.objects.get(pk=first.pk)
    copy.pk = None
    copy.status = Action.Status.PROPOSED
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
    copy.status = Action.Status.CANCELLED  # a finished one may sit next to it
    copy.pk = None
    copy.save()


def test_an_element_outside_the_active_model_is_refused(anne, mira):
    with pytest.raises(ValidationError) as refused:
        make_action(CustomerFactory(account_manager=anne), by=mira, element="no_such_element")
    assert "element_code" in refused.value.message_dict


def test_the_owner_must_be_an_account_manager(anne, mira):
    with pytest.raises(ValidationError) as refused:
        services.action_propose(
            customer=CustomerFactory(account_manager=anne),
            action_type=action_type(),
            element_code="knowledge_advantage",
            title="x",
            owner=mira,
            by=mira,
        )
    assert "owner" in refused.value.message_dict


def test_an_action_on_the_whole_binding_has_the_score_as_its_value(anne, mira):
    customer = CustomerFactory(account_manager=anne)
    assess(customer, VALUES)
    action = make_action(customer, by=mira, type_code="executive-visit")
    assert action.element_code == ""
    assert action.baseline_value == pytest.approx(action.baseline_score)
    assert action.baseline_customer is None
