"""The exit survey behind a personal link (no login): a departed customer's contact person
says why it left. The link's token goes into the session and out of the URL at once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from relations import services
from relations.forms import ReasonsForm
from relations.models import ExitSurvey
from relations.tokens import token_hash, token_well_formed

SESSION_TOKENS = "exit_survey_tokens"  # {public_id: token}
SESSION_DONE = "exit_survey_done"


def private(view: Callable) -> Callable:
    """The link's pages leak nothing to other sites and are kept in no cache."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex"
        return response

    return wrapper


def _page(
    request: HttpRequest, template: str, context: dict, *, language: str | None, status: int = 200
) -> HttpResponse:
    with translation.override(language or translation.get_language()):
        response = render(request, template, context, status=status)
        response.headers["Content-Language"] = translation.get_language()
    return response


def _closed(request: HttpRequest, language: str | None = None, status: int = 404) -> HttpResponse:
    return _page(request, "relations/exit_closed.html", {}, language=language, status=status)


@private
@require_http_methods(["GET", "HEAD"])
def exit_link(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mail's link: keep the token in the session, go on to the questions."""
    survey = None
    if token_well_formed(token):
        survey = ExitSurvey.objects.filter(token_hash=token_hash(token)).first()
    if survey is None:
        return _closed(request)
    if not services.exit_survey_open_for(survey):
        return _closed(request, survey.language, status=410)
    tokens = dict(request.session.get(SESSION_TOKENS, {}))
    tokens[str(survey.public_id)] = token
    request.session[SESSION_TOKENS] = tokens
    return redirect("relations:exit-answer", public_id=survey.public_id)


@private
@require_http_methods(["GET", "HEAD", "POST"])
def exit_answer(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The reasons to tick and a note; the answer is saved once."""
    token = request.session.get(SESSION_TOKENS, {}).get(str(public_id), "")
    survey = (
        ExitSurvey.objects.select_related("departure__customer")
        .filter(public_id=public_id, token_hash=token_hash(token) if token else "-")
        .first()
    )
    if survey is None:
        if str(public_id) in request.session.get(SESSION_DONE, []):
            return redirect("relations:exit-thanks", public_id=public_id)
        return _closed(request)
    if not services.exit_survey_open_for(survey):
        return _closed(request, survey.language, status=410)
    with translation.override(survey.language):
        form = ReasonsForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                services.exit_survey_answer(
                    survey=survey,
                    reasons=form.cleaned_data["reasons"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, texts in error.message_dict.items():
                        for text in texts:
                            form.add_error(field if field in form.fields else None, text)
                else:
                    form.add_error(None, error)
            else:
                tokens = dict(request.session.get(SESSION_TOKENS, {}))
                tokens.pop(str(public_id), None)
                request.session[SESSION_TOKENS] = tokens
                request.session[SESSION_DONE] = [
                    *request.session.get(SESSION_DONE, [])[-20:],
                    str(public_id),
                ]
                return redirect("relations:exit-thanks", public_id=public_id)
        return _page(
            request,
            "relations/exit_answer.html",
            {"survey": survey, "customer": survey.departure.customer, "form": form},
            language=survey.language,
            status=400 if form.errors else 200,
        )


@private
def exit_thanks(request: HttpRequest, public_id: UUID) -> HttpResponse:
    survey = None
    if str(public_id) in request.session.get(SESSION_DONE, []):
        survey = ExitSurvey.objects.filter(public_id=public_id).first()
    return _page(
        request, "relations/exit_thanks.html", {}, language=survey.language if survey else None
    )
