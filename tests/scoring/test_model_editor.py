"""The model editor: drafts, validation, the pre-publish preview and publishing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from scoring import services
from scoring.models import Element, ScoreSnapshot, ScoringJob, ScoringModel
from tests.factories import CustomerFactory, active_model, assess


@pytest.fixture
def client_en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def editor_data(response) -> dict[str, str]:
    """The editor's form as a browser would post it back unchanged."""
    data: dict[str, str] = {}
    form = response.context["form"]
    formset = response.context["formset"]
    for bound in [*form, *formset.management_form]:
        data[bound.html_name] = "" if bound.value() is None else str(bound.value())
    for element_form in formset:
        for bound in element_form:
            if bound.field.disabled:
                continue
            value = bound.value()
            if isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            elif value is not None:
                data[bound.html_name] = str(value)
    return data


def field_name(response, code: str, field: str) -> str:
    for element_form in response.context["formset"]:
        if element_form.instance.code == code:
            return element_form[field].html_name
    raise LookupError(code)


def extra_form(response) -> str:
    """The prefix of the empty form for a new element."""
    return next(f for f in response.context["formset"] if not f.instance.pk).prefix


@pytest.fixture
def draft(db) -> ScoringModel:
    return services.scoring_model_draft_create()


def test_account_managers_and_outsiders_cannot_reach_the_model_editor(
    client, anne, outsider, draft
):
    for user in (anne, outsider):
        client.force_login(user)
        for url in (
            reverse("scoring:model-list"),
            reverse("scoring:model-edit", args=[draft.pk]),
            reverse("scoring:model-publish", args=[draft.pk]),
        ):
            assert client.get(url).status_code == 403
        assert client.post(reverse("scoring:model-draft-create")).status_code == 403
        assert client.post(reverse("scoring:model-publish", args=[draft.pk])).status_code == 403
    assert ScoringModel.objects.get(pk=draft.pk).is_draft


def test_anonymous_users_go_to_sign_in_from_the_editor(client, draft):
    response = client.get(reverse("scoring:model-edit", args=[draft.pk]))
    assert response["Location"].startswith(reverse("login"))


def test_management_makes_a_draft_from_the_active_model(client_en, mira):
    client_en.force_login(mira)
    response = client_en.post(reverse("scoring:model-draft-create"), follow=True)
    draft = ScoringModel.objects.get(published_at__isnull=True)
    assert draft.version == 2
    assert draft.elements.count() == 12
    assert "Draft version 2 is a copy of the active model" in response.content.decode()
    listing = client_en.get(reverse("scoring:model-list")).content.decode()
    assert "v2" in listing and "draft" in listing and "active" in listing


def test_the_default_model_has_its_name_and_notes_in_dutch_and_english(client, mira):
    client.force_login(mira)
    url = reverse("scoring:model-edit", args=[active_model().pk])
    dutch = client.get(url, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Standaardmodel klantbinding" in dutch
    assert "Twaalf onderdelen onder de drie bindingsfactoren" in dutch
    assert "Standard customer binding model" in english
    assert "Twelve elements under the three binding factors" in english
    for page in (dutch, english):
        assert "DESIGN.md" not in page
    listing = client.get(reverse("scoring:model-list"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Standard customer binding model" in listing.content.decode()


def test_a_draft_keeps_both_languages_of_name_and_notes_and_the_editor_changes_each(
    client_en, mira
):
    client_en.force_login(mira)
    client_en.post(reverse("scoring:model-draft-create"))
    draft = ScoringModel.objects.get(published_at__isnull=True)
    assert draft.name_nl == "Standaardmodel klantbinding"
    assert draft.notes_en.startswith("Twelve elements")
    url = reverse("scoring:model-edit", args=[draft.pk])
    data = editor_data(client_en.get(url))
    data["model-name_nl"] = "Model 2026"
    data["model-name_en"] = "Model 2026 (EN)"
    data["model-notes_en"] = "More weight on IT."
    assert "The draft is saved." in client_en.post(url, data, follow=True).content.decode()
    draft.refresh_from_db()
    assert (draft.name_nl, draft.name_en, draft.notes_en) == (
        "Model 2026",
        "Model 2026 (EN)",
        "More weight on IT.",
    )
    assert draft.notes_nl.startswith("Twaalf onderdelen")


def test_one_draft_at_a_time_and_a_discarded_draft_leaves_no_gap(client_en, mira):
    client_en.force_login(mira)
    client_en.post(reverse("scoring:model-draft-create"))
    again = client_en.post(reverse("scoring:model-draft-create"), follow=True)
    assert ScoringModel.objects.filter(published_at__isnull=True).count() == 1
    assert "Draft version 2 is still being prepared" in again.content.decode()
    listing = client_en.get(reverse("scoring:model-list")).content.decode()
    assert 'id="continue-draft"' in listing and "New draft from the active model" not in listing
    assert services.scoring_model_draft_create().version == 2  # the service agrees
    draft = ScoringModel.objects.get(published_at__isnull=True)
    client_en.post(reverse("scoring:model-discard", args=[draft.pk]))
    client_en.post(reverse("scoring:model-draft-create"))
    new = ScoringModel.objects.get(published_at__isnull=True)
    assert new.version == 2  # not 3: the discarded number is free again
    services.scoring_model_publish(scoring_model=new, user=mira)
    assert list(ScoringModel.objects.order_by("version").values_list("version", flat=True)) == [
        1,
        2,
    ]
    assert services.scoring_model_draft_create().version == 3


def test_changing_a_weight_name_and_guidance_saves_the_draft_only(client_en, mira, draft):
    client_en.force_login(mira)
    url = reverse("scoring:model-edit", args=[draft.pk])
    page = client_en.get(url)
    data = editor_data(page)
    data[field_name(page, "presence", "weight")] = "2.5"
    data[field_name(page, "presence", "name_en")] = "Presence on site"
    data[field_name(page, "presence", "guidance_6_nl")] = "Wekelijks op de vloer."
    data[field_name(page, "presence", "question_customer_en")] = "How often do you see us?"
    response = client_en.post(url, data, follow=True)
    assert "The draft is saved." in response.content.decode()
    presence = draft.elements.get(code="presence")
    assert presence.weight == Decimal("2.5")
    assert presence.name_en == "Presence on site"
    assert presence.guidance_6_nl == "Wekelijks op de vloer."
    assert presence.question_customer_en == "How often do you see us?"
    assert active_model().elements.get(code="presence").weight == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("weight", "0", "The weight must be above zero."),
        ("weight", "-3", "The weight must be above zero."),
        ("weight", "zwaar", "Enter a number."),
        ("name_nl", "", "This field is required."),
        ("name_en", "", "This field is required."),
    ],
)
def test_the_editor_refuses_bad_weights_and_missing_names_and_saves_nothing(
    client_en, mira, draft, field, value, message
):
    client_en.force_login(mira)
    url = reverse("scoring:model-edit", args=[draft.pk])
    page = client_en.get(url)
    data = editor_data(page)
    data[field_name(page, "contract", field)] = value
    data[field_name(page, "presence", "weight")] = "7"
    response = client_en.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "The draft was not saved" in html
    assert draft.elements.get(code="presence").weight == 1  # nothing of the post was saved
    assert draft.elements.get(code="contract").weight == 3


def test_a_new_element_needs_a_unique_code(client_en, mira, draft):
    client_en.force_login(mira)
    url = reverse("scoring:model-edit", args=[draft.pk])
    page = client_en.get(url)
    data = editor_data(page)
    new = extra_form(page)
    data.update(
        {
            f"{new}-code": "contract",
            f"{new}-factor": "investment",
            f"{new}-name_nl": "Nog een contract",
            f"{new}-name_en": "Another contract",
            f"{new}-weight": "1",
            f"{new}-order": "20",
        }
    )
    response = client_en.post(url, data)
    assert response.status_code == 200
    assert "The code “contract” is already used by element" in response.content.decode()
    assert draft.elements.count() == 12


def test_adding_and_retiring_elements(client_en, mira, draft):
    client_en.force_login(mira)
    url = reverse("scoring:model-edit", args=[draft.pk])
    page = client_en.get(url)
    data = editor_data(page)
    new = extra_form(page)
    data.update(
        {
            f"{new}-code": "innovation",
            f"{new}-factor": "investment",
            f"{new}-name_nl": "Gezamenlijke innovatie",
            f"{new}-name_en": "Joint innovation",
            f"{new}-weight": "2",
            f"{new}-order": "13",
        }
    )
    del data[f"{new}-asked_customer"]  # unticked; staff and experts stay ticked
    data[field_name(page, "presence", "DELETE")] = "on"
    client_en.post(url, data)
    codes = set(draft.elements.values_list("code", flat=True))
    assert "innovation" in codes and "presence" not in codes
    innovation = draft.elements.get(code="innovation")
    assert innovation.asked_staff and innovation.asked_expert and not innovation.asked_customer
    assert active_model().elements.filter(code="presence").exists()


def test_the_code_of_an_existing_element_cannot_be_changed_by_posting_it(client_en, mira, draft):
    client_en.force_login(mira)
    url = reverse("scoring:model-edit", args=[draft.pk])
    page = client_en.get(url)
    data = editor_data(page)
    data[field_name(page, "presence", "code")] = "renamed"
    client_en.post(url, data)
    assert draft.elements.filter(code="presence").exists()
    assert not draft.elements.filter(code="renamed").exists()


def test_retiring_every_element_is_refused(client_en, mira, draft):
    client_en.force_login(mira)
    url = reverse("scoring:model-edit", args=[draft.pk])
    page = client_en.get(url)
    data = editor_data(page)
    for element in draft.elements.all():
        data[field_name(page, element.code, "DELETE")] = "on"
    response = client_en.post(url, data)
    assert "A scoring model needs at least one element." in response.content.decode()
    assert draft.elements.count() == 12


def test_elements_of_another_model_cannot_be_edited_through_a_draft(client_en, mira, draft):
    client_en.force_login(mira)
    url = reverse("scoring:model-edit", args=[draft.pk])
    page = client_en.get(url)
    data = editor_data(page)
    active_presence = active_model().elements.get(code="presence")
    prefix = next(f for f in page.context["formset"] if f.instance.code == "presence").prefix
    data[f"{prefix}-id"] = str(active_presence.pk)
    data[f"{prefix}-weight"] = "9"
    assert client_en.post(url, data).status_code == 200
    assert Element.objects.get(pk=active_presence.pk).weight == 1


def test_a_published_version_is_read_only(client_en, mira):
    client_en.force_login(mira)
    model = active_model()
    url = reverse("scoring:model-edit", args=[model.pk])
    page = client_en.get(url)
    assert "A published version cannot be changed." in page.content.decode()
    client_en.post(url, {"elements-0-weight": "9"})
    assert model.elements.get(code="performance").weight == 3
    response = client_en.post(reverse("scoring:model-publish", args=[model.pk]), follow=True)
    assert "is already published" in response.content.decode()


def test_preview_shows_band_changes_and_biggest_movers_without_writing(client_en, mira, draft):
    loyal = CustomerFactory(name="Loyal")
    assess(loyal, {"performance": 6, "it_integration": 6, "presence": 0})  # 87.5 green
    shaky = CustomerFactory(name="Shaky")
    assess(shaky, {"performance": 5, "presence": 0})  # 100·15/24 = 62.5 yellow
    steady = CustomerFactory(name="Steady")
    assess(steady, {"service": 3})  # 50.0, presence plays no part
    draft.elements.filter(code="presence").update(weight=Decimal(9))
    snapshots_before = list(ScoreSnapshot.objects.values_list("pk", "binding_score"))
    client_en.force_login(mira)
    response = client_en.get(reverse("scoring:model-publish", args=[draft.pk]))
    html = response.content.decode()
    preview = response.context["preview"]
    # Loyal: 100·(18+24)/(6·16) = 43.8 orange (−43.8); Shaky: 100·15/(6·12) = 20.8 red (−41.7).
    assert preview["band_changes"] == 2
    assert preview["score_changes"] == 2
    assert {(t["before"], t["after"]) for t in preview["transitions"]} == {
        ("green", "orange"),
        ("yellow", "red"),
    }
    assert [m["name"] for m in preview["movers"]] == ["Loyal", "Shaky"]
    assert preview["movers"][1]["change"] == pytest.approx(100 * 15 / 72 - 62.5)
    assert 'id="band-changes">2<' in html
    assert "Shaky" in html and "Steady" not in html.split('id="movers"')[1]
    assert "weight 1 → 9" in html
    # The weight is named once, as its before → after, not again in the changed fields.
    change = html.split('id="model-changes"')[1].split("</ul>")[0]
    assert change.count("weight") == 1
    assert list(ScoreSnapshot.objects.values_list("pk", "binding_score")) == snapshots_before
    assert ScoringModel.objects.get(pk=draft.pk).is_draft


def test_publishing_makes_the_draft_active_and_recomputes_every_score(client_en, mira, draft):
    customer = CustomerFactory()
    assess(customer, {"performance": 5, "presence": 0})
    draft.elements.filter(code="presence").update(weight=Decimal(9))
    client_en.force_login(mira)
    response = client_en.post(reverse("scoring:model-publish", args=[draft.pk]), follow=True)
    job = ScoringJob.objects.get(scoring_model=draft)
    assert response.redirect_chain[-1][0] == reverse("scoring:job-detail", args=[job.pk])
    services.scoring_job_run(job_id=job.pk)  # what the worker does (tests/scoring/test_jobs.py)
    response = client_en.get(reverse("scoring:job-detail", args=[job.pk]))
    assert "Version 2 is published." in response.content.decode()
    assert active_model().pk == draft.pk
    snapshot = ScoreSnapshot.objects.get(customer=customer, is_current=True)
    assert snapshot.binding_score == pytest.approx(100 * 15 / 72)
    assert snapshot.band == "red"
    draft.refresh_from_db()
    assert draft.published_by == mira


def test_discarding_a_draft_removes_it(client_en, mira, draft):
    client_en.force_login(mira)
    client_en.post(reverse("scoring:model-discard", args=[draft.pk]))
    assert not ScoringModel.objects.filter(pk=draft.pk).exists()
    active = active_model()
    assert client_en.post(reverse("scoring:model-discard", args=[active.pk])).status_code == 404


def test_a_post_asking_for_a_million_element_forms_builds_at_most_the_limit(client_en, mira, draft):
    client_en.force_login(mira)
    url = reverse("scoring:model-edit", args=[draft.pk])
    data = editor_data(client_en.get(url))
    data["elements-TOTAL_FORMS"] = "999999"
    response = client_en.post(url, data)
    assert response.status_code == 200
    assert len(response.context["formset"].forms) <= 100
    assert "Please submit at most 100 forms." in response.content.decode()
    assert draft.elements.count() == 12
