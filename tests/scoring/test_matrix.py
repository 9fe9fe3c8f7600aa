"""The scoring matrix: showing it, the live preview, submitting once, refusing bad input."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation

from scoring import selectors
from scoring.models import Assessment, ScoreSnapshot, ScoringModel
from scoring.signals import assessment_submitted
from tests.factories import CustomerFactory, UserFactory, assess

CODES = [
    "performance",
    "service",
    "price_level",
    "perception",
    "competition",
    "distinctiveness",
    "knowledge_advantage",
    "perceived_alternatives",
    "it_integration",
    "contract",
    "presence",
    "personal_bond",
]


def matrix_data(values: dict[str, str], *, key: uuid.UUID | None = None, **extra: str) -> dict:
    """A posted matrix: every row "don't know" unless given."""
    data = {f"value_{code}": "x" for code in CODES}
    data.update({f"value_{code}": value for code, value in values.items()})
    data["submission_key"] = str(key or uuid.uuid4())
    data.update(extra)
    return data


@pytest.fixture
def client_en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def current(customer) -> ScoreSnapshot:
    return ScoreSnapshot.objects.get(customer=customer, is_current=True)


def test_matrix_shows_twelve_rows_under_three_factors_with_guidance_and_previous_value(
    client_en, anne
):
    customer = CustomerFactory(account_manager=anne)
    latest_at = timezone.now() - timedelta(days=3)
    assess(customer, {"performance": 1, "price_level": 2}, user=anne, at=latest_at - timedelta(30))
    assess(customer, {"performance": 4, "service": None}, user=anne, at=latest_at)
    client_en.force_login(anne)
    response = client_en.get(reverse("scoring:customer-matrix", args=[customer.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    with translation.override("en"):
        shown = formats.date_format(timezone.localtime(latest_at).date(), "SHORT_DATE_FORMAT")
    assert f"Your previous assessment: {shown}." in html
    assert html.count('class="list-group-item matrix-row') == 12
    assert html.count('role="radiogroup"') == 12
    factors = ["Customer satisfaction", "Quality of the alternatives", "Size of the investment"]
    positions = [html.index(f">{factor}</h2>") for factor in factors]
    assert positions == sorted(positions)
    assert html.index("Performance and delivery reliability") < positions[1]
    assert positions[2] < html.index("IT integration")
    # Seven choices and "don't know" per row; the guidance of 0, 3 and 6 on demand.
    assert html.count('name="value_performance"') == 8
    assert "Deliveries are often late or wrong" in html
    assert "Always on time and right" in html
    performance = html[html.index('data-code="performance"') :].split("matrix-row")[0]
    assert 'data-previous="4"' in performance
    assert "your previous value" in performance
    service = html[html.index('data-code="service"') :].split("matrix-row")[0]
    assert 'data-previous="x"' in service
    price = html[html.index('data-code="price_level"') :].split("matrix-row")[0]
    assert 'data-previous="x"' in price  # not named in the earlier assessment: don't know
    other = CustomerFactory(account_manager=anne)
    fresh = client_en.get(reverse("scoring:customer-matrix", args=[other.pk])).content.decode()
    assert "data-previous" not in fresh
    key = re.search(r'name="submission_key" value="([0-9a-f-]{36})"', html)
    assert key is not None


def test_submitting_the_matrix_stores_one_assessment_and_refreshes_the_score(client_en, anne):
    customer = CustomerFactory(account_manager=anne)
    client_en.force_login(anne)
    data = matrix_data(
        {"performance": "6", "it_integration": "3", "contract": "0"},
        comment="Good year",
        comment_performance="Never late",
    )
    response = client_en.post(reverse("scoring:customer-matrix", args=[customer.pk]), data)
    assessment = Assessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("scoring:assessment-result", args=[assessment.pk])
    assert assessment.user == anne
    assert assessment.respondent_kind == "staff"
    assert assessment.respondent_email == anne.email
    assert assessment.source == Assessment.Source.MATRIX
    assert assessment.comment == "Good year"
    values = {s.element.code: s.value for s in assessment.scores.select_related("element")}
    assert values["performance"] == 6 and values["contract"] == 0 and values["service"] is None
    assert assessment.scores.get(element__code="performance").comment == "Never late"
    # 100·(3·6 + 4·3 + 3·0)/(6·10) = 50.0
    assert current(customer).binding_score == pytest.approx(50.0)


def test_result_page_shows_the_score_before_and_after(client_en, anne):
    customer = CustomerFactory(account_manager=anne)
    assess(customer, {"performance": 3}, user=anne, at=timezone.now() - timedelta(days=2))
    client_en.force_login(anne)
    response = client_en.post(
        reverse("scoring:customer-matrix", args=[customer.pk]),
        matrix_data({"performance": "6"}),
        follow=True,
    )
    html = response.content.decode()
    assert "Assessment saved" in html
    assert "Binding score before → after" in html
    before = html[html.index('id="score-before"') :].split("</span></span>")[0]
    after = html[html.index('id="score-after"') :].split("</span></span>")[0]
    assert "50.0" in before and "band-orange" in before
    assert "100.0" in after and "band-green" in after
    assert "+50.0" in html


def test_double_click_or_resubmit_after_back_does_not_create_a_second_assessment(client_en, anne):
    customer = CustomerFactory(account_manager=anne)
    client_en.force_login(anne)
    url = reverse("scoring:customer-matrix", args=[customer.pk])
    data = matrix_data({"performance": "5"})
    first = client_en.post(url, data)
    second = client_en.post(url, data)
    changed = client_en.post(url, {**data, "value_performance": "1"})
    assert Assessment.objects.count() == 1
    assert first["Location"] == second["Location"] == changed["Location"]
    assert current(customer).binding_score == pytest.approx(100 * 5 / 6)


def test_the_matrix_address_of_a_submitted_form_leads_to_its_result_and_is_never_cached(
    client_en, anne, bart
):
    customer = CustomerFactory(account_manager=anne)
    client_en.force_login(anne)
    url = reverse("scoring:customer-matrix", args=[customer.pk])
    fresh = client_en.get(url)
    assert "no-store" in fresh["Cache-Control"]  # Back asks the server again
    assert 'autocomplete="off"' in fresh.content.decode().split('id="matrix-form"')[1][:200]
    key = uuid.uuid4()
    result = client_en.post(url, matrix_data({"performance": "5"}, key=key))["Location"]
    back = client_en.get(url, {"submission": str(key)}, follow=True)
    assert back.redirect_chain == [(result, 302)]
    assert "This matrix was submitted already" in back.content.decode()
    assert "no-store" in client_en.post(url, {"submission_key": "x"})["Cache-Control"]
    # Any other key (unused, not a key, another user's) shows a new matrix.
    for other in (str(uuid.uuid4()), "not-a-key", "\x00", str(key) * 50):
        response = client_en.get(url, {"submission": other})
        assert response.status_code == 200
        form_key = re.search(r'name="submission_key" value="([^"]+)"', response.content.decode())
        assert form_key and form_key.group(1) != str(key)
    client_en.force_login(bart)
    bart_customer = CustomerFactory(account_manager=bart)
    bart_url = reverse("scoring:customer-matrix", args=[bart_customer.pk])
    assert client_en.get(bart_url, {"submission": str(key)}).status_code == 200
    assert Assessment.objects.count() == 1


def test_invalid_matrix_shows_the_errors_inline_and_saves_nothing(client_en, anne):
    customer = CustomerFactory(account_manager=anne)
    client_en.force_login(anne)
    data = matrix_data({"performance": "9", "service": "3"})
    del data["value_contract"]
    data["comment_service"] = "Kept after the error"
    response = client_en.post(reverse("scoring:customer-matrix", args=[customer.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "The matrix was not saved" in html
    for code in ("performance", "contract"):
        row = html[html.index(f'data-code="{code}"') :].split('class="list-group-item')[0]
        assert f'matrix-row matrix-row-invalid" data-code="{code}"' in html
        assert "Choose a score from 0 to 6, or “don&#x27;t know”." in row
    service = html[html.index('data-code="service"') :].split('class="list-group-item')[0]
    assert 'value="3" checked' in service
    assert 'value="Kept after the error"' in service
    assert not Assessment.objects.exists()
    assert not ScoreSnapshot.objects.exists()


def test_errors_are_shown_in_dutch_for_a_dutch_user(client, anne):
    customer = CustomerFactory(account_manager=anne)
    client.force_login(anne)
    data = matrix_data({})
    del data["value_performance"]
    response = client.post(
        reverse("scoring:customer-matrix", args=[customer.pk]),
        data,
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    html = response.content.decode()
    assert "Kies een score van 0 tot 6, of “weet ik niet”." in html
    assert "De matrix is niet opgeslagen" in html
    assert not Assessment.objects.exists()


def test_a_matrix_of_only_dont_know_is_refused(client_en, anne):
    customer = CustomerFactory(account_manager=anne)
    client_en.force_login(anne)
    response = client_en.post(
        reverse("scoring:customer-matrix", args=[customer.pk]), matrix_data({})
    )
    assert response.status_code == 200
    assert "score at least one element" in response.content.decode()
    assert not Assessment.objects.exists()


def test_a_user_without_an_email_address_gets_a_clear_error_and_nothing_is_saved(db, client_en):
    manager = UserFactory(username="noemail", email="", groups=["Account managers"])
    customer = CustomerFactory(account_manager=manager)
    client_en.force_login(manager)
    url = reverse("scoring:customer-matrix", args=[customer.pk])
    shown = client_en.get(url).content.decode()
    assert "Your user account has no e-mail address" in shown
    response = client_en.post(url, matrix_data({"performance": "4"}))
    assert response.status_code == 200
    assert "Your user account has no e-mail address" in response.content.decode()
    assert not Assessment.objects.exists()


def test_posted_fields_cannot_choose_customer_manager_kind_model_or_respondent(
    client_en, anne, bart
):
    customer = CustomerFactory(account_manager=anne)
    other = CustomerFactory(account_manager=bart)
    old_model = ScoringModel.objects.get(is_active=True)
    client_en.force_login(anne)
    data = matrix_data(
        {"performance": "4"},
        customer=str(other.pk),
        customer_id=str(other.pk),
        account_manager=str(bart.pk),
        respondent_kind="customer",
        respondent_email="someone@else.example",
        user=str(bart.pk),
        scoring_model=str(old_model.pk + 100),
        source="import",
    )
    client_en.post(reverse("scoring:customer-matrix", args=[customer.pk]), data)
    assessment = Assessment.objects.get()
    assert assessment.customer == customer
    assert assessment.user == anne
    assert assessment.respondent_kind == "staff"
    assert assessment.respondent_email == anne.email
    assert assessment.scoring_model == old_model
    assert assessment.source == "matrix"
    customer.refresh_from_db()
    assert customer.account_manager == anne
    assert not other.assessments.exists()


def test_another_account_manager_cannot_post_a_matrix(client_en, anne, bart):
    customer = CustomerFactory(account_manager=anne)
    client_en.force_login(bart)
    response = client_en.post(
        reverse("scoring:customer-matrix", args=[customer.pk]), matrix_data({"performance": "1"})
    )
    assert response.status_code == 404
    assert not Assessment.objects.exists()


def test_submit_sends_the_assessment_submitted_signal(client_en, anne):
    received = []

    def receiver(sender, assessment, **kwargs):
        received.append(assessment)

    assessment_submitted.connect(receiver)
    try:
        customer = CustomerFactory(account_manager=anne)
        client_en.force_login(anne)
        client_en.post(
            reverse("scoring:customer-matrix", args=[customer.pk]),
            matrix_data({"performance": "4"}),
        )
    finally:
        assessment_submitted.disconnect(receiver)
    assert received == [Assessment.objects.get()]


def test_live_preview_equals_the_stored_score_after_submitting_the_same_values(client_en, anne):
    customer = CustomerFactory(account_manager=anne)
    now = timezone.now()
    # Other respondents count too; Anne's own earlier assessment is replaced by the new one.
    assess(customer, {"performance": 1, "service": 1}, user=anne, at=now - timedelta(days=30))
    colleague = UserFactory(username="colleague")
    assess(customer, {"performance": 3, "contract": 2}, user=colleague, at=now - timedelta(days=10))
    assess(
        customer,
        {"performance": 6, "it_integration": 5},
        kind="customer",
        email="inkoop@klant.example",
        at=now - timedelta(days=5),
    )
    assess(customer, {"distinctiveness": 4}, kind="expert", email="expert@markt.example")
    client_en.force_login(anne)
    values = {"performance": "5", "competition": "2", "it_integration": "0", "presence": "6"}
    data = matrix_data(values)
    preview = client_en.post(
        reverse("scoring:customer-matrix-preview", args=[customer.pk]), data
    ).json()
    client_en.post(reverse("scoring:customer-matrix", args=[customer.pk]), data)
    stored = current(customer)
    assert preview["binding_score"] == pytest.approx(stored.binding_score)
    for factor in ("satisfaction", "alternatives", "investment"):
        assert preview[factor] == pytest.approx(stored.__dict__[factor])
    assert preview["coverage"] == pytest.approx(stored.coverage)
    assert preview["provisional"] == stored.provisional
    assert preview["band"] == stored.band
    assert preview["respondents"] == stored.respondents == 4


def _model_lookups(queries) -> int:
    """The queries that read the active scoring model on its own."""
    return sum(q["sql"].startswith('SELECT "scoring_scoringmodel"."id"') for q in queries)


def test_live_preview_reads_the_active_model_once_and_gives_the_same_result(client_en, anne):
    customer = CustomerFactory(account_manager=anne)
    assess(customer, {"performance": 2, "contract": 4}, user=UserFactory(username="colleague"))
    client_en.force_login(anne)
    url = reverse("scoring:customer-matrix-preview", args=[customer.pk])
    data = matrix_data({"performance": "5", "competition": "1", "presence": "6"})
    client_en.post(url, data)  # warm up: session, per-process element caches
    with CaptureQueriesContext(connection) as queries:
        preview = client_en.post(url, data).json()
    assert _model_lookups(queries) == 1
    # Passing the model the view holds gives what the selector finds on its own.
    now = timezone.now()
    values = {"performance": 5, "competition": 1, "presence": 6}
    email = anne.email
    assert selectors.matrix_preview(
        customer=customer,
        respondent_email=email,
        values=values,
        now=now,
        scoring_model=ScoringModel.objects.get(is_active=True),
    ) == selectors.matrix_preview(customer=customer, respondent_email=email, values=values, now=now)
    assert preview["binding_score"] == pytest.approx(
        selectors.matrix_preview(customer=customer, respondent_email=email, values=values)[
            "binding_score"
        ]
    )


def test_live_preview_of_a_half_filled_matrix_counts_unchosen_rows_as_empty(client_en, anne):
    customer = CustomerFactory(account_manager=anne)
    client_en.force_login(anne)
    response = client_en.post(
        reverse("scoring:customer-matrix-preview", args=[customer.pk]),
        {"value_performance": "3", "value_service": "x", "value_contract": "not a number"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    data = response.json()
    assert data["binding_score"] == pytest.approx(50.0)
    assert data["coverage"] == pytest.approx(100 * 3 / 29)
    assert data["provisional"] is True
    assert data["band"] == "orange"
    assert data["answered"] == 1
    assert "50.0" in data["html"] and "orange" in data["html"]
    assert not Assessment.objects.exists()


def test_live_preview_needs_a_post_and_a_sign_in(client, anne):
    customer = CustomerFactory(account_manager=anne)
    url = reverse("scoring:customer-matrix-preview", args=[customer.pk])
    assert client.post(url, {})["Location"].startswith(reverse("login"))
    client.force_login(anne)
    assert client.get(url).status_code == 405


def test_matrix_speaks_dutch_to_a_dutch_browser(client, anne):
    customer = CustomerFactory(account_manager=anne)
    client.force_login(anne)
    response = client.get(
        reverse("scoring:customer-matrix", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE="nl"
    )
    html = response.content.decode()
    assert "Scoringsmatrix" in html or "scoringsmatrix" in html
    assert "Prestaties en leverbetrouwbaarheid" in html
    assert "weet ik niet" in html
    assert "Klanttevredenheid" in html


def test_preview_submit_result_and_customer_page_skip_the_portfolio_rule(
    client_en, anne, monkeypatch
):
    """The interactive pages run the one-customer rule, never the frames of the portfolio
    rule; the result page runs no rule at all (it shows what the submit stored)."""
    from scoring import calculations

    customer = CustomerFactory(account_manager=anne)
    assess(customer, {"performance": 3}, user=anne, at=timezone.now() - timedelta(days=2))
    client_en.force_login(anne)

    def refuse(*args, **kwargs):
        raise AssertionError("a rule ran that this page should not run")

    monkeypatch.setattr(calculations, "compute_portfolio", refuse)
    data = matrix_data({"performance": "6"})
    preview = client_en.post(reverse("scoring:customer-matrix-preview", args=[customer.pk]), data)
    assert preview.json()["binding_score"] == pytest.approx(100.0)
    submitted = client_en.post(reverse("scoring:customer-matrix", args=[customer.pk]), data)
    assert submitted.status_code == 302
    assert current(customer).binding_score == pytest.approx(100.0)
    detail = client_en.get(reverse("scoring:customer-detail", args=[customer.pk]))
    assert detail.status_code == 200

    monkeypatch.setattr(calculations, "compute_customer", refuse)
    result = client_en.get(submitted["Location"])
    html = result.content.decode()
    assert result.status_code == 200
    assert "Binding score before → after" in html and "+50.0" in html
