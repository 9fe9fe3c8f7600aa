"""factory_boy factories and small builders for test data."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from scoring import services
from scoring.models import Assessment, Contact, Customer, MarketExpert, ScoringModel
from scoring.roles import ACCOUNT_MANAGERS, MANAGEMENT

User = get_user_model()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.nl")
    first_name = factory.Faker("first_name", locale="nl_NL")
    last_name = factory.Faker("last_name", locale="nl_NL")
    password = factory.django.Password("geheim-wachtwoord-42")

    @factory.post_generation
    def groups(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get(name=name))


def account_manager(username: str) -> User:
    return UserFactory(username=username, groups=[ACCOUNT_MANAGERS])


def manager(username: str) -> User:
    return UserFactory(username=username, groups=[MANAGEMENT])


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"K{n:05d}")
    name = factory.Sequence(lambda n: f"Klant {n} B.V.")
    sector = "Logistiek"
    annual_revenue = 100_000
    revenue_potential = 150_000
    margin_pct = 20
    payment_behaviour = "good"
    account_manager = factory.SubFactory(UserFactory, groups=[ACCOUNT_MANAGERS])


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Faker("name", locale="nl_NL")
    email = factory.Sequence(lambda n: f"contact{n}@klant.example")
    language = "nl"


class MarketExpertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MarketExpert

    name = factory.Faker("name", locale="nl_NL")
    email = factory.Sequence(lambda n: f"expert{n}@markt.example")
    organisation = "Marktonderzoek B.V."


def active_model() -> ScoringModel:
    return ScoringModel.objects.get(is_active=True)


def assess(
    customer: Customer,
    values: Mapping[str, int | None],
    *,
    kind: str = "staff",
    email: str | None = None,
    at: datetime | None = None,
    user: User | None = None,
    nps: int | None = None,
) -> Assessment:
    """Submit an assessment through the service, as the app does; the assessment."""
    if kind == "staff" and user is None:
        user = customer.account_manager or UserFactory()
    email = email or (user.email if user is not None else f"{kind}@example.nl")
    return services.assessment_submit(
        customer=customer,
        respondent_kind=kind,
        respondent_email=email,
        user=user if kind == "staff" else None,
        values=dict(values),
        assessed_at=at,
        nps=nps,
        source=Assessment.Source.MATRIX if kind == "staff" else Assessment.Source.SURVEY,
    ).assessment
