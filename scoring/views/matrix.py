"""The scoring matrix: one choice per element with a live preview, submitted once, and the
result page that shows the customer's score before → after."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from scoring import rendering, selectors, services
from scoring.forms import DONT_KNOW, SCORE_CHOICES, MatrixForm, preview_values
from scoring.models import Assessment, Element, RespondentKind
from scoring.views.customers import assessment_context, visible_customer

RESULTS_SESSION_KEY = "kb_matrix_results"


def _remember_result(request: HttpRequest, submitted: services.AssessmentSubmitted) -> None:
    """Keep before → after for the result page (the last few submits of this session)."""
    results = dict(request.session.get(RESULTS_SESSION_KEY, {}))
    results[str(submitted.assessment.pk)] = {"before": submitted.before, "after": submitted.after}
    request.session[RESULTS_SESSION_KEY] = dict(list(results.items())[-5:])


def _service_errors(form: MatrixForm, error: ValidationError) -> None:
    """Put the service's errors (keyed by element code or field) on the matching form field."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, messages_ in error.message_dict.items():
        field = f"value_{key}" if f"value_{key}" in form.fields else key
        for message in messages_:
            form.add_error(field if field in form.fields else None, message)


def _rows(
    form: MatrixForm, elements: list[Element], previous_values: dict[str, int | None]
) -> list[rendering.MatrixRow]:
    """Each element's row as the form holds it (a posted matrix keeps its choices)."""
    data = form.data if form.is_bound else {}
    return [
        rendering.MatrixRow(
            element=element,
            chosen=str(data.get(f"value_{element.code}", "")),
            comment=str(data.get(f"comment_{element.code}", "")),
            errors=[
                *form.errors.get(f"value_{element.code}", []),
                *form.errors.get(f"comment_{element.code}", []),
            ],
            has_previous=element.code in previous_values,
            previous=previous_values.get(element.code),
        )
        for element in elements
    ]


# Never cached, so that Back after a submit asks the server again: the page's script puts
# the form's key in the address, and a submitted key leads to the result (without the script
# Back shows a new, empty matrix: the form's autocomplete=off keeps the browser from filling
# in the old comment).
@never_cache
@login_required
def customer_matrix(request: HttpRequest, pk: int) -> HttpResponse:
    """The scoring matrix: one choice per element, a live preview, submit once."""
    customer = visible_customer(request, pk)
    if request.method != "POST":
        submitted_before = selectors.matrix_submitted(
            customer=customer, user=request.user, key=request.GET.get("submission", "")
        )
        if submitted_before is not None:
            messages.info(
                request,
                _(
                    "This matrix was submitted already; this is what it saved. To score "
                    "the customer again, open the matrix from the customer page."
                ),
            )
            return redirect("scoring:assessment-result", pk=submitted_before.pk)
    email = (request.user.email or "").strip()  # type: ignore[union-attr]
    page = selectors.matrix_page(customer=customer, respondent_email=email)
    no_email = _(
        "Your user account has no e-mail address, and an assessment is filed under it. "
        "Ask an administrator to add one, then score this customer."
    )
    if request.method == "POST":
        form = MatrixForm(request.POST, elements=page.elements)
        valid = form.is_valid()
        if not email:
            form.add_error(None, no_email)
        elif valid:
            try:
                submitted = services.assessment_submit(
                    customer=customer,
                    respondent_kind=RespondentKind.STAFF,
                    respondent_email=email,
                    respondent_name=request.user.get_full_name(),  # type: ignore[union-attr]
                    user=request.user,  # type: ignore[arg-type]
                    values=form.values(),
                    comments=form.comments(),
                    comment=form.cleaned_data["comment"],
                    scoring_model=page.scoring_model,
                    elements=page.elements,
                    source=Assessment.Source.MATRIX,
                    submission_key=form.cleaned_data["submission_key"],
                )
            except ValidationError as error:
                _service_errors(form, error)
            else:
                if submitted.created:
                    _remember_result(request, submitted)
                # A double click or a resubmit after Back lands on the first assessment.
                assessment = submitted.assessment
                if assessment.customer_id == customer.pk and assessment.user_id == request.user.pk:
                    return redirect("scoring:assessment-result", pk=assessment.pk)
                form.add_error(None, _("This form was already used. Reload the matrix."))
    else:
        # The element fields only check a posted matrix; the page renders its rows itself.
        form = MatrixForm(elements=[], initial={"submission_key": uuid.uuid4()})
    return render(
        request,
        "scoring/matrix.html",
        {
            "customer": customer,
            "form": form,
            "scoring_model": page.scoring_model,
            "groups": rendering.matrix_groups(_rows(form, page.elements, page.previous_values)),
            "choices": SCORE_CHOICES,
            "dont_know": DONT_KNOW,
            "previous_at": page.previous_at,
            "snapshot": page.snapshot,
            "no_email": None if email else no_email,
        },
    )


@login_required
@require_POST
def customer_matrix_preview(request: HttpRequest, pk: int) -> JsonResponse:
    """The score the customer would get if this user submitted the posted values now."""
    customer = visible_customer(request, pk)
    scoring_model = selectors.scoring_model_active()
    elements = selectors.asked_elements(scoring_model, RespondentKind.STAFF)
    values = preview_values(request.POST, elements)
    # Without an e-mail address the submit is refused; preview as a respondent of its own.
    email = (request.user.email or "").strip() or f"user-{request.user.pk}@users.invalid"  # type: ignore[union-attr]
    result = selectors.matrix_preview(
        customer=customer, respondent_email=email, values=values, scoring_model=scoring_model
    )
    answered = sum(v is not None for v in values.values())
    context: dict[str, Any] = {"result": result, "answered": answered, "total": len(elements)}
    html = render_to_string("scoring/_matrix_preview.html", context, request)
    compact = render_to_string("scoring/_matrix_preview.html", {**context, "compact": True})
    return JsonResponse({**result, "answered": answered, "html": html, "compact": compact})


@login_required
def assessment_result(request: HttpRequest, pk: int) -> HttpResponse:
    """After a submit: the customer's score before → after, and what was submitted."""
    assessment = get_object_or_404(selectors.assessments_visible_to(request.user), pk=pk)
    submitted = request.session.get(RESULTS_SESSION_KEY, {}).get(str(assessment.pk))
    outcome = selectors.assessment_outcome(assessment, submitted=submitted)
    return render(
        request,
        "scoring/assessment_result.html",
        {
            **assessment_context(outcome.page),
            "before": outcome.before,
            "after": outcome.after,
            "known_before": outcome.known_before,
            "rows": outcome.rows,
            "change": outcome.change,
        },
    )
