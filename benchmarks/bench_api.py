"""The REST API through gunicorn on loopback, next to a trivial authenticated endpoint.

Run with `.venv/bin/python benchmarks/bench_api.py` (PostgreSQL must be up). It seeds 10,000
customers with four months of score history into its own database `kb_api_bench` once, starts
gunicorn on 127.0.0.1:8150 (2 sync workers, persistent database connections) and, as a
management token over HTTP:

- walks the whole customer list (every page of 100, following `next`) and makes as many
  requests to `/api/v1/me/` (the floor: token auth, throttling, one JSON body);
- reads 1,000 scores of random customers (previous score, why it moved, perception gap) in
  turns with 1,000 requests to the floor;
- upserts 10,000 new customers in batches of 1,000 (creates), then the same 10,000 again
  with a changed sector (updates), and removes them afterwards.

The goal: the walk's requests and the score reads each within 3x the floor; the upserts take
seconds, not minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import ROOT, setup_portfolio

GOAL = 3.0
DATABASE = "kb_api_bench"
PORT = 8150


class Api:
    """Requests with the token over one keep-alive connection where the server allows it."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}

    def call(self, path: str, body: object | None = None) -> tuple[float, dict | list]:
        """Milliseconds of one request and its JSON answer (exits on a non-2xx answer)."""
        url = path if path.startswith("http") else self.base + path
        data = None if body is None else json.dumps(body).encode()
        headers = {**self.headers, **({"Content-Type": "application/json"} if data else {})}
        request = urllib.request.Request(url, data=data, headers=headers)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            sys.exit(f"{url}: {error.code} {error.read()[:500]!r}")
        return (time.perf_counter() - started) * 1000, json.loads(payload)


def _gunicorn(env: dict[str, str], token: str) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "klantbinding.wsgi:application",
            "--bind", f"127.0.0.1:{PORT}", "--workers", "2", "--log-level", "warning",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/api/v1/me/", headers={"Authorization": f"Bearer {token}"}
    )
    while time.monotonic() < deadline and server.poll() is None:
        try:
            urllib.request.urlopen(request, timeout=10).read()
            return server
        except OSError:  # not listening yet, or still starting
            time.sleep(0.3)
    server.terminate()
    sys.exit("gunicorn did not answer within 120 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--reads", type=int, default=1000)
    args = parser.parse_args()

    setup_portfolio(DATABASE, customers=args.customers, seed=args.seed, history_months=4)
    import random

    from django.contrib.auth import get_user_model
    from django.db import connection

    from api.services.tokens import token_create
    from scoring import services
    from scoring.models import Customer, ScoreSnapshot

    if not ScoreSnapshot.objects.filter(is_current=True).exists():
        services.scores_refresh()
    Customer.objects.filter(external_id__startswith="BENCH-").delete()
    boss = get_user_model().objects.get(username="directie")
    token = token_create(user=boss, name="benchmark", scope="read_write").secret
    external_ids = list(
        Customer.objects.filter(snapshots__is_current=True).values_list("external_id", flat=True)
    )
    print(
        f"Portfolio: {Customer.objects.count()} customers, "
        f"{ScoreSnapshot.objects.count()} stored scores, "
        f"PostgreSQL {connection.cursor().connection.info.server_version}"
    )
    connection.close()

    env = {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "KB_DEVELOPMENT": "1",
        "DJANGO_DEBUG": "false",
        "DJANGO_CONN_MAX_AGE": "600",
        "KB_API_RATE": "10000000/min",
        "CELERY_BROKER_URL": "memory://",  # nothing here queues a task; never a real broker
    }
    server = _gunicorn(env, token)
    try:
        api = Api(f"http://127.0.0.1:{PORT}", token)
        for _ in range(20):  # warm both workers
            api.call("/api/v1/me/")
            api.call(f"/api/v1/customers/{external_ids[0]}/score/")
        failures = []
        print(f"\n{'requests':<44} {'median':>9} {'floor':>8} {'total':>9} {'x floor':>8}")

        # The full walk of the customer list, and as many requests to the floor.
        walk, floor, seen = [], [], 0
        url: str | None = "/api/v1/customers/?limit=100"
        while url:
            ms, page = api.call(url)
            walk.append(ms)
            assert isinstance(page, dict)
            seen += len(page["results"])
            url = page["next"]
            floor.append(api.call("/api/v1/me/")[0])
        if seen != len(external_ids) and seen != Customer.objects.count():
            sys.exit(f"the walk saw {seen} customers")
        ratio = statistics.median(walk) / statistics.median(floor)
        print(
            f"{f'customer list, {len(walk)} pages of 100 ({seen})':<44} "
            f"{statistics.median(walk):6.1f} ms {statistics.median(floor):5.1f} ms "
            f"{sum(walk) / 1000:7.2f} s {ratio:7.2f}x"
        )
        if ratio >= GOAL:
            failures.append("customer list walk")

        # Score reads of random customers, in turns with the floor.
        rng = random.Random(args.seed)
        reads, floor = [], []
        for external_id in rng.choices(external_ids, k=args.reads):
            ms, body = api.call(f"/api/v1/customers/{external_id}/score/")
            assert isinstance(body, dict) and body["customer"] == external_id
            reads.append(ms)
            floor.append(api.call("/api/v1/me/")[0])
        ratio = statistics.median(reads) / statistics.median(floor)
        print(
            f"{f'score reads ({args.reads}, with why and gap)':<44} "
            f"{statistics.median(reads):6.1f} ms {statistics.median(floor):5.1f} ms "
            f"{sum(reads) / 1000:7.2f} s {ratio:7.2f}x"
        )
        if ratio >= GOAL:
            failures.append("score reads")
        print(
            f"{'  p95 score read, p95 floor':<44} "
            f"{statistics.quantiles(reads, n=20)[18]:6.1f} ms "
            f"{statistics.quantiles(floor, n=20)[18]:5.1f} ms"
        )

        # Upserts: 10,000 new customers in batches of 1,000, then the same again as updates.
        managers = ["anne", "bart", "chantal", "daan", "eva"]
        for label, sector in (("creates", "Logistiek"), ("updates", "Bouw")):
            rows = [
                {
                    "external_id": f"BENCH-{i:05d}",
                    "name": f"Benchmark klant {i}",
                    "account_manager_email": f"{managers[i % 5]}@klantbinding.example",
                    "sector": sector,
                    "annual_revenue": f"{100_000 + i}.00",
                    "margin_pct": 12.5,
                    "revenue_potential": "150000",
                    "payment_behaviour": "good",
                }
                for i in range(10_000)
            ]
            started = time.perf_counter()
            batches = []
            for start in range(0, len(rows), 1000):
                ms, result = api.call(
                    "/api/v1/customers/", {"customers": rows[start : start + 1000]}
                )
                batches.append(ms)
                assert isinstance(result, dict)
            total = time.perf_counter() - started
            print(
                f"{f'upsert 10,000 in batches of 1,000 ({label})':<44} "
                f"{statistics.median(batches):6.0f} ms {'':>8} {total:7.2f} s"
            )
            if total > 60:
                failures.append(f"upsert ({label})")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        Customer.objects.filter(external_id__startswith="BENCH-").delete()
    print("\ngoal: each within 3x the floor; upserts in seconds, not minutes")
    if failures:
        sys.exit(f"over the goal: {', '.join(failures)}")


if __name__ == "__main__":
    main()
