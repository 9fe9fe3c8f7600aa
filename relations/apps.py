from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelationsConfig(AppConfig):
    name = "relations"
    verbose_name = _("Relations")

    def ready(self) -> None:
        # What the relations show on scoring's pages, through scoring's registries (scoring
        # never imports this app).
        from relations import demo, panels
        from relations.selectors.contacts import contact_timeline, departure_timeline
        from scoring import extensions

        extensions.register_timeline_source("contacts", contact_timeline)
        extensions.register_timeline_source("departures", departure_timeline)
        extensions.register_customer_panel(
            extensions.Panel(
                name="contact-log",
                template="relations/_customer_contact_log.html",
                context=panels.customer_contact_log,
                order=20,
            )
        )
        extensions.register_customer_panel(
            extensions.Panel(
                name="relationship",
                template="relations/_customer_relationship.html",
                context=panels.customer_relationship,
                order=30,
            )
        )
        extensions.register_dashboard_panel(
            extensions.Panel(
                name="contact-coverage",
                template="relations/_dashboard_coverage.html",
                context=panels.dashboard_coverage,
                order=60,
                inputs=panels.COVERAGE_INPUTS,
            )
        )
        extensions.register_dashboard_panel(
            extensions.Panel(
                name="relationship-mismatch",
                template="relations/_dashboard_mismatch.html",
                context=panels.dashboard_mismatch,
                order=70,
                inputs=panels.MISMATCH_INPUTS,
            )
        )
        extensions.register_dashboard_panel(
            extensions.Panel(
                name="segment-moves",
                template="relations/_dashboard_segment_moves.html",
                context=panels.dashboard_segment_moves,
                order=80,
                inputs=panels.SEGMENT_MOVES_INPUTS,
            )
        )
        extensions.register_list_column(panels.CADENCE_COLUMN)
        extensions.register_survey_question(panels.RELATIONSHIP_QUESTION)
        extensions.register_demo_step(
            extensions.DemoStep(name="relations", run=demo.seed_relations, order=50)
        )
        extensions.register_demo_step(  # after the actions (50) and before the alerts (200)
            extensions.DemoStep(
                name="relations-actions", run=demo.link_contacts_to_actions, order=60
            )
        )
