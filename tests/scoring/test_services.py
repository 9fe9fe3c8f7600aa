"""Submitting assessments, stored scores and model versions, against the database."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from scoring import services
from scoring.models import Assessment, Element, ElementScore, ScoreSnapshot, ScoringModel
from tests.factories import CustomerFactory, active_model, assess

ALL_SIX = {
    "performance": 6,
    "service": 6,
    "price_level": 6,
    "perception": 6,
    "competition": 6,
    "distinctiveness": 6,
    "knowledge_advantage": 6,
    "perceived_alternatives": 6,
    "it_integration": 6,
    "contract": 6,
    "presence": 6,
    "personal_bond": 6,
}


def current(customer) -> ScoreSnapshot:
    return ScoreSnapshot.objects.get(customer=customer, is_current=True)


def test_default_model_has_the_twelve_elements_of_the_design(db):
    model = active_model()
    elements = {e.code: (e.factor, float(e.weight)) for e in model.elements.all()}
    assert elements == {
        "performance": ("satisfaction", 3),
        "service": ("satisfaction", 3),
        "price_level": ("satisfaction", 2),
        "perception": ("satisfaction", 2),
        "competition": ("alternatives", 2),
        "distinctiveness": ("alternatives", 3),
        "knowledge_advantage": ("alternatives", 2),
        "perceived_alternatives": ("alternatives", 2),
        "it_integration": ("investment", 4),
        "contract": ("investment", 3),
        "presence": ("investment", 1),
        "personal_bond": ("investment", 2),
    }
    competition = model.elements.get(code="competition")
    assert not competition.asked_customer and competition.asked_staff
    assert all(
        e.guidance_0_nl and e.guidance_6_en and e.question_customer_nl for e in model.elements.all()
    )


def test_submit_stores_the_assessment_and_refreshes_the_customers_score(anne):
    customer = CustomerFactory(account_manager=anne)
    assess(customer, {**ALL_SIX, "it_integration": 0}, user=anne)
    snapshot = current(customer)
    # Weights sum to 29; every element 6 except IT integration (weight 4) at 0.
    assert snapshot.binding_score == pytest.approx(100 * (29 * 6 - 4 * 6) / (6 * 29))
    assert snapshot.band == "green"
    assert snapshot.coverage == pytest.approx(100.0)
    assert snapshot.respondents == 1
    codes = list(active_model().elements.values_list("code", flat=True))
    assert snapshot.element_values(codes)["it_integration"] == 0
    assert snapshot.element_values(codes, "staff")["performance"] == 6
    assert snapshot.element_values(codes, "customer")["performance"] is None
    assert not snapshot.has_answers(codes, "customer")
    assert snapshot.has_answers(codes, "staff")
    assert ElementScore.objects.filter(assessment__customer=customer).count() == 12


def test_each_submission_keeps_history_with_one_current_snapshot(anne):
    customer = CustomerFactory(account_manager=anne)
    assess(customer, {"performance": 2}, user=anne, at=timezone.now() - timedelta(days=5))
    assess(customer, {"performance": 5}, user=anne)
    snapshots = ScoreSnapshot.objects.filter(customer=customer).order_by("pk")
    assert [s.is_current for s in snapshots] == [False, True]
    assert snapshots[1].previous_score == pytest.approx(100 * 2 / 6)
    assert snapshots[1].change == pytest.approx(100 * 3 / 6)


def test_refresh_without_changes_writes_nothing(anne):
    customer = CustomerFactory(account_manager=anne)
    assess(customer, {"performance": 4}, user=anne)
    before = ScoreSnapshot.objects.count()
    result = services.scores_refresh()
    assert result.changed == 0
    assert ScoreSnapshot.objects.count() == before


def test_refresh_stores_no_score_once_assessments_leave_the_window(anne):
    customer = CustomerFactory(account_manager=anne)
    assess(customer, {"performance": 4}, user=anne, at=timezone.now() - timedelta(days=300))
    services.scores_refresh(now=timezone.now() + timedelta(days=100))
    snapshot = current(customer)
    assert snapshot.binding_score is None
    assert snapshot.band == ""
    assert snapshot.last_assessed_at is not None


def test_customer_never_assessed_gets_no_snapshot(db):
    CustomerFactory()
    services.scores_refresh()
    assert not ScoreSnapshot.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"performance": 7}, "performance"),
        ({"performance": -1}, "performance"),
        ({"performance": 3.5}, "performance"),
        ({"performance": "vier"}, "performance"),
        ({"performance": True}, "performance"),
        ({"no_such_element": 3}, "no_such_element"),
    ],
)
def test_invalid_values_are_refused_and_nothing_is_written(anne, values, field):
    customer = CustomerFactory(account_manager=anne)
    with pytest.raises(ValidationError) as caught:
        assess(customer, values, user=anne)
    assert field in caught.value.message_dict
    assert not Assessment.objects.exists()
    assert not ElementScore.objects.exists()
    assert not ScoreSnapshot.objects.exists()


def test_all_problems_are_reported_at_once(anne):
    customer = CustomerFactory(account_manager=anne)
    with pytest.raises(ValidationError) as caught:
        services.assessment_submit(
            customer=customer,
            respondent_kind="customer",
            respondent_email="not-an-email",
            values={"performance": 9, "competition": 3},
            nps=11,
        )
    assert set(caught.value.message_dict) == {
        "performance",
        "competition",
        "nps",
        "respondent_email",
    }


def test_nps_is_for_customers_only(anne):
    customer = CustomerFactory(account_manager=anne)
    with pytest.raises(ValidationError) as caught:
        assess(customer, {"performance": 3}, user=anne, nps=9)
    assert "nps" in caught.value.message_dict
    stored = assess(customer, {"performance": 3}, kind="customer", email="c@klant.nl", nps=9)
    assert stored.nps == 9


def test_future_assessment_is_refused(anne):
    customer = CustomerFactory(account_manager=anne)
    with pytest.raises(ValidationError) as caught:
        assess(customer, {"performance": 3}, user=anne, at=timezone.now() + timedelta(days=2))
    assert "assessed_at" in caught.value.message_dict


def test_staff_assessment_needs_its_user(anne):
    customer = CustomerFactory(account_manager=anne)
    with pytest.raises(ValidationError) as caught:
        services.assessment_submit(
            customer=customer,
            respondent_kind="staff",
            respondent_email="anne@example.nl",
            values={"performance": 3},
        )
    assert "user" in caught.value.message_dict


def test_same_submission_key_twice_gives_one_assessment(anne):
    customer = CustomerFactory(account_manager=anne)
    key = uuid.uuid4()
    kwargs = dict(
        customer=customer,
        respondent_kind="staff",
        respondent_email=anne.email,
        user=anne,
        values={"performance": 3},
        submission_key=key,
    )
    first = services.assessment_submit(**kwargs)
    second = services.assessment_submit(**kwargs)
    assert first.assessment.pk == second.assessment.pk
    assert first.created and not second.created
    assert Assessment.objects.count() == 1


def test_publishing_a_new_version_recomputes_every_customer_with_the_new_weights(anne, mira):
    customer = CustomerFactory(account_manager=anne)
    assess(customer, {"performance": 6, "it_integration": 0}, user=anne)
    assert current(customer).binding_score == pytest.approx(100 * 18 / (6 * 7))
    draft = services.scoring_model_draft_create()
    assert draft.is_draft and draft.version == 2 and draft.elements.count() == 12
    Element.objects.filter(scoring_model=draft, code="it_integration").update(weight=1)
    services.scoring_model_publish(scoring_model=draft, user=mira)
    assert ScoringModel.objects.get(is_active=True) == draft
    snapshot = current(customer)
    # The old assessment is matched by code: (3·6 + 1·0) / (6·4).
    assert snapshot.binding_score == pytest.approx(75.0)
    assert snapshot.scoring_model == draft
    assert Assessment.objects.get().scoring_model.version == 1


def test_a_retired_element_no_longer_counts_after_publishing(anne):
    customer = CustomerFactory(account_manager=anne)
    assess(customer, {"performance": 6, "it_integration": 0}, user=anne)
    draft = services.scoring_model_draft_create()
    Element.objects.filter(scoring_model=draft, code="it_integration").delete()
    services.scoring_model_publish(scoring_model=draft)
    assert current(customer).binding_score == pytest.approx(100.0)


def test_a_draft_cannot_be_scored_and_a_published_model_cannot_be_published_again(anne):
    customer = CustomerFactory(account_manager=anne)
    draft = services.scoring_model_draft_create()
    with pytest.raises(ValidationError):
        services.assessment_submit(
            customer=customer,
            respondent_kind="staff",
            respondent_email=anne.email,
            user=anne,
            values={"performance": 3},
            scoring_model=draft,
        )
    with pytest.raises(ValidationError):
        services.scoring_model_publish(scoring_model=active_model())


def test_backfill_writes_history_that_ends_in_the_current_score(anne):
    customer = CustomerFactory(account_manager=anne)
    now = timezone.now()
    assess(customer, {"performance": 1}, user=anne, at=now - timedelta(days=80))
    assess(customer, {"performance": 5}, user=anne, at=now - timedelta(days=20))
    ScoreSnapshot.objects.all().delete()
    written = services.scores_backfill(
        moments=[now - timedelta(days=60), now - timedelta(days=40), now - timedelta(days=10)]
    )
    assert written == 2  # the 40-days moment is unchanged from the 60-days one
    history = list(ScoreSnapshot.objects.filter(customer=customer).order_by("computed_at"))
    assert [round(s.binding_score, 4) for s in history] == [round(100 / 6, 4), round(500 / 6, 4)]
    assert [s.is_current for s in history] == [False, True]
    assert services.scores_refresh(now=now).changed == 0


def test_a_few_customers_are_stored_as_the_portfolio_rule_stores_them(anne):
    """The one-customer rule (a submit's refresh) writes the very snapshot rows the portfolio
    rule writes: scores, details line and fingerprint, so a later full refresh changes nothing."""
    from scoring import calculations, selectors, snapshots
    from scoring.conf import rule_params

    start = timezone.now()
    customers = [CustomerFactory(account_manager=anne) for _ in range(3)]
    assess(customers[0], {"performance": 4, "service": None, "contract": 5}, user=anne)
    assess(customers[0], {"performance": 3, "presence": 1}, kind="customer", email="k@example.nl")
    assess(customers[0], {"performance": 6}, kind="customer", email="l@example.nl")
    assess(customers[0], {"distinctiveness": 2}, kind="expert", email="x@example.nl")
    assess(customers[1], {"performance": None}, user=anne, at=start - timedelta(days=400))
    assess(customers[1], {"it_integration": 5}, kind="customer", at=start - timedelta(days=30))
    now = timezone.now()
    # customers[2] was never assessed: neither path stores anything for it.
    ids = [c.pk for c in customers]
    model = selectors.scoring_model_active()
    last = selectors.last_assessed_at(end=now, customer_ids=ids)
    few = snapshots.customer_snapshots(
        selectors.customer_results(ids, now=now),
        scoring_model=model,
        now=now,
        last_assessed=last,
        current={},
    )
    params = rule_params()
    assessments, scores = selectors.assessment_frames(
        start=params.window_start(now), end=now, customer_ids=ids
    )
    portfolio = calculations.compute_portfolio(
        assessments,
        scores,
        selectors.elements_frame(model),
        now=now,
        params=params,
        customer_ids=ids,
    )
    many = snapshots.changed_snapshots(
        portfolio, scoring_model=model, now=now, last_assessed=last, current={}
    )
    assert [row["customer_id"] for row in few] == ids[:2]
    assert few == many
    assert few[0]["respondents"] == 4 and few[0]["details"]

    assert services.scores_refresh(now=now + timedelta(seconds=1)).changed == 0
