"""The rule's parameters, read from settings.KLANTBINDING."""

from __future__ import annotations

from datetime import date

from django.conf import settings

from scoring.calculations import RuleParams

# The earliest date a page's filter accepts: the dashboard's frames (pandas) hold 1677 to 2262,
# and a validity period counted back from a date must still be a date.
EARLIEST_DATE = date(1900, 1, 1)


def rule_params() -> RuleParams:
    config = settings.KLANTBINDING
    values = [float(t) for t in config["BAND_THRESHOLDS"]]
    if len(values) != 3 or not values[0] < values[1] < values[2]:
        raise ValueError("KLANTBINDING BAND_THRESHOLDS must be three increasing numbers")
    thresholds = (values[0], values[1], values[2])
    return RuleParams(
        validity_days=int(config["VALIDITY_DAYS"]),
        source_weights={k: float(v) for k, v in config["SOURCE_WEIGHTS"].items()},
        band_thresholds=thresholds,
        provisional_coverage=float(config["PROVISIONAL_COVERAGE"]),
    )
