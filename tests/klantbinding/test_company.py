"""Who is asking: management sets the company's name, logo and reply-to address; the survey
answer pages and e-mails show them; the sender's name cannot inject a header."""

from __future__ import annotations

import struct
import zlib
from email import message_from_bytes
from email.policy import default

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage

from klantbinding.company import LOGO_MAX_BYTES, company_get, survey_sender
from klantbinding.lib.mail import sender
from klantbinding.models import CompanySettings

pytestmark = pytest.mark.django_db


def png(width: int = 2, height: int = 1) -> bytes:
    """A real, tiny PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_management_sets_name_reply_to_and_logo_and_the_logo_is_served(client, mira):
    client.force_login(mira)
    page = client.get("/company/")
    assert page.status_code == 200
    response = client.post(
        "/company/",
        {
            "name": "  Acme   Zonen ",
            "reply_to": "klantenservice@acme.example",
            "logo": SimpleUploadedFile("logo.png", png(), content_type="image/png"),
        },
    )
    assert response.status_code == 302
    row = CompanySettings.objects.get()
    assert (row.name, row.reply_to, row.logo_type) == (
        "Acme Zonen",
        "klantenservice@acme.example",
        "image/png",
    )
    company = company_get()
    assert company.logo_path == f"/company/logo?v={row.logo_version}"
    client.logout()
    logo = client.get(company.logo_path)  # public: the e-mails and answer pages show it
    assert logo.status_code == 200
    assert logo["Content-Type"] == "image/png"
    assert logo["X-Content-Type-Options"] == "nosniff"
    assert logo.content == png()


@pytest.mark.parametrize(
    "upload, message",
    [
        (
            SimpleUploadedFile(
                "logo.png", b"<svg onload=alert(1)></svg>", content_type="image/png"
            ),
            "The logo must be a PNG, JPEG, GIF or WebP image.",
        ),
        (
            SimpleUploadedFile(
                "big.png", png() + b"\x00" * LOGO_MAX_BYTES, content_type="image/png"
            ),
            "The logo is too large: at most 200 KB.",
        ),
    ],
)
def test_a_logo_that_is_no_image_or_too_large_is_refused_and_nothing_is_saved(
    client, mira, upload, message
):
    client.force_login(mira)
    response = client.post(
        "/company/", {"name": "Acme", "reply_to": "", "logo": upload}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CompanySettings.objects.filter(name="Acme").exists()


def test_the_logo_error_is_in_dutch_for_a_dutch_user(client, mira):
    client.force_login(mira)
    client.cookies["django_language"] = "nl"
    upload = SimpleUploadedFile("logo.gif", b"GIF8", content_type="image/gif")
    response = client.post("/company/", {"name": "Acme", "logo": upload})
    assert "Het logo moet een PNG-, JPEG-, GIF- of WebP-afbeelding zijn." in (
        response.content.decode()
    )


def test_an_account_manager_cannot_change_the_company(client, anne):
    client.force_login(anne)
    assert client.get("/company/").status_code == 403
    assert client.post("/company/", {"name": "Mine"}).status_code == 403
    assert not CompanySettings.objects.exists()


def test_no_logo_is_a_404_and_the_default_name_is_the_products(client):
    assert client.get("/company/logo").status_code == 404
    assert company_get().name == "Klantbinding"


@pytest.mark.parametrize(
    "name",
    [
        "Anne\r\nBcc: evil@example.com",
        'Anne "de" Jong, <evil@example.com>',
        "Zoë\nSubject: free money",
    ],
)
def test_a_sender_name_never_adds_a_header_or_an_address(name, settings):
    settings.SURVEYS_FROM_EMAIL = "Klantbinding <enquete@leverancier.example>"
    company = company_get()
    from_email, reply_to = survey_sender(company, manager_name=name, manager_email="a@b.example")
    message = EmailMessage("Hi", "Body", from_email, ["klant@example.com"], reply_to=reply_to)
    parsed = message_from_bytes(message.message().as_bytes(), policy=default)
    assert parsed["Bcc"] is None and parsed["Subject"] == "Hi"
    assert len(parsed["From"].addresses) == 1
    assert parsed["From"].addresses[0].addr_spec == "enquete@leverancier.example"
    assert parsed["From"].addresses[0].display_name.endswith(" via Klantbinding")
    assert "\n" not in parsed["From"].addresses[0].display_name
    assert sender("", "Klantbinding <x@y.example>") == "x@y.example"
