"""Survey pages: management's campaigns and rounds, the account manager's invitation list, and
the public pages a respondent reaches through a personal link (no login)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.decorators import decorator_from_middleware
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from klantbinding.security import client_ip
from scoring.extensions import survey_questions_save
from scoring.models import RespondentKind
from scoring.roles import is_account_manager, is_management, management_required
from scoring.selectors import asked_elements, scoring_model_active
from surveys import selectors, services
from surveys.forms import AnswerForm, CampaignForm
from surveys.models import Campaign, Invitation, Round

logger = logging.getLogger(__name__)

# The public ids (not the tokens) of the invitations whose link was opened in this browser:
# a copy of the session table holds no working link.
SESSION_OPENED = "survey_opened"
SESSION_DONE = "survey_done"  # public ids answered in this browser, for the thank-you page
SESSION_KEPT = 20  # invitations remembered per browser
THROTTLE_WINDOW = 15 * 60


# --------------------------------------------------------------------------------------------
# Management
# --------------------------------------------------------------------------------------------


@management_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "surveys/campaign_list.html", {"campaigns": selectors.campaigns_overview()}
    )


@management_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk) if pk else None
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        saved = services.campaign_save(
            campaign=form.save(commit=False), customers=form.cleaned_data["customer_ids"]
        )
        messages.success(request, _("Campaign “%(name)s” saved.") % {"name": saved.name})
        return redirect(saved)
    return render(request, "surveys/campaign_form.html", {"form": form, "campaign": campaign})


@management_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("account_manager"), pk=pk)
    rounds = selectors.campaign_rounds(campaign)
    period = services.period_start(campaign, timezone.localdate())
    current_open = any(r.round.period == period for r in rounds)
    return render(
        request,
        "surveys/campaign_detail.html",
        {
            "campaign": campaign,
            "rounds": rounds,
            "period": period,
            "can_open": campaign.active and period is not None and not current_open,
            "customer_count": selectors.campaign_customers(campaign).count(),
        },
    )


@management_required
@require_POST
def campaign_open_round(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        opened = services.round_open(campaign=campaign, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(campaign)
    if opened.created:
        messages.success(
            request,
            _("Round opened: %(count)d invitations are being sent.") % {"count": opened.invited},
        )
    else:
        messages.info(request, _("This period's round is already open."))
    return redirect(opened.round)


@management_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = get_object_or_404(Round.objects.select_related("campaign"), pk=pk)
    failed = Paginator(selectors.round_failed(round_), 50).get_page(request.GET.get("page"))
    waiting = request.GET.get("show") == "waiting"
    recipients = Paginator(selectors.round_invitations(round_, waiting=waiting), 50).get_page(
        request.GET.get("recipients")
    )
    return render(
        request,
        "surveys/round_detail.html",
        {
            "round": round_,
            "campaign": round_.campaign,
            "recipients": recipients,
            "waiting": waiting,
            "progress": selectors.round_progress(round_),
            "failed": failed,
            "is_open": round_.closed_at is None and round_.closes_at > timezone.now(),
        },
    )


@management_required
@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=pk)
    if round_.closed_at is not None:
        messages.info(request, _("This round was already closed."))
    else:
        expired = services.round_close(round_=round_)
        messages.success(
            request,
            _("Round closed; %(count)d unanswered invitations no longer work.")
            % {"count": expired},
        )
    return redirect(round_)


@management_required
@require_POST
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(
        Invitation.objects.select_related("round", "contact", "expert", "user"), pk=pk
    )
    try:
        services.invitation_resend(invitation=invitation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The invitation to %(email)s is being sent again.") % {"email": invitation.email},
        )
    return redirect(invitation.round)


@login_required
def my_invitations(request: HttpRequest) -> HttpResponse:
    """The invitation status of the customers this user may see (account managers: their own)."""
    if not (is_management(request.user) or is_account_manager(request.user)):
        raise PermissionDenied
    invitations = selectors.invitations_for(request.user)
    status = request.GET.get("status", "")
    if status in Invitation.Status.values:
        invitations = invitations.filter(status=status)
    else:
        status = ""
    page = Paginator(invitations, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/my_invitations.html",
        {"page": page, "status": status, "statuses": Invitation.Status.choices},
    )


# --------------------------------------------------------------------------------------------
# Public pages behind a personal link
# --------------------------------------------------------------------------------------------


def private(view: Callable) -> Callable:
    """Answer pages must not leak the link (no Referer) nor be kept in any cache."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex"
        return response

    return wrapper


class _CsrfAllowingNullOrigin(CsrfViewMiddleware):
    """CSRF protection for the private pages, whose `Referrer-Policy: no-referrer` makes
    browsers send `Origin: null` with the form's POST. That one origin is let through; the
    CSRF token itself is still checked."""

    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null":
            return True
        return super()._origin_verified(request)  # type: ignore[misc]


def csrf_protect_private(view: Callable) -> Callable:
    """Exempt from the global CSRF check, protected by the variant above instead."""
    return csrf_exempt(decorator_from_middleware(_CsrfAllowingNullOrigin)(view))


def _throttle_key(request: HttpRequest) -> str:
    return f"surveys:bad-link:{client_ip(request)}"


def _throttled(request: HttpRequest) -> bool:
    try:
        return (cache.get(_throttle_key(request)) or 0) >= settings.SURVEYS_LINK_FAILURES_PER_IP
    except Exception:  # a cache outage must not lock respondents out
        logger.exception("Link throttle unavailable")
        return False


def _record_bad_link(request: HttpRequest) -> None:
    key = _throttle_key(request)
    try:
        if not cache.add(key, 1, THROTTLE_WINDOW):
            cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, THROTTLE_WINDOW)
    except Exception:  # likewise
        logger.exception("Link throttle unavailable")


def _public(
    request: HttpRequest,
    template: str,
    context: dict | None = None,
    *,
    language: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render a public page in ``language`` (the recipient's) or the browser's language."""
    with translation.override(language or translation.get_language()):
        response = render(
            request,
            template,
            {"language": translation.get_language(), **(context or {})},
            status=status,
        )
        response.headers["Content-Language"] = translation.get_language()
    return response


def _invalid_link(request: HttpRequest) -> HttpResponse:
    """A wrong link: counted per address; past the limit the address gets a 429 page.

    Only wrong links are refused: a valid link always works, so one sender behind a shared
    address (a proxy, a customer's NAT) cannot lock the others out.
    """
    throttled = _throttled(request)
    _record_bad_link(request)
    if throttled:
        return _too_many(request)
    return _public(request, "surveys/public_invalid.html", status=404)


def _too_many(request: HttpRequest) -> HttpResponse:
    return _public(request, "surveys/public_throttled.html", status=429)


def _closed(request: HttpRequest, invitation: Invitation, reason: str) -> HttpResponse:
    return _public(
        request,
        "surveys/public_closed.html",
        {"invitation": invitation, "reason": reason},
        language=invitation.language,
        status=200 if reason == Invitation.Status.ANSWERED else 410,
    )


def _remember(request: HttpRequest, invitation: Invitation) -> None:
    """Keep in the session that this browser opened a valid link to ``invitation``."""
    public_id = str(invitation.public_id)
    opened = [p for p in request.session.get(SESSION_OPENED, []) if p != public_id]
    request.session[SESSION_OPENED] = [*opened[-(SESSION_KEPT - 1) :], public_id]


def _forget(request: HttpRequest, public_id: UUID) -> None:
    opened = request.session.get(SESSION_OPENED, [])
    request.session[SESSION_OPENED] = [p for p in opened if p != str(public_id)]


def _opt_out(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    """Opt the recipient out and say so, in their language."""
    services.invitation_opt_out(invitation=invitation)
    return _public(
        request,
        "surveys/public_opted_out.html",
        {"invitation": invitation},
        language=invitation.language,
    )


@private
@require_http_methods(["GET", "HEAD"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mail's link: check the token, remember the invitation (not the token) in the
    session, drop the token from the URL.

    Reading never uses a token up: mail scanners open links too.
    """
    invitation = selectors.invitation_for_token(token)
    if invitation is None:
        return _invalid_link(request)
    reason = services.closed_reason(invitation, timezone.now())
    if reason:
        return _closed(request, invitation, reason)
    _remember(request, invitation)
    return redirect("surveys:answer", public_id=invitation.public_id)


def _invitation_in_session(request: HttpRequest, public_id: UUID) -> Invitation | None:
    """The invitation whose link this browser opened."""
    if str(public_id) not in request.session.get(SESSION_OPENED, []):
        return None
    return (
        Invitation.objects.select_related("round__campaign", "customer")
        .filter(public_id=public_id)
        .first()
    )


@private
@csrf_protect_private
@require_http_methods(["GET", "HEAD", "POST"])
def answer(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The questions for this respondent kind, in the respondent's language; the submit."""
    invitation = _invitation_in_session(request, public_id)
    if invitation is None:
        if str(public_id) in request.session.get(SESSION_DONE, []):
            return redirect("surveys:thanks", public_id=public_id)
        return _invalid_link(request)
    now = timezone.now()
    reason = services.closed_reason(invitation, now)
    if reason:
        return _closed(request, invitation, reason)
    campaign = invitation.round.campaign
    ask_nps = campaign.ask_nps and invitation.respondent_kind == RespondentKind.CUSTOMER
    with translation.override(invitation.language):
        elements = asked_elements(scoring_model_active(), invitation.respondent_kind)
        if campaign.element_codes:  # a round that asks about some elements only
            elements = [e for e in elements if e.code in campaign.element_codes] or elements
        form = AnswerForm(
            request.POST if request.method == "POST" else None,
            elements=elements,
            ask_nps=ask_nps,
            respondent_kind=invitation.respondent_kind,
            customer=invitation.customer,
        )
        if request.method == "POST" and form.is_valid():
            try:
                # Other apps' questions are stored with the assessment, all or nothing.
                with transaction.atomic():
                    assessment = services.invitation_answer(
                        invitation=invitation,
                        values=form.values(),
                        comments=form.comments(),
                        comment=form.cleaned_data.get("comment", ""),
                        nps=form.cleaned_data.get("nps"),
                        now=now,
                    )
                    survey_questions_save(assessment, form.cleaned_data)
            except services.InvitationClosedError as exc:
                return _closed(request, invitation, exc.status)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                _forget(request, public_id)
                request.session[SESSION_DONE] = [
                    *request.session.get(SESSION_DONE, [])[-20:],
                    str(public_id),
                ]
                return redirect("surveys:thanks", public_id=public_id)
        kind = invitation.respondent_kind
        return _public(
            request,
            "surveys/answer.html",
            {
                "invitation": invitation,
                "customer": invitation.customer,
                "form": form,
                "rows": [
                    {
                        **row,
                        "question": row["element"].question(kind),
                        "guidance": [
                            (level, text)
                            for level in (0, 3, 6)
                            if (text := row["element"].guidance(level))
                        ]
                        if kind == RespondentKind.EXPERT
                        else [],
                    }
                    for row in form.rows()
                ],
                "ask_nps": ask_nps,
                "kind": kind,
                "opt_out_url": reverse("surveys:opt-out", args=[public_id]),
            },
            language=invitation.language,
        )


@private
def thanks(request: HttpRequest, public_id: UUID) -> HttpResponse:
    invitation = None
    if str(public_id) in request.session.get(SESSION_DONE, []):
        invitation = Invitation.objects.filter(public_id=public_id).first()
    return _public(
        request,
        "surveys/public_thanks.html",
        {"invitation": invitation},
        language=invitation.language if invitation else None,
    )


@private
@csrf_exempt  # RFC 8058 one-click unsubscribe: the mail client POSTs without a CSRF token
@require_http_methods(["GET", "HEAD", "POST"])
def opt_out_link(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mail's opt-out link (and List-Unsubscribe target).

    GET remembers the invitation in the session and shows a confirmation page; only a POST
    opts out.
    """
    invitation = selectors.invitation_for_token(token)
    if invitation is None:
        return _invalid_link(request)
    if request.method == "POST":
        return _opt_out(request, invitation)
    _remember(request, invitation)
    return redirect("surveys:opt-out", public_id=invitation.public_id)


@private
@csrf_protect_private
@require_http_methods(["GET", "HEAD", "POST"])
def opt_out(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Confirm the opt-out (GET shows the question, POST does it)."""
    invitation = _invitation_in_session(request, public_id)
    if invitation is None:
        return _invalid_link(request)
    if request.method == "POST":
        return _opt_out(request, invitation)
    return _public(
        request,
        "surveys/public_opt_out.html",
        {"invitation": invitation},
        language=invitation.language,
    )
