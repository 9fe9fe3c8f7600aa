"""The rule's parameters, read from settings.KLANTBINDING."""

from __future__ import annotations

from django.conf import settings

from scoring.calculations import RuleParams


def rule_params() -> RuleParams:
    config = settings.KLANTBINDING
    thresholds = tuple(float(t) for t in config["BAND_THRESHOLDS"])
    if len(thresholds) != 3 or not thresholds[0] < thresholds[1] < thresholds[2]:
        raise ValueError("KLANTBINDING BAND_THRESHOLDS must be three increasing numbers")
    return RuleParams(
        validity_days=int(config["VALIDITY_DAYS"]),
        source_weights={k: float(v) for k, v in config["SOURCE_WEIGHTS"].items()},
        band_thresholds=thresholds,  # type: ignore[arg-type]
        provisional_coverage=float(config["PROVISIONAL_COVERAGE"]),
    )
