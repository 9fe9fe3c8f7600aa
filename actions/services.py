"""Writes: proposing and deciding actions, the steps of their life, action types and campaigns.

Every service validates, writes inside a transaction and returns the object. The life of an
action is a small state machine (``TRANSITIONS``); a service refuses any other move with a
message that says why. Only management decides, cancels, edits action types and launches
campaigns; account managers work on the actions of their own customers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from actions import selectors
from actions.models import (
    OPEN_STATUSES,
    Action,
    ActionCampaign,
    ActionStep,
    ActionType,
    CampaignAssignment,
    DigestPreference,
)
from scoring.models import Customer
from scoring.roles import is_account_manager, is_management

Status = Action.Status
Arm = CampaignAssignment.Arm

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


def _management_only(user: AbstractBaseUser, what: str) -> None:
    if not is_management(user):
        raise PermissionDenied(what)


def _may_work_on(user: AbstractBaseUser, action: Action) -> None:
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


def campaign_draw(campaign_id: int, customer_id: int) -> float:
    """A number in [0, 1) from a hash of the campaign and the customer: the same pair always
    gives the same number, so an assignment can be checked and reproduced at any time."""
    digest = hashlib.sha256(f"action-campaign:{campaign_id}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def arm_of(draw: float, holdout_pct: int) -> str:
    """Control below the holdout share, action above it."""
    return Arm.CONTROL if draw < holdout_pct / 100 else Arm.ACTION


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
        "date": timezone.localtime(until).date().isoformat(),
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
    owner: AbstractBaseUser | None,
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


def _apply_baseline(action: Action, baseline: Mapping[str, object]) -> None:
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
    by: AbstractBaseUser,
    owner: AbstractBaseUser | None = None,
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
        _apply_baseline(action, selectors.baseline_of(customer, element_code))
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


def action_decide(*, action: Action, by: AbstractBaseUser, now: datetime | None = None) -> Action:
    """Management decides a proposed action: it opens and freezes its baseline now."""
    _management_only(by, _("Only management decides actions."))
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
        _apply_baseline(action, selectors.baseline_of(action.customer, action.element_code))
        action.save()
    return action


def action_start(*, action: Action, by: AbstractBaseUser, now: datetime | None = None) -> Action:
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
    by: AbstractBaseUser,
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
    by: AbstractBaseUser,
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
    by: AbstractBaseUser,
    reason: str = "",
    now: datetime | None = None,
) -> Action:
    """Management cancels an action that is not finished (its effect is still measured)."""
    _management_only(by, _("Only management cancels actions."))
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
    by: AbstractBaseUser,
    title: str,
    rationale: str,
    owner: AbstractBaseUser,
    due_on: date,
) -> Action:
    """Management changes an unfinished action's title, rationale, owner or due date."""
    _management_only(by, _("Only management changes actions."))
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


# --------------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------------


def checklist_from_lines(english: str, dutch: str) -> list[dict[str, str]]:
    """Two texts with one step per line into the ordered checklist (Dutch may be left out)."""
    en = [line.strip() for line in (english or "").splitlines() if line.strip()]
    nl = [line.strip() for line in (dutch or "").splitlines() if line.strip()]
    if nl and len(nl) != len(en):
        raise ValidationError(
            {
                "checklist_nl": [
                    _(
                        "The Dutch and English checklists differ in length (%(nl)d and %(en)d "
                        "steps): give every step in both languages, one per line, in the same "
                        "order."
                    )
                    % {"nl": len(nl), "en": len(en)}
                ]
            }
        )
    too_long = [line for line in [*en, *nl] if len(line) > 300]
    if too_long:
        raise ValidationError({"checklist_en": [_("A step has more than 300 characters.")]})
    return [{"en": e, "nl": nl[i] if nl else ""} for i, e in enumerate(en)]


def action_type_save(*, action_type: ActionType, by: AbstractBaseUser) -> ActionType:
    """Store an action type checked by its form (management only)."""
    _management_only(by, _("Only management edits action types."))
    codes = selectors.active_element_codes()
    if action_type.element_code and action_type.element_code not in codes:
        raise ValidationError(
            {
                "element_code": [
                    _("“%(code)s” is not an element of the active scoring model.")
                    % {"code": action_type.element_code}
                ]
            }
        )
    with transaction.atomic():
        action_type.full_clean()
        action_type.save()
    return action_type


# --------------------------------------------------------------------------------------------
# Campaigns with a holdout
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignTarget:
    """Who a campaign aims at; empty fields do not narrow."""

    action_type: ActionType
    element_code: str
    band: str = ""
    element_max: Decimal | float | None = None
    sector: str = ""
    account_manager_id: int | None = None


def campaign_launch(
    *,
    name: str,
    target: CampaignTarget,
    holdout_pct: int,
    horizon_days: int,
    due_on: date,
    by: AbstractBaseUser,
    rationale: str = "",
    now: datetime | None = None,
) -> ActionCampaign:
    """Launch a campaign: assign every targeted customer once to action or control (from the
    hash of campaign and customer), store the assignments, and open an action for each customer
    in the action arm, decided now with its baseline frozen."""
    _management_only(by, _("Only management launches campaigns."))
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors.setdefault("name", []).append(_("Give the campaign a name."))
    if not 5 <= int(holdout_pct) <= 80:
        errors.setdefault("holdout_pct", []).append(
            _("The control group is between 5 and 80 % of the customers.")
        )
    if due_on < timezone.localdate(now):
        errors.setdefault("due_on", []).append(_("The due date lies in the past."))
    if target.element_code and target.element_code not in selectors.active_element_codes():
        errors.setdefault("element_code", []).append(
            _("“%(code)s” is not an element of the active scoring model.")
            % {"code": target.element_code}
        )
    if not target.action_type.active:
        errors.setdefault("action_type", []).append(_("This action type is no longer used."))
    if errors:
        raise ValidationError(errors)
    eligible = selectors.campaign_eligible(target, now=now)
    if not eligible.customers:
        raise ValidationError(
            _("No customer matches this target: widen it (band, element value, sector).")
        )
    with transaction.atomic():
        campaign = ActionCampaign.objects.create(
            name=name.strip(),
            action_type=target.action_type,
            element_code=target.element_code,
            target_band=target.band,
            target_element_max=target.element_max,
            target_sector=target.sector,
            target_account_manager_id=target.account_manager_id,
            holdout_pct=int(holdout_pct),
            horizon_days=int(horizon_days),
            due_on=due_on,
            rationale=(rationale or "").strip(),
            created_by=by,
            launched_at=now,
        )
        _campaign_assign(campaign, eligible, now=now, by=by)
    return campaign


def _campaign_assign(
    campaign: ActionCampaign,
    eligible: selectors.Eligible,
    *,
    now: datetime,
    by: AbstractBaseUser,
) -> None:
    """Store each eligible customer's arm and open the action arm's actions (in bulk)."""
    assignments = []
    treated = []
    for customer in eligible.customers:
        draw = campaign_draw(campaign.pk, customer.pk)
        arm = arm_of(draw, campaign.holdout_pct)
        assignments.append(
            CampaignAssignment(
                campaign=campaign, customer=customer, arm=arm, draw=draw, assigned_at=now
            )
        )
        if arm == Arm.ACTION:
            treated.append(customer)
    CampaignAssignment.objects.bulk_create(assignments, batch_size=2000)
    action_type = campaign.action_type
    actions = []
    for customer in treated:
        action = Action(
            customer=customer,
            action_type=action_type,
            element_code=campaign.element_code,
            title=campaign.name[:200],
            rationale=campaign.rationale,
            origin=Action.Origin.CAMPAIGN,
            campaign=campaign,
            status=Status.OPEN,
            owner_id=customer.account_manager_id,
            due_on=campaign.due_on,
            proposed_by=by,
            proposed_at=now,
            decided_by=by,
            decided_at=now,
        )
        _apply_baseline(action, eligible.baselines.get(customer.pk, {}))
        actions.append(action)
    created = Action.objects.bulk_create(actions, batch_size=1000)
    if not created or created[0].pk is None:  # databases that return no keys from bulk inserts
        created = list(Action.objects.filter(campaign=campaign).order_by("pk"))
    steps = [
        ActionStep(
            action=action,
            position=position,
            text_nl=(step.get("nl") or "")[:300],
            text_en=(step.get("en") or "")[:300],
        )
        for action in created
        for position, step in enumerate(action_type.checklist, start=1)
    ]
    ActionStep.objects.bulk_create(steps, batch_size=5000)


# --------------------------------------------------------------------------------------------
# Reminder digest preferences
# --------------------------------------------------------------------------------------------


def digest_preference_get(*, user: AbstractBaseUser, language: str) -> DigestPreference:
    """The user's digest preference, made in ``language`` the first time."""
    language = language[:2] if language[:2] in ("nl", "en") else "nl"
    preference, _created = DigestPreference.objects.get_or_create(
        user=user, defaults={"language": language}
    )
    return preference


def digest_preference_set(
    *, user: AbstractBaseUser, language: str, enabled: bool
) -> DigestPreference:
    """Change the user's digest language and whether it is sent."""
    if language not in ("nl", "en"):
        raise ValidationError({"language": [_("Choose Dutch or English.")]})
    preference, _created = DigestPreference.objects.update_or_create(
        user=user, defaults={"language": language, "enabled": bool(enabled)}
    )
    return preference
