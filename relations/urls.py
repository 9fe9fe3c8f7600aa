from __future__ import annotations

from django.urls import path

from relations.views import cadence, contacts, departures, public, setup

app_name = "relations"

urlpatterns = [
    # Account managers (own customers) and management
    path("to-contact/", cadence.to_contact, name="to-contact"),
    path("to-contact/e-mail/", cadence.digest_preference, name="digest-preference"),
    path("customers/<int:pk>/log/", contacts.contact_log, name="contact-log"),
    path("contacts/<int:pk>/delete/", contacts.contact_delete, name="contact-delete"),
    path("customers/<int:pk>/segment/", cadence.segment_override, name="segment-override"),
    path("customers/<int:pk>/relationship-type/", cadence.belief_set, name="belief-set"),
    path("departures/", departures.departure_list, name="departure-list"),
    path("departures/<int:pk>/", departures.departure_detail, name="departure-detail"),
    path(
        "departures/<int:pk>/reasons/<str:perspective>/",
        departures.reasons_record,
        name="reasons-record",
    ),
    # Management
    path("customers/<int:pk>/departure/", departures.departure_create, name="departure-create"),
    path("departures/<int:pk>/edit/", departures.departure_edit, name="departure-edit"),
    path("departures/<int:pk>/exit-survey/", departures.exit_survey_create, name="exit-survey"),
    path("why-they-leave/", departures.why, name="why"),
    path("import/", contacts.contacts_import, name="contacts-import"),
    path("setup/", setup.setup_page, {"section": "rules"}, name="setup"),
    path("setup/<str:section>/", setup.setup_page, name="setup-section"),
    # A departed customer's contact person, through a personal link (no login)
    path("exit/<str:token>/", public.exit_link, name="exit-link"),
    path("exit/answer/<uuid:public_id>/", public.exit_answer, name="exit-answer"),
    path("exit/answer/<uuid:public_id>/thanks/", public.exit_thanks, name="exit-thanks"),
]
