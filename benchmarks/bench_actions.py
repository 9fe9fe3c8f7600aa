"""Server time of the effect report on 10,000 customers, next to its SQL floor.

Run with `.venv/bin/python benchmarks/bench_actions.py` (PostgreSQL must be up). It seeds once,
into its own database: 10,000 customers with their assessment history (the demo portfolio),
two-monthly survey answers over the last 18 months, and 2,000 improvement actions over the
last year with effects planted in the answers after them: 1,200 decided by hand (six action
types) and one campaign of 1,000 customers with a 20 % control group (800 actions). Then, in
the same run:

- requests the full effect report as management through Django's test client (sessions,
  auth, middleware, template: everything but the network), all action types, both
  estimators, the bootstrap of 2,000 resamples included, several times, and splits each
  request into SQL (every statement, timed by a database execute wrapper), reading the rows
  into frames, the engine (with its own stages), and rendering with the rest;
- captures the exact SQL statements one request ran and executes them again, raw, through a
  cursor, fetching every row: the floor no report can go below.

Goals (issue 13): the page under 1 s and within 3x of the floor.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import setup_portfolio

ACTIONS = 2_000
CAMPAIGN = 1_000
PER_TYPE = (ACTIONS - CAMPAIGN * 80 // 100) // 6  # six action types decided by hand


class SqlTimer:
    """Execute wrapper: seconds spent in the database and statements run."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.statements = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.statements += 1


def seed_actions_once() -> None:
    from django.db import connection
    from django.utils import timezone

    from actions.demo import seed_actions
    from actions.models import Action

    if Action.objects.exists():
        return
    print("Seeding actions, the campaign and two-monthly survey answers ...", flush=True)
    started = time.perf_counter()
    line = seed_actions(seed=2026, now=timezone.now(), per_type=PER_TYPE, campaign_size=CAMPAIGN)
    print(f"  {line}\n  seeded in {time.perf_counter() - started:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def request_once(client, url: str) -> tuple[float, dict[str, float], int, int]:
    """One report request: total seconds, the split, statements and page size."""
    from django.db import connection

    timer = SqlTimer()
    with connection.execute_wrapper(timer):
        started = time.perf_counter()
        response = client.get(url)
        total = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    timings = response.wsgi_request.report_timings
    split = {
        "sql": timer.seconds,
        "frames": max(0.0, timings["read"] - timer.seconds),
        "engine": timings["engine"],
    }
    split["rendering"] = total - sum(split.values())
    engine = {k.split(":", 1)[1]: v for k, v in timings.items() if k.startswith("engine:")}
    split.update({f"  engine: {k}": v for k, v in engine.items()})
    return total, split, timer.statements, len(response.content)


def floor_once(statements: list[str]) -> float:
    """The captured statements executed again, raw, every row fetched."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, below Django's wrappers
        for sql in statements:
            sql = re.sub(r"^DECLARE .*? CURSOR (WITH(OUT)? HOLD )?FOR ", "", sql, flags=re.S)
            raw.execute(sql)
            if raw.description is not None:
                raw.fetchall()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    setup_portfolio("klantbinding_bench_actions", customers=args.customers, history_months=0)
    seed_actions_once()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from actions.models import Action, CampaignAssignment
    from scoring.models import Assessment, Customer, ElementScore

    print(
        f"Portfolio: {Customer.objects.count()} customers, {Assessment.objects.count()} "
        f"assessments, {ElementScore.objects.count()} element scores, "
        f"{Action.objects.exclude(decided_at=None).count()} decided actions "
        f"({Action.objects.exclude(campaign=None).count()} in a campaign of "
        f"{CampaignAssignment.objects.count()} customers), PostgreSQL "
        f"{connection.cursor().connection.info.server_version}"
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    client.force_login(get_user_model().objects.get(username="directie"))
    url = reverse("actions:report")
    for _ in range(2):  # warm up: imports, template and translation caches, plans
        request_once(client, url)

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    statements = [q["sql"] for q in captured.captured_queries]

    totals, splits, floors = [], [], []
    size = count = 0
    for _ in range(args.repeat):
        total, split, count, size = request_once(client, url)
        totals.append(total)
        splits.append(split)
        floors.append(floor_once(statements))

    median = statistics.median(totals)
    floor = statistics.median(floors)
    ms = 1000.0
    print(f"\nFull effect report as management, {args.repeat} requests (median):")
    print(
        f"  server time  {median * ms:7.1f} ms   runs: "
        + ", ".join(f"{t * ms:.0f}" for t in totals)
    )
    labels = {"sql": f"SQL ({count} statements)", "frames": "rows into frames"}
    for part in splits[0]:
        value = statistics.median(s.get(part, 0.0) for s in splits)
        print(f"    {labels.get(part, part):<32} {value * ms:7.1f} ms")
    print(f"  page size    {size / 1024:7.1f} KiB")
    print(f"  SQL floor    {floor * ms:7.1f} ms   (the same {len(statements)} statements, raw)")
    ratio = median / floor if floor else float("inf")
    print(f"  ratio        {ratio:7.2f}x the floor")
    goal = median < 1.0 and ratio <= 3.0
    print(f"\nGoal (under 1 s and within 3x the floor): {'met' if goal else 'NOT met'}")


if __name__ == "__main__":
    main()
