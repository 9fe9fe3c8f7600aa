"""Writes of the alerts app, by sub-domain: evaluation (episodes), inbox (people's actions,
rules, settings) and delivery (e-mail). The public names are re-exported here."""

from alerts.services.delivery import (
    alerts_send_immediate,
    digests_send,
    immediate_sweep,
    weekly_summaries_send,
)
from alerts.services.evaluation import EvaluationResult, alerts_evaluate
from alerts.services.inbox import (
    alert_acknowledge,
    alert_reopen,
    alert_snooze,
    rule_save,
    settings_save,
    snoozes_expire,
)
from alerts.services.runs import alerts_evaluate_and_notify, alerts_sweep, enqueue_immediate

__all__ = [
    "EvaluationResult",
    "alert_acknowledge",
    "alert_reopen",
    "alert_snooze",
    "alerts_evaluate",
    "alerts_evaluate_and_notify",
    "alerts_send_immediate",
    "alerts_sweep",
    "digests_send",
    "enqueue_immediate",
    "immediate_sweep",
    "rule_save",
    "settings_save",
    "snoozes_expire",
    "weekly_summaries_send",
]
