"""Server time of the effect report on 10,000 customers, next to its SQL floor.

Run with `.venv/bin/python benchmarks/bench_actions.py` (PostgreSQL must be up). It seeds once,
into its own database: 10,000 customers with their assessment history (the demo portfolio),
two-monthly survey answers over the last 18 months, and 2,000 improvement actions over the
last year with effects planted in the answers after them: 1,200 decided by hand (six action
types) and one campaign of 1,000 customers with a 20 % control group (800 actions).

The page serves the report stored by its last computation (actions/services/report.py), so two
things are timed, each next to its own floor in the same run:

- **the page**: the full effect report requested as management through Django's test client
  (sessions, auth, middleware, template: everything but the network), served from the store,
  split into SQL (every statement, timed by a database execute wrapper), the rest of the read
  (the small inputs into frames, their hash, the stored report unpickled, the names) and
  rendering. Its floor: the exact statements one request ran, executed again, raw, through a
  cursor, fetching every row.
- **the computation** behind it (what a change of the inputs costs, in the Celery task): all
  action types, both estimators, the bootstrap of 2,000 resamples, split into SQL, rows into
  frames, the estimators, the bootstrap and storing; its floor likewise its own statements run
  raw.

Goals (issue 13): the page under 1 s and within 3x of its floor.
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
    assert timings["engine"] == 0.0, "the page computed the report instead of serving it"
    split = {"sql": timer.seconds, "read": max(0.0, timings["read"] - timer.seconds)}
    split["rendering"] = total - sum(split.values())
    return total, split, timer.statements, len(response.content)


def rebuild_once() -> tuple[float, dict[str, float], int]:
    """One computation of the report (forced): total seconds, the split, statements."""
    from django.db import connection

    from actions import services

    timer = SqlTimer()
    with connection.execute_wrapper(timer):
        started = time.perf_counter()
        result = services.effect_report_rebuild(force=True)
        total = time.perf_counter() - started
    t = result.timings
    bootstrap = t.get("engine:bootstrap", 0.0)
    split = {
        "sql": timer.seconds,
        "frames": max(0.0, t["read"] - timer.seconds),
        "estimators": t["engine"] - bootstrap,
        "bootstrap": bootstrap,
        "store": t["store"],
    }
    split.update(
        {f"  engine: {k.split(':', 1)[1]}": v for k, v in t.items() if k.startswith("engine:")}
    )
    return total, split, timer.statements


def captured(call) -> list[str]:
    """The SQL statements ``call`` runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        call()
    return [q["sql"] for q in context.captured_queries]


def floor_once(statements: list[str]) -> float:
    """The captured statements executed again, raw, every row fetched (writes skipped: the
    floor is the reading)."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, below Django's wrappers
        for sql in statements:
            sql = re.sub(r"^DECLARE .*? CURSOR (WITH(OUT)? HOLD )?FOR ", "", sql, flags=re.S)
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            raw.execute(sql)
            if raw.description is not None:
                raw.fetchall()
    return time.perf_counter() - started


def show(title: str, totals, splits, floors, count: int, labels: dict[str, str]) -> float:
    """Print one timed thing; returns its ratio to the floor."""
    ms = 1000.0
    median = statistics.median(totals)
    floor = statistics.median(floors)
    print(f"\n{title}, {len(totals)} runs (median):")
    print(
        f"  time         {median * ms:7.1f} ms   runs: "
        + ", ".join(f"{t * ms:.0f}" for t in totals)
    )
    for part in splits[0]:
        value = statistics.median(s.get(part, 0.0) for s in splits)
        print(f"    {labels.get(part, part):<34} {value * ms:7.1f} ms")
    print(f"  SQL floor    {floor * ms:7.1f} ms   (its own {count} statements, raw)")
    ratio = median / floor if floor else float("inf")
    print(f"  ratio        {ratio:7.2f}x the floor")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rebuilds", type=int, default=3)
    args = parser.parse_args()

    setup_portfolio("klantbinding_bench_actions", customers=args.customers, history_months=0)
    seed_actions_once()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from actions import services
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

    # The computation (what the Celery task does when the inputs change).
    services.effect_report_rebuild(force=True)  # warm-up: imports, plans
    rebuild_sql = captured(lambda: services.effect_report_rebuild(force=True))
    r_totals, r_splits, r_floors = [], [], []
    r_count = 0
    for _ in range(args.rebuilds):
        total, split, r_count = rebuild_once()
        r_totals.append(total)
        r_splits.append(split)
        r_floors.append(floor_once(rebuild_sql))

    # The page, served from the store the computation left.
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    client.force_login(get_user_model().objects.get(username="directie"))
    url = reverse("actions:report")
    for _ in range(2):  # warm up: imports, template and translation caches, plans
        request_once(client, url)
    statements = captured(lambda: client.get(url))
    totals, splits, floors = [], [], []
    size = count = 0
    for _ in range(args.repeat):
        total, split, count, size = request_once(client, url)
        totals.append(total)
        splits.append(split)
        floors.append(floor_once(statements))

    show(
        "Computing the report (all action types, both estimators, bootstrap; stored)",
        r_totals,
        r_splits,
        r_floors,
        r_count,
        {"sql": f"SQL ({r_count} statements)", "frames": "rows into frames"},
    )
    ratio = show(
        "The effect report page as management, served from the store",
        totals,
        splits,
        floors,
        count,
        {
            "sql": f"SQL ({count} statements)",
            "read": "inputs hashed, report unpickled",
        },
    )
    print(f"  page size    {size / 1024:7.1f} KiB")
    median = statistics.median(totals)
    goal = median < 1.0 and ratio <= 3.0
    print(f"\nGoal (the page under 1 s and within 3x its floor): {'met' if goal else 'NOT met'}")


if __name__ == "__main__":
    main()
