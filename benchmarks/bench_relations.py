"""Server time of the relations' lists, next to a page that renders base.html, in one run.

Run with `.venv/bin/python benchmarks/bench_relations.py` (PostgreSQL must be up). It seeds
10,000 customers into its own database `klantbinding_bench_relations` once, then the relations
demo data with exactly 300,000 logged contacts, and times requests through Django's test
client, signed in:

- the floor: a view that renders base.html only, for the same user;
- the "To contact" list of an account manager (her ~2,000 customers) and of management (all
  10,000), as they open;
- the customer list with its cadence column, for management and for an account manager;
- for information, not held to the goal: the "To contact" list filtered on a state and paged
  far, and the customer list filtered on the cadence.

The goal is each list within 3x the floor, and the number of queries of a page the same for
one account manager's customers as for all of them (it does not grow with the customers or
their contacts).
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
CONTACTS = 300_000


def _floor_urlconf() -> str:
    """The app's URLs plus /bench-floor/, a signed-in page that renders base.html only."""
    from django.contrib.auth.decorators import login_required
    from django.shortcuts import render
    from django.urls import path

    import klantbinding.urls

    @login_required
    def floor(request):
        return render(request, "base.html")

    module = types.ModuleType("bench_relations_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("bench-floor/", floor),
        *klantbinding.urls.urlpatterns,
    ]
    sys.modules[module.__name__] = module
    return module.__name__


def _time(client, url: str, data: dict | None, floor_url: str, repeat: int):
    """Median milliseconds of ``repeat`` requests of the page and of the floor, in turns."""
    for _ in range(3):
        response = client.get(url, data or {})
        client.get(floor_url)
    page, floor = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url, data or {})
        page.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        client.get(floor_url)
        floor.append((time.perf_counter() - started) * 1000)
    return statistics.median(page), statistics.median(floor), response.status_code


def _seed_relations(seed: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from relations.demo import seed_relations
    from relations.models import ContactMoment
    from scoring import services
    from scoring.models import ScoreSnapshot

    if not ScoreSnapshot.objects.filter(is_current=True).exists():
        services.scores_refresh()
    if ContactMoment.objects.count() == CONTACTS:
        return
    ContactMoment.objects.all().delete()
    print(f"Seeding the relations with {CONTACTS} contacts ...", flush=True)
    started = time.perf_counter()
    print(" ", seed_relations(seed=seed, now=timezone.now(), contacts_total=CONTACTS))
    print(f"  seeded in {time.perf_counter() - started:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()

    setup_portfolio("klantbinding_bench_relations", customers=args.customers, seed=args.seed)
    _seed_relations(args.seed)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.signals import request_started
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import clear_url_caches, reverse

    from relations.models import CadenceStatus, ContactMoment
    from scoring.models import Customer

    request_started.disconnect(reset_queries)  # so the queries of one request can be counted
    settings.ROOT_URLCONF = _floor_urlconf()
    clear_url_caches()

    user_model = get_user_model()
    boss = user_model.objects.get(username="directie")
    anne = user_model.objects.get(username="anne")
    print(
        f"Portfolio: {Customer.objects.count()} customers "
        f"({Customer.objects.filter(account_manager=anne).count()} of anne), "
        f"{ContactMoment.objects.count()} contacts, {CadenceStatus.objects.count()} rhythms, "
        f"PostgreSQL {connection.cursor().connection.info.server_version}, "
        f"{args.repeat} requests each"
    )

    def client_for(user) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="nl")
        client.force_login(user)
        return client

    as_boss, as_anne = client_for(boss), client_for(anne)
    to_contact = reverse("relations:to-contact")
    customers = reverse("scoring:customer-list")
    cases = [
        ("to contact, account manager", as_anne, to_contact, None, True),
        ("to contact, management, all", as_boss, to_contact, None, True),
        ("customer list + cadence, management", as_boss, customers, None, True),
        ("customer list + cadence, acc. manager", as_anne, customers, None, True),
        ("to contact, overdue, page 20 (info)", as_boss, to_contact,
         {"state": "overdue", "page": "20"}, False),
        ("customer list, cadence filter (info)", as_boss, customers,
         {"cadence": "to_contact"}, False),
    ]  # fmt: skip
    floor_count = {}
    for client in (as_boss, as_anne):
        client.get("/bench-floor/")
        with CaptureQueriesContext(connection) as queries:
            client.get("/bench-floor/")
        floor_count[client] = len(queries)

    def count(client, url: str, data: dict | None) -> int:
        client.get(url, data or {})
        with CaptureQueriesContext(connection) as queries:
            client.get(url, data or {})
        return len(queries)

    failures = []
    print(f"\n{'page':<40} {'page':>9} {'floor':>8} {'queries (floor)':>15} {'x floor':>8}")
    for label, client, url, data, goal in cases:
        query_count = count(client, url, data)
        page_ms, floor_ms, status = _time(client, url, data, "/bench-floor/", args.repeat)
        if status != 200:
            sys.exit(f"{label}: status {status}")
        ratio = page_ms / floor_ms
        ratio_text = f"{ratio:7.2f}x" if goal else f"({ratio:.2f}x)"
        if goal and ratio >= GOAL:
            failures.append(label)
        print(
            f"{label:<40} {page_ms:6.1f} ms {floor_ms:5.1f} ms "
            f"{query_count:>4} ({floor_count[client]}) {ratio_text:>8}"
        )

    # What the cadence column adds: the same list with no column registered, for information.
    import scoring.list_columns

    registered = scoring.list_columns.list_columns
    scoring.list_columns.list_columns = list
    try:
        page_ms, floor_ms, _status = _time(as_boss, customers, None, "/bench-floor/", args.repeat)
        print(
            f"{'customer list without the column (info)':<40} {page_ms:6.1f} ms {floor_ms:5.1f} ms "
            f"{count(as_boss, customers, None):>4} ({floor_count[as_boss]}) "
            f"{f'({page_ms / floor_ms:.2f}x)':>8}"
        )
    finally:
        scoring.list_columns.list_columns = registered

    # The queries of a page do not grow with the customers: management's view of all 10,000
    # costs as many as the same view narrowed to one account manager's customers.
    growth = []
    for label, url, narrowed in (
        ("to contact", to_contact, {"account_manager": str(anne.pk)}),
        ("customer list", customers, {"manager": str(anne.pk)}),
    ):
        everyone, one = count(as_boss, url, None), count(as_boss, url, narrowed)
        print(f"queries, {label}: {everyone} for all customers, {one} for one manager's")
        if everyone != one:
            growth.append(label)
    print(
        f"\nThe floor renders base.html for the same user, timed in turns with the page. "
        f"Goal: each list under {GOAL:.0f}x the floor; (info) rows are not held to it."
    )
    if failures or growth:
        print("Over the goal: " + ", ".join(failures + [f"queries of {g}" for g in growth]))
        sys.exit(1)
    print("All relations lists are within the goal, with a fixed number of queries.")


if __name__ == "__main__":
    main()
