"""Server time of the management dashboard on 10,000 customers, next to its SQL floor.

Run with `.venv/bin/python benchmarks/bench_dashboard.py` (PostgreSQL must be up). It seeds
10,000 customers with 12 months of score history into its own database once, then in the same
run:

- requests the full dashboard as management through Django's test client (sessions, auth,
  middleware, template: everything but the network) several times, and splits each request
  into SQL (every statement, timed by a database execute wrapper, plus the fetch of the rows),
  DataFrame work, figure building (plotly figures and their JSON), rendering, and the rest;
- captures the exact SQL statements one request ran and executes them again, raw, through a
  cursor, fetching every row: the floor no dashboard can go below;
- the dashboard is cached under a key that follows the data: every timed request above starts
  from an empty cache (the first request after a change builds the page), and the request
  right after it, served from the cache, is timed as well.

Goals (issue 5): median under 300 ms and within 3x of the floor.
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import setup_portfolio
from benchmarks.timing import Stopwatch, current_lap

PARTS = ("sql", "dataframes", "figures", "rendering", "other")
CLOCK = Stopwatch()


def time_the_dashboard() -> None:
    """Split a dashboard request by wrapping what the view calls: the frames' SQL, the
    selector that turns it into frames, the figures, the panels and the rendering."""
    from klantbinding.lib import db
    from scoring import charts, selectors
    from scoring.views import dashboard

    CLOCK.wrap(db, "fetch_all", "sql")
    CLOCK.wrap(selectors, "dashboard_page", "dataframes")
    CLOCK.wrap(charts, "dashboard_figures", "figures")
    CLOCK.wrap(charts, "template_json", "figures")
    CLOCK.wrap(dashboard, "cached_dashboard_panels_html", "panels")
    CLOCK.wrap(dashboard, "render", "rendering")


class SqlTimer:
    """Execute wrapper: seconds spent in the database per lap (see benchmarks.timing)."""

    def __init__(self) -> None:
        self.by_lap: dict[str, float] = {}
        self.statements = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            lap = current_lap.get()
            self.by_lap[lap] = self.by_lap.get(lap, 0.0) + time.perf_counter() - started
            self.statements += 1


def request_once(client, url: str) -> tuple[float, dict[str, float], int, tuple[int, int]]:
    """One dashboard request, gzipped as a browser asks: total seconds, the split, statements
    and the page's size (as HTML, and gzipped as sent)."""
    from django.db import connection

    timer = SqlTimer()
    CLOCK.reset()
    with connection.execute_wrapper(timer):
        started = time.perf_counter()
        response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        total = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    sent = response.content
    html = gzip.decompress(sent) if response.get("Content-Encoding") == "gzip" else sent
    laps = CLOCK.seconds
    in_db = sum(timer.by_lap.values())
    # The dashboard's own raw queries are timed with their fetch ("sql" lap); the others'
    # rows are few. SQL inside a lap is taken out of that lap.
    split = {"sql": in_db + laps.get("sql", 0.0) - timer.by_lap.get("sql", 0.0)}
    for part in ("dataframes", "figures", "rendering"):
        split[part] = laps.get(part, 0.0) - timer.by_lap.get(part, 0.0)
    split["other"] = total - sum(split.values())
    return total, split, timer.statements, (len(html), len(sent))


def floor_once(statements: list[str]) -> float:
    """The captured statements executed again, raw, every row fetched."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, below Django's wrappers
        for sql in statements:
            # A server-side cursor's DECLARE … FOR <query>: the floor runs the query itself.
            sql = re.sub(r"^DECLARE .*? CURSOR (WITH(OUT)? HOLD )?FOR ", "", sql, flags=re.S)
            raw.execute(sql)
            if raw.description is not None:
                raw.fetchall()
    return time.perf_counter() - started


def seed_demo_steps(names: list[str]) -> None:
    """Run the named seed_demo steps once per database (remembered in a marker table)."""
    from django.db import connection
    from django.utils import timezone

    from scoring.extensions import demo_steps

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_demo_steps (name text PRIMARY KEY)")
        cursor.execute("SELECT name FROM bench_demo_steps")
        done = {row[0] for row in cursor.fetchall()}
    for step in demo_steps():
        if step.name in names and step.name not in done:
            print(f"Demo step {step.name} ...", flush=True)
            print("  " + step.run(seed=2026, now=timezone.now()), flush=True)
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO bench_demo_steps (name) VALUES (%s)", [step.name])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--demo-step",
        action="append",
        default=[],
        metavar="NAME",
        help="also run this seed_demo step (e.g. relations) once, so the other apps' dashboard "
        "panels have data to draw; repeatable",
    )
    args = parser.parse_args()

    setup_portfolio("klantbinding_bench_dashboard", customers=args.customers, history_months=12)
    seed_demo_steps(args.demo_step)
    time_the_dashboard()
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from scoring.models import Customer, ScoreSnapshot

    print(
        f"Portfolio: {Customer.objects.count()} customers "
        f"({Customer.objects.filter(active=True).count()} active), "
        f"{ScoreSnapshot.objects.count()} stored results (12 months of history), PostgreSQL "
        f"{connection.cursor().connection.info.server_version}"
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    client.force_login(get_user_model().objects.get(username="directie"))
    url = reverse("scoring:dashboard")
    for _ in range(2):  # warm up: imports, template and translation caches, plans
        cache.clear()
        request_once(client, url)

    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    statements = [q["sql"] for q in captured.captured_queries]

    totals, splits, floors, cached = [], [], [], []
    size = (0, 0)
    count = cached_count = 0
    for _ in range(args.repeat):
        cache.clear()  # as after a change of the data: the request builds the page
        total, split, count, size = request_once(client, url)
        totals.append(total)
        splits.append(split)
        floors.append(floor_once(statements))
        seconds, _split, cached_count, _size = request_once(client, url)  # from the cache
        cached.append(seconds)

    median = statistics.median(totals)
    floor = statistics.median(floors)
    ms = 1000.0
    print(f"\nFull dashboard as management, {args.repeat} requests (median):")
    print(
        f"  server time  {median * ms:7.1f} ms   runs: "
        + ", ".join(f"{t * ms:.0f}" for t in totals)
    )
    labels = {
        "sql": f"SQL ({count} statements)",
        "dataframes": "DataFrame work",
        "figures": "figure building",
        "rendering": "rendering",
        "other": "other (middleware, form)",
    }
    for part in PARTS:
        print(f"    {labels[part]:<26} {statistics.median(s[part] for s in splits) * ms:7.1f} ms")
    print(
        f"  floor        {floor * ms:7.1f} ms   (the same {len(statements)} statements, raw "
        "cursor, all rows fetched)"
    )
    print(f"  ratio server / floor: {median / floor:.2f}x   (goals: < 300 ms and < 3x)")
    print(
        f"  from the cache {statistics.median(cached) * ms:7.1f} ms   ({cached_count} statements; "
        "the requests after the first, until the data changes)"
    )
    print(f"  page size: {size[0] / 1024:.0f} KiB, sent gzipped: {size[1] / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
