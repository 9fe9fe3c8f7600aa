"""My customers and the customer page: what each role sees, sorting, search, pagination."""

from __future__ import annotations

import html
import random
import re
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scoring import extensions, selectors, services
from scoring.extensions import Panel
from scoring.models import Customer, Element
from scoring.views import SORTS
from tests.factories import CustomerFactory, UserFactory, assess

NAME_LINK = re.compile(r'<a href="/customers/(\d+)/" class="fw-semibold">([^<]+)</a>')


def listed_names(response) -> list[str]:
    return [html.unescape(name) for _pk, name in NAME_LINK.findall(response.content.decode())]


@pytest.fixture
def client_en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_anonymous_user_is_sent_to_sign_in(client, anne):
    customer = CustomerFactory(account_manager=anne)
    for url in (
        reverse("scoring:customer-list"),
        reverse("scoring:customer-detail", args=[customer.pk]),
        reverse("scoring:customer-matrix", args=[customer.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_account_manager_sees_only_own_customers(client_en, anne, bart):
    CustomerFactory(name="Anne's Bakery", account_manager=anne)
    CustomerFactory(name="Bart's Garage", account_manager=bart)
    client_en.force_login(anne)
    response = client_en.get(reverse("scoring:customer-list"))
    assert listed_names(response) == ["Anne's Bakery"]
    assert "My customers" in response.content.decode()


def test_management_sees_every_customer_and_filters_by_account_manager(client_en, anne, bart, mira):
    CustomerFactory(name="Anne's Bakery", account_manager=anne)
    CustomerFactory(name="Bart's Garage", account_manager=bart)
    CustomerFactory(name="Nobody's Farm", account_manager=None)
    client_en.force_login(mira)
    url = reverse("scoring:customer-list")
    assert listed_names(client_en.get(url)) == ["Anne's Bakery", "Bart's Garage", "Nobody's Farm"]
    assert listed_names(client_en.get(url, {"manager": bart.pk})) == ["Bart's Garage"]
    assert listed_names(client_en.get(url, {"manager": "none"})) == ["Nobody's Farm"]
    # Rubbish in the filter is ignored, not a 500.
    assert len(listed_names(client_en.get(url, {"manager": "drop table"}))) == 3


def test_account_manager_cannot_widen_the_list_with_the_manager_filter(client_en, anne, bart):
    CustomerFactory(name="Bart's Garage", account_manager=bart)
    client_en.force_login(anne)
    response = client_en.get(reverse("scoring:customer-list"), {"manager": bart.pk})
    assert listed_names(response) == []


def test_list_shows_score_band_factors_coverage_change_and_provisional_marker(client_en, anne):
    full = CustomerFactory(name="Full", account_manager=anne)
    assess(full, {"performance": 2}, user=anne, at=timezone.now() - timedelta(days=3))
    assess(full, {"performance": 5, "competition": 6, "it_integration": 6}, user=anne)
    CustomerFactory(name="Never scored", account_manager=anne)
    client_en.force_login(anne)
    html = client_en.get(reverse("scoring:customer-list")).content.decode()
    row = html[html.index(">Full<") :].split("</tr>")[0]
    # performance 5 (w3), competition 6 (w2), IT 6 (w4): 100·(15+12+24)/(6·9) = 94.4
    assert "94.4*" in row and "band-green" in row and "provisional" in row
    assert "83.3" in row  # satisfaction: performance 5 of 6
    assert "31 %" in row  # coverage: 9 of 29 weight
    assert "+61.1" in row  # from 33.3 (performance 2) to 94.4
    never = html[html.index(">Never scored<") :].split("</tr>")[0]
    assert "badge-band" not in never and "–" in never


def test_list_marks_customers_without_recent_staff_assessment_as_due(client_en, anne, settings):
    settings.KLANTBINDING = {**settings.KLANTBINDING, "STAFF_CADENCE_DAYS": 90}
    recent = CustomerFactory(name="Recent", account_manager=anne)
    assess(recent, {"performance": 4}, user=anne, at=timezone.now() - timedelta(days=10))
    old = CustomerFactory(name="Old", account_manager=anne)
    assess(old, {"performance": 4}, user=anne, at=timezone.now() - timedelta(days=120))
    only_customer = CustomerFactory(name="Only the customer answered", account_manager=anne)
    assess(only_customer, {"performance": 4}, kind="customer", email="inkoop@klant.example")
    client_en.force_login(anne)
    url = reverse("scoring:customer-list")
    html = client_en.get(url).content.decode()

    def due(name: str) -> bool:
        return "due-marker" in html[html.index(f">{name}<") :].split("</tr>")[0]

    assert not due("Recent")
    assert due("Old")
    assert due("Only the customer answered")
    assert listed_names(client_en.get(url, {"due": "1"})) == ["Old", "Only the customer answered"]


def _shown_rows(response) -> list[dict]:
    """The list's rows as the page shows them: name and the sortable values, as numbers."""

    def number(text: str) -> float | None:
        text = text.rstrip("*").replace("±", "").replace("−", "-").replace("+", "")
        return None if text in ("–", "") else float(text)

    body = response.content.decode().split("<tbody>")[1].split("</tbody>")[0]
    rows = []
    for row in body.split("<tr>")[1:]:
        cells = [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)
        ]
        _name, _manager, score, satisfaction, alternatives, investment, coverage = cells[:7]
        last, change, due = cells[7:10]  # other apps add columns after these
        rows.append(
            {
                "name": html.unescape(NAME_LINK.search(row).group(2)),
                "score": number(score),
                "satisfaction": number(satisfaction),
                "alternatives": number(alternatives),
                "investment": number(investment),
                "coverage": number(coverage.split(" %")[0]),
                "last": datetime.strptime(last, "%d %b %Y") if last != "–" else None,
                "change": number(change),
                "due": due == "due",
            }
        )
    return rows


def _sort_value(row: dict, key: str):
    if key == "manager":
        manager = Customer.objects.get(name=row["name"]).account_manager
        return (manager.first_name, manager.last_name) if manager else None
    return row[key]


@pytest.fixture
def sortable_portfolio(anne, bart):
    now = timezone.now()
    rows = [
        ("Alfa", anne, [({"performance": 1, "competition": 5}, 200), ({"performance": 6}, 5)]),
        ("Bravo", bart, [({"performance": 4, "it_integration": 2, "competition": 1}, 20)]),
        ("Charlie", anne, [({"service": 3, "contract": 6}, 100), ({"service": 2}, 50)]),
        ("Delta", bart, []),
        ("Echo", anne, [({"presence": 6, "price_level": 0, "perception": 5}, 1)]),
    ]
    for name, manager, assessments in rows:
        customer = CustomerFactory(name=name, account_manager=manager)
        for values, days in assessments:
            assess(customer, values, user=manager, at=now - timedelta(days=days))


@pytest.mark.parametrize("key", list(SORTS))
@pytest.mark.parametrize("descending", [False, True])
def test_list_sorts_on_every_column_with_empty_values_last(
    client_en, mira, sortable_portfolio, key, descending
):
    client_en.force_login(mira)
    url = reverse("scoring:customer-list")
    response = client_en.get(url, {"o": f"-{key}" if descending else key})
    # The values come from the page sorted by name: whatever the sort, the same rows.
    customers = _shown_rows(client_en.get(url))
    present = [c for c in customers if _sort_value(c, key) is not None]
    empty = [c for c in customers if _sort_value(c, key) is None]
    # Python's sort is stable, also in reverse: ties keep the name order, as on the page.
    present.sort(key=lambda c: _sort_value(c, key), reverse=descending)
    assert listed_names(response) == [c["name"] for c in present + empty]
    assert 'aria-sort="' + ("descending" if descending else "ascending") + '"' in (
        response.content.decode()
    )


@pytest.mark.parametrize("key", list(SORTS))
def test_list_pages_in_small_steps_follow_one_order_and_count_all(mira, sortable_portfolio, key):
    """Each page is sliced from the sorted ids and its rows sorted again on the same columns:
    walking the pages two at a time gives the order of one big page, and every page counts
    all customers, however many joins the sort needs."""
    customers = Customer.objects.all()
    for descending in (False, True):
        whole, total = selectors.customer_list_page(
            customers, key, descending=descending, offset=0, limit=50
        )
        assert total == 5
        walked = []
        for offset in range(0, 6, 2):
            rows, count = selectors.customer_list_page(
                customers, key, descending=descending, offset=offset, limit=2
            )
            assert count == 5
            walked += [row["name"] for row in rows]
        assert walked == [row["name"] for row in whole]
    assert selectors.customer_list_page(customers, key, descending=False, offset=50, limit=50) == (
        [],
        None,
    )
    assert selectors.customer_list_page(
        Customer.objects.none(), key, descending=False, offset=0, limit=50
    ) == ([], 0)


# The list row's field for each sort key whose order comes from the two sorted parts.
SPLIT_ROW_FIELDS = {
    "score": "binding_score",
    "satisfaction": "satisfaction",
    "alternatives": "alternatives",
    "investment": "investment",
    "coverage": "coverage",
    "last": "last_assessed_at",
    "change": "change",
    "due": "rescoring_due",
}


@pytest.fixture
def random_portfolio(anne, bart):
    """Customers with tied names, tied scores (a few shared answers), one or two staff
    assessments or none, on either side of the re-scoring cadence."""
    rng = random.Random(20261202)
    now = timezone.now()
    answers = [  # the elements of all three factors, so every column has ties and values
        {"performance": 4, "competition": 2, "presence": 3},
        {"service": 2, "it_integration": 5, "contract": 1},
        {"presence": 6, "price_level": 0, "perception": 5},
        {},
    ]
    for _ in range(30):
        customer = CustomerFactory(
            name=rng.choice(["Alfa", "Bravo", "Charlie"]), account_manager=rng.choice([anne, bart])
        )
        # Oldest first: a newer assessment makes a new snapshot, so a change.
        for days in sorted(rng.sample(range(1, 200), rng.choice([0, 1, 2, 2])), reverse=True):
            values = rng.choice(answers) or {
                "performance": rng.randint(0, 6),
                "competition": rng.randint(0, 6),
                "it_integration": rng.randint(0, 6),
            }
            assess(customer, values, at=now - timedelta(days=days))


def test_split_sort_matches_a_python_sort_of_the_same_rows(random_portfolio, anne):
    """The sorts read in two parts (a value, then none) give what sorting the rows in Python
    gives: on the value, empty values last, ties by name and id; for every page size and a
    filtered list too."""
    assert set(SPLIT_ROW_FIELDS) == {*selectors.customers.SPLIT_SORT_FIELDS, "due"}
    for customers in (Customer.objects.all(), Customer.objects.filter(account_manager=anne)):
        everyone, total = selectors.customer_list_page(
            customers, "name", descending=False, offset=0, limit=100
        )
        by_name = sorted(everyone, key=lambda row: (row["name"], row["pk"]))
        for key, field in SPLIT_ROW_FIELDS.items():
            for descending in (False, True):
                present = [row for row in by_name if row[field] is not None]
                present.sort(key=lambda row: row[field], reverse=descending)  # stable
                empty = [row for row in by_name if row[field] is None]
                expected = [row["pk"] for row in present + empty]
                assert len(present) > 1  # the key sorts something
                for size in (3, 7, 100):
                    walked = []
                    for offset in range(0, total + size, size):
                        rows, count = selectors.customer_list_page(
                            customers, key, descending=descending, offset=offset, limit=size
                        )
                        assert count in (total, None)
                        walked += [row["pk"] for row in rows]
                    assert walked == expected, (key, descending, size)


def test_unknown_sort_key_falls_back_to_name(client_en, anne):
    CustomerFactory(name="B", account_manager=anne)
    CustomerFactory(name="A", account_manager=anne)
    client_en.force_login(anne)
    response = client_en.get(reverse("scoring:customer-list"), {"o": "password"})
    assert response.status_code == 200
    assert listed_names(response) == ["A", "B"]


def test_list_searches_name_external_id_and_sector(client_en, anne):
    CustomerFactory(name="Bakkerij Jansen", external_id="K-1", sector="Food", account_manager=anne)
    CustomerFactory(name="Garage Pietersen", external_id="K-2", sector="Auto", account_manager=anne)
    client_en.force_login(anne)
    url = reverse("scoring:customer-list")
    assert listed_names(client_en.get(url, {"q": "jansen"})) == ["Bakkerij Jansen"]
    assert listed_names(client_en.get(url, {"q": "K-2"})) == ["Garage Pietersen"]
    assert listed_names(client_en.get(url, {"q": "food"})) == ["Bakkerij Jansen"]
    response = client_en.get(url, {"q": "nothing like it"})
    assert "No customers match the filter." in response.content.decode()


def test_list_paginates_and_keeps_sort_and_search_in_page_links(client_en, anne):
    for n in range(55):
        CustomerFactory(name=f"Klant {n:02d}", account_manager=anne)
    client_en.force_login(anne)
    url = reverse("scoring:customer-list")
    first = client_en.get(url, {"o": "-name", "q": "klant"})
    assert len(listed_names(first)) == 50
    assert listed_names(first)[0] == "Klant 54"
    assert "55 customers" in first.content.decode()
    assert "?o=-name&amp;q=klant&amp;page=2" in first.content.decode()
    second = client_en.get(url, {"o": "-name", "q": "klant", "page": 2})
    assert listed_names(second) == ["Klant 04", "Klant 03", "Klant 02", "Klant 01", "Klant 00"]
    # A page past the end shows the last page rather than an error.
    assert listed_names(client_en.get(url, {"page": 99})) == [f"Klant {n}" for n in range(50, 55)]


def test_management_filters_on_the_account_managers_by_name(client_en, mira, anne, bart, outsider):
    anne.first_name, anne.last_name = "Zoë", "Aerts"
    anne.save()
    bart.first_name, bart.last_name = "Bart", ""
    bart.save()
    nameless = UserFactory(
        username="zonder", first_name="", last_name="", groups=["Account managers"]
    )
    CustomerFactory(name="Van Anne", account_manager=anne)
    CustomerFactory(name="Van Bart", account_manager=bart)
    client_en.force_login(mira)
    html = client_en.get(reverse("scoring:customer-list"), {"manager": bart.pk}).content.decode()
    start = html.index('id="manager-filter"')
    select = html[start : html.index("</select>", start)]
    options = re.findall(r'<option value="(\w*)"( selected)?>([^<]*)</option>', select)
    assert options == [
        ("", "", "All account managers"),
        (str(nameless.pk), "", "zonder"),  # no name: the username
        (str(bart.pk), " selected", "Bart"),
        (str(anne.pk), "", "Zoë Aerts"),
        ("none", "", "Without account manager"),
    ]
    assert listed_names(client_en.get(reverse("scoring:customer-list"), {"manager": bart.pk})) == [
        "Van Bart"
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"page": "9" * 30},  # past any OFFSET the database takes
        {"page": "9" * 5000},  # past what Python turns into a number by default
        {"page": "²"},  # a digit to str.isdigit, not to int()
        {"page": "-3"},
        {"q": "Klant\x00 05"},  # PostgreSQL refuses NUL in text
        {"manager": "٣"},
        {"manager": "9" * 30},
    ],
)
def test_odd_list_parameters_show_a_page_not_an_error(client_en, mira, anne, params):
    for n in range(55):
        CustomerFactory(name=f"Klant {n:02d}", account_manager=anne)
    client_en.force_login(mira)
    response = client_en.get(reverse("scoring:customer-list"), params)
    assert response.status_code == 200
    if params.get("page", "").startswith("9"):
        assert listed_names(response) == [f"Klant {n}" for n in range(50, 55)]
    if "q" in params:
        assert listed_names(response) == ["Klant 05"]


@pytest.mark.parametrize("role", ["anne", "mira"])
def test_list_query_count_does_not_grow_with_the_number_of_customers(client_en, anne, mira, role):
    user = {"anne": anne, "mira": mira}[role]

    def add(count: int) -> None:
        for _ in range(count):
            customer = CustomerFactory(account_manager=anne)
            assess(customer, {"performance": 3, "competition": 4}, user=anne)

    client_en.force_login(user)
    url = reverse("scoring:customer-list")
    add(4)
    client_en.get(url)  # warm up: session and content types
    with CaptureQueriesContext(connection) as small:
        assert len(listed_names(client_en.get(url, {"o": "-score"}))) == 4
    add(8)
    with CaptureQueriesContext(connection) as large:
        assert len(listed_names(client_en.get(url, {"o": "-score"}))) == 12
    assert len(large) == len(small)


def test_customer_page_history_scores_without_a_second_model_lookup(anne):
    customer = CustomerFactory(account_manager=anne)
    assess(customer, {"performance": 2, "it_integration": 1, "contract": 5}, user=anne)
    assess(customer, {"performance": 6}, kind="customer", email="inkoop@klant.example")
    selectors.customer_page(customer)  # warm up the per-process element caches
    with CaptureQueriesContext(connection) as queries:
        page = selectors.customer_page(customer)
    # The current snapshot brings its (active) model along; the history's own scores use it.
    assert not [q for q in queries if q["sql"].startswith('SELECT "scoring_scoringmodel"."id"')]
    history = list(page.history)
    assert len(history) == 2
    rows = [(a, score) for a, score, _published in page.history_rows if a is not None]
    assert {a.pk: score for a, score in rows} == selectors.assessment_scores(history)
    assert all(score is not None for _assessment, score in rows)


def test_history_scores_are_computed_once_per_assessment_and_model(anne):
    """An assessment's own score is computed once per model: the next page view reads it
    from the cache without a query; a published re-weighting computes it again, with the new
    weights; a draft is never cached."""
    customer = CustomerFactory(account_manager=anne)
    assess(customer, {"performance": 6, "contract": 0}, user=anne)
    assess(customer, {"performance": 1, "contract": 5}, kind="customer", email="in@klant.example")
    history = list(customer.assessments.order_by("pk"))
    first = selectors.assessment_scores(history)
    with CaptureQueriesContext(connection) as again:
        assert selectors.assessment_scores(history) == first
    assert not [q for q in again if "scoring_elementscore" in q["sql"]]

    draft = services.scoring_model_draft_create()
    Element.objects.filter(scoring_model=draft, code="performance").update(weight=6)
    with CaptureQueriesContext(connection) as drafted:
        on_draft = selectors.assessment_scores(history, scoring_model=draft)
        assert selectors.assessment_scores(history, scoring_model=draft) == on_draft
    assert len([q for q in drafted if "scoring_elementscore" in q["sql"]]) == 2  # not cached
    services.scoring_model_publish(scoring_model=draft)
    published = selectors.assessment_scores(history)
    assert published == on_draft
    assert published != first  # performance weighs more: the first higher, the second lower
    assert published[history[0].pk]["binding_score"] > first[history[0].pk]["binding_score"]


def test_customer_page_shows_score_elements_per_kind_spread_walls_and_history(client_en, anne):
    customer = CustomerFactory(name="Jansen B.V.", account_manager=anne)
    staff = assess(customer, {"performance": 2, "it_integration": 1, "contract": 5}, user=anne)
    answer = assess(
        customer,
        {"performance": 6, "it_integration": 3},
        kind="customer",
        email="inkoop@jansen.example",
    )
    client_en.force_login(anne)
    response = client_en.get(reverse("scoring:customer-detail", args=[customer.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    # performance (4, w3), IT (2, w4), contract (5, w3): 100·(12+8+15)/(6·10) = 58.3 yellow
    assert 'id="binding-score">58.3*' in html
    assert 'id="band-label">yellow' in html
    assert "provisional: under half of the weight is scored" in html
    assert 'id="coverage">34 %' in html  # 10 of 29
    performance = html[html.index('data-code="performance"') :].split("</tr>")[0]
    # value 4.0; staff 2.0; customer 6.0; expert –; spread 4.0
    cells = re.findall(r'<td class="text-end score[^"]*">(.*?)</td>', performance)
    assert [re.sub(r"<[^>]+>", "", c) for c in cells] == ["3", "4.0", "2.0", "6.0", "–", "4.0"]
    walls = html[html.index('id="walls"') :].split("</ol>")[0]
    # weight × (6 − value): IT 4·4 = 16, performance 3·2 = 6, contract 3·1 = 3
    assert walls.index("IT integration") < walls.index("Performance") < walls.index("Contract")
    history = html[html.index('id="history"') :]
    assert "inkoop@jansen.example" in history and "Customer" in history
    for assessment in (staff, answer):
        assert reverse("scoring:assessment-detail", args=[assessment.pk]) in history
    assert reverse("scoring:customer-matrix", args=[customer.pk]) in html  # "score now"
    assert "Score now" in html


def test_customer_page_without_assessments_says_there_is_no_score(client_en, anne):
    customer = CustomerFactory(account_manager=anne)
    client_en.force_login(anne)
    response = client_en.get(reverse("scoring:customer-detail", args=[customer.pk]))
    assert response.status_code == 200
    assert "No score yet" in response.content.decode()
    assert "No assessments yet." in response.content.decode()


def test_assessment_detail_shows_every_value_and_comment(client_en, anne):
    customer = CustomerFactory(account_manager=anne)
    assessment = assess(customer, {"performance": 5, "service": None}, user=anne)
    client_en.force_login(anne)
    response = client_en.get(reverse("scoring:assessment-detail", args=[assessment.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    performance = html[html.index('data-code="performance"') :].split("</tr>")[0]
    assert ">5<" in performance
    service = html[html.index('data-code="service"') :].split("</tr>")[0]
    assert "don't know" in service


def test_account_manager_gets_404_for_another_managers_customer_and_assessment(client, anne, bart):
    customer = CustomerFactory(account_manager=bart)
    assessment = assess(customer, {"performance": 4}, user=bart)
    client.force_login(anne)
    for url in (
        reverse("scoring:customer-detail", args=[customer.pk]),
        reverse("scoring:customer-matrix", args=[customer.pk]),
        reverse("scoring:assessment-detail", args=[assessment.pk]),
        reverse("scoring:assessment-result", args=[assessment.pk]),
    ):
        assert client.get(url).status_code == 404
    assert client.post(reverse("scoring:customer-matrix", args=[customer.pk])).status_code == 404
    preview = reverse("scoring:customer-matrix-preview", args=[customer.pk])
    assert client.post(preview, {"value_performance": "3"}).status_code == 404


def test_management_reads_every_customer_page(client, mira, bart):
    customer = CustomerFactory(account_manager=bart)
    assessment = assess(customer, {"performance": 4}, user=bart)
    client.force_login(mira)
    assert client.get(reverse("scoring:customer-detail", args=[customer.pk])).status_code == 200
    detail = reverse("scoring:assessment-detail", args=[assessment.pk])
    assert client.get(detail).status_code == 200


def test_user_in_no_group_sees_no_customers(client, outsider, anne):
    customer = CustomerFactory(account_manager=anne)
    client.force_login(outsider)
    assert listed_names(client.get(reverse("scoring:customer-list"))) == []
    assert client.get(reverse("scoring:customer-detail", args=[customer.pk])).status_code == 404


def test_customer_page_renders_the_panels_other_apps_register(
    client_en, anne, monkeypatch, tmp_path, settings
):
    (tmp_path / "test_panel.html").write_text("<p>Panel for {{ name }}</p>")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
    ]
    engines._templates = None  # the template settings changed
    monkeypatch.setattr(extensions, "_customer_panels", [])
    extensions.register_customer_panel(
        Panel(name="test", template="test_panel.html", context=lambda r, c: {"name": c.name})
    )
    extensions.register_customer_panel(
        Panel(name="silent", template="test_panel.html", context=lambda r, c: None)
    )
    customer = CustomerFactory(name="Panelled", account_manager=anne)
    client_en.force_login(anne)
    html = client_en.get(reverse("scoring:customer-detail", args=[customer.pk])).content.decode()
    assert html.count("<p>Panel for Panelled</p>") == 1


def test_list_escapes_what_comes_from_the_database(client_en, anne):
    CustomerFactory(name="<script>alert(1)</script>", sector='"><b>x</b>', account_manager=anne)
    client_en.force_login(anne)
    html = client_en.get(reverse("scoring:customer-list")).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>x</b>" not in html


def test_customer_page_timeline_lists_assessments_and_survey_answers(client, anne):
    from tests.factories import CustomerFactory, assess

    customer = CustomerFactory(account_manager=anne)
    assess(customer, {"performance": 4}, user=anne)
    assess(customer, {"performance": 2}, kind="customer", email="klant@klant.example")
    client.force_login(anne)
    response = client.get(customer.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    timeline = response.content.decode().split('id="timeline"')[1]
    assert "Survey answered (Customer)" in timeline
    assert "Assessment (Staff)" in timeline
