"""Writes of relationship types: the type we believe in and the one a customer wants."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from relations.models import RelationshipBelief, RelationshipType, RelationshipWish
from scoring.models import Assessment, Customer, RespondentKind


def relationship_belief_set(
    *,
    customer: Customer,
    type: RelationshipType | None,
    user: User,
    now: datetime | None = None,
) -> RelationshipBelief | None:
    """Record the relationship type we believe the customer is in (None forgets it)."""
    now = now or timezone.now()
    if type is None:
        RelationshipBelief.objects.filter(customer=customer).delete()
        return None
    if not type.active:
        raise ValidationError({"type": [_("This relationship type is no longer in use.")]})
    belief, _created = RelationshipBelief.objects.update_or_create(
        customer=customer, defaults={"type": type, "set_by": user, "set_at": now}
    )
    return belief


def relationship_wish_record(*, assessment: Assessment, type: RelationshipType) -> RelationshipWish:
    """Store a customer's answer to "which relationship do you want with us?" with the
    assessment of that survey answer."""
    if assessment.respondent_kind != RespondentKind.CUSTOMER:
        raise ValidationError(_("Only customers are asked which relationship they want."))
    return RelationshipWish.objects.create(
        assessment=assessment,
        customer_id=assessment.customer_id,
        type=type,
        answered_at=assessment.assessed_at,
    )
