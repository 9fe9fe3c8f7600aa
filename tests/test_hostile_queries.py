"""No 500 from any query string: every page that reads filters from its URL, for every role,
answers hostile values (dates before 1677 or after 9999, huge numbers, repeated parameters,
NUL bytes, text where a number belongs) with a page and a message, and changes no row.

The values come from hypothesis (derandomized, so every run tries the same ones and a failure
is shrunk to the smallest query that shows it). ``KB_QUERY_EXAMPLES`` sets the examples per
page and role: 25 in the everyday suite (about a thousand requests), 300 in
``make test-queries``.
"""

from __future__ import annotations

import os
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scoring.roles import ACCOUNT_MANAGERS

EXAMPLES = int(os.environ.get("KB_QUERY_EXAMPLES", "25"))

# Every parameter any page reads from its URL: each page gets them all, so a page that starts
# reading one more is fuzzed on it at once.
PARAMETERS = [
    "account_manager",
    "sector",
    "band",
    "date",
    "moves_from",
    "moves_to",
    "show",
    "which",
    "from_band",
    "to_band",
    "track",
    "direction",
    "page",
    "q",
    "due",
    "manager",
    "o",
    "segment",
    "state",
    "status",
    "kind",
    "element",
    "origin",
    "customer",
    "type",
    "campaign",
    "start",
    "end",
    "reason",
    "next",
    "until",
]

# Pages that read their URL's query (and the pages whose lists can be filtered or paged).
PAGES = [
    "/dashboard/",
    "/dashboard/customers/",
    "/dashboard/export/csv/",
    "/dashboard/export/xlsx/",
    "/customers/",
    "/",
    "/audit/",
    "/actions/",
    "/actions/board/",
    "/actions/propose/",
    "/actions/types/",
    "/actions/report/",
    "/actions/report/export/csv/",
    "/actions/export/csv/",
    "/actions/export/xlsx/",
    "/relations/to-contact/",
    "/relations/departures/",
    "/relations/why-they-leave/",
    "/alerts/",
    "/surveys/campaigns/",
    "/surveys/mine/",
]

HOSTILE = [
    "0001-01-01",
    "1600-01-01",
    "1677-09-21",
    "1900-01-01",
    "2262-04-12",
    "9999-12-31",
    "10000-01-01",
    "2026-02-30",
    "-1",
    "0",
    "99999999999999999999",
    "1e309",
    "NaN",
    "inf",
    "\x00",
    "a\x00b",
    "",
    " ",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%",
    "%%",
    "%(x)s",
    "{0}",
    "é" * 300,
    "x" * 5000,
    "red",
    "green",
    "none",
    "entrapped",
    "move",
    "track",
    "band",
    "quadrant",
    "pearls",
    "overdue",
    "up",
    "down",
    "staff",
    "open",
    "1",
    "2",
]

values = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(HOSTILE[:10]),  # the dates and numbers once more: most pages read them
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates().map(lambda d: d.isoformat()),
    st.text(max_size=30),
)
queries = st.lists(st.tuples(st.sampled_from(PARAMETERS), values), min_size=1, max_size=8)


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if not model._meta.label.startswith(("sessions.", "axes.", "admin."))
    }


@pytest.fixture
def demo(db):
    call_command("seed_demo", customers=12, no_progress=True, stdout=StringIO())


def _never_a_server_error(client: Client, page: str) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(query=queries)
    @example(query=[("date", "0001-01-01")])
    @example(query=[("date", "1600-01-01"), ("show", "band"), ("which", "red")])
    @example(query=[("moves_from", "0001-01-01"), ("moves_to", "1600-01-01")])
    @example(query=[("moves_to", "0001-01-01")])
    @example(query=[("start", "0001-01-01"), ("end", "9999-12-31"), ("until", "0001-01-01")])
    @example(query=[("page", "99999999999999999999"), ("account_manager", "99999999999999999999")])
    @example(query=[("account_manager", "1"), ("account_manager", "x"), ("segment", "\x00")])
    def check(query: list[tuple[str, str]]) -> None:
        response = client.get(f"{page}?{urlencode(query)}")
        assert response.status_code < 500, f"{response.status_code}: {page}?{urlencode(query)}"

    check()


ROLES = {
    "management": "directie",
    "account manager": "",  # the first account manager of the demo
}


@pytest.mark.parametrize("role", list(ROLES))
def test_no_query_string_gives_a_server_error(demo, role):
    User = get_user_model()
    if ROLES[role]:
        user = User.objects.get(username=ROLES[role])
    else:
        user = User.objects.filter(groups__name=ACCOUNT_MANAGERS).order_by("pk").first()
    assert user is not None
    client = Client(raise_request_exception=False)
    client.force_login(user)
    for page in PAGES:  # a first visit may make the user's own settings (the digest language)
        client.get(page)
    before = _row_counts()
    failures: list[str] = []

    for page in PAGES:
        try:
            _never_a_server_error(client, page)
        except Exception as error:  # the falsifying query, shrunk by hypothesis
            failures.append(str(error).splitlines()[0])

    assert failures == [], "\n".join(failures)
    assert _row_counts() == before


@pytest.mark.parametrize("value", ["0001-01-01", "1600-01-01", "1899-12-31"])
def test_a_dashboard_date_before_1900_is_a_message(client, mira, value):
    client.force_login(mira)
    for page in ("/dashboard/", "/dashboard/customers/"):
        response = client.get(page, {"date": value, "moves_from": value}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert f"{value} lies before 1900-01-01: choose a later date." in response.content.decode()
    export = client.get("/dashboard/export/csv/", {"date": value})
    assert export.status_code == 200  # the export leaves the invalid filter out
