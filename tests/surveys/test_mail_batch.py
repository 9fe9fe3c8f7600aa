"""The batch's fast path builds exactly the e-mail the plain template render builds.

``MessageBatch`` renders each shape's templates once and fills in the recipient's parts;
``invitation_message`` renders the templates for the one recipient. For many recipients, in
both languages, with names and customer names that HTML-escaping, quoting and header
encoding care about, both must give the same subject, texts, sender, Reply-To, headers and
MIME bytes, byte for byte (but for the Date, the Message-ID and the part boundary, which
differ per message anyway).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from email.message import Message

from django.utils import timezone

from klantbinding.company import Company
from klantbinding.lib.mail import FlatMessage
from scoring.models import Customer
from surveys import services
from surveys.models import Invitation
from surveys.services import mail
from tests.factories import ContactFactory, CustomerFactory, MarketExpertFactory, account_manager
from tests.surveys.support import make_campaign

NAMES = [
    "Zoë d'Óliveira",
    'Jan "JJ" Jansen',
    "Bakker, Piet & Zn.",
    "<script>alert(1)</script>",
    "Ærøskøbing Ålborg-Łódź",
    "Anne\nBcc: evil@example.com",
    "",
    "   ",
    "Müller  van   der  Berg",
    "KBSLOT0123456789abcdefNAME",  # looks like a slot marker: must stay as it is
    "日本語の名前",
    "O'Brien & <Söhne>",
]
CUSTOMERS = [
    "Bakker & Zn. <B.V.>",
    'De "Gouden" Kroon',
    "Café Zoë, Utrecht",
    "Smit  &  Co",
    "Ümit Yılmaz Lojistik",
]
COMPANIES = [
    Company(name="Klantbinding", reply_to="", logo_url=""),
    Company(
        name="Acme & Zonen <NL>",
        reply_to="service@acme.example",
        logo_url="https://kb.example/company/logo?v=3&x=<1>",
        logo_path="/company/logo?v=3",
    ),
]
MARKERS = re.compile(rb"^(Date|Message-ID): .*$|===============\d+==", re.MULTILINE | re.IGNORECASE)


def _portfolio() -> None:
    anne = account_manager("anne")
    anne.first_name, anne.last_name = "Anne", 'de Jong & "Partners"'
    anne.save()
    gone = account_manager("gone")
    gone.first_name, gone.last_name = "Gone", "Away"
    gone.is_active = False
    gone.save()
    managers = itertools.cycle([anne, None, gone, anne])
    names = itertools.cycle(NAMES)
    for position, customer_name in enumerate(CUSTOMERS * 4):
        customer = CustomerFactory(name=customer_name, account_manager=next(managers))
        for language in ("nl", "en"):
            ContactFactory(customer=customer, name=next(names), language=language)
        if position == 0:
            MarketExpertFactory(sectors=[customer.sector], name=next(names), language="en")
            MarketExpertFactory(sectors=[customer.sector], name=next(names), language="nl")


def _bytes(message) -> bytes:
    return MARKERS.sub(b"", message.message().as_bytes(linesep="\r\n"))


def _same(fast, slow) -> None:
    # The batch's message is flattened without the email package; the reference with it.
    assert isinstance(fast, FlatMessage) and not isinstance(fast.message(), Message)
    assert isinstance(slow.message(), Message)
    assert fast.subject == slow.subject
    assert fast.body == slow.body
    assert fast.alternatives == slow.alternatives
    assert fast.from_email == slow.from_email
    assert fast.to == slow.to
    assert fast.reply_to == slow.reply_to
    assert fast.extra_headers == slow.extra_headers
    assert _bytes(fast) == _bytes(slow)


def test_the_batch_builds_the_same_emails_as_the_plain_render(db, settings):
    settings.SITE_URL = "https://kb.example"
    settings.SURVEYS_FROM_EMAIL = "Klantbinding <enquete@leverancier.example>"
    _portfolio()
    opened = services.round_open(
        campaign=make_campaign(ask_customers=True, ask_experts=True, ask_staff=True)
    )
    invitations = list(
        Invitation.objects.filter(round=opened.round)
        .select_related("round__campaign", "customer__account_manager")
        .order_by("pk")
    )
    kinds = {i.respondent_kind for i in invitations}
    assert kinds == {"customer", "expert", "staff"}
    assert {i.language for i in invitations} == {"nl", "en"}
    assert len(invitations) > 40
    now = timezone.now() + dt.timedelta(days=3, hours=5)
    compared = 0
    for company in COMPANIES:
        for reminder in (False, True):
            batch = mail.MessageBatch(company=company, now=now)
            for position, invitation in enumerate(invitations):
                token = f"{position:03d}" + "t" * 40
                fast = batch.message(invitation, token=token, reminder=reminder)
                slow = mail.invitation_message(
                    invitation, token=token, reminder=reminder, now=now, company=company
                )
                _same(fast, slow)
                compared += 1
            # Several recipients share each shape: the templates were rendered a few times.
            assert len(batch.shapes) < len(invitations) / 2
    assert compared == 4 * len(invitations)


def test_a_customers_email_comes_from_the_account_manager_and_the_rest_from_the_company(
    db, settings
):
    settings.SITE_URL = "https://kb.example"
    settings.SURVEYS_FROM_EMAIL = "Klantbinding <enquete@leverancier.example>"
    _portfolio()
    services.round_open(campaign=make_campaign(ask_customers=True, ask_experts=True))
    company = COMPANIES[1]
    batch = mail.MessageBatch(company=company)
    managed = Invitation.objects.filter(
        respondent_kind="customer", customer__account_manager__username="anne"
    ).first()
    message = batch.message(managed, token="x" * 43)
    header = message.message()
    assert message.from_email == (
        '"Anne de Jong & \\"Partners\\" via Acme & Zonen <NL>" <enquete@leverancier.example>'
    )
    assert header["Reply-To"] == "anne@example.nl"
    assert 'Anne de Jong & "Partners"\nAcme & Zonen <NL>\n' in message.body
    html = message.alternatives[0][0]
    assert "Anne de Jong &amp; &quot;Partners&quot;<br>Acme &amp; Zonen &lt;NL&gt;" in html
    assert 'src="https://kb.example/company/logo?v=3&amp;x=&lt;1&gt;"' in html
    unmanaged = Invitation.objects.filter(
        respondent_kind="customer", customer__in=Customer.objects.filter(account_manager=None)
    ).first()
    expert = Invitation.objects.filter(respondent_kind="expert").first()
    for other in (unmanaged, expert):
        built = batch.message(other, token="y" * 43)
        assert built.from_email == '"Acme & Zonen <NL>" <enquete@leverancier.example>'
        assert built.reply_to == ["service@acme.example"]
        assert "\nAcme & Zonen <NL>\n" in built.body
    # An account manager who left does not sign.
    departed = Invitation.objects.filter(
        respondent_kind="customer", customer__account_manager__username="gone"
    ).first()
    assert "Gone" not in batch.message(departed, token="z" * 43).from_email
