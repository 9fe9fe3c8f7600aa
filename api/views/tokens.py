"""A user's own API tokens: make one (its secret shown once) and revoke one."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from api.forms import TokenForm
from api.models import ApiToken
from api.services import tokens as token_services


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """The user's tokens and the form for a new one; after making one, its secret, once."""
    secret = None
    new_token = None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                made = token_services.token_create(
                    user=request.user,  # type: ignore[arg-type]
                    name=form.cleaned_data["name"],
                    scope=form.cleaned_data["scope"],
                    expires_on=form.cleaned_data["expires_on"],
                    creation_key=form.cleaned_data["creation_key"],
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            except token_services.TokenAlreadyMade:  # the form was posted again (a reload)
                messages.info(
                    request, _("This token was made already; its secret was shown once only.")
                )
                form = TokenForm(initial={"creation_key": uuid.uuid4()})
            else:
                secret, new_token = made.secret, made.token
                form = TokenForm(initial={"creation_key": uuid.uuid4()})
    else:
        form = TokenForm(initial={"creation_key": uuid.uuid4()})
    tokens = ApiToken.objects.filter(user=cast(Any, request.user)).order_by("-created_at", "-pk")
    response = render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "tokens": tokens,
            "secret": secret,
            "new_token": new_token,
            "now": timezone.now(),
        },
    )
    if secret:  # the page that shows the secret is never kept by a browser or proxy
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own tokens (another's is a 404)."""
    token = get_object_or_404(ApiToken, pk=pk, user=cast(Any, request.user))
    token_services.token_revoke(token=token)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api:tokens")
