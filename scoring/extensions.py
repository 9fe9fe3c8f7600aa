"""Panels that other apps add to scoring's pages, without scoring importing them.

surveys depends on scoring, never the reverse. Where a scoring page shows survey facts (the
response rates on the dashboard, the invitation status on a customer page), the other app
registers a panel here in its ``AppConfig.ready()`` and the page renders what is registered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from klantbinding.lib import versions


@dataclass(frozen=True)
class Panel:
    """A template rendered into a page, with the context its function returns.

    The function gets the request and the page's subject: the queryset of customers in view
    for a dashboard panel, the customer for a customer panel. It returns None to show nothing.

    ``inputs`` are the model labels (``"relations.ContactMoment"``) of the tables the panel
    reads besides the customers and their scores, each watched by klantbinding.lib.versions.
    A dashboard panel with inputs is cached (``cached_dashboard_panels_html``); one without
    is drawn on every request.
    """

    name: str
    template: str
    context: Callable[[HttpRequest, Any], dict | None]
    order: int = 100
    inputs: tuple[str, ...] = ()


_dashboard_panels: list[Panel] = []
_customer_panels: list[Panel] = []


def _add(registry: list[Panel], panel: Panel) -> None:
    registry[:] = [p for p in registry if p.name != panel.name]  # registering twice is harmless
    registry.append(panel)
    registry.sort(key=lambda p: p.order)


def register_dashboard_panel(panel: Panel) -> None:
    _add(_dashboard_panels, panel)


def register_customer_panel(panel: Panel) -> None:
    _add(_customer_panels, panel)


def render_panels(
    registry: list[Panel], request: HttpRequest, subject: Any
) -> list[tuple[Panel, dict]]:
    """The panels with their context, leaving out those that have nothing to show."""
    rendered = []
    for panel in registry:
        context = panel.context(request, subject)
        if context is not None:
            rendered.append((panel, context))
    return rendered


def dashboard_panels(request: HttpRequest, customers: QuerySet) -> list[tuple[Panel, dict]]:
    return render_panels(_dashboard_panels, request, customers)


def customer_panels(request: HttpRequest, customer: Any) -> list[tuple[Panel, dict]]:
    return render_panels(_customer_panels, request, customer)


def panels_html(
    panels: list[tuple[Panel, dict]], request: HttpRequest
) -> list[tuple[Panel, SafeString]]:
    """Each panel's template rendered with its own context: the template sees its keys."""
    return [
        (panel, render_to_string(panel.template, context, request)) for panel, context in panels
    ]


def _panel_key(base: str, request: HttpRequest, panel: Panel, tables: dict[str, int]) -> str:
    raw = "|".join(
        [base, panel.name, request.GET.urlencode(), *(f"{t}={v}" for t, v in tables.items())]
    )
    return "kb:panel:" + hashlib.blake2b(raw.encode(), digest_size=20).hexdigest()


def cached_dashboard_panels_html(
    request: HttpRequest, customers: QuerySet, base_key: str, seconds: int
) -> list[tuple[Panel, SafeString]]:
    """The dashboard's panels rendered, each from the cache while what it is made of is
    unchanged.

    A panel's key joins ``base_key`` (the dashboard's own key: the customers, their scores and
    the scoring model, the filters, the language, whose customers and today), the panel's
    name, the page's URL parameters (a panel may read its own, such as ``moves_from``) and the
    version of every table in its ``inputs`` (klantbinding.lib.versions, one query for all
    panels). The first request after a write to any of them renders the panel again.
    """
    all_tables = {
        p.name: [versions.table_of(label) for label in p.inputs] for p in _dashboard_panels
    }
    current = versions.versions(t for tables in all_tables.values() for t in tables)
    rendered = []
    for panel in _dashboard_panels:
        if not panel.inputs:
            context = panel.context(request, customers)
            if context is not None:
                rendered.append((panel, render_to_string(panel.template, context, request)))
            continue
        key = _panel_key(base_key, request, panel, {t: current[t] for t in all_tables[panel.name]})
        entry = cache.get(key)
        if entry is None:
            context = panel.context(request, customers)
            html = (
                None if context is None else str(render_to_string(panel.template, context, request))
            )
            entry = {"html": html}
            cache.set(key, entry, seconds)
        if entry["html"] is not None:
            rendered.append((panel, mark_safe(entry["html"])))
    return rendered


# --------------------------------------------------------------------------------------------
# The customer timeline: one list mixing what happened around a customer
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One moment in a customer's timeline (an assessment, a contact, an action, an alert)."""

    at: Any  # an aware datetime
    kind: str  # a short machine word: "assessment", "contact", "action", "alert", ...
    title: str  # what the user reads first, already translated
    detail: str = ""  # one line under the title, plain text
    url: str = ""  # where the entry leads, "" for none
    icon: str = ""  # a short visual marker (text), shown hidden from screen readers


TimelineSource = Callable[[HttpRequest, Any, int], list[TimelineEntry]]
_timeline_sources: dict[str, TimelineSource] = {}


def register_timeline_source(name: str, source: TimelineSource) -> None:
    """``source(request, customer, limit)`` returns at most ``limit`` entries, newest first,
    that the requesting user may see. Registering the same name twice replaces the first."""
    _timeline_sources[name] = source


def customer_timeline(request: HttpRequest, customer: Any, limit: int = 30) -> list[TimelineEntry]:
    """The newest ``limit`` entries over every registered source, newest first."""
    entries: list[TimelineEntry] = []
    for source in _timeline_sources.values():
        entries.extend(source(request, customer, limit))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]


# --------------------------------------------------------------------------------------------
# Demo data: other apps add their part of the demo portfolio
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoStep:
    """A step of ``seed_demo`` after the portfolio exists.

    ``run(seed=..., now=..., progress=...)`` adds this app's demo data (deterministic for a
    seed) and returns one line for the command's summary.
    """

    name: str
    run: Callable[..., str]
    order: int = 100


_demo_steps: list[DemoStep] = []


def register_demo_step(step: DemoStep) -> None:
    _demo_steps[:] = [s for s in _demo_steps if s.name != step.name]
    _demo_steps.append(step)
    _demo_steps.sort(key=lambda s: s.order)


def demo_steps() -> list[DemoStep]:
    return list(_demo_steps)


# --------------------------------------------------------------------------------------------
# Measuring after: another app opens survey rounds when asked
# --------------------------------------------------------------------------------------------

MeasurementRequester = Callable[..., str]
_measurement_requesters: list[MeasurementRequester] = []


def register_measurement_requester(requester: MeasurementRequester) -> None:
    """``requester(customer_ids=..., element_codes=..., kinds=..., reason=...)`` asks the given
    respondent kinds about those customers (only ``element_codes``; all elements when empty)
    and returns a short reference to what it opened. The surveys app registers one; a second
    registration replaces the first."""
    _measurement_requesters[:] = [requester]


def request_measurement(
    *, customer_ids: list[int], element_codes: list[str], kinds: list[str], reason: str
) -> str | None:
    """Ask for a measurement through the registered app; None when no app can measure."""
    if not _measurement_requesters or not customer_ids:
        return None
    return _measurement_requesters[0](
        customer_ids=list(customer_ids),
        element_codes=list(element_codes),
        kinds=list(kinds),
        reason=reason,
    )


# --------------------------------------------------------------------------------------------
# Customer list: columns and filters that other apps add
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListColumn:
    """A column another app adds to the customer list, optionally with a filter.

    ``cells(request, customer_ids)`` returns the cell of each listed customer as safe HTML (the
    inside of its ``<td>``), read in a fixed number of queries for the whole page; a customer
    left out gets an empty cell. ``filter_choices(request)`` gives the (value, label) pairs of
    the filter's select and ``filter(request, customers, value)`` narrows the customers
    queryset to a chosen value. The URL parameter of the filter is the column's ``key``, so a
    key must not be one of the list's own parameters (q, manager, due, o, page).
    """

    key: str
    label: Any  # a (lazy) translated text
    cells: Callable[[HttpRequest, Sequence[int]], Mapping[int, str]]
    filter_label: Any = ""
    filter_choices: Callable[[HttpRequest], list[tuple[str, str]]] | None = None
    filter: Callable[[HttpRequest, QuerySet, str], QuerySet] | None = None
    order: int = 100


_list_columns: list[ListColumn] = []


def register_list_column(column: ListColumn) -> None:
    _list_columns[:] = [c for c in _list_columns if c.key != column.key]
    _list_columns.append(column)
    _list_columns.sort(key=lambda c: c.order)


def list_columns() -> list[ListColumn]:
    return list(_list_columns)


# --------------------------------------------------------------------------------------------
# Survey answer page: extra questions that other apps ask and store
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyQuestion:
    """An optional question another app adds to the survey answer page.

    ``fields(respondent_kind, customer)`` returns the form fields to add, by field name ({}
    to ask nothing of this respondent); they are built in the respondent's language.
    ``save(assessment, cleaned_data)`` stores the answers with the assessment just written,
    inside the answer's transaction (an error there stores neither).
    """

    name: str
    fields: Callable[[str, Any], dict[str, Any]]
    save: Callable[[Any, Mapping[str, Any]], None]
    order: int = 100


_survey_questions: list[SurveyQuestion] = []


def register_survey_question(question: SurveyQuestion) -> None:
    _survey_questions[:] = [q for q in _survey_questions if q.name != question.name]
    _survey_questions.append(question)
    _survey_questions.sort(key=lambda q: q.order)


def survey_question_fields(respondent_kind: str, customer: Any) -> dict[str, Any]:
    """The extra form fields of every registered question for this respondent, in order."""
    fields: dict[str, Any] = {}
    for question in _survey_questions:
        fields.update(question.fields(respondent_kind, customer))
    return fields


def survey_questions_save(assessment: Any, cleaned_data: Mapping[str, Any]) -> None:
    """Let every registered question store its answers with ``assessment``."""
    for question in _survey_questions:
        question.save(assessment, cleaned_data)
