"""Extension points for apps that build on scoring (scoring never imports them).

``assessment_submitted`` is sent by ``services.assessment_submit`` inside its transaction, after
the assessment and the refreshed score are written: receivers that write (surveys marks the
staff invitation answered) are part of the same all-or-nothing submit.
"""

from __future__ import annotations

from django.dispatch import Signal

assessment_submitted = Signal()  # kwargs: assessment

# Sent after the transaction that stored new score snapshots commits (never for a rollback):
# whoever acts on score changes (alerts) reads committed rows. kwargs: customer_ids (the
# customers with a new current snapshot, sorted), computed_at (the newest snapshot's moment).
snapshots_stored = Signal()
