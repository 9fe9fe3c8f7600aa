"""E-mail through a real SMTP server on loopback: contents, failures, retries, reminders, expiry.

These call the services the tasks call, synchronously; test_worker.py runs the same through
Redis and a Celery worker.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from email.utils import parseaddr

import pytest
import time_machine
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scoring.models import RespondentKind
from surveys import selectors, services
from surveys.models import Invitation
from surveys.services import mail
from surveys.tokens import token_for, token_new
from tests.factories import MarketExpertFactory
from tests.surveys.support import link_in, make_campaign


def open_and_send(campaign) -> list[int]:
    opened = services.round_open(campaign=campaign)
    ids = list(opened.round.invitations.order_by("pk").values_list("pk", flat=True))
    services.invitations_send(invitation_ids=ids)
    return ids


def test_a_round_puts_one_email_per_recipient_in_the_smtp_server(smtp, portfolio):
    customers = portfolio(5, contacts=2)
    ids = open_and_send(make_campaign())
    recipients = sorted(smtp.inbox.recipients())
    expected = sorted(c.email for customer in customers for c in customer.contacts.all())
    assert recipients == expected
    assert len(ids) == 10
    assert set(Invitation.objects.values_list("status", flat=True)) == {"sent"}


def test_the_invitation_mail_has_html_text_sender_and_list_unsubscribe_in_the_recipients_language(
    smtp, portfolio, settings
):
    settings.SURVEYS_FROM_EMAIL = "Klantteam <enquete@leverancier.example>"
    dutch = portfolio(1, language="nl")[0].contacts.get()
    english = portfolio(1, language="en")[0].contacts.get()
    open_and_send(make_campaign(expires_after_days=14))

    nl = smtp.inbox.to(dutch.email)[0].message
    en = smtp.inbox.to(english.email)[0].message
    manager = dutch.customer.account_manager.get_full_name()
    # A customer's invitation comes from their account manager, who signs it and gets the replies.
    assert parseaddr(nl["From"]) == (f"{manager} via Klantbinding", "enquete@leverancier.example")
    assert nl["Reply-To"] == dutch.customer.account_manager.email
    assert "hoe beoordeelt u de samenwerking met ons?" in nl["Subject"]
    assert "how do you rate working with us?" in en["Subject"]
    nl_text = nl.get_body(preferencelist=("plain",)).get_content()
    nl_html = nl.get_body(preferencelist=("html",)).get_content()
    assert "Beantwoord de vragen" in nl_text and "Beantwoord de vragen" in nl_html
    assert "Answer the questions" in en.get_body(preferencelist=("plain",)).get_content()
    link = link_in(nl_text)
    assert f'href="http://testserver{link}"' in nl_html
    assert nl["List-Unsubscribe"].strip().startswith("<http://testserver/surveys/o/")
    assert nl["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Each recipient has a link of their own.
    assert link != link_in(en.get_body(preferencelist=("plain",)).get_content())


def test_a_staff_invitation_links_to_the_customers_matrix(smtp, portfolio, anne):
    customer = portfolio(1)[0]
    open_and_send(make_campaign(ask_customers=False, ask_staff=True))
    [received] = smtp.inbox.to(anne.email)
    text = received.text()
    assert f"http://testserver{reverse('scoring:customer-matrix', args=[customer.pk])}" in text
    assert "/surveys/s/" not in text
    # Scoring a customer is work, not a list to leave: no unsubscribe, and no mailto either.
    assert received.message["List-Unsubscribe"] is None
    assert "mailto:" not in received.message.as_string()
    invitation = Invitation.objects.get(customer=customer)
    assert invitation.respondent_kind == "staff" and invitation.token_hash == ""


def test_a_staff_member_gets_one_email_per_round_listing_their_customers(
    smtp, portfolio, anne, bart
):
    annes = portfolio(3)
    barts = portfolio(1, manager=bart)
    opened = services.round_open(campaign=make_campaign(ask_staff=True))
    ids = list(opened.round.invitations.order_by("pk").values_list("pk", flat=True))
    # Anne's invitations come in three batches, as the queue may hand them out; the first
    # batch that holds one of them sends them all, the others find them claimed.
    annes_ids = list(
        opened.round.invitations.filter(email=anne.email)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    first = services.invitations_send(invitation_ids=[annes_ids[1]])
    assert sorted(first.sent) == annes_ids
    services.invitations_send(invitation_ids=ids)

    [digest] = smtp.inbox.to(anne.email)
    text, html = digest.text(), digest.html()
    for customer in annes:
        matrix = f"http://testserver{reverse('scoring:customer-matrix', args=[customer.pk])}"
        assert f"- {customer.name}: {matrix}" in text
        assert f'href="{matrix}"' in html
    assert "3" in digest.message["Subject"]
    assert "http://testserver/surveys/mine/?status=sent" in text
    # Bart has one customer: his e-mail names it, as a single invitation does.
    [single] = smtp.inbox.to(bart.email)
    assert barts[0].name in single.message["Subject"]
    # Every contact still gets an e-mail of their own, and every invitation is sent.
    contacts = sorted(c.email for customer in annes + barts for c in customer.contacts.all())
    assert sorted(r for r in smtp.inbox.recipients() if r in contacts) == contacts
    assert len(smtp.inbox.messages) == len(contacts) + 2
    assert set(Invitation.objects.values_list("status", flat=True)) == {"sent"}


def test_a_staff_email_lists_the_first_customers_and_counts_the_rest(
    smtp, portfolio, anne, monkeypatch
):
    monkeypatch.setattr(mail, "STAFF_DIGEST_LISTED", 2)
    customers = sorted(portfolio(5), key=lambda c: (c.name, c.pk))
    open_and_send(make_campaign(ask_customers=False, ask_staff=True))
    [digest] = smtp.inbox.to(anne.email)
    text = digest.text()
    assert [c.name for c in customers if f"- {c.name}:" in text] == [c.name for c in customers[:2]]
    assert "… en nog 3." in text and "… en nog 3." in digest.html()  # Anne reads Dutch
    assert "Scoor uw 5 klanten opnieuw" in digest.message["Subject"]
    assert "De uitnodigingen staan open tot " in text


def test_a_staff_member_gets_one_reminder_for_the_customers_still_open(smtp, portfolio, anne):
    customers = portfolio(3)
    start = timezone.now()
    open_and_send(make_campaign(ask_customers=False, ask_staff=True, reminder_after_days=7))
    answered = Invitation.objects.get(customer=customers[0])
    Invitation.objects.filter(pk=answered.pk).update(status="answered", answered_at=start)
    smtp.inbox.messages.clear()
    one_of_them = Invitation.objects.get(customer=customers[1])
    with time_machine.travel(start + dt.timedelta(days=8)):
        result = services.reminders_send(invitation_ids=[one_of_them.pk])
        services.reminders_send(
            invitation_ids=list(Invitation.objects.values_list("pk", flat=True))
        )
    [reminder] = smtp.inbox.to(anne.email)
    assert reminder.message["Subject"].startswith("Herinnering:")
    text = reminder.text()
    assert customers[0].name not in text
    assert customers[1].name in text and customers[2].name in text
    assert sorted(result.sent) == sorted(
        Invitation.objects.filter(customer__in=customers[1:]).values_list("pk", flat=True)
    )
    assert set(
        Invitation.objects.exclude(pk=answered.pk).values_list("reminders_sent", flat=True)
    ) == {1}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sending_the_same_invitations_twice_at_once_mails_each_recipient_once(smtp, portfolio):
    portfolio(6)
    opened = services.round_open(campaign=make_campaign())
    ids = list(opened.round.invitations.values_list("pk", flat=True))
    barrier = threading.Barrier(3)

    def run() -> None:
        try:
            barrier.wait()
            services.invitations_send(invitation_ids=ids)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    services.invitations_send(invitation_ids=ids)  # and once more, later

    recipients = smtp.inbox.recipients()
    assert len(recipients) == 6 and len(set(recipients)) == 6
    assert set(Invitation.objects.values_list("status", flat=True)) == {"sent"}


def test_a_permanent_refusal_marks_the_invitation_failed_and_it_is_not_retried(
    smtp, portfolio, now
):
    customers = portfolio(3)
    refused = customers[1].contacts.get()
    smtp.inbox.refuse.add(refused.email)
    open_and_send(make_campaign())

    invitation = Invitation.objects.get(contact=refused)
    assert invitation.status == "failed"
    assert "550" in invitation.last_error and "mailbox unknown" in invitation.last_error
    assert len(smtp.inbox.messages) == 2  # the others got theirs
    # The sweep leaves it alone, however much later.
    later = now + dt.timedelta(days=2)
    assert invitation.pk not in selectors.pending_due_ids(
        now=later, requeue_after=services.requeue_after(), limit=100
    )


def test_a_temporary_refusal_is_retried_later_with_backoff(smtp, portfolio, settings):
    settings.SURVEYS_RETRY_BASE_SECONDS = 60
    contact = portfolio(1)[0].contacts.get()
    smtp.inbox.defer.add(contact.email)
    started = timezone.now()
    open_and_send(make_campaign())

    invitation = Invitation.objects.get(contact=contact)
    assert invitation.status == "pending" and invitation.attempts == 1
    assert "451" in invitation.last_error
    wait = (invitation.next_attempt_at - started).total_seconds()
    assert 30 <= wait <= 61  # 60 s with jitter between ½ and 1
    # Not before its time …
    assert not selectors.pending_due_ids(
        now=timezone.now(), requeue_after=services.requeue_after(), limit=10
    )
    smtp.inbox.defer.clear()
    with time_machine.travel(invitation.next_attempt_at + dt.timedelta(seconds=1)):
        due = selectors.pending_due_ids(
            now=timezone.now(), requeue_after=services.requeue_after(), limit=10
        )
        services.invitations_send(invitation_ids=due)
    # … then it goes out, once.
    assert [m.to for m in smtp.inbox.messages] == [contact.email]
    invitation.refresh_from_db()
    assert invitation.status == "sent" and invitation.attempts == 2


def test_the_backoff_grows_and_sending_gives_up_after_the_maximum_attempts(
    smtp, portfolio, settings
):
    settings.SURVEYS_SEND_MAX_ATTEMPTS = 3
    contact = portfolio(1)[0].contacts.get()
    smtp.inbox.defer.add(contact.email)
    open_and_send(make_campaign())
    waits = []
    for _ in range(2):
        invitation = Invitation.objects.get(contact=contact)
        with time_machine.travel(invitation.next_attempt_at + dt.timedelta(seconds=1)):
            services.invitations_send(invitation_ids=[invitation.pk])
        waits.append(invitation.next_attempt_at)
    invitation = Invitation.objects.get(contact=contact)
    assert invitation.status == "failed" and invitation.attempts == 3
    assert "451" in invitation.last_error
    assert smtp.inbox.messages == []


def test_the_retry_delay_doubles_with_jitter_and_is_capped(settings):
    settings.SURVEYS_RETRY_BASE_SECONDS = 10
    settings.SURVEYS_RETRY_MAX_SECONDS = 100
    for attempt, (low, high) in {1: (5, 10), 2: (10, 20), 3: (20, 40), 9: (50, 100)}.items():
        delays = {services.retry_delay(attempt) for _ in range(20)}
        assert all(low <= d <= high for d in delays)
        assert len(delays) > 1  # jitter


def test_smtp_down_then_up_loses_nothing(smtp, portfolio, settings):
    customers = portfolio(4)
    smtp.stop()
    ids = open_and_send(make_campaign())
    assert smtp.inbox.messages == []
    statuses = set(Invitation.objects.values_list("status", flat=True))
    assert statuses == {"pending"}
    smtp.start()
    latest = max(Invitation.objects.values_list("next_attempt_at", flat=True))
    with time_machine.travel(latest + dt.timedelta(seconds=1)):
        due = selectors.pending_due_ids(
            now=timezone.now(), requeue_after=services.requeue_after(), limit=100
        )
        assert sorted(due) == sorted(ids)
        services.invitations_send(invitation_ids=due)
    assert sorted(smtp.inbox.recipients()) == sorted(c.contacts.get().email for c in customers)


def test_a_worker_that_died_mid_send_is_sent_again_with_the_same_link_once_its_claim_is_stale(
    smtp, portfolio, settings
):
    settings.SURVEYS_SEND_STALE_SECONDS = 120
    portfolio(1)
    opened = services.round_open(campaign=make_campaign())
    invitation = opened.round.invitations.get()
    first_token = token_for(invitation.public_id)[0]
    # A worker claimed it, may have mailed it, and died before it could record the outcome.
    Invitation.objects.filter(pk=invitation.pk).update(
        status="sending", claimed_at=timezone.now(), claim_id=uuid.uuid4()
    )
    services.invitations_send(invitation_ids=[invitation.pk])  # a redelivered task
    services.invitations_sweep()  # the claim is fresh: its worker may still be at it
    assert smtp.inbox.messages == []
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=121)):
        assert services.invitations_recover(now=timezone.now()) == (1, 0)
        services.invitations_send(invitation_ids=[invitation.pk])  # what the sweep queues
    invitation.refresh_from_db()
    assert invitation.status == "sent" and invitation.attempts == 2
    (message,) = smtp.inbox.messages
    assert link_in(message.text()) == reverse("surveys:link", args=[first_token])


def test_an_e_mail_that_kills_its_worker_every_time_ends_failed_after_the_maximum_attempts(
    smtp, portfolio, settings
):
    settings.SURVEYS_SEND_MAX_ATTEMPTS = 3
    portfolio(1)
    invitation = services.round_open(campaign=make_campaign()).round.invitations.get()
    moment = timezone.now()
    for attempt in range(3):
        Invitation.objects.filter(pk=invitation.pk).update(
            status="sending", claimed_at=moment, claim_id=uuid.uuid4()
        )
        moment += dt.timedelta(hours=1)
        services.invitations_recover(now=moment)
        invitation.refresh_from_db()
        assert invitation.attempts == attempt + 1
    assert invitation.status == "failed" and "interrupted" in invitation.last_error
    assert smtp.inbox.messages == []


def test_every_try_of_an_e_mail_has_the_same_message_id_and_link(smtp, portfolio):
    portfolio(1)
    invitation = services.round_open(campaign=make_campaign()).round.invitations.get()
    services.invitations_send(invitation_ids=[invitation.pk])
    Invitation.objects.filter(pk=invitation.pk).update(status="pending")  # as a retry finds it
    services.invitations_send(invitation_ids=[invitation.pk])
    first, second = smtp.inbox.messages
    assert first.message["Message-ID"] == second.message["Message-ID"]
    assert first.message["Message-ID"].startswith("<invitation.")
    assert link_in(first.text()) == link_in(second.text())


def test_a_reminder_has_a_message_id_of_its_own(smtp, portfolio):
    portfolio(1)
    invitation = services.round_open(campaign=make_campaign()).round.invitations.get()
    first = services.invitation_message(invitation, token="t" * 43)
    reminder = services.invitation_message(invitation, token="t" * 43, reminder=True)
    assert first.message()["Message-ID"] != reminder.message()["Message-ID"]
    assert reminder.message()["Message-ID"].startswith("<reminder1.")


def test_a_send_task_whose_claim_was_taken_back_stops_sending(
    smtp, portfolio, monkeypatch, settings
):
    """A task the sweep thought dead (it stalled past the stale time) leaves the rest to the
    task the sweep queued, so the two do not both mail them."""
    portfolio(25)
    opened = services.round_open(campaign=make_campaign())
    ids = sorted(opened.round.invitations.values_list("pk", flat=True))
    real = mail.MessageBatch.message

    def stalls_on_the_fifth(batch, invitation, **kwargs):
        if invitation.pk == ids[4]:  # meanwhile, the sweep takes the claim back
            settings.SURVEYS_SEND_STALE_SECONDS = 0  # as if the stale time had passed
            Invitation.objects.filter(status="sending").update(
                status="pending", claim_id=None, claimed_at=None
            )
        return real(batch, invitation, **kwargs)

    monkeypatch.setattr(mail.MessageBatch, "message", stalls_on_the_fifth)
    result = services.invitations_send(invitation_ids=ids)
    assert len(smtp.inbox.messages) == services.MARK_EVERY  # up to the next refresh
    assert sorted(result.skipped) == ids[services.MARK_EVERY :]
    statuses = [s for _, s in sorted(Invitation.objects.values_list("pk", "status"))]
    assert statuses == ["pending"] * 25  # the new sender records them


@pytest.mark.parametrize("stale_seconds, refreshes", [(900, 0), (0, 2)])
def test_a_send_task_refreshes_its_claim_only_once_a_tenth_of_the_stale_time_passed(
    smtp, portfolio, settings, stale_seconds, refreshes
):
    """Rewriting claimed_at of the rest of the batch every MARK_EVERY e-mails was a fifth of
    a worker's time; until the claim could be stale nobody can have taken it back."""
    settings.SURVEYS_SEND_STALE_SECONDS = stale_seconds
    portfolio(25)
    opened = services.round_open(campaign=make_campaign())
    ids = sorted(opened.round.invitations.values_list("pk", flat=True))
    with CaptureQueriesContext(connections["default"]) as queries:
        result = services.invitations_send(invitation_ids=ids)
    touching_claimed_at = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("UPDATE") and '"claimed_at" =' in q["sql"]
    ]
    assert len(touching_claimed_at) == 1 + refreshes  # the claim, then the refreshes
    assert sorted(result.sent) == ids
    assert len(smtp.inbox.messages) == 25


def test_reminders_come_after_the_configured_days_and_stop_at_the_maximum(
    smtp, portfolio, settings
):
    contact = portfolio(1, language="en")[0].contacts.get()
    start = timezone.now()
    campaign = make_campaign(reminder_after_days=7, max_reminders=2, expires_after_days=30)
    open_and_send(campaign)
    invitation = Invitation.objects.get(contact=contact)
    smtp.inbox.messages.clear()

    def remind_on(day: int) -> list[str]:
        with time_machine.travel(start + dt.timedelta(days=day, hours=1), tick=False):
            services.reminders_send(invitation_ids=[invitation.pk])
        subjects = [m.message["Subject"] for m in smtp.inbox.messages]
        smtp.inbox.messages.clear()
        return subjects

    assert remind_on(6) == []
    first = remind_on(7)
    assert len(first) == 1 and first[0].startswith("Reminder:")
    assert remind_on(10) == []
    second = remind_on(14)
    assert len(second) == 1
    assert remind_on(21) == []  # the maximum of two was reached
    assert remind_on(28) == []
    invitation.refresh_from_db()
    assert invitation.reminders_sent == 2


def test_a_reminder_says_how_many_days_are_left(smtp, portfolio):
    contact = portfolio(1, language="nl")[0].contacts.get()
    start = timezone.now()
    open_and_send(make_campaign(reminder_after_days=7, expires_after_days=21))
    smtp.inbox.messages.clear()
    with time_machine.travel(start + dt.timedelta(days=7, hours=1)):
        services.reminders_send(invitation_ids=[Invitation.objects.get(contact=contact).pk])
    [reminder] = smtp.inbox.messages
    assert reminder.message["Subject"].startswith("Herinnering:")
    assert "Nog maar 14 dagen om te antwoorden." in reminder.text()
    assert "Nog maar 14 dagen om te antwoorden." in reminder.html()


def test_answered_and_expired_invitations_get_no_reminder(smtp, portfolio, client):
    customers = portfolio(2, language="en")
    start = timezone.now()
    open_and_send(make_campaign(reminder_after_days=3, expires_after_days=5))
    answered = Invitation.objects.get(contact__customer=customers[0])
    Invitation.objects.filter(pk=answered.pk).update(status="answered", answered_at=start)
    smtp.inbox.messages.clear()
    with time_machine.travel(start + dt.timedelta(days=6)):
        services.invitations_expire()
        services.reminders_send(
            invitation_ids=list(Invitation.objects.values_list("pk", flat=True))
        )
    assert smtp.inbox.messages == []


def test_a_duplicated_reminder_task_sends_one_reminder(smtp, portfolio):
    contact = portfolio(1)[0].contacts.get()
    start = timezone.now()
    open_and_send(make_campaign(reminder_after_days=7))
    invitation = Invitation.objects.get(contact=contact)
    smtp.inbox.messages.clear()
    with time_machine.travel(start + dt.timedelta(days=8)):
        services.reminders_send(invitation_ids=[invitation.pk])
        services.reminders_send(invitation_ids=[invitation.pk])
    assert len(smtp.inbox.messages) == 1


def test_invitations_expire_after_the_configured_days(smtp, portfolio):
    portfolio(3)
    start = timezone.now()
    campaign = make_campaign(expires_after_days=10)
    open_and_send(campaign)
    with time_machine.travel(start + dt.timedelta(days=9, hours=23)):
        assert services.invitations_expire() == 0
    with time_machine.travel(start + dt.timedelta(days=10, minutes=1)):
        assert services.invitations_expire() == 3
    assert set(Invitation.objects.values_list("status", flat=True)) == {"expired"}
    assert campaign.rounds.get().closed_at is not None


def test_pending_invitations_of_a_closed_round_are_never_sent(smtp, portfolio):
    portfolio(2)
    opened = services.round_open(campaign=make_campaign())
    services.round_close(round_=opened.round)
    ids = list(opened.round.invitations.values_list("pk", flat=True))
    services.invitations_send(invitation_ids=ids)
    assert smtp.inbox.messages == []
    assert services.invitations_sweep() == 0


@pytest.mark.parametrize("kind", ["customer", "expert", "staff"])
def test_every_kind_of_invitation_renders_in_both_languages(smtp, portfolio, anne, kind):
    customer = portfolio(1)[0]
    MarketExpertFactory(sectors=[customer.sector])
    campaign = make_campaign(
        ask_customers=kind == "customer",
        ask_experts=kind == "expert",
        ask_staff=kind == "staff",
    )
    opened = services.round_open(campaign=campaign)
    invitation = opened.round.invitations.get()
    assert invitation.respondent_kind == RespondentKind(kind)
    for language, word in (("nl", "Dank u wel"), ("en", "Thank you")):
        invitation.language = language
        for reminder in (False, True):
            message = services.invitation_message(invitation, token="t" * 43, reminder=reminder)
            assert word in message.body
            assert customer.name in message.subject
            assert "{%" not in message.body and "{{" not in message.alternatives[0][0]


def test_a_worker_that_died_mid_batch_is_sent_again_and_only_the_uncertain_rows_count_a_try(
    smtp, portfolio
):
    portfolio(15)
    opened = services.round_open(campaign=make_campaign())
    ids = sorted(opened.round.invitations.values_list("pk", flat=True))
    moment = timezone.now()
    # A send task claimed all fifteen, recorded three as sent, then its worker was killed.
    claim = uuid.uuid4()
    Invitation.objects.filter(pk__in=ids).update(
        status="sending", claim_id=claim, claimed_at=moment
    )
    Invitation.objects.filter(pk__in=ids[:3]).update(status="sent", sent_at=moment)
    with time_machine.travel(moment + dt.timedelta(minutes=16)):
        uncertain, untried = services.invitations_recover(now=timezone.now())
        services.invitations_send(invitation_ids=ids)  # what the sweep queues
    # Outcomes are recorded every MARK_EVERY e-mails: only that many can have gone out.
    assert (uncertain, untried) == (services.MARK_EVERY, 15 - 3 - services.MARK_EVERY)
    rows = dict(Invitation.objects.values_list("pk", "attempts"))
    assert [rows[pk] for pk in ids[3 : 3 + services.MARK_EVERY]] == [2] * services.MARK_EVERY
    assert [rows[pk] for pk in ids[3 + services.MARK_EVERY :]] == [1, 1]
    assert set(Invitation.objects.values_list("status", flat=True)) == {"sent"}
    assert sorted(smtp.inbox.recipients()) == sorted(
        Invitation.objects.filter(pk__in=ids[3:]).values_list("email", flat=True)
    )


def test_an_unexpected_error_mid_batch_records_what_went_out_and_puts_back_the_rest(
    smtp, portfolio, monkeypatch
):
    portfolio(6)
    opened = services.round_open(campaign=make_campaign())
    ids = sorted(opened.round.invitations.values_list("pk", flat=True))
    real = mail.MessageBatch.message

    def breaks_on_the_fourth(self, invitation, **kwargs):
        if invitation.pk == ids[3]:
            raise RuntimeError("template trouble")
        return real(self, invitation, **kwargs)

    monkeypatch.setattr(mail.MessageBatch, "message", breaks_on_the_fourth)
    with pytest.raises(RuntimeError):
        services.invitations_send(invitation_ids=ids)
    statuses = [s for _, s in sorted(Invitation.objects.values_list("pk", "status"))]
    assert statuses == ["sent", "sent", "sent", "sending", "pending", "pending"]
    assert len(smtp.inbox.messages) == 3


def test_a_resent_invitation_carries_the_link_of_its_first_e_mail(portfolio, settings, mira):
    """A failed e-mail may have arrived after all: resending it mails the same link, so the
    first one keeps opening the same invitation."""
    from tests.surveys.support import invite

    portfolio(1)
    campaign = make_campaign()
    first_links = invite(campaign, settings)
    invitation = Invitation.objects.get()
    (first_path,) = first_links.values()
    first_token = first_path.rstrip("/").rsplit("/", 1)[1]
    Invitation.objects.filter(pk=invitation.pk).update(status="failed", last_error="451 later")
    invitation.refresh_from_db()
    services.invitation_resend(invitation=invitation)
    assert invitation_links(invitation, settings) == [first_path]
    invitation.refresh_from_db()
    assert invitation.status == "sent"
    assert not selectors.token_belongs_to(invitation, "x" * 43)
    assert selectors.invitation_for_token(first_token) == invitation


def test_a_link_drawn_at_random_before_links_were_derived_keeps_working_after_a_resend(
    portfolio, settings
):
    portfolio(1)
    invitation = services.round_open(campaign=make_campaign()).round.invitations.get()
    old_token, old_hash = token_new()
    Invitation.objects.filter(pk=invitation.pk).update(status="failed", token_hash=old_hash)
    invitation.refresh_from_db()
    services.invitation_resend(invitation=invitation)
    (path,) = invitation_links(invitation, settings)
    assert path == reverse("surveys:link", args=[token_for(invitation.public_id)[0]])
    assert selectors.invitation_for_token(old_token) == invitation


def invitation_links(invitation, settings) -> list[str]:
    """Send the invitation's pending e-mail (in memory) and return the links in it."""
    from django.core import mail as outbox

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outbox.outbox = []
    services.invitations_send(invitation_ids=[invitation.pk])
    return [link_in(m.body) for m in outbox.outbox]
