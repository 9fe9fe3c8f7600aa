"""The pages where actions are proposed, decided and carried out: "My actions", the board,
one action's page and its steps.

Views stay thin: look the action up through ``actions_visible_to`` (another account manager's
action is a 404), bind the form, call one service, render or redirect. Services refuse what the
user may not do (PermissionDenied, a 403) and what the action's state does not allow
(ValidationError, shown on the page).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from actions import selectors, services
from actions.forms import (
    ActionEditForm,
    BoardFilterForm,
    CancelForm,
    CompleteForm,
    DigestPreferenceForm,
    ProposeForm,
    StepsForm,
)
from actions.models import Action, ActionType
from actions.views import signed_in
from scoring.roles import is_management
from scoring.selectors import customers_visible_to
from scoring.views import management_required


def form_errors(form: BaseForm, error: ValidationError) -> None:
    """A service's ValidationError onto the form: by field where the form has it."""
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


def _visible_action(request: HttpRequest, pk: int) -> Action:
    """The action if this user may see it; a 404 otherwise (not even its existence leaks)."""
    return get_object_or_404(
        selectors.actions_visible_to(request.user).select_related(
            "customer", "customer__account_manager", "action_type", "owner", "campaign"
        ),
        pk=pk,
    )


def _may_work(request: HttpRequest, action: Action) -> bool:
    user = request.user
    return is_management(user) or user.pk in (action.owner_id, action.customer.account_manager_id)


# --------------------------------------------------------------------------------------------
# Lists
# --------------------------------------------------------------------------------------------


@login_required
def my_actions(request: HttpRequest) -> HttpResponse:
    """The actions the user owns: overdue first, then due soon, then on track."""
    preference = services.digest_preference_get(
        user=signed_in(request), language=translation.get_language() or "nl"
    )
    return render(
        request,
        "actions/my_actions.html",
        {
            "mine": selectors.my_actions(signed_in(request)),
            "digest_form": DigestPreferenceForm(
                initial={"enabled": preference.enabled, "language": preference.language}
            ),
        },
    )


@login_required
@require_POST
def digest_preference(request: HttpRequest) -> HttpResponse:
    form = DigestPreferenceForm(request.POST)
    if form.is_valid():
        services.digest_preference_set(
            user=signed_in(request),
            language=form.cleaned_data["language"],
            enabled=form.cleaned_data["enabled"],
        )
        messages.success(request, _("Your digest settings are saved."))
    else:
        messages.error(request, _("Choose Dutch or English."))
    return redirect("actions:mine")


@management_required
def action_board(request: HttpRequest) -> HttpResponse:
    """Every action by status, with filters on element, owner, type and band."""
    form = BoardFilterForm(request.GET or None)
    return render(
        request,
        "actions/board.html",
        {"form": form, "board": selectors.board(form.filters()), "query": request.GET.urlencode()},
    )


# --------------------------------------------------------------------------------------------
# Proposing
# --------------------------------------------------------------------------------------------


def _initial_type(element: str) -> ActionType | None:
    types = list(selectors.action_types_active())
    return next((t for t in types if t.element_code == element), None) or (
        types[0] if types else None
    )


@login_required
@require_http_methods(["GET", "POST"])
def propose(request: HttpRequest) -> HttpResponse:
    """Propose an action: for the customer in the URL, or first choose the customer."""
    management = is_management(request.user)
    element = request.GET.get("element", "")
    if element not in dict(selectors.element_choices()):
        element = ""
    origin = request.GET.get("origin", Action.Origin.MANUAL)
    if origin not in Action.Origin.values:
        origin = Action.Origin.MANUAL
    customer_id = request.GET.get("customer", "")
    if not customer_id.isdigit():
        search = request.GET.get("q", "")[:100]
        return render(
            request,
            "actions/propose_choose.html",
            {
                "element": element,
                "element_name": selectors.element_names().get(element, ""),
                "origin": origin,
                "search": search,
                "candidates": selectors.propose_candidates(
                    signed_in(request), element, search=search
                ),
            },
        )
    customer = get_object_or_404(customers_visible_to(request.user), pk=int(customer_id))
    suggested = _initial_type(element)
    initial = {"element_code": element, "origin": origin, "decide": True}
    if suggested is not None:
        initial.update(action_type=suggested, title=suggested.name)
    form = ProposeForm(
        request.POST or None, initial=initial, customer=customer, management=management
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            action = services.action_propose(
                customer=customer,
                action_type=data["action_type"],
                element_code=data.get("element_code") or "",
                title=data["title"],
                rationale=data.get("rationale", ""),
                owner=data.get("owner"),
                due_on=data.get("due_on"),
                origin=data["origin"],
                decide=management and data.get("decide", False),
                by=signed_in(request),
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            if action.status == Action.Status.OPEN:
                messages.success(request, _("The action is decided and open."))
            else:
                messages.success(request, _("The action is proposed; management decides it."))
            return redirect(action)
    return render(
        request,
        "actions/propose.html",
        {
            "form": form,
            "customer": customer,
            "types": list(selectors.action_types_active()),
            "management": management,
        },
    )


# --------------------------------------------------------------------------------------------
# One action
# --------------------------------------------------------------------------------------------


def _detail(request: HttpRequest, action: Action, **forms: BaseForm) -> HttpResponse:
    detail = selectors.action_detail(action)
    running = action.status in (Action.Status.OPEN, Action.Status.IN_PROGRESS)
    may_work = _may_work(request, action)
    context = {
        "detail": detail,
        "action": action,
        "management": is_management(request.user),
        "may_work": may_work,
        "running": running,
        "steps_form": forms.get("steps_form")
        or StepsForm(
            initial={"done": [s.position for s in detail.steps if s.done_at]}, steps=detail.steps
        ),
        "complete_form": forms.get("complete_form") or CompleteForm(),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "errors": forms.get("errors", []),
    }
    return render(request, "actions/action_detail.html", context)


@login_required
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _visible_action(request, pk))


def _refused(request: HttpRequest, action: Action, error: ValidationError) -> HttpResponse:
    for message in error.messages:
        messages.error(request, message)
    return redirect(action)


@management_required
@require_POST
def action_decide(request: HttpRequest, pk: int) -> HttpResponse:
    action = _visible_action(request, pk)
    try:
        services.action_decide(action=action, by=signed_in(request))
    except ValidationError as error:
        return _refused(request, action, error)
    messages.success(request, _("The action is decided; its baseline is frozen."))
    return redirect(action)


@login_required
@require_POST
def action_start(request: HttpRequest, pk: int) -> HttpResponse:
    action = _visible_action(request, pk)
    try:
        services.action_start(action=action, by=signed_in(request))
    except ValidationError as error:
        return _refused(request, action, error)
    messages.success(request, _("The action is in progress."))
    return redirect(action)


@login_required
@require_POST
def action_steps(request: HttpRequest, pk: int) -> HttpResponse:
    action = _visible_action(request, pk)
    form = StepsForm(request.POST, steps=action.steps.order_by("position"))
    if not form.is_valid():
        return _detail(request, action, steps_form=form)
    try:
        services.action_steps_set(
            action=action, done_positions=form.cleaned_data["done"], by=signed_in(request)
        )
    except ValidationError as error:
        return _refused(request, action, error)
    messages.success(request, _("The checklist is saved."))
    return redirect(action)


@login_required
@require_http_methods(["GET", "POST"])
def action_complete(request: HttpRequest, pk: int) -> HttpResponse:
    action = _visible_action(request, pk)
    form = CompleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_complete(
                action=action,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                by=signed_in(request),
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("The action is done. Thank you."))
            return redirect(action)
    return render(request, "actions/action_complete.html", {"action": action, "form": form})


@management_required
@require_http_methods(["GET", "POST"])
def action_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    action = _visible_action(request, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_cancel(
                action=action, reason=form.cleaned_data["reason"], by=signed_in(request)
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("The action is cancelled."))
            return redirect(action)
    return render(request, "actions/action_cancel.html", {"action": action, "form": form})


@management_required
@require_http_methods(["GET", "POST"])
def action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    action = _visible_action(request, pk)
    form = ActionEditForm(
        request.POST or None,
        initial={
            "title": action.title,
            "rationale": action.rationale,
            "owner": str(action.owner_id),
            "due_on": action.due_on,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.action_update(action=action, by=signed_in(request), **form.cleaned_data)
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("The action is saved."))
            return redirect(action)
    return render(request, "actions/action_edit.html", {"action": action, "form": form})
