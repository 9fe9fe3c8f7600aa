"""Writes of the actions app, by sub-domain: one action's life, the catalogue, campaigns with a
holdout, the reminder digests and the measurements after the horizon."""

from actions.services.actions import (
    TRANSITIONS,
    action_cancel,
    action_clean,
    action_complete,
    action_decide,
    action_propose,
    action_start,
    action_steps_set,
    action_update,
    control_block_reason,
    transition_error,
)
from actions.services.campaigns import (
    CampaignTarget,
    arm_of,
    campaign_draw,
    campaign_launch,
)
from actions.services.catalogue import action_type_save, checklist_from_lines
from actions.services.digests import (
    DigestOutcome,
    digest_message,
    digest_preference_get,
    digest_preference_set,
    digest_send,
    digests_due_owners,
)
from actions.services.measurements import MeasurementResult, measurements_request_due
from actions.services.report import (
    RebuildResult,
    effect_report_current,
    effect_report_inputs_changed,
    effect_report_rebuild,
    effect_report_rebuild_request,
)

__all__ = [
    "TRANSITIONS",
    "CampaignTarget",
    "DigestOutcome",
    "MeasurementResult",
    "RebuildResult",
    "action_cancel",
    "action_clean",
    "action_complete",
    "action_decide",
    "action_propose",
    "action_start",
    "action_steps_set",
    "action_type_save",
    "action_update",
    "arm_of",
    "campaign_draw",
    "campaign_launch",
    "checklist_from_lines",
    "control_block_reason",
    "digest_message",
    "digest_preference_get",
    "digest_preference_set",
    "digest_send",
    "digests_due_owners",
    "effect_report_current",
    "effect_report_inputs_changed",
    "effect_report_rebuild",
    "effect_report_rebuild_request",
    "measurements_request_due",
    "transition_error",
]
