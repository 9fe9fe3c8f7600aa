"""Management's set-up of the relations: the segment rules, the segments' names, their contact
rhythms, the relationship types and the reasons to leave. Saving rules, segments or rhythms
assigns every customer's segment and rhythm afresh."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relations import services
from relations.forms import (
    CadenceTargetFormSet,
    DepartureReasonFormSet,
    RelationshipTypeFormSet,
    SegmentFormSet,
    SegmentRuleFormSet,
)
from relations.models import (
    CadenceTarget,
    DepartureReason,
    RelationshipType,
    Segment,
    SegmentRule,
)
from scoring.views import management_required


@dataclass(frozen=True)
class Section:
    key: str
    title: object
    help: object
    formset: Any
    queryset: Any
    reassign: bool


SECTIONS = {
    section.key: section
    for section in (
        Section(
            "rules",
            gettext_lazy("Segment rules"),
            gettext_lazy(
                "The first rule (lowest order) whose conditions a customer meets gives its "
                "segment; an empty condition always holds. Contribution is revenue × margin; "
                "“among the first 80 %” are the customers that, largest first, bring 80 % of "
                "all contribution (the top of the Pareto)."
            ),
            SegmentRuleFormSet,
            lambda: SegmentRule.objects.select_related("segment").order_by("order", "pk"),
            True,
        ),
        Section(
            "cadence",
            gettext_lazy("Contact rhythm"),
            gettext_lazy(
                "Per segment and kind of contact: the target and the longest acceptable "
                "interval, in days. A visit also counts as a call, a video call as a call."
            ),
            CadenceTargetFormSet,
            lambda: CadenceTarget.objects.select_related("segment").order_by(
                "segment__order", "kind"
            ),
            True,
        ),
        Section(
            "segments",
            gettext_lazy("Segments"),
            gettext_lazy("The segments' names and descriptions; the order ranks them in lists."),
            SegmentFormSet,
            lambda: Segment.objects.order_by("order", "pk"),
            True,
        ),
        Section(
            "types",
            gettext_lazy("Relationship types"),
            gettext_lazy(
                "Customers choose from these descriptions in the survey; account managers "
                "record the one they believe in. Switch a type off instead of removing it."
            ),
            RelationshipTypeFormSet,
            lambda: RelationshipType.objects.order_by("order", "pk"),
            False,
        ),
        Section(
            "reasons",
            gettext_lazy("Reasons to leave"),
            gettext_lazy(
                "Each reason may name the binding element it is about, so the reasons can be "
                "set next to the scores. A reason that needs a note asks what it was."
            ),
            DepartureReasonFormSet,
            lambda: DepartureReason.objects.order_by("order", "pk"),
            False,
        ),
    )
}


@management_required
def setup_page(request: HttpRequest, section: str) -> HttpResponse:
    """One set-up list as a table of forms; saving writes all rows or none."""
    current = SECTIONS.get(section)
    if current is None:
        raise Http404
    if request.method == "POST":
        formset = current.formset(request.POST, queryset=current.queryset(), prefix=section)
        if formset.is_valid():
            summary = services.setup_save(formset=formset, reassign=current.reassign)
            if summary is not None:
                messages.success(
                    request,
                    _("Saved. %(customers)d customers have their segment and rhythm afresh.")
                    % {"customers": summary.customers},
                )
            else:
                messages.success(request, _("Saved."))
            return redirect("relations:setup-section", section=section)
        messages.error(request, _("Nothing was saved: correct the marked fields."))
    else:
        formset = current.formset(queryset=current.queryset(), prefix=section)
    counts = []
    if section == "rules":
        counts = list(
            Segment.objects.order_by("order", "pk").annotate(
                customers=Count(
                    "assignments", filter=Q(assignments__customer__active=True), distinct=True
                )
            )
        )
    return render(
        request,
        "relations/setup.html",
        {"section": current, "sections": SECTIONS.values(), "formset": formset, "counts": counts},
    )
