"""Writes of the relations app, by sub-domain; the names are re-exported here."""

from relations.services.cadence import cadence_refresh
from relations.services.contacts import contact_delete, contact_log
from relations.services.departures import (
    departure_record,
    departure_update,
    exit_survey_answer,
    exit_survey_create,
    exit_survey_open_for,
    exit_survey_send,
    exit_surveys_sweep,
    reasons_record,
)
from relations.services.digests import (
    digest_preference,
    digest_preference_save,
    overdue_digest_send,
    overdue_digests_queue,
    week_of,
)
from relations.services.segments import (
    SegmentSummary,
    segment_history_record,
    segment_override,
    segments_assign,
    segments_monthly,
    setup_save,
)
from relations.services.types import relationship_belief_set, relationship_wish_record

__all__ = [
    "SegmentSummary",
    "cadence_refresh",
    "contact_delete",
    "contact_log",
    "departure_record",
    "departure_update",
    "digest_preference",
    "digest_preference_save",
    "exit_survey_answer",
    "exit_survey_create",
    "exit_survey_open_for",
    "exit_survey_send",
    "exit_surveys_sweep",
    "overdue_digest_send",
    "overdue_digests_queue",
    "reasons_record",
    "relationship_belief_set",
    "relationship_wish_record",
    "segment_history_record",
    "segment_override",
    "segments_assign",
    "segments_monthly",
    "setup_save",
    "week_of",
]
