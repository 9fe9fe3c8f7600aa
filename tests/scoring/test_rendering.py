"""The hand-built rows of the customer list and the matrix give the HTML their templates give,
and the snapshot's details read back the same through either decoder."""

from __future__ import annotations

import copy
import re
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from django.conf import settings
from django.template import engines
from django.template.loader import render_to_string
from django.utils import timezone, translation

from scoring import rendering, selectors, snapshots
from scoring.forms import DONT_KNOW, SCORE_CHOICES
from scoring.models import Customer, Factor, RespondentKind
from tests.factories import CustomerFactory, assess

LANGUAGES = ["nl", "en"]


def from_template(template: str, context: dict) -> str:
    """The template's HTML without the line breaks that only lay the template out."""
    return re.sub(r">\s*\n\s*<", "><", render_to_string(template, context)).strip()


def list_row(**changes: object) -> selectors.CustomerListRow:
    row: selectors.CustomerListRow = {
        "pk": 7,
        "name": "Jansen & Zn. <B.V.>",
        "sector": 'Bouw "zwaar"',
        "active": True,
        "first_name": "Anne",
        "last_name": "de Vries",
        "username": "anne",
        "manager": "Anne de Vries",
        "binding_score": 54.95,
        "satisfaction": 61.25,
        "alternatives": None,
        "investment": 39.949999,
        "coverage": 44.5,
        "provisional": True,
        "band": "yellow",
        "last_assessed_at": timezone.now() - timedelta(days=3),
        "previous_score": 58.0,
        "change": -3.05,
        "rescoring_due": True,
    }
    row.update(changes)  # type: ignore[typeddict-item]
    return row


LIST_ROWS = [
    list_row(),
    list_row(active=False, manager="", provisional=False, change=0.04, rescoring_due=False),
    list_row(binding_score=None, band=None, provisional=None, coverage=None, change=None),
    list_row(last_assessed_at=None, change=12.25, name="O'Brien"),
    # No score from a coverage of 0 %: the snapshot says provisional, the row must not.
    list_row(binding_score=None, band="", provisional=True, coverage=0.0, change=None),
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_score_carries_no_provisional_asterisk(db, language):
    with translation.override(language):
        row = str(rendering.customer_rows([LIST_ROWS[-1]], show_manager=False))
        assert "*" not in row and "provisional" not in row
        badge = str(rendering.band_badge("", None, True))
        assert "*" not in badge and "provisional" not in badge
        assert "*" in str(rendering.band_badge("red", 30.0, True))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("show_manager", [True, False])
@pytest.mark.parametrize("row", LIST_ROWS)
def test_a_fast_list_row_is_the_row_template(db, language, show_manager, row):
    with translation.override(language):
        fast = str(rendering.customer_rows([row], show_manager=show_manager))
        context = {
            "row": row,
            "show_manager": show_manager,
            "cadence_days": settings.KLANTBINDING["STAFF_CADENCE_DAYS"],
        }
        assert fast == from_template("scoring/_customer_row.html", context)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_list_rows_of_a_real_portfolio_are_the_row_template(anne, mira, language):
    now = timezone.now()
    for number, values in enumerate([{"performance": 6}, {"service": 1, "contract": 2}, {}]):
        customer = CustomerFactory(name=f"Klant {number}", account_manager=anne)
        if values:
            assess(customer, values, at=now - timedelta(days=200 * number))
            assess(customer, {"presence": 3}, kind="customer", email=f"k{number}@klant.example")
    CustomerFactory(name="Zonder", account_manager=None, active=False)
    rows, _count = selectors.customer_list_page(
        Customer.objects.all(), "name", descending=False, offset=0, limit=50
    )
    assert len(rows) == 4
    with translation.override(language):
        fast = str(rendering.customer_rows(rows, show_manager=True)).split("\n")
        context = {"show_manager": True, "cadence_days": 90}
        assert fast == [
            from_template("scoring/_customer_row.html", {**context, "row": row}) for row in rows
        ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_fast_matrix_row_is_the_row_template(db, language):
    elements = selectors.asked_elements(selectors.scoring_model_active(), RespondentKind.STAFF)
    element = copy.copy(elements[0])  # the asked elements are shared within the process
    element.name_en = element.name_nl = 'Price & "value" <now>'
    element.guidance_3_en = element.guidance_3_nl = ""
    rows = [
        rendering.MatrixRow(element=element),
        rendering.MatrixRow(element=element, chosen="4", has_previous=True, previous=5),
        rendering.MatrixRow(
            element=element,
            chosen=DONT_KNOW,
            comment='Said "no" <twice>',
            errors=["Kies een score <0–6>.", "Te lang & leeg."],
            has_previous=True,
            previous=None,
        ),
        *(rendering.MatrixRow(element=e, chosen="6") for e in elements[1:]),
    ]
    with translation.override(language):
        groups = rendering.matrix_groups(rows)
        fast = [str(html) for group in groups for html in group["rows"]]  # type: ignore[attr-defined]
        by_factor = [
            row for value, _label in Factor.choices for row in rows if row.element.factor == value
        ]
        expected = [
            from_template(
                "scoring/_matrix_row.html",
                {
                    "row": row,
                    "question": row.element.question(RespondentKind.STAFF),
                    "guidance": [(level, row.element.guidance(level)) for level in (0, 3, 6)],
                    "choices": SCORE_CHOICES,
                    "dont_know": DONT_KNOW,
                },
            )
            for row in by_factor
        ]
        assert fast == expected


def test_the_badge_is_one_for_the_list_and_the_template_tag(db):
    template = "{% load scoring_tags %}{% band_badge band value provisional %}"
    engine = engines["django"]
    with translation.override("nl"):
        tag = engine.from_string(template).render(
            {"band": "red", "value": 39.95, "provisional": True}
        )
        assert tag == str(rendering.band_badge("red", 39.95, True))
        assert tag.startswith('<span class="badge badge-band score band-red provisional"')
        assert ">40,0*</span>" in tag  # rounded half up, as the band is


def test_both_details_decoders_read_what_the_encoder_wrote():
    index = pd.Index([3, 4], name="customer_id")
    result = type(
        "Result",
        (),
        {
            "element_values": pd.DataFrame(
                [[1.0, np.nan], [3.6667, 6.0]], index=index, columns=["a", "b"]
            ),
            "kind_means": pd.DataFrame(
                [[1.0, np.nan, np.nan, np.nan, np.nan, np.nan], [3, 6, 4.3333, np.nan, 2, 2]],
                index=index,
                columns=pd.MultiIndex.from_product([["staff", "customer", "expert"], ["a", "b"]]),
            ),
        },
    )()
    lines = snapshots.details_encode(result, index.to_numpy())  # type: ignore[arg-type]
    assert lines[0] == "1.0,,1.0,,,,,"
    values, kinds = snapshots.details_frames(
        index, pd.Series([1.0, 1.0], index=index), list(lines), ["a", "b"], {1: ["a", "b"]}
    )
    for position, customer in enumerate(index):
        one = snapshots.details_decode(lines[position], 2)
        assert one["elements"] == [None if np.isnan(v) else v for v in values.loc[customer]]
        for kind in ("staff", "customer", "expert"):
            frame = kinds.loc[customer, kind].tolist()
            assert one[kind] == [None if np.isnan(v) else v for v in frame]
