"""Management's pages for the catalogue of action types and for action campaigns."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from actions import selectors, services
from actions.forms import ActionTypeForm, CampaignForm
from actions.models import ActionCampaign, ActionType
from actions.views import signed_in
from actions.views.actions import form_errors
from scoring.views import management_required


@management_required
def type_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "actions/type_list.html",
        {
            "types": ActionType.objects.order_by("order", "name_en", "pk"),
            "element_names": selectors.element_names(),
        },
    )


@management_required
@require_http_methods(["GET", "POST"])
def type_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    action_type = get_object_or_404(ActionType, pk=pk) if pk else None
    form = ActionTypeForm(request.POST or None, instance=action_type)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.action_type_save(
                action_type=form.save(commit=False), by=signed_in(request)
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Action type “%(name)s” saved.") % {"name": saved.name})
            return redirect("actions:type-list")
    return render(request, "actions/type_form.html", {"form": form, "action_type": action_type})


@management_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    return render(request, "actions/campaign_list.html", {"campaigns": selectors.campaign_list()})


@management_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    """Choose the target and the control group; "check" shows who it reaches, "launch" starts."""
    initial: dict[str, object] = {"holdout_pct": 20, "horizon_days": 180}
    element = request.GET.get("element", "")
    if element in dict(selectors.element_choices()):
        initial["element_code"] = element
        suggested = next(
            (t for t in selectors.action_types_active() if t.element_code == element), None
        )
        if suggested is not None:
            initial["action_type"] = suggested
    form = CampaignForm(request.POST or None, initial=initial)
    eligible = None
    if request.method == "POST" and form.is_valid():
        target = form.target()
        if "launch" in request.POST:
            data = form.cleaned_data
            try:
                campaign = services.campaign_launch(
                    name=data["name"],
                    target=target,
                    holdout_pct=data["holdout_pct"],
                    horizon_days=data["horizon_days"],
                    due_on=data["due_on"],
                    rationale=data.get("rationale", ""),
                    by=signed_in(request),
                )
            except ValidationError as error:
                form_errors(form, error)
            else:
                summary = selectors.campaign_summary(campaign)
                messages.success(
                    request,
                    _(
                        "Campaign launched: %(action)d customers get the action, %(control)d are "
                        "in the control group."
                    )
                    % {"action": summary.action_arm, "control": summary.control_arm},
                )
                return redirect(campaign)
        eligible = selectors.campaign_eligible(target, now=timezone.now())
    return render(request, "actions/campaign_form.html", {"form": form, "eligible": eligible})


@management_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(ActionCampaign.objects.select_related("action_type"), pk=pk)
    return render(
        request,
        "actions/campaign_detail.html",
        {
            "summary": selectors.campaign_summary(campaign),
            "assignments": selectors.campaign_assignments(campaign)[:500],
            "element_name": selectors.element_names().get(
                campaign.element_code, campaign.element_code
            ),
        },
    )
