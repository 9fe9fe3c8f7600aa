from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from scoring import extensions
        from scoring.signals import assessment_submitted
        from surveys import measurements, panels, receivers

        assessment_submitted.connect(
            receivers.answer_staff_invitation, dispatch_uid="surveys.answer_staff_invitation"
        )
        extensions.register_dashboard_panel(
            extensions.Panel(
                name="response-rates",
                template="surveys/_dashboard_response_rates.html",
                context=panels.response_rates,
                order=50,
                inputs=panels.RESPONSE_RATES_INPUTS,
            )
        )
        extensions.register_measurement_requester(measurements.measurement_round_open)
        extensions.register_customer_panel(
            extensions.Panel(
                name="survey-invitations",
                template="surveys/_customer_invitations.html",
                context=panels.customer_invitations,
                order=50,
            )
        )
