"""Access and CSRF over every URL of the URLconf (issue 11, item 6).

The URLs are read from the URLconf, so a new one is in the matrix at once: a URL with
parameters must say here which object its parameters name (``OBJECTS``), and a test fails
until it does. For every URL, GET and POST:

- another account manager than the owner never reads or changes the owner's object (403 or
  404, nothing written, the denial logged);
- an anonymous visitor goes to sign-in, except on the public pages;
- management reads every page;
- a POST without a CSRF token is refused (403) and writes nothing, the public survey pages
  included; only the e-mail's one-click unsubscribe (RFC 8058) is exempt.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Model, Q
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from scoring.roles import ACCOUNT_MANAGERS
from tests.scoring.test_matrix import matrix_data

User = get_user_model()


@dataclass(frozen=True)
class Route:
    pattern: str  # e.g. "customers/<int:pk>/"
    name: str  # e.g. "scoring:customer-detail"


def routes() -> list[Route]:
    """Every URL of the URLconf but the admin's (which has its own permissions)."""

    def walk(patterns: list, prefix: str, namespace: str | None) -> Iterator[Route]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace or namespace
                if namespace and entry.namespace:
                    inner = f"{namespace}:{entry.namespace}"
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace else str(entry.name)
                yield Route(prefix + str(entry.pattern), name)

    # The admin has its own permissions; the JSON API under api/v1/ authenticates by token
    # and has its own access matrix (tests/api), with 401/403/404 problem details.
    return [
        route
        for route in walk(get_resolver().url_patterns, "", None)
        if not route.pattern.startswith(("admin/", "api/v1/", "api/^v1/"))
    ]


# Pages anyone may open without signing in.
PUBLIC = {
    "health",
    "None",  # /health/
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "set_language",
    "surveys:link",
    "surveys:answer",
    "surveys:thanks",
    "surveys:opt-out-link",
    "surveys:opt-out",
    "relations:exit-link",
    "relations:exit-answer",
    "relations:exit-thanks",
    "company-logo",
    "unsubscribe",
}
# RFC 8058: the mail client POSTs the one-click unsubscribe without a CSRF token.
CSRF_EXEMPT = {"surveys:opt-out-link", "unsubscribe"}


def _customer_of(model: type[Model], path: str) -> Callable[[], tuple[Model, object]]:
    """The first object of ``model`` whose customer (at ``path``) has an account manager."""

    def find() -> tuple[Model, object]:
        found = (
            model._default_manager.filter(
                **{f"{path}account_manager__isnull": False, f"{path}active": True}
            )
            .select_related()
            .order_by("pk")
            .first()
        )
        assert found is not None, f"the demo has no {model.__name__} of a managed customer"
        customer = found
        for step in filter(None, path.split("__")):
            customer = getattr(customer, step)
        return found, customer.account_manager  # type: ignore[attr-defined]

    return find


def _model(label: str) -> type[Model]:
    return apps.get_model(label)


def _any(label: str, **filters: object) -> Callable[[], tuple[Model, object]]:
    def find() -> tuple[Model, object]:
        found = _model(label)._default_manager.filter(**filters).order_by("pk").first()
        assert found is not None, f"the demo has no {label}"
        return found, None

    return find


# Which object the parameters of each URL name; the second value is its owner (an account
# manager) or None for objects only management or the public reach.
def customer() -> tuple[Model, object]:
    return _customer_of(_model("scoring.Customer"), "")()


def _token_of_an_account_manager() -> tuple[Model, object]:
    """A personal API token: its owner is the user who made it."""
    token = _model("api.ApiToken").objects.order_by("pk").first()
    assert token is not None, "the demo has no API token"
    return token, token.user


OBJECTS: dict[str, Callable[[], tuple[Model, object]]] = {
    "scoring:customer-detail": customer,
    "scoring:customer-matrix": customer,
    "scoring:customer-edit": customer,
    "scoring:contact-person-create": customer,
    "scoring:contact-person-edit": _customer_of(_model("scoring.Contact"), "customer__"),
    "scoring:contact-person-active": _customer_of(_model("scoring.Contact"), "customer__"),
    "scoring:expert-edit": _any("scoring.MarketExpert"),
    "scoring:customer-matrix-preview": customer,
    "scoring:assessment-detail": _customer_of(_model("scoring.Assessment"), "customer__"),
    "scoring:assessment-result": _customer_of(_model("scoring.Assessment"), "customer__"),
    "scoring:model-edit": _any("scoring.ScoringModel"),
    "scoring:model-publish": _any("scoring.ScoringModel"),
    "scoring:model-discard": _any("scoring.ScoringModel"),
    "surveys:campaign-detail": _any("surveys.Campaign"),
    "surveys:campaign-edit": _any("surveys.Campaign"),
    "surveys:campaign-open-round": _any("surveys.Campaign"),
    "surveys:round-detail": _any("surveys.Round"),
    "surveys:round-close": _any("surveys.Round"),
    "surveys:invitation-resend": _customer_of(_model("surveys.Invitation"), "customer__"),
    "actions:action-detail": _customer_of(_model("actions.Action"), "customer__"),
    "actions:action-decide": _customer_of(_model("actions.Action"), "customer__"),
    "actions:action-start": _customer_of(_model("actions.Action"), "customer__"),
    "actions:action-steps": _customer_of(_model("actions.Action"), "customer__"),
    "actions:action-complete": _customer_of(_model("actions.Action"), "customer__"),
    "actions:action-cancel": _customer_of(_model("actions.Action"), "customer__"),
    "actions:action-edit": _customer_of(_model("actions.Action"), "customer__"),
    "actions:type-edit": _any("actions.ActionType"),
    "actions:campaign-detail": _any("actions.ActionCampaign"),
    "relations:contact-log": customer,
    "relations:contact-delete": _customer_of(_model("relations.ContactMoment"), "customer__"),
    "relations:segment-override": customer,
    "relations:belief-set": customer,
    "relations:departure-detail": _customer_of(_model("relations.Departure"), "customer__"),
    "relations:reasons-record": _customer_of(_model("relations.Departure"), "customer__"),
    "relations:departure-create": customer,
    "relations:departure-edit": _customer_of(_model("relations.Departure"), "customer__"),
    "relations:exit-survey": _customer_of(_model("relations.Departure"), "customer__"),
    "alerts:detail": _customer_of(_model("alerts.Alert"), "customer__"),
    "alerts:acknowledge": _customer_of(_model("alerts.Alert"), "customer__"),
    "alerts:snooze": _customer_of(_model("alerts.Alert"), "customer__"),
    "alerts:reopen": _customer_of(_model("alerts.Alert"), "customer__"),
    "alerts:rule-edit": _any("alerts.AlertRule"),
    "scoring:job-detail": _any("scoring.ScoringJob"),
    "scoring:job-status": _any("scoring.ScoringJob"),
    "api:token-revoke": _token_of_an_account_manager,
    "api:webhook-detail": _any("api.WebhookEndpoint"),
    "api:webhook-resend": _any("api.WebhookEndpoint"),
}
# Parameters that are no object of the database.
VALUES = {
    "delivery": "1",
    "fmt": "csv",
    "token": "no-such-token-0123456789abcdef",
    "uidb64": "MQ",
    "public_id": str(uuid.UUID(int=1)),
    "section": "segments",
    "perspective": "own",
    "trigger": "band_down",
}


def url_of(route: Route) -> tuple[str, object]:
    """The route's path with its parameters filled in, and the owner of the object it names."""
    path = route.pattern
    owner = None
    if route.name in OBJECTS:
        found, owner = OBJECTS[route.name]()
        path = path.replace("<int:pk>", str(found.pk))
    for name, value in VALUES.items():
        for converter in ("str", "slug", "uuid", "int", ""):
            tag = f"<{converter}:{name}>" if converter else f"<{name}>"
            path = path.replace(tag, value)
    assert "<" not in path, f"say in OBJECTS or VALUES what {route.name}'s parameters name"
    return "/" + path, owner


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if not model._meta.label.startswith(("sessions.", "axes.", "admin."))
    }


@pytest.fixture
def demo(db, settings, tmp_path):
    """The demo portfolio, and one of each object the demo does not make."""
    import datetime as dt

    from django.utils import timezone

    from actions.models import ActionCampaign, ActionType
    from alerts.models import Alert, AlertRule
    from api.services.tokens import token_create
    from relations.models import Departure
    from surveys import services as survey_services
    from tests.actions.factories import make_action
    from tests.relations.factories import log
    from tests.surveys.support import make_campaign

    settings.KB_UPLOAD_DIR = tmp_path / "uploads"
    call_command("seed_demo", customers=12, no_progress=True, stdout=StringIO())
    boss = User.objects.get(username="directie")
    managed = _model("scoring.Customer").objects.filter(account_manager__isnull=False, active=True)
    first = managed.order_by("pk").first()
    make_action(first, by=boss)
    log(first)
    today = timezone.localdate()
    Departure.objects.create(
        customer=first, decided_on=today, left_on=today, account_manager=first.account_manager
    )
    rule = AlertRule.objects.order_by("pk").first()
    if rule is not None:
        Alert.objects.create(
            rule=rule,
            customer=first,
            trigger=rule.trigger,
            severity=rule.severity,
            opened_at=timezone.now(),
        )
    ActionCampaign.objects.create(
        name="Campagne",
        action_type=ActionType.objects.first(),
        due_on=today,
        created_by=boss,
        launched_at=timezone.now(),
    )
    _model("scoring.ScoringJob").objects.create(kind="recompute", state="done", created_by=boss)
    token_create(user=first.account_manager, name="CRM", scope="read")
    _model("api.WebhookEndpoint").objects.create(
        url="https://crm.example.com/hooks", events=["score.changed"], secret="x", owner=boss
    )
    campaign = make_campaign(starts_on=today - dt.timedelta(days=1))
    survey_services.round_open(campaign=campaign)


def test_every_url_with_parameters_names_its_object():
    for route in routes():
        names = {part.split(">")[0].split(":")[-1] for part in route.pattern.split("<")[1:]}
        if "pk" in names:
            assert route.name in OBJECTS, f"{route.name} ({route.pattern}): add it to OBJECTS"
        assert names - {"pk"} <= set(VALUES), f"{route.name}: add its parameters to VALUES"


def _other_account_manager(owner: object) -> object:
    return User.objects.filter(groups__name=ACCOUNT_MANAGERS).exclude(pk=owner.pk).first()  # type: ignore[attr-defined]


def test_another_account_manager_never_reaches_the_owners_objects(demo, caplog):
    failures = []
    for route in routes():
        if route.name not in OBJECTS:
            continue
        path, owner = url_of(route)
        if owner is None:
            continue
        intruder = _other_account_manager(owner)
        client = Client(raise_request_exception=False)
        client.force_login(intruder)
        before = _row_counts()
        for method in ("get", "post"):
            caplog.clear()
            with caplog.at_level(logging.WARNING, logger="django.request"):
                response = getattr(client, method)(path)
            if response.status_code not in (403, 404, 405):
                failures.append(f"{method.upper()} {path} ({route.name}): {response.status_code}")
            elif response.status_code != 405 and not any(
                r.name == "django.request" for r in caplog.records
            ):
                failures.append(f"{method.upper()} {path}: the denial is not logged")
        if _row_counts() != before:
            failures.append(f"{path}: rows changed")
    assert failures == [], "\n".join(failures)


def test_anonymous_visitors_go_to_sign_in(demo):
    client = Client(raise_request_exception=False)
    before = _row_counts()
    failures = []
    for route in routes():
        if route.name in PUBLIC:
            continue
        path, _owner = url_of(route)
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            location = response.get("Location", "")
            signing_in = response.status_code == 302 and location.startswith("/accounts/login/")
            if not signing_in and response.status_code != 405:
                failures.append(f"{method.upper()} {path}: {response.status_code} {location}")
    assert failures == [], "\n".join(failures)
    assert _row_counts() == before


def test_management_reads_every_page(demo):
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username="directie"))
    failures = []
    for route in routes():
        if route.name in PUBLIC or route.name in ("logout", "scoring:upload-preview"):
            continue
        if route.name in ("scoring:upload-done", "relations:exit-answer"):
            continue  # name an upload or exit survey of someone's session: 404 for everyone
        path, _owner = url_of(route)
        response = client.get(path)
        if response.status_code >= 400 and response.status_code != 405:
            failures.append(f"GET {path} ({route.name}): {response.status_code}")
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("who", ["account manager", "management", "anonymous"])
def test_a_post_without_a_csrf_token_is_refused_everywhere(demo, who):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    failures = []
    for route in routes():
        if route.name in CSRF_EXEMPT:
            continue
        path, owner = url_of(route)
        if who == "account manager":
            user = owner or User.objects.filter(groups__name=ACCOUNT_MANAGERS).first()
            client.force_login(user)
        elif who == "management":
            client.force_login(User.objects.get(username="directie"))
        before = _row_counts()
        response = client.post(path, {"name": "x", "enabled": "on"})
        if response.status_code != 403:
            failures.append(f"POST {path} ({route.name}): {response.status_code}")
        if _row_counts() != before:
            failures.append(f"POST {path} ({route.name}): rows changed")
    assert failures == [], "\n".join(failures)


def test_a_post_cannot_choose_the_owner_customer_model_or_moment(demo):
    """The matrix of a customer: extra fields in the POST change none of what the view sets."""
    Customer = _model("scoring.Customer")
    Assessment = _model("scoring.Assessment")
    mine, owner = customer()
    other = Customer.objects.exclude(Q(account_manager=owner) | Q(account_manager=None)).first()
    client = Client()
    client.force_login(owner)
    data = matrix_data({"performance": "4"})
    data.update(
        {
            "account_manager": str(other.account_manager_id),
            "customer": str(other.pk),
            "model": "999999",
            "assessed_at": "2001-01-01T00:00",
            "respondent_kind": "expert",
        }
    )
    before = set(Assessment.objects.values_list("pk", flat=True))
    client.post(f"/customers/{mine.pk}/matrix/", data)
    new = Assessment.objects.exclude(pk__in=before)
    assert new.count() == 1  # the POST was accepted: the extra fields were ignored, not refused
    for assessment in new:
        assert assessment.customer_id == mine.pk
        assert assessment.assessed_at.year != 2001
        assert assessment.respondent_kind == "staff"
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.account_manager == owner
    assert other.account_manager_id != owner.pk


def test_a_contact_person_post_cannot_choose_the_customer_its_manager_or_the_opt_out(demo):
    """Adding a contact person on one's own customer page: extra fields in the POST move
    neither the contact to another customer nor a customer to another account manager."""
    Customer = _model("scoring.Customer")
    Contact = _model("scoring.Contact")
    mine, owner = customer()
    other = Customer.objects.exclude(Q(account_manager=owner) | Q(account_manager=None)).first()
    client = Client()
    client.force_login(owner)
    response = client.post(
        f"/customers/{mine.pk}/contact-persons/new/",
        {
            "name": "Nieuwe Contactpersoon",
            "email": "nieuw@klant.example",
            "language": "nl",
            "customer": str(other.pk),
            "account_manager": str(other.account_manager_id),
            "opted_out": "on",
            "active": "",
        },
    )
    assert response.status_code == 302
    contact = Contact.objects.get(email="nieuw@klant.example")
    assert (contact.customer_id, contact.opted_out, contact.active) == (mine.pk, False, True)
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.account_manager == owner
    assert other.account_manager_id != owner.pk
