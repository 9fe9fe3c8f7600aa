"""The registry of alert triggers: what each one watches, its parameters and its defaults.

A trigger is a key, a label, parameters with defaults, a default severity, how it re-arms and
three functions over many customers at once (``alerts.calculations``). Management makes rules
from triggers (a trigger with parameters, a scope and a severity). Apps that land later add
their triggers here from their own code (``register_trigger``): an action overdue, a contact
overdue past its maximum, a departure recorded. Their ``fires``/``holds`` read extra columns a
``state_reader`` of theirs adds (see ``register_state_reader``). Those three are registered at
the end of this module: alerts depends on the actions and relations apps (never the reverse),
and ``alerts.selectors.linked`` reads their facts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from alerts import calculations as calc
from alerts.models import Severity

Fires = Callable[[calc.State, Mapping[str, float]], calc.Findings]
Holds = Callable[[calc.State, Mapping[str, float], pd.DataFrame], np.ndarray]

# Re-arming after an alert resolved (hysteresis), so a value wobbling around an edge does
# not raise an alert each time it crosses:
REARM_AT_ONCE = "at_once"  # a new alert as soon as the condition returns
REARM_STAY_CLEAR = "stay_clear"  # the condition must stay clear REARM_DAYS days
REARM_RECOVER = "recover"  # ... or the value recover by at least half the drop
REARM_DAYS = 14


@dataclass(frozen=True)
class Param:
    name: str
    label: str | Promise
    default: float
    minimum: float
    maximum: float
    step: float = 1.0


@dataclass(frozen=True)
class Trigger:
    key: str
    label: str | Promise
    description: str | Promise
    fires: Fires
    holds: Holds
    params: tuple[Param, ...] = ()
    severity: str = Severity.WARNING
    rearm: str = REARM_AT_ONCE
    recovered: Holds | None = None
    # What the alert's value means, for the inbox: "score", "mean", "gap", "nps", "days", "%".
    measures: str = "score"
    lookback_param: str = ""  # a parameter naming days back the state must hold snapshots for
    default_rule: bool = True  # a rule with the defaults is made on a new install
    inactive_too: bool = False  # also watches inactive customers (a departure makes one)
    extra: dict[str, Any] = field(default_factory=dict)

    def defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.params}

    def clean_params(self, params: Mapping[str, object] | None) -> dict[str, float]:
        """The rule's parameters with defaults for missing or unreadable ones, within bounds."""
        result = self.defaults()
        for param in self.params:
            raw = (params or {}).get(param.name)
            try:
                value = float(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
            if np.isfinite(value):
                result[param.name] = min(max(value, param.minimum), param.maximum)
        return result


_triggers: dict[str, Trigger] = {}


def register_trigger(trigger: Trigger) -> None:
    """Add a trigger (registering a key again replaces it)."""
    _triggers[trigger.key] = trigger


def get_trigger(key: str) -> Trigger | None:
    return _triggers.get(key)


def triggers() -> list[Trigger]:
    return list(_triggers.values())


def trigger_choices() -> list[tuple[str, str | Promise]]:
    return [(t.key, t.label) for t in _triggers.values()]


register_trigger(
    Trigger(
        key="band_down",
        label=_("The band went down"),
        description=_(
            "The customer's band is lower than at the previous score, both computed with the "
            "active scoring model. A new alert only after the band stayed back up 14 days."
        ),
        fires=calc.band_down_fires,
        holds=calc.band_down_holds,
        severity=Severity.CRITICAL,
        rearm=REARM_STAY_CLEAR,
    )
)
register_trigger(
    Trigger(
        key="score_drop",
        label=_("The score dropped"),
        description=_(
            "The binding score is at least the given points below its value the given number "
            "of days ago. A new alert only after the score came back by half the drop, or the "
            "condition stayed clear 14 days."
        ),
        params=(
            Param("points", _("points"), 5, 0.5, 100, 0.5),
            Param("days", _("days ago"), 90, 1, 730),
        ),
        fires=calc.score_drop_fires,
        holds=calc.score_drop_holds,
        rearm=REARM_RECOVER,
        recovered=calc.score_recovered,
        lookback_param="days",
    )
)
register_trigger(
    Trigger(
        key="element_drop",
        label=_("An element dropped for one respondent kind"),
        description=_(
            "One respondent kind's mean of an element fell by at least the given points since "
            "the previous score."
        ),
        params=(Param("points", _("points"), 1.5, 0.5, 6, 0.5),),
        fires=calc.element_drop_fires,
        holds=calc.element_drop_holds,
        rearm=REARM_RECOVER,
        recovered=calc.element_recovered,
        measures="mean",
    )
)
register_trigger(
    Trigger(
        key="perception_gap",
        label=_("A perception gap appeared"),
        description=_(
            "On an element, the customer's mean and the staff's mean (customer − staff) lie the "
            "given points or more apart."
        ),
        params=(Param("points", _("points"), 2, 0.5, 6, 0.5),),
        fires=calc.perception_gap_fires,
        holds=calc.perception_gap_holds,
        severity=Severity.INFO,
        measures="gap",
    )
)
register_trigger(
    Trigger(
        key="nps_detractor",
        label=_("A detractor (NPS 0–6)"),
        description=_(
            "A contact person's latest answer to the recommendation question is at most the "
            "given value."
        ),
        params=(Param("maximum", _("highest answer that counts"), 6, 0, 10),),
        fires=calc.detractor_fires,
        holds=calc.detractor_holds,
        measures="nps",
    )
)
register_trigger(
    Trigger(
        key="stale",
        label=_("The score became stale"),
        description=_("Nobody assessed the customer for the given number of days."),
        params=(Param("days", _("days without an assessment"), 180, 7, 3650),),
        fires=calc.stale_fires,
        holds=calc.stale_holds,
        severity=Severity.INFO,
        measures="days",
    )
)
register_trigger(
    Trigger(
        key="provisional",
        label=_("The score became provisional"),
        description=_(
            "The score covers less than the provisional threshold of the weight "
            "(KB_PROVISIONAL_COVERAGE) since the previous score."
        ),
        fires=calc.provisional_fires,
        holds=calc.provisional_holds,
        severity=Severity.INFO,
        measures="%",
    )
)


# --------------------------------------------------------------------------------------------
# On the actions and relations apps' facts (read by alerts.selectors.linked)
# --------------------------------------------------------------------------------------------

register_trigger(
    Trigger(
        key="action_overdue",
        label=_("An action is overdue"),
        description=_(
            "An open or running improvement action of the customer is at least the given "
            "number of days past its due date. It resolves when the action is done, cancelled "
            "or given a later date."
        ),
        params=(Param("days", _("days past the due date"), 1, 1, 365),),
        fires=calc.action_overdue_fires,
        holds=calc.action_overdue_holds,
        severity=Severity.INFO,
        measures="days",
    )
)
register_trigger(
    Trigger(
        key="contact_lost",
        label=_("Lost touch: a contact is overdue past its maximum"),
        description=_(
            "The customer's contact rhythm (its segment's maximum interval for a kind of "
            "contact) is at least the given number of days past its maximum. It resolves "
            "when a contact of that kind is logged."
        ),
        params=(Param("days", _("days past the maximum"), 1, 1, 365),),
        fires=calc.contact_lost_fires,
        holds=calc.contact_lost_holds,
        measures="days",
    )
)
register_trigger(
    Trigger(
        key="departure",
        label=_("A departure was recorded"),
        description=_(
            "Management recorded that the customer left (fully, partly or by moving to less) "
            "in the last given number of days. The alert comes when the departure is saved "
            "and resolves by itself after those days."
        ),
        params=(Param("days", _("days the alert stays open"), 30, 1, 365),),
        fires=calc.departure_fires,
        holds=calc.departure_holds,
        measures="days",
        inactive_too=True,
    )
)
