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
  page, one live preview of the matrix, a submitted assessment's result page, and the
  dashboard as management opens it, served from its cache and built afresh (cache cleared
  before each request).

The goal is that the list and matrix timings stay under 3x the floor.

`--growth 1000,10000,50000` runs the page benchmark once per portfolio size, each on a
database of its own (`klantbinding_bench_pages_<size>`, seeded once; 50,000 customers take a
while), and prints every page's multiple of the floor per size and how it grows: the exponent
of the growth between the smallest and the largest size (0 flat, 1 linear, above 1 a page
that slows faster than the portfolio grows).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
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


def _time(
    client, method: str, url: str, data: dict | None, floor_url: str, repeat: int, before=None
):
    """Median milliseconds of ``repeat`` requests of the page and of the floor, taken in turns
    so both see the same load on the machine; and the page's status. ``before`` runs ahead of
    each request of the page, untimed."""
    send = client.get if method == "GET" else client.post
    before = before or (lambda: None)
    for _ in range(3):
        before()
        response = send(url, data or {})
        client.get(floor_url)
    page, floor = [], []
    for _ in range(repeat):
        before()
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
    parser.add_argument("--database", default="", help="default: klantbinding_bench_pages")
    parser.add_argument("--json", default="", help="also write the rows to this file")
    parser.add_argument(
        "--growth", default="", help="sizes, e.g. 1000,10000,50000: one run per size"
    )
    args = parser.parse_args()
    if args.growth:
        growth([int(size) for size in args.growth.split(",")], args)
        return

    setup_portfolio(
        args.database or "klantbinding_bench_pages", customers=args.customers, seed=args.seed
    )
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.signals import request_started
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import clear_url_caches, reverse

    from scoring import services
    from scoring.models import Assessment, Customer, ElementScore, ScoreSnapshot

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
    assessment = Assessment.objects.filter(customer__account_manager=anne).order_by("pk").first()
    assert assessment is not None, "the portfolio has assessments of anne's customers"
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
        (
            "assessment result (info)",
            as_anne,
            "GET",
            reverse("scoring:assessment-result", args=[assessment.pk]),
            None,
            False,
        ),
        ("dashboard, cached (info)", as_boss, "GET", reverse("scoring:dashboard"), None, False),
        (
            "dashboard, built (info)",
            as_boss,
            "GET",
            reverse("scoring:dashboard"),
            None,
            False,
        ),
    ]
    floor_count = {}
    for client in (as_boss, as_anne):
        client.get("/bench-floor/")
        with CaptureQueriesContext(connection) as queries:
            client.get("/bench-floor/")
        floor_count[client] = len(queries)
    failures, rows = [], []
    print(f"\n{'page':<34} {'page':>9} {'floor':>8} {'queries (floor)':>15} {'x floor':>8}")
    for label, client, method, url, data, goal in cases:
        send = client.get if method == "GET" else client.post
        before = cache.clear if "built" in label else None
        # Warm up first: the first request of a page fills per-process caches (the active
        # model's elements, the session, the templates), so counting it would count work the
        # page does once per process, not per request.
        send(url, data or {})
        if before:
            before()
        with CaptureQueriesContext(connection) as queries:
            send(url, data or {})
        query_count = len(queries)
        page_ms, floor_ms, status = _time(
            client, method, url, data, "/bench-floor/", args.repeat, before
        )
        if status != 200:
            sys.exit(f"{label}: status {status}")
        ratio = page_ms / floor_ms
        rows.append({"page": label, "ms": page_ms, "floor_ms": floor_ms, "queries": query_count})
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
    if args.json:
        Path(args.json).write_text(json.dumps(rows))


def growth(sizes: list[int], args: argparse.Namespace) -> None:
    """The page benchmark per portfolio size (a process and a database each), then how each
    page's multiple of the floor grows with the portfolio."""
    results: dict[int, dict[str, dict]] = {}
    for size in sizes:
        out = Path(f"/tmp/bench-pages-{size}.json")
        command = [sys.executable, __file__, "--customers", str(size), "--json", str(out)]
        command += ["--repeat", str(args.repeat), "--seed", str(args.seed)]
        command += ["--database", f"{args.database or 'klantbinding_bench_pages'}_{size}"]
        print(f"\n=== {size} customers ===", flush=True)
        subprocess.run(command, check=True)
        results[size] = {row["page"]: row for row in json.loads(out.read_text())}
        out.unlink()
    small, large = min(sizes), max(sizes)
    heads = "".join(f"{f'{size:,}':>16}" for size in sizes)
    print("\nGrowth: each page's median as a multiple of the floor (and its queries)")
    print(f"{'page':<34}{heads}  exponent")
    for page in results[small]:
        cells, ratios = "", {}
        for size in sizes:
            row = results[size].get(page)
            if row is None:
                cells += f"{'-':>16}"
                continue
            ratios[size] = row["ms"] / row["floor_ms"]
            cells += f"{ratios[size]:>8.2f}x ({row['queries']:>2})"
        exponent = math.log(ratios[large] / ratios[small]) / math.log(large / small)
        print(f"{page:<34}{cells}  {exponent:6.2f}")
    print(
        "Exponent: how the multiple grows from the smallest to the largest portfolio "
        "(0 flat, 1 linear in the number of customers)."
    )


if __name__ == "__main__":
    main()
