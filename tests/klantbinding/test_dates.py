"""One way to write a date per language: Dutch 3-11-2025 and 3 november 2025, English
3 Nov 2025, never the US 11/03/2025; on pages, in e-mails, charts and what forms read."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from django import forms
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, translation

from klantbinding.lib import dates
from scoring.charts.common import d3_date_format
from scoring.charts.customer import score_history_figure
from scoring.charts.dashboard import band_counts_figure
from tests.factories import CustomerFactory, assess

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
AT = datetime(2025, 11, 3, 10, 30, tzinfo=AMSTERDAM)
US = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\bNov\. 3\b|\bNovember 3\b|\bNov 3,")
WRITTEN = {
    "nl": {"short": "3-11-2025", "long": "3 november 2025", "moment": "3-11-2025 10:30"},
    "en": {"short": "3 Nov 2025", "long": "3 Nov 2025", "moment": "3 Nov 2025 10:30"},
}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_named_formats_write_the_house_dates(language):
    with translation.override(language):
        assert dates.day(AT) == WRITTEN[language]["short"]
        assert dates.long_day(AT.date()) == WRITTEN[language]["long"]
        assert dates.moment(AT) == WRITTEN[language]["moment"]
        rendered = render_to_string(
            "emails/_deadline.txt", {"expires_at": AT, "reminder": False, "staff": False}
        )
        assert WRITTEN[language]["long"] in rendered


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize(
    "name", ["SHORT_DATE_FORMAT", "DATE_FORMAT", "SHORT_DATETIME_FORMAT", "YEAR_MONTH_FORMAT"]
)
def test_fast_formatter_writes_what_dateformat_writes(language, name):
    from django.utils import formats

    with translation.override(language):
        fast = dates.DateFormatter(name)
        assert fast.fast
        for month in range(1, 13):
            moment = datetime(2026, month, month + 9, month + 5, month * 4, tzinfo=AMSTERDAM)
            assert fast(moment) == dateformat.format(moment, formats.get_format(name))
            if "TIME" in name:
                continue
            assert fast(moment.date()) == dateformat.format(moment.date(), formats.get_format(name))


def test_english_forms_read_day_first_not_the_us_order():
    field = forms.DateField()
    with translation.override("en"):
        assert field.clean("03/11/2025") == date(2025, 11, 3)
        assert field.clean("3 Nov 2025") == date(2025, 11, 3)
        assert field.clean("2025-11-03") == date(2025, 11, 3)
    with translation.override("nl"):
        assert field.clean("3-11-2025") == date(2025, 11, 3)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_customer_pages_write_dates_one_way(language, anne):
    customer = CustomerFactory(account_manager=anne)
    assess(customer, {"performance": 5, "contract": 4}, at=AT)
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(anne)
    listing = client.get(reverse("scoring:customer-list")).content.decode()
    assert WRITTEN[language]["short"] in listing
    detail = client.get(reverse("scoring:customer-detail", args=[customer.pk])).content.decode()
    assert WRITTEN[language]["short"] in detail
    assert WRITTEN[language]["moment"] in detail
    for page in (listing, detail):
        assert not US.search(page), US.search(page)


@pytest.mark.parametrize(
    ("language", "tick", "month"),
    [("nl", "%-d-%-m-%Y", "maart 2026"), ("en", "%-d %b %Y", "Mar 2026")],
)
def test_chart_date_axes_follow_the_language(language, tick, month):
    with translation.override(language):
        assert d3_date_format() == tick
        history = pd.DataFrame(
            {
                "computed_at": [AT, datetime(2026, 3, 1, tzinfo=AMSTERDAM)],
                "binding_score": [60.0, 70.0],
                "satisfaction": [60.0, 70.0],
                "alternatives": [60.0, 70.0],
                "investment": [60.0, 70.0],
            }
        )
        figure = score_history_figure(history)
        assert figure.layout.xaxis.tickformat == tick
        assert figure.layout.xaxis.hoverformat == tick
        assert all(tick in trace.hovertemplate for trace in figure.data)
        trend = pd.DataFrame(
            {
                "month": ["2026-02", "2026-03"],
                "red": [1, 2],
                "orange": [0, 1],
                "yellow": [3, 1],
                "green": [2, 2],
            }
        )
        bars = band_counts_figure(trend)
        assert list(bars["data"][0]["x"])[1] == month
