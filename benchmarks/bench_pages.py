"""Server time of the customer list and the matrix page, next to a page that renders base.html.

Run with `.venv/bin/python benchmarks/bench_pages.py` (PostgreSQL must be up). It seeds 10,000
customers into its own database `klantbinding_bench_pages` once, then times requests through
Django's test client, signed in, in one run:

- the floor: a view that renders base.html only, for the same user (session, user and menu);
- the customer list as it opens (sorted by name): management's view of all 10,000 customers,
  its page 100, filtered on one account manager, and an account manager's own list;
- the matrix page of one customer;
- the list sorted on the score, the "due" marker and (one account manager's) the change: each
  read from an index with the page's LIMIT (scoring.selectors.customers._split_parts);
- for information, not held to the goal: a name search (it scans all customers), the customer
  page and one live preview of the matrix.

The goal is that the list and matrix timings stay under 3x the floor.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import setup_portfolio

GOAL = 3.0


def _floor_urlconf() -> str:
    """The app's URLs plus /bench-floor/, a signed-in page that renders base.html only."""
    from django.contrib.auth.decorators import login_required
    from django.shortcuts import render
    from django.urls import path

    import klantbinding.urls

    @login_required
    def floor(request):
        return render(request, "base.html")

    module = types.ModuleType("bench_pages_urls")
    vars(module)["urlpatterns"] = [path("bench-floor/", floor), *klantbinding.urls.urlpatterns]
    sys.modules[module.__name__] = module
    return module.__name__


def _time(client, method: str, url: str, data: dict | None, floor_url: str, repeat: int):
    """Median milliseconds of ``repeat`` requests of the page and of the floor, taken in turns
    so both see the same load on the machine; and the page's status."""
    send = client.get if method == "GET" else client.post
    for _ in range(3):
        response = send(url, data or {})
        client.get(floor_url)
    page, floor = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        response = send(url, data or {})
        page.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        client.get(floor_url)
        floor.append((time.perf_counter() - started) * 1000)
    return statistics.median(page), statistics.median(floor), response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()

    setup_portfolio("klantbinding_bench_pages", customers=args.customers, seed=args.seed)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.signals import request_started
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import clear_url_caches, reverse

    from scoring import services
    from scoring.models import Customer, ElementScore, ScoreSnapshot

    request_started.disconnect(reset_queries)  # so the queries of one request can be counted
    settings.ROOT_URLCONF = _floor_urlconf()
    clear_url_caches()
    if not ScoreSnapshot.objects.filter(is_current=True).exists():
        services.scores_refresh()

    user_model = get_user_model()
    boss = user_model.objects.get(username="directie")
    anne = user_model.objects.get(username="anne")
    customer = Customer.objects.filter(account_manager=anne).order_by("pk").first()
    assert customer is not None, "the portfolio has customers of anne"
    print(
        f"Portfolio: {Customer.objects.count()} customers "
        f"({Customer.objects.filter(account_manager=anne).count()} of anne), "
        f"{ElementScore.objects.count()} element scores, PostgreSQL "
        f"{connection.cursor().connection.info.server_version}, {args.repeat} requests each"
    )

    def client_for(user) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="nl")
        client.force_login(user)
        return client

    as_boss, as_anne = client_for(boss), client_for(anne)
    customers = reverse("scoring:customer-list")
    matrix = reverse("scoring:customer-matrix", args=[customer.pk])
    preview_values = {"value_performance": "4", "value_service": "5", "value_contract": "2"}
    # The goal is for the pages as they open (sorted by name), paged and filtered, and sorted
    # on the score, due or change; searching the customers' names is reported alongside.
    cases = [
        ("list, management, all, by name", as_boss, "GET", customers, None, True),
        ("list, management, page 100", as_boss, "GET", customers, {"page": "100"}, True),
        (
            "list, management, one manager",
            as_boss,
            "GET",
            customers,
            {"manager": str(anne.pk)},
            True,
        ),
        ("list, account manager, own", as_anne, "GET", customers, None, True),
        ("matrix page", as_anne, "GET", matrix, None, True),
        ("list, by score desc", as_boss, "GET", customers, {"o": "-score"}, True),
        ("list, by due marker", as_boss, "GET", customers, {"o": "-due"}, True),
        (
            "list, one manager, by change",
            as_boss,
            "GET",
            customers,
            {"manager": str(anne.pk), "o": "-change"},
            True,
        ),
        ("list, search (info)", as_boss, "GET", customers, {"q": "bouw"}, False),
        (
            "customer page (info)",
            as_anne,
            "GET",
            reverse("scoring:customer-detail", args=[customer.pk]),
            None,
            False,
        ),
        (
            "matrix live preview POST (info)",
            as_anne,
            "POST",
            reverse("scoring:customer-matrix-preview", args=[customer.pk]),
            preview_values,
            False,
        ),
    ]
    floor_count = {}
    for client in (as_boss, as_anne):
        client.get("/bench-floor/")
        with CaptureQueriesContext(connection) as queries:
            client.get("/bench-floor/")
        floor_count[client] = len(queries)
    failures = []
    print(f"\n{'page':<34} {'page':>9} {'floor':>8} {'queries (floor)':>15} {'x floor':>8}")
    for label, client, method, url, data, goal in cases:
        send = client.get if method == "GET" else client.post
        # Warm up first: the first request of a page fills per-process caches (the active
        # model's elements, the session, the templates), so counting it would count work the
        # page does once per process, not per request.
        send(url, data or {})
        with CaptureQueriesContext(connection) as queries:
            send(url, data or {})
        query_count = len(queries)
        page_ms, floor_ms, status = _time(client, method, url, data, "/bench-floor/", args.repeat)
        if status != 200:
            sys.exit(f"{label}: status {status}")
        ratio = page_ms / floor_ms
        ratio_text = f"{ratio:7.2f}x" if goal else f"({ratio:.2f}x)"
        if goal and ratio >= GOAL:
            failures.append(label)
        print(
            f"{label:<34} {page_ms:6.1f} ms {floor_ms:5.1f} ms "
            f"{query_count:>4} ({floor_count[client]}) {ratio_text:>8}"
        )
    print(
        f"\nThe floor renders base.html for the same user, timed in turns with the page. "
        f"Goal: list and matrix pages under {GOAL:.0f}x the floor; (info) rows are not held to it."
    )
    if failures:
        print("Over the goal: " + ", ".join(failures))
    else:
        print("All list and matrix timings are within the goal.")


if __name__ == "__main__":
    main()
