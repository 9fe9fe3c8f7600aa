"""Writes on one action: proposing and deciding it, the steps of its life, its details.

The life of an action is a small state machine (``TRANSITIONS``); a service refuses any other
move with a message that says why. Only management decides and cancels; account managers work
on the actions of their own customers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from actions import formats, selectors
from actions.models import OPEN_STATUSES, Action, ActionStep, ActionType
from scoring.models import Customer
from scoring.roles import is_account_manager, is_management

Status = Action.Status

# The allowed moves of an action; anything else is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PROPOSED: frozenset({Status.OPEN, Status.CANCELLED}),
    Status.OPEN: frozenset({Status.IN_PROGRESS, Status.DONE, Status.CANCELLED}),
    Status.IN_PROGRESS: frozenset({Status.DONE, Status.CANCELLED}),
    Status.DONE: frozenset(),
    Status.CANCELLED: frozenset(),
}


def transition_error(current: str, target: str) -> str | None:
    """Why an action in ``current`` cannot move to ``target``, or None when it can."""
    if target in TRANSITIONS.get(current, frozenset()):
        return None
    if current in (Status.DONE, Status.CANCELLED):
        return _("This action is %(status)s: it cannot change any more.") % {
            "status": Status(current).label
        }
    if current == Status.PROPOSED and target in (Status.IN_PROGRESS, Status.DONE):
        return _("This action is only proposed: management decides it before work starts.")
    return _("An action that is %(current)s cannot become %(target)s.") % {
        "current": Status(current).label,
        "target": Status(target).label,
    }


def management_only(user: User, what: str) -> None:
    if not is_management(user):
        raise PermissionDenied(what)


def _may_work_on(user: User, action: Action) -> None:
    """Management, or the account manager whose customer or action it is."""
    if is_management(user):
        return
    if action.owner_id == user.pk or action.customer.account_manager_id == user.pk:
        return
    raise PermissionDenied(_("This is not your action."))


def _lock(action: Action) -> Action:
    """The action's row, locked for the rest of the transaction (PostgreSQL)."""
    return Action.objects.select_for_update().select_related("customer").get(pk=action.pk)


# --------------------------------------------------------------------------------------------
# Proposing and deciding
# --------------------------------------------------------------------------------------------


def control_block_reason(
    *, customer: Customer, action_type: ActionType, now: datetime | None = None
) -> str | None:
    """Why this customer may not get an action of this type now (a campaign's control group),
    or None when nothing stands in the way."""
    now = now or timezone.now()
    blocking = selectors.blocking_campaign(
        customer_id=customer.pk, action_type_id=action_type.pk, now=now
    )
    if blocking is None:
        return None
    campaign, until = blocking
    return _(
        "%(customer)s is in the control group of the campaign “%(campaign)s” until %(date)s: "
        "an action of the type “%(type)s” would spoil the comparison that shows whether it "
        "works."
    ) % {
        "customer": customer.name,
        "campaign": campaign.name,
        "date": formats.day(until),
        "type": action_type.name,
    }


def _duplicate_message(action_type: ActionType, element_code: str) -> str:
    if element_code:
        return _(
            "This customer already has an open action of the type “%(type)s” on this element. "
            "Finish or cancel that one first."
        ) % {"type": action_type.name}
    return _(
        "This customer already has an open action of the type “%(type)s” on the whole binding. "
        "Finish or cancel that one first."
    ) % {"type": action_type.name}


def action_clean(
    *,
    customer: Customer,
    action_type: ActionType,
    element_code: str,
    title: str,
    owner: User | None,
    due_on: date | None,
    origin: str = Action.Origin.MANUAL,
    now: datetime | None = None,
    exclude_pk: int | None = None,
) -> dict[str, list[str]]:
    """Every problem with a new action, keyed by field ("__all__" for the action as a whole)."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    codes = selectors.active_element_codes()
    if element_code and element_code not in codes:
        errors.setdefault("element_code", []).append(
            _("“%(code)s” is not an element of the active scoring model.") % {"code": element_code}
        )
    if not action_type.active:
        errors.setdefault("action_type", []).append(
            _("The action type “%(type)s” is no longer used.") % {"type": action_type.name}
        )
    if not (title or "").strip():
        errors.setdefault("title", []).append(_("Give the action a title."))
    if owner is None:
        errors.setdefault("owner", []).append(_("Choose the account manager who owns it."))
    elif not is_account_manager(owner):
        errors.setdefault("owner", []).append(
            _("%(name)s is not an account manager.")
            % {"name": owner.get_full_name() or owner.get_username()}
        )
    if due_on is None:
        errors.setdefault("due_on", []).append(_("Give a due date."))
    if origin not in Action.Origin.values:
        errors.setdefault("origin", []).append(_("Unknown origin."))
    if not customer.active:
        errors.setdefault("__all__", []).append(
            _("%(customer)s is no longer an active customer.") % {"customer": customer.name}
        )
    duplicate = Action.objects.filter(
        customer=customer,
        action_type=action_type,
        element_code=element_code,
        status__in=OPEN_STATUSES,
    )
    if exclude_pk is not None:
        duplicate = duplicate.exclude(pk=exclude_pk)
    if duplicate.exists():
        errors.setdefault("__all__", []).append(_duplicate_message(action_type, element_code))
    if origin != Action.Origin.CAMPAIGN:
        reason = control_block_reason(customer=customer, action_type=action_type, now=now)
        if reason:
            errors.setdefault("__all__", []).append(reason)
    return errors


def apply_baseline(action: Action, baseline: Mapping[str, object]) -> None:
    for field in selectors.BASELINE_FIELDS:
        setattr(action, field, baseline.get(field))
    action.baseline_band = action.baseline_band or ""


def _copy_steps(action: Action) -> None:
    ActionStep.objects.bulk_create(
        [
            ActionStep(
                action=action,
                position=position,
                text_nl=(step.get("nl") or "")[:300],
                text_en=(step.get("en") or "")[:300],
            )
            for position, step in enumerate(action.action_type.checklist, start=1)
        ]
    )


def action_propose(
    *,
    customer: Customer,
    action_type: ActionType,
    element_code: str,
    title: str,
    by: User,
    owner: User | None = None,
    due_on: date | None = None,
    rationale: str = "",
    origin: str = Action.Origin.MANUAL,
    decide: bool = False,
    now: datetime | None = None,
) -> Action:
    """Propose an action (management may decide it at once); its checklist comes from the type.

    An account manager proposes on their own customers only; the owner defaults to the
    customer's account manager and the due date to today plus the type's duration.
    """
    now = now or timezone.now()
    if not is_management(by):
        if not is_account_manager(by) or customer.account_manager_id != by.pk:
            raise PermissionDenied(_("You can only propose actions for your own customers."))
        if decide:
            raise PermissionDenied(_("Only management decides actions."))
    element_code = (element_code or "").strip()
    owner = owner or customer.account_manager
    due_on = due_on or (timezone.localdate(now) + timedelta(days=action_type.default_duration_days))
    errors = action_clean(
        customer=customer,
        action_type=action_type,
        element_code=element_code,
        title=title,
        owner=owner,
        due_on=due_on,
        origin=origin,
        now=now,
    )
    if errors:
        raise ValidationError(errors)
    action = Action(
        customer=customer,
        action_type=action_type,
        element_code=element_code,
        title=title.strip(),
        rationale=(rationale or "").strip(),
        origin=origin,
        owner=owner,
        due_on=due_on,
        proposed_by=by,
        proposed_at=now,
    )
    if decide:
        action.status = Status.OPEN
        action.decided_by = by
        action.decided_at = now
        apply_baseline(action, selectors.baseline_of(customer, element_code))
    try:
        with transaction.atomic():
            action.save()
            _copy_steps(action)
    except IntegrityError as error:
        # Two proposals at the same moment: the database's partial unique index decides.
        raise ValidationError({"__all__": [_duplicate_message(action_type, element_code)]}) from (
            error
        )
    return action


def action_decide(*, action: Action, by: User, now: datetime | None = None) -> Action:
    """Management decides a proposed action: it opens and freezes its baseline now."""
    management_only(by, _("Only management decides actions."))
    now = now or timezone.now()
    with transaction.atomic():
        action = _lock(action)
        if problem := transition_error(action.status, Status.OPEN):
            raise ValidationError(problem)
        reason = control_block_reason(
            customer=action.customer, action_type=action.action_type, now=now
        )
        if reason and action.origin != Action.Origin.CAMPAIGN:
            raise ValidationError(reason)
        action.status = Status.OPEN
        action.decided_by = by
        action.decided_at = now
        apply_baseline(action, selectors.baseline_of(action.customer, action.element_code))
        action.save()
    return action


def action_start(*, action: Action, by: User, now: datetime | None = None) -> Action:
    """The owner starts the work: open → in progress."""
    now = now or timezone.now()
    with transaction.atomic():
        action = _lock(action)
        _may_work_on(by, action)
        if problem := transition_error(action.status, Status.IN_PROGRESS):
            raise ValidationError(problem)
        action.status = Status.IN_PROGRESS
        action.started_at = now
        action.save(update_fields=["status", "started_at", "updated_at"])
    return action


def action_steps_set(
    *,
    action: Action,
    done_positions: Sequence[int],
    by: User,
    now: datetime | None = None,
) -> Action:
    """Tick off the checklist: exactly the steps at ``done_positions`` are done afterwards.

    Ticking a step of an open action starts it (open → in progress).
    """
    now = now or timezone.now()
    with transaction.atomic():
        action = _lock(action)
        _may_work_on(by, action)
        if action.status not in (Status.OPEN, Status.IN_PROGRESS):
            raise ValidationError(
                transition_error(action.status, Status.IN_PROGRESS)
                or _("The checklist can only be ticked off while the action runs.")
            )
        wanted = {int(p) for p in done_positions}
        steps = list(action.steps.select_for_update().order_by("position"))
        unknown = wanted - {s.position for s in steps}
        if unknown:
            raise ValidationError(_("This checklist has no step %(n)s.") % {"n": min(unknown)})
        for step in steps:
            if step.position in wanted and step.done_at is None:
                step.done_at, step.done_by = now, by
                step.save(update_fields=["done_at", "done_by"])
            elif step.position not in wanted and step.done_at is not None:
                step.done_at, step.done_by = None, None
                step.save(update_fields=["done_at", "done_by"])
        if wanted and action.status == Status.OPEN:
            action.status = Status.IN_PROGRESS
            action.started_at = now
            action.save(update_fields=["status", "started_at", "updated_at"])
    return action


def action_complete(
    *,
    action: Action,
    outcome: str,
    by: User,
    note: str = "",
    now: datetime | None = None,
) -> Action:
    """The owner reports the action done, with the outcome in their own words."""
    now = now or timezone.now()
    if outcome not in Action.Outcome.values:
        raise ValidationError(
            {"outcome": [_("Say whether the action achieved what it was meant to.")]}
        )
    with transaction.atomic():
        action = _lock(action)
        _may_work_on(by, action)
        if problem := transition_error(action.status, Status.DONE):
            raise ValidationError(problem)
        action.status = Status.DONE
        action.started_at = action.started_at or now
        action.completed_at = now
        action.outcome = outcome
        action.outcome_note = (note or "").strip()
        action.save()
    return action


def action_cancel(
    *,
    action: Action,
    by: User,
    reason: str = "",
    now: datetime | None = None,
) -> Action:
    """Management cancels an action that is not finished (its effect is still measured)."""
    management_only(by, _("Only management cancels actions."))
    now = now or timezone.now()
    with transaction.atomic():
        action = _lock(action)
        if problem := transition_error(action.status, Status.CANCELLED):
            raise ValidationError(problem)
        action.status = Status.CANCELLED
        action.cancelled_at = now
        action.cancelled_by = by
        action.cancel_reason = (reason or "").strip()
        action.save()
    return action


def action_update(
    *,
    action: Action,
    by: User,
    title: str,
    rationale: str,
    owner: User,
    due_on: date,
) -> Action:
    """Management changes an unfinished action's title, rationale, owner or due date."""
    management_only(by, _("Only management changes actions."))
    with transaction.atomic():
        action = _lock(action)
        if not action.is_open:
            raise ValidationError(transition_error(action.status, Status.OPEN) or "")
        errors = action_clean(
            customer=action.customer,
            action_type=action.action_type,
            element_code=action.element_code,
            title=title,
            owner=owner,
            due_on=due_on,
            origin=action.origin,
            exclude_pk=action.pk,
        )
        errors.pop("__all__", None)  # the action exists already; only its own fields count
        if errors:
            raise ValidationError(errors)
        action.title = title.strip()
        action.rationale = (rationale or "").strip()
        action.owner = owner
        action.due_on = due_on
        action.save()
    return action
