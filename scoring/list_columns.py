"""The customer list's extra columns and filters, registered by other apps.

scoring never imports the apps that build on it: an app registers a
``scoring.extensions.ListColumn`` in its ``AppConfig.ready()`` and the customer list calls the
two functions here. ``filtered`` narrows the customers before the list is paged; ``with_cells``
adds each column's header and cells to the page's rows. A column reads its cells for the
whole page at once, so the cost is a fixed number of queries per column, not per customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from scoring.extensions import ListColumn, list_columns

ROW_END = "</tr>"
WIDE_ONLY = "d-none d-md-table-cell"  # extra columns make way on a phone (views/customers.py)


@dataclass(frozen=True)
class ListFilter:
    """One extra filter of the list as its form shows it."""

    name: str  # the URL parameter
    label: str
    choices: list[tuple[str, str]]
    value: str  # "" when not filtering


def filtered(request: HttpRequest, customers: QuerySet) -> tuple[QuerySet, list[ListFilter], bool]:
    """The customers narrowed by every extra filter set in the URL, the filters for the form,
    and whether any of them is set. A value that is not one of the choices is ignored."""
    filters: list[ListFilter] = []
    active = False
    for column in list_columns():
        if column.filter is None or column.filter_choices is None:
            continue
        choices = column.filter_choices(request)
        value = request.GET.get(column.key, "")
        if value and value in {choice for choice, _label in choices}:
            customers = column.filter(request, customers, value)
            active = True
        else:
            value = ""
        filters.append(ListFilter(column.key, str(column.filter_label), choices, value))
    return customers, filters, active


def with_cells(
    request: HttpRequest, rows: Sequence[dict], rows_html: str
) -> tuple[SafeString, list[ListColumn]]:
    """The page's rows (``rows_html``, one ``<tr>`` per row of ``rows`` in the same order) with
    a cell per extra column added at the end of each row, and the extra columns.

    Every text from the database in the rows is escaped, so ``</tr>`` only ever closes a row.
    """
    columns = list_columns()
    if not columns or not rows:
        return mark_safe(rows_html), columns
    ids = [row["pk"] for row in rows]
    cells = [column.cells(request, ids) for column in columns]
    parts = rows_html.split(ROW_END)
    if len(parts) != len(rows) + 1:  # not the rows we know how to extend: leave them
        return mark_safe(rows_html), []
    built = []
    for pk, part in zip(ids, parts, strict=False):
        extra = "".join(
            f'<td class="{WIDE_ONLY}">{column_cells.get(pk, "")}</td>' for column_cells in cells
        )
        built.append(f"{part}{extra}{ROW_END}")
    built.append(parts[-1])
    return mark_safe("".join(built)), columns
