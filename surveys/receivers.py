"""Signal receivers: scoring tells surveys about a submitted assessment."""

from __future__ import annotations

from scoring.models import Assessment


def answer_staff_invitation(sender: type, assessment: Assessment, **kwargs: object) -> None:
    """A matrix submission answers the open staff invitation for that customer and recipient.

    Runs inside assessment_submit's transaction, so both are written or neither.
    """
    from surveys.services import staff_invitations_answer

    staff_invitations_answer(assessment=assessment)
