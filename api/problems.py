"""Errors as RFC 9457 problem details (``application/problem+json``), in the request's
language: DRF's exception handler turned into one shape, with every field problem named."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_TYPE = "application/problem+json"


class ProblemJSONRenderer(JSONRenderer):
    """Renders an error response as problem+json (the handler sets this content type)."""

    media_type = PROBLEM_TYPE
    format = "problem"


def _titles() -> dict[int, str]:
    return {
        400: _("The request cannot be read"),
        401: _("Not signed in"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Method not allowed"),
        406: _("Cannot answer in the requested format"),
        409: _("Conflict"),
        415: _("Unsupported media type"),
        422: _("The data has problems"),
        429: _("Too many requests"),
    }


def _flatten(detail: Any, pointer: str = "") -> Iterator[dict[str, str]]:
    """Every message in DRF's nested error detail, with a JSON pointer to its field."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                yield from _flatten(value, pointer)
            else:
                yield from _flatten(value, f"{pointer}/{key}")
    elif isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            for item in detail:
                yield {"pointer": pointer or "/", "detail": str(item)}
        else:
            for index, item in enumerate(detail):
                yield from _flatten(item, f"{pointer}/{index}")
    else:
        yield {"pointer": pointer or "/", "detail": str(detail)}


def django_errors(error: DjangoValidationError) -> dict[str, list[str]] | list[str]:
    """A service's ValidationError as DRF error detail (keyed by field, or a list)."""
    if hasattr(error, "error_dict"):
        return {key: [str(m) for m in messages] for key, messages in error.message_dict.items()}
    return [str(m) for m in error.messages]


class Unprocessable(exceptions.APIException):
    """422: the request was read but its data breaks the rules; ``detail`` names every one."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "invalid"

    def __init__(self, detail: Any) -> None:
        super().__init__()
        self.detail = detail


def problem(status_code: int, detail: str, errors: list[dict[str, str]] | None = None) -> dict:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _titles().get(status_code, _("Error")),
        "status": status_code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return body


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, then the result as problem details. Validation errors are 422 with
    ``errors``: one entry per problem with a JSON pointer to the field."""
    if isinstance(exc, DjangoValidationError):
        exc = Unprocessable(django_errors(exc))
    elif isinstance(exc, exceptions.ValidationError):
        exc = Unprocessable(exc.detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("There is nothing here, or it is not yours to see."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = response.status_code
    if isinstance(exc, Unprocessable):
        errors = list(_flatten(exc.detail))
        count = len(errors)
        detail = ngettext(
            "Nothing was written. %(count)d problem: see errors.",
            "Nothing was written. %(count)d problems: see errors.",
            count,
        ) % {"count": count}
        body = problem(code, detail, errors)
    else:
        message = getattr(exc, "detail", None)
        text = str(message) if isinstance(message, str) else _titles().get(code, _("Error"))
        body = problem(code, text)
    response.data = body
    response.content_type = PROBLEM_TYPE
    return response
