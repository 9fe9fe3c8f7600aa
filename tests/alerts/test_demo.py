"""The demo leaves open alerts of the kinds on the other apps' facts too, and contacts that
name the action they served."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from alerts.models import Alert
from relations.models import ContactMoment

pytestmark = pytest.mark.django_db


def test_the_demo_has_open_alerts_of_the_linked_kinds_and_contacts_for_actions():
    out = StringIO()
    call_command("seed_demo", customers=60, seed=3, history_months=3, no_progress=True, stdout=out)
    assert "contacts linked to the actions they served" in out.getvalue()
    open_kinds = set(
        Alert.objects.exclude(status=Alert.Status.RESOLVED).values_list("trigger", flat=True)
    )
    assert {"action_overdue", "contact_lost", "departure"} <= open_kinds, open_kinds
    linked = ContactMoment.objects.filter(action__isnull=False).select_related("action")
    assert linked.exists()
    for moment in linked:
        assert moment.action.customer_id == moment.customer_id
        assert moment.at >= moment.action.decided_at
