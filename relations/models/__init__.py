"""The relationship around the score, by sub-domain: contacts, value segments and their
contact cadence, relationship types (believed and wanted), departures with their three sets of
reasons, and the weekly e-mail. The names are re-exported here."""

from relations.models.base import Named
from relations.models.contacts import CADENCE_KINDS, ContactKind, ContactMoment
from relations.models.departures import (
    Departure,
    DepartureReason,
    ExitSurvey,
    LockedReasonSetError,
    Perspective,
    ReasonSet,
    ReasonSetQuerySet,
)
from relations.models.digests import DigestPreference, OverdueDigest
from relations.models.segments import (
    CadenceStatus,
    CadenceTarget,
    CustomerSegment,
    Segment,
    SegmentHistory,
    SegmentRule,
)
from relations.models.types import RelationshipBelief, RelationshipType, RelationshipWish

__all__ = [
    "CADENCE_KINDS",
    "CadenceStatus",
    "CadenceTarget",
    "ContactKind",
    "ContactMoment",
    "CustomerSegment",
    "Departure",
    "DepartureReason",
    "DigestPreference",
    "ExitSurvey",
    "LockedReasonSetError",
    "Named",
    "OverdueDigest",
    "Perspective",
    "ReasonSet",
    "ReasonSetQuerySet",
    "RelationshipBelief",
    "RelationshipType",
    "RelationshipWish",
    "Segment",
    "SegmentHistory",
    "SegmentRule",
]
