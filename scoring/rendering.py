"""How scores, bands and dates read on a page, and the HTML rows built without the template
engine: the customer list's and the matrix's.

Why it exists: the template filters (``scoring_tags``) and the hand-built rows must show a
score, a band and a date the same way, so both format through the functions here, and the
band badge is built once, here. The rows are built by hand because the template engine costs
many times the rest of the page for them: 50 list rows take 30 ms through
``templates/scoring/_customer_row.html`` and 1 ms here; the matrix's 12 rows of eight radios
25 ms through ``_matrix_row.html`` and under 1 ms here (the page itself renders in about 7 ms).
Those two templates say the same as the builders below, readably, and
tests/scoring/test_rendering.py holds both to the same HTML.
Every text that comes from the database is escaped here.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from klantbinding.lib.dates import DateFormatter
from scoring import calculations
from scoring.forms import DONT_KNOW, SCORE_CHOICES
from scoring.models import Band, Element, Factor, RespondentKind, band_label

NO_VALUE = "–"
EMPTY_CELL = '<span class="text-muted">–</span>'
# The standard library's escape gives the same text as Django's, without its check for lazy
# translations on every call.
escape = html.escape


# --------------------------------------------------------------------------------------------
# Numbers, bands and dates
# --------------------------------------------------------------------------------------------


def half_up(value: float, decimals: int = 1) -> float:
    """``calculations.round_half_up`` for one number, without NumPy's cost per call."""
    factor = 10.0**decimals
    return math.floor(value * factor + 0.5 + 1e-9) / factor


def _missing(value: float | None) -> bool:
    return value is None or value != value  # None or NaN


def score_text(value: float | None, decimal: str | None = None) -> str:
    """A score with one decimal, rounded half up as the band is (39.95 → 40,0); "–" if none."""
    if _missing(value):
        return NO_VALUE
    decimal = decimal or formats.get_format("DECIMAL_SEPARATOR")
    return f"{half_up(value):.1f}".replace(".", decimal)  # type: ignore[arg-type]


def signed_text(value: float | None, decimal: str | None = None) -> str:
    """A change in score with its sign: +3,2, −1,0, ±0,0; "" if none."""
    if _missing(value):
        return ""
    shown = score_text(abs(value), decimal)  # type: ignore[arg-type]
    rounded = half_up(abs(value))  # type: ignore[arg-type]
    sign = "+" if value > 0 and rounded else "−" if value < 0 and rounded else "±"  # type: ignore[operator]
    return sign + shown


def percent_text(value: float | None) -> str:
    """Coverage and other shares as a whole percentage; "–" if none."""
    if _missing(value):
        return NO_VALUE
    return f"{int(half_up(value, 0))} %"  # type: ignore[arg-type]


# Dates in the active language's short format, as the ``date`` filter writes them.
DateText = DateFormatter


@dataclass
class BadgeText:
    """What a band badge says, in the active language: looked up once per page of badges."""

    decimal: str = field(default_factory=lambda: formats.get_format("DECIMAL_SEPARATOR"))
    provisional: str = field(
        default_factory=lambda: escape(_("provisional: under half of the weight is scored"))
    )
    labels: dict[str, str] = field(
        default_factory=lambda: {
            "": escape(band_label("")),
            **{band.value: escape(str(band.label)) for band in Band},
        }
    )


def band_badge(
    band: str | None,
    value: float | None = None,
    provisional: bool | None = False,
    *,
    text: BadgeText | None = None,
) -> SafeString:
    """A coloured badge with the score (or the band's name without one) and the provisional
    marker. The one badge of every page: the ``band_badge`` tag and the list build it here."""
    text = text or BadgeText()
    band = band or ""
    label = text.labels.get(band) or escape(band_label(band))
    classes = "badge badge-band score" + (f" band-{escape(band)}" if band else "")
    title = label
    star = ""
    if provisional and value is not None:  # "no score" is not a provisional score
        classes += " provisional"
        title += f" · {text.provisional}"
        star = "*"
    shown = label if value is None else score_text(value, text.decimal)
    return mark_safe(f'<span class="{classes}" title="{title}">{shown}{star}</span>')


# --------------------------------------------------------------------------------------------
# The customer list's rows (templates/scoring/_customer_row.html)
# --------------------------------------------------------------------------------------------


class _ListText:
    """What every row of one list page shares: the active language's texts and two URLs."""

    def __init__(self) -> None:
        self.badge = BadgeText()
        self.date = DateText()
        self.provisional = escape(_("provisional"))
        self.inactive = escape(_("inactive"))
        self.due = escape(_("due"))
        self.due_title = escape(
            _("No staff assessment in the last %(cadence_days)s days")
            % {"cadence_days": settings.KLANTBINDING["STAFF_CADENCE_DAYS"]}
        )
        sentinel = "987654321"
        self.detail = reverse("scoring:customer-detail", args=[sentinel]).split(sentinel)
        self.matrix = reverse("scoring:customer-matrix", args=[sentinel]).split(sentinel)


def _customer_row(c: Mapping[str, object], t: _ListText, show_manager: bool) -> str:
    # Provisional is a property of a score: a row without one carries no marker.
    pk, provisional = c["pk"], bool(c["provisional"]) and c["binding_score"] is not None
    inactive = "" if c["active"] else f' <span class="badge text-bg-secondary">{t.inactive}</span>'
    cells = [
        f'<tr><td><a href="{t.detail[0]}{pk}{t.detail[1]}" class="fw-semibold">'
        f"{escape(str(c['name']))}</a>{inactive}"
        f'<div class="small text-muted">{escape(str(c["sector"]))}</div></td>'
    ]
    if show_manager:
        manager = escape(str(c["manager"])) or EMPTY_CELL
        cells.append(f'<td class="text-nowrap d-none d-md-table-cell">{manager}</td>')
    badge = EMPTY_CELL
    if c["binding_score"] is not None:
        badge = band_badge(c["band"], c["binding_score"], provisional, text=t.badge)  # type: ignore[arg-type]
    cells.append(f'<td class="text-end">{badge}</td>')
    decimal = t.badge.decimal
    for factor in calculations.FACTORS:
        value = score_text(c[factor], decimal)  # type: ignore[arg-type]
        cells.append(f'<td class="text-end score d-none d-md-table-cell">{value}</td>')
    marker = " provisional" if provisional else ""
    coverage = percent_text(c["coverage"])  # type: ignore[arg-type]
    if provisional and c["coverage"] is not None:
        coverage += f'<span class="visually-hidden"> {t.provisional}</span>*'
    wide = "d-none d-md-table-cell"  # not on a phone: name, band and score, due fit there
    cells.append(f'<td class="text-end score text-nowrap {wide}{marker}">{coverage}</td>')
    last = c["last_assessed_at"]
    when = escape(t.date(last)) if last else EMPTY_CELL  # type: ignore[arg-type]
    cells.append(f'<td class="text-end text-nowrap {wide}">{when}</td>')
    change = c["change"]
    tone = " text-success" if change and change > 0 else " text-danger" if change else ""  # type: ignore[operator]
    signed = signed_text(change, decimal) or NO_VALUE  # type: ignore[arg-type]
    cells.append(f'<td class="text-end score text-nowrap {wide}{tone}">{signed}</td>')
    due = ""
    if c["rescoring_due"]:
        due = (
            f'<a href="{t.matrix[0]}{pk}{t.matrix[1]}" class="badge rounded-pill '
            f'text-bg-warning text-decoration-none due-marker" title="{t.due_title}">{t.due}</a>'
        )
    cells.append(f'<td class="text-end">{due}</td></tr>')
    return "".join(cells)


def customer_rows(rows: Iterable[Mapping[str, object]], *, show_manager: bool) -> SafeString:
    """The customer list's rows as one piece of HTML (the template outputs it as it is)."""
    text = _ListText()
    return mark_safe("\n".join(_customer_row(row, text, show_manager) for row in rows))


# --------------------------------------------------------------------------------------------
# The matrix's rows (templates/scoring/_matrix_row.html)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixRow:
    """One element's row as the respondent left it: the choice, the comment, the errors, and
    whether (and what) they answered last time."""

    element: Element
    chosen: str = ""
    comment: str = ""
    errors: Sequence[str] = ()
    has_previous: bool = False
    previous: int | None = None


class _MatrixText:
    def __init__(self) -> None:
        self.dont_know = escape(_("don't know"))
        self.previous = escape(_("your previous value"))
        self.guidance = escape(_("What do 0, 3 and 6 mean?"))
        self.comment = escape(_("Comment"))
        self.placeholder = escape(_("Comment (optional)"))


def _matrix_row(row: MatrixRow, t: _MatrixText) -> SafeString:
    element = row.element
    code = escape(element.code)
    name = f"value_{code}"
    comment_name = f"comment_{code}"
    previous_text = t.dont_know if row.previous is None else str(row.previous)
    data_previous = ""
    if row.has_previous:
        shown = DONT_KNOW if row.previous is None else row.previous
        data_previous = f' data-previous="{shown}"'
    invalid = " matrix-row-invalid" if row.errors else ""
    described = f"question-{code}" + (f" error-{code}" if row.errors else "")
    flag = ' aria-invalid="true"' if row.errors else ""
    radios = []
    for choice in [*SCORE_CHOICES, DONT_KNOW]:
        checked = " checked" if row.chosen == choice else ""
        radios.append(
            f'<input type="radio" class="btn-check" name="{name}" id="{name}-{choice}" '
            f'value="{choice}"{checked}>'
        )
        if choice == DONT_KNOW:
            radios.append(
                f'<label class="btn btn-outline-secondary" for="{name}-{choice}" '
                f'title="{t.dont_know}"><span aria-hidden="true">?</span>'
                f'<span class="visually-hidden">{t.dont_know}</span></label>'
            )
        else:
            radios.append(
                f'<label class="btn btn-outline-primary score" for="{name}-{choice}">'
                f"{choice}</label>"
            )
    guidance = "".join(
        f'<dt class="col-1 score">{level}</dt>'
        f'<dd class="col-11 mb-1">{escape(element.guidance(level)) or NO_VALUE}</dd>'
        for level in (0, 3, 6)
    )
    previous_html = "&nbsp;"
    if row.has_previous:
        previous_html = f'{t.previous}: <span class="fw-semibold">{previous_text}</span>'
    error_html = ""
    if row.errors:
        error_html = (
            f'<div class="invalid-feedback d-block" id="error-{code}">'
            + " ".join(escape(str(e)) for e in row.errors)
            + "</div>"
        )
    comment_label = escape(_("Comment on %(element)s") % {"element": element.name})
    open_comment = " show" if row.comment else ""
    return mark_safe(  # every text above is escaped
        f'<div class="list-group-item matrix-row{invalid}" data-code="{code}"{data_previous}>'
        '<div class="d-flex flex-wrap align-items-center gap-2">'
        '<div class="flex-grow-1 matrix-label">'
        f'<span class="fw-semibold" id="label-{code}">{escape(element.name)}</span>'
        f'<div class="small text-muted" id="question-{code}">'
        f"{escape(element.question(RespondentKind.STAFF))}</div>"
        '<div class="small">'
        '<button type="button" class="btn btn-link btn-sm p-0 me-3" data-bs-toggle="collapse" '
        f'data-bs-target="#guidance-{code}" aria-expanded="false" '
        f'aria-controls="guidance-{code}">{t.guidance}</button>'
        '<button type="button" class="btn btn-link btn-sm p-0" data-bs-toggle="collapse" '
        f'data-bs-target="#comment-box-{code}" '
        f'aria-expanded="{"true" if row.comment else "false"}" '
        f'aria-controls="comment-box-{code}">{t.comment}</button>'
        "</div></div>"
        '<div class="matrix-control">'
        '<div class="btn-group matrix-choices" role="radiogroup" '
        f'aria-labelledby="label-{code}" aria-describedby="{described}"{flag}>'
        + "".join(radios)
        + "</div>"
        f'<div class="small text-muted mt-1 matrix-previous">{previous_html}</div>'
        "</div></div>"
        f'<div class="collapse" id="guidance-{code}">'
        f'<dl class="row small bg-light rounded p-2 mt-2 mb-0">{guidance}</dl></div>'
        f'<div class="collapse{open_comment}" id="comment-box-{code}">'
        f'<label for="{comment_name}" class="visually-hidden">{comment_label}</label>'
        f'<input type="text" class="form-control form-control-sm mt-2" name="{comment_name}" '
        f'id="{comment_name}" value="{escape(row.comment)}" maxlength="2000" '
        f'placeholder="{t.placeholder}"></div>'
        f"{error_html}</div>"
    )


def matrix_groups(rows: Sequence[MatrixRow]) -> list[dict[str, object]]:
    """The matrix's rows as HTML, grouped by factor (factors without rows left out)."""
    text = _MatrixText()
    groups: list[dict[str, object]] = []
    for value, label in Factor.choices:
        html_rows = [_matrix_row(row, text) for row in rows if row.element.factor == value]
        if html_rows:
            groups.append({"factor": label, "rows": html_rows})
    return groups
