"""Writes on the catalogue of action types (management)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from actions import selectors
from actions.models import ActionType
from actions.services.actions import management_only


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


def action_type_save(*, action_type: ActionType, by: User) -> ActionType:
    """Store an action type checked by its form (management only)."""
    management_only(by, _("Only management edits action types."))
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
