"""Writes of scoring models: a new draft, saving and discarding a draft, publishing it."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.forms import BaseInlineFormSet, ModelForm
from django.utils import timezone
from django.utils.translation import gettext as _

from scoring import selectors
from scoring.models import Element, ScoringModel
from scoring.services.scores import RefreshResult, scores_refresh


def scoring_model_draft_create(
    *, based_on: ScoringModel | None = None, name: str | None = None
) -> ScoringModel:
    """A new draft version, a copy of ``based_on`` (the active model by default); the draft
    already being prepared when there is one. One draft at a time, numbered after the last
    published version, so a discarded draft leaves no gap in the version numbers."""
    based_on = based_on or selectors.scoring_model_active()
    with transaction.atomic():
        # Lock the versions: two managers creating a draft at once get the same one.
        list(ScoringModel.objects.select_for_update().values_list("pk", flat=True))
        existing = selectors.scoring_model_draft()
        if existing is not None:
            return existing
        published = ScoringModel.objects.filter(published_at__isnull=False).aggregate(
            last=Max("version")
        )["last"]
        version = (published or 0) + 1
        draft = ScoringModel.objects.create(
            version=version,
            name_nl=name or based_on.name_nl,
            name_en=name or based_on.name_en,
            notes_nl=based_on.notes_nl,
            notes_en=based_on.notes_en,
        )
        copies = []
        for element in based_on.elements.all():
            element.pk = None
            element.id = None
            element.scoring_model = draft
            copies.append(element)
        Element.objects.bulk_create(copies)
    return draft


def scoring_model_check_publishable(scoring_model: ScoringModel) -> None:
    """Raise ValidationError (in the user's language) unless ``scoring_model`` is a draft that
    can be published: at least one element, every weight above zero."""
    if not scoring_model.is_draft:
        raise ValidationError(
            _("Version %(version)s is already published.") % {"version": scoring_model.version}
        )
    elements = list(scoring_model.elements.all())
    if not elements:
        raise ValidationError(_("A scoring model needs at least one element."))
    if any(e.weight <= 0 for e in elements):
        raise ValidationError(_("Every element needs a weight above zero."))


def scoring_model_activate(
    *, scoring_model: ScoringModel, user: AbstractBaseUser | None = None
) -> None:
    """Make a checked draft the active version (the stored scores are recomputed after)."""
    with transaction.atomic():
        ScoringModel.objects.filter(is_active=True).update(is_active=False)
        scoring_model.is_active = True
        scoring_model.published_at = timezone.now()
        scoring_model.published_by = cast("User | None", user)
        scoring_model.save(update_fields=["is_active", "published_at", "published_by"])


def scoring_model_publish(
    *, scoring_model: ScoringModel, user: AbstractBaseUser | None = None
) -> RefreshResult:
    """Make a draft the active version and recompute every customer's score with it, at once.

    The model editor publishes through a background job instead (``scoring_job_start``), which
    does the same in batches."""
    scoring_model_check_publishable(scoring_model)
    with transaction.atomic():
        scoring_model_activate(scoring_model=scoring_model, user=user)
        return scores_refresh(publishing=True)


def scoring_model_draft_save(
    *, form: ModelForm[Any], formset: BaseInlineFormSet[Any, Any, Any]
) -> ScoringModel:
    """Store a draft's name and notes and its elements, as the editor's checked forms hold
    them, together."""
    with transaction.atomic():
        draft = form.save()
        formset.save()
    return draft


def scoring_model_draft_discard(*, draft: ScoringModel) -> int:
    """Delete a draft with its elements; its version number."""
    if not draft.is_draft:
        raise ValidationError(
            _("Version %(version)s is already published.") % {"version": draft.version}
        )
    version = draft.version
    draft.delete()
    return version
