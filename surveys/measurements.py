"""Survey rounds on request from another app (through scoring.extensions), e.g. the actions app
measuring treated customers and their controls after an action's horizon.

Each request becomes a one-off campaign: the hand-picked customers, the kinds asked, only the
requested elements (all when none are given), opened at once and inactive afterwards so that
no later period opens it again. Invitations, reminders and expiry then run as for any round.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from scoring.models import Customer, RespondentKind
from surveys.models import Campaign


def measurement_round_open(
    *, customer_ids: list[int], element_codes: list[str], kinds: list[str], reason: str
) -> str:
    """Open a one-off round asking ``kinds`` about ``element_codes`` of these customers."""
    from surveys import services

    today = timezone.localdate()
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=(reason or "Measurement")[:200],
            ask_staff=RespondentKind.STAFF in kinds,
            ask_customers=RespondentKind.CUSTOMER in kinds,
            ask_experts=RespondentKind.EXPERT in kinds,
            scope=Campaign.Scope.SELECTED,
            starts_on=today,
            cadence_months=12,
            ask_nps=False,
            active=False,  # one round only: the periodic opening skips inactive campaigns
            element_codes=sorted(set(element_codes)),
        )
        campaign.customers.set(Customer.objects.filter(pk__in=customer_ids))
        opened = services.round_open(campaign=campaign, period=today)
    return f"survey campaign {campaign.pk}, round {opened.round.pk}, {opened.invited} invitations"
