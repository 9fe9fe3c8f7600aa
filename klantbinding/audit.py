"""Who changed what, and when: the change history of customers, contact persons, scoring
models and their elements, campaigns and users (django-simple-history), and its page.

A model takes part by having ``history = HistoricalRecords()`` (users are registered in
klantbinding/models.py). Each save through the ORM stores the row as it became, with the user
of the request; old → new is the difference with the row's previous record. So that the
first change of a row written in bulk (an import, the demo) still shows what it was, a
*baseline* record of its stored state is taken just before that change; baselines are not
changes and the page leaves them out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_logged_in
from django.db import models
from django.db.models import OuterRef, Subquery
from django.db.models.signals import m2m_changed, pre_save
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext as _

BASELINE = "baseline"  # history_change_reason of a record that holds a state, not a change
IMPORT_REASON = "import"  # rows written by an import
GROUPS_REASON = "groups:"  # a user's groups changed; the groups follow, +added −removed
# Bookkeeping columns that change with every save and say nothing to a reader.
UNSHOWN_FIELDS = {"created_at", "updated_at", "last_login", "password", "fingerprint"}
BATCH = 2000


def tracked_models() -> list[type[models.Model]]:
    """The models whose changes are recorded, in a stable order."""
    found = [m for m in apps.get_models() if hasattr(m._meta, "simple_history_manager_attribute")]
    return sorted(found, key=lambda m: m._meta.label)


def history_of(model: type[models.Model]) -> type[models.Model]:
    return getattr(model, _history_attribute(model)).model


def _history_attribute(model: type[models.Model]) -> str:
    """The name of the model's history manager (simple_history sets it on the model's meta)."""
    return str(model._meta.simple_history_manager_attribute)  # type: ignore[attr-defined]


def kind_of(model: type[models.Model]) -> str:
    return model._meta.label_lower


# --------------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------------


def history_baseline(
    model: type[models.Model],
    history_model: type[models.Model] | None = None,
    *,
    ids: Iterable[object] | None = None,
) -> int:
    """Store a baseline record for each row of ``model`` (or of ``ids``) that has no history.

    Works on the models of a migration too (pass both); returns how many were stored.
    """
    history_model = history_model or history_of(model)
    pk = model._meta.pk.attname
    fields = [
        f.attname
        for f in history_model._meta.fields
        if f.attname in {g.attname for g in model._meta.concrete_fields}
    ]
    without = model._base_manager.exclude(**{f"{pk}__in": history_model._base_manager.values(pk)})
    if ids is not None:
        without = without.filter(**{f"{pk}__in": list(ids)})
    now = timezone.now()
    rows = [
        history_model(
            **values,
            history_date=now,
            history_type="+",
            history_change_reason=BASELINE,
        )
        for values in without.values(*fields).iterator(chunk_size=BATCH)
    ]
    history_model._base_manager.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _baseline_before_change(sender: type[models.Model], instance: models.Model, **kwargs) -> None:
    """Before the first recorded change of a row written in bulk, keep what it was."""
    if kwargs.get("raw") or instance._state.adding or instance.pk is None:
        return
    if not hasattr(sender._meta, "simple_history_manager_attribute"):
        return
    history_model = history_of(sender)
    pk = sender._meta.pk.attname
    if not history_model._base_manager.filter(**{pk: instance.pk}).exists():
        history_baseline(sender, history_model, ids=[instance.pk])


def records_bulk(
    *,
    created: Sequence[models.Model] = (),
    updated: Sequence[models.Model] = (),
    user: AbstractBaseUser | None = None,
    reason: str = "",
) -> None:
    """Record rows written in bulk (bulk_create, a raw UPDATE), which the ORM's signals miss."""
    for rows, update in ((created, False), (updated, True)):
        by_model: dict[type[models.Model], list[models.Model]] = defaultdict(list)
        for row in rows:
            by_model[type(row)].append(row)
        for model, objs in by_model.items():
            getattr(model, _history_attribute(model)).bulk_history_create(
                objs,
                batch_size=BATCH,
                update=update,
                default_user=user,
                default_change_reason=reason,
            )


def _last_login_without_history(sender: object, user: AbstractBaseUser, **kwargs) -> None:
    """Django's update_last_login saves the user, which would record a change per sign-in."""
    user.last_login = timezone.now()
    type(user)._base_manager.filter(pk=user.pk).update(last_login=user.last_login)


def _groups_changed(
    sender: object,
    instance: models.Model,
    action: str,
    reverse: bool,
    model: type[models.Model],
    pk_set: set | None,
    **kwargs: object,
) -> None:
    """A user put into or taken out of a group (a role) is a change of that user."""
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    user_model = get_user_model()
    if not hasattr(user_model._meta, "simple_history_manager_attribute"):
        return
    if reverse:  # group.user_set.add(users)
        users: list[Any] = list(user_model._base_manager.filter(pk__in=pk_set))
        names = [str(instance)]
    else:  # user.groups.add(groups)
        users = [instance]
        names = sorted(str(g) for g in model._base_manager.filter(pk__in=pk_set))
    sign = "+" if action == "post_add" else "−"
    reason = GROUPS_REASON + ", ".join(f"{sign}{name}" for name in names)
    history_baseline(user_model, ids=[u.pk for u in users])
    records_bulk(updated=users, user=_request_user(), reason=reason)


def _request_user() -> AbstractBaseUser | None:
    from simple_history.models import HistoricalRecords

    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def connect() -> None:
    """Hook the recording into the ORM's signals (from KlantbindingConfig.ready)."""
    pre_save.connect(_baseline_before_change, dispatch_uid="klantbinding.audit.baseline")
    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
    user_logged_in.connect(_last_login_without_history, dispatch_uid="klantbinding.last_login")
    m2m_changed.connect(
        _groups_changed,
        sender=get_user_model().groups.through,
        dispatch_uid="klantbinding.audit.groups",
    )


# --------------------------------------------------------------------------------------------
# Reading: the recent changes page
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class Change:
    at: dt.datetime
    by: str
    kind: str  # the model's verbose name
    label: str  # the changed row, as it reads
    url: str
    action: str  # created, changed, deleted
    reason: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class ChangesPage:
    changes: tuple[Change, ...]
    kinds: tuple[tuple[str, str], ...]  # (value, label) for the filter
    kind: str
    page: int
    has_next: bool


def _shown_fields(model: type[models.Model], history_model: type[models.Model]) -> list:
    stored = {f.attname for f in history_model._meta.fields}
    return [
        f
        for f in model._meta.concrete_fields
        if f.attname in stored and f.name not in UNSHOWN_FIELDS and not f.primary_key
    ]


def _display(field: models.Field, value: object, names: dict) -> str:
    if value is None or value == "":
        return "—"
    if field.is_relation:
        return names.get((field.related_model, value), f"#{value}")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        return localize(timezone.localtime(value))
    if isinstance(value, Decimal | float | int | dt.date):
        return localize(value)
    return str(value)


def _records(history_model: type[models.Model], limit: int, offset: int = 0) -> list[Any]:
    pk = history_model._meta.get_field("history_id").attname  # type: ignore[union-attr]
    previous = (
        history_model._base_manager.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
        .values(pk)[:1]
    )
    return list(
        history_model._base_manager.exclude(history_change_reason=BASELINE)
        .select_related("history_user")
        .annotate(previous_id=Subquery(previous))
        .order_by("-history_date", "-history_id")[offset : offset + limit]
    )


def changes_recent(*, kind: str = "", page: int = 1, per_page: int = 50) -> ChangesPage:
    """The latest recorded changes, newest first, of one kind of row or of all of them."""
    tracked = {kind_of(m): m for m in tracked_models()}
    kinds = tuple((k, str(m._meta.verbose_name_plural).capitalize()) for k, m in tracked.items())
    kind = kind if kind in tracked else ""
    page = max(1, page)
    chosen = [tracked[kind]] if kind else list(tracked.values())
    # Enough of each kind to fill this page from the newest of all of them.
    rows: list[tuple[type[models.Model], Any]] = []
    for model in chosen:
        if kind:
            found = _records(history_of(model), per_page + 1, (page - 1) * per_page)
        else:
            found = _records(history_of(model), page * per_page + 1)
        rows.extend((model, r) for r in found)
    rows.sort(key=lambda mr: (mr[1].history_date, mr[1].history_id), reverse=True)
    if not kind:
        rows = rows[(page - 1) * per_page :]
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    return ChangesPage(
        changes=tuple(_changes(rows)),
        kinds=kinds,
        kind=kind,
        page=page,
        has_next=has_next,
    )


def _changes(rows: list[tuple[type[models.Model], Any]]) -> list[Change]:
    """Each record with what it changed against the record before it (two queries a kind)."""
    previous: dict[tuple[type[models.Model], int], Any] = {}
    wanted: dict[type[models.Model], list[int]] = defaultdict(list)
    for model, record in rows:
        if record.previous_id is not None:
            wanted[model].append(record.previous_id)
    for model, history_ids in wanted.items():
        for found in history_of(model)._base_manager.filter(history_id__in=history_ids):
            previous[(model, found.history_id)] = found  # type: ignore[attr-defined]

    # Names of the rows that foreign keys point to, one query per related model.
    related: dict[type[models.Model], set] = defaultdict(set)
    for model, record in rows:
        old = previous.get((model, record.previous_id))
        for field in _shown_fields(model, type(record)):
            if field.is_relation:
                for row in (record, old):
                    if row is not None and getattr(row, field.attname) is not None:
                        related[field.related_model].add(getattr(row, field.attname))
    names: dict = {}
    for related_model, ids in related.items():
        for obj in related_model._base_manager.filter(pk__in=ids):
            names[(related_model, obj.pk)] = _name(obj)

    actions = {"+": _("created"), "~": _("changed"), "-": _("deleted")}
    result = []
    for model, record in rows:
        old = previous.get((model, record.previous_id))
        fields = []
        if record.history_type == "~" or old is not None:
            for field in _shown_fields(model, type(record)):
                new_value = getattr(record, field.attname)
                old_value = getattr(old, field.attname) if old is not None else None
                if old is not None and old_value == new_value:
                    continue
                fields.append(
                    FieldChange(
                        field=str(field.verbose_name),
                        old=_display(field, old_value, names) if old is not None else "?",
                        new=_display(field, new_value, names),
                    )
                )
        reason = _reason(record.history_change_reason or "")
        if record.history_type == "~" and not fields and not reason:
            continue  # saved without a visible change (a new password, say): nothing to show
        result.append(
            Change(
                at=record.history_date,
                by=_name(record.history_user) if record.history_user else _("system"),
                kind=str(model._meta.verbose_name).capitalize(),
                label=str(record.instance),
                url=_url(model, record),
                action=actions.get(record.history_type, record.history_type),
                reason=reason,
                fields=tuple(fields) if record.history_type != "-" else (),
            )
        )
    return result


def _reason(reason: str) -> str:
    if reason == IMPORT_REASON:
        return _("import")
    if reason.startswith(GROUPS_REASON):
        return _("groups: %(change)s") % {"change": reason.removeprefix(GROUPS_REASON)}
    return reason


def _name(obj: models.Model) -> str:
    if isinstance(obj, get_user_model()):
        return obj.get_full_name() or obj.get_username()
    return str(obj)


def _url(model: type[models.Model], record: Any) -> str:
    if record.history_type == "-" or not hasattr(model, "get_absolute_url"):
        return ""
    try:
        return record.instance.get_absolute_url()
    except Exception:  # a row whose page needs more than its own columns
        return ""


# --------------------------------------------------------------------------------------------
# Demo
# --------------------------------------------------------------------------------------------


def demo_step(*, seed: int, now: dt.datetime, progress: object = None) -> str:
    """The demo's change log: the portfolio's starting state, and management moving one
    customer to another account manager three days ago."""
    import random

    from scoring.models import Customer
    from scoring.roles import ACCOUNT_MANAGERS, MANAGEMENT

    history_baseline(Customer)
    user_model = get_user_model()
    boss = user_model._default_manager.filter(groups__name=MANAGEMENT).order_by("pk").first()
    managers = list(
        user_model._default_manager.filter(groups__name=ACCOUNT_MANAGERS).order_by("pk")
    )
    customers = list(Customer.objects.filter(account_manager__in=managers).order_by("pk")[:50])
    if boss is None or len(managers) < 2 or not customers:
        return "Change log: the portfolio's starting state."
    rng = random.Random(seed)
    customer = rng.choice(customers)
    customer.account_manager = rng.choice([m for m in managers if m != customer.account_manager])
    # simple_history reads who and when from these attributes of the instance it records.
    customer._history_user = boss  # type: ignore[attr-defined]
    customer._history_date = now - dt.timedelta(days=3)  # type: ignore[attr-defined]
    customer.save()
    return f"Change log: {boss.get_username()} moved {customer} to {customer.account_manager}."
