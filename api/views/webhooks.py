"""Management's webhook endpoints: register one (its secret shown on its page), switch it
on or off, read its delivery log and send a delivery again."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from api.forms import EndpointForm
from api.models import WebhookDelivery, WebhookEndpoint
from api.services import delivery as delivery_services
from api.services import endpoints as endpoint_services
from scoring.roles import management_required


@management_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    """Every endpoint with its state and how its deliveries went."""
    endpoints = WebhookEndpoint.objects.select_related("owner").annotate(
        delivered=Count("deliveries", filter=Q(deliveries__status="delivered")),
        waiting=Count("deliveries", filter=Q(deliveries__status__in=["pending", "sending"])),
        failed=Count("deliveries", filter=Q(deliveries__status="failed")),
    )
    return render(request, "api/webhooks.html", {"endpoints": endpoints})


@management_required
def endpoint_create(request: HttpRequest) -> HttpResponse:
    """Register a receiver: URL, events; the secret is made and shown on its page."""
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = endpoint_services.endpoint_create(
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
                owner=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, _("The endpoint is registered."))
            return redirect("api:webhook-detail", pk=endpoint.pk)
    return render(request, "api/webhook_form.html", {"form": form})


@management_required
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An endpoint: its secret, events and the delivery log (status codes, resend)."""
    endpoint = get_object_or_404(WebhookEndpoint.objects.select_related("owner"), pk=pk)
    if request.method == "POST":
        switch = request.POST.get("active")
        if switch in ("on", "off"):
            endpoint_services.endpoint_switch(
                endpoint=endpoint,
                active=switch == "on",
                by=request.user,  # type: ignore[arg-type]
            )
            messages.success(
                request,
                _("The endpoint is switched on.")
                if switch == "on"
                else _("The endpoint is switched off."),
            )
        return redirect("api:webhook-detail", pk=endpoint.pk)
    deliveries = Paginator(
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related("attempt_log")
        .order_by("-created_at", "-pk"),
        25,
    ).get_page(request.GET.get("page"))
    return render(
        request, "api/webhook_detail.html", {"endpoint": endpoint, "deliveries": deliveries}
    )


@management_required
@require_POST
def delivery_resend(request: HttpRequest, pk: int, delivery: int) -> HttpResponse:
    """Send one delivery again now."""
    from api.tasks import webhook_deliver

    found = get_object_or_404(WebhookDelivery, pk=delivery, endpoint_id=pk)
    delivery_services.delivery_resend(delivery=found)
    webhook_deliver.apply_async((found.pk,))
    messages.success(request, _("The event is being sent again."))
    return redirect("api:webhook-detail", pk=pk)
