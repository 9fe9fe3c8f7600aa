"""The rule for one customer: the one-customer path next to the portfolio rule on one customer.

Run with `.venv/bin/python benchmarks/bench_rule.py` (PostgreSQL must be up; DATABASE_URL
picks the database, else `klantbinding_bench`, the recompute benchmark's, seeded once with
10,000 customers). For a sample of customers it times, in turns so both see the same load:

- the rule alone: ``compute_customer`` on the customer's rows against ``compute_portfolio`` on
  the same customer's frames (what the customer page, each live preview and each submit paid
  before issue 12);
- with the reads: ``customer_results`` (one query, then the rule) against
  ``assessment_frames`` + ``compute_portfolio``;
- a customer page's history: the own score of 20 assessments (``assessment_scores``), computed
  (the first view with the model) and from the cache (every later view).

Every customer's results are compared, number for number, between both paths. Goal: the
one-customer rule well under 5 ms.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import setup_portfolio

GOAL_MS = 5.0


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return f"{statistics.median(samples) * 1000:8.3f} ms  p95 {p95 * 1000:8.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sample", type=int, default=200, help="customers timed")
    args = parser.parse_args()

    setup_portfolio("klantbinding_bench", customers=args.customers, seed=args.seed)
    import numpy as np
    from django.core.cache import cache
    from django.db import connection
    from django.utils import timezone

    from scoring import calculations, selectors
    from scoring.conf import rule_params
    from scoring.models import Assessment, Customer

    params = rule_params()
    model = selectors.scoring_model_active()
    frame_elements = selectors.elements_frame(model)
    elements = selectors.rule_elements(model)
    now = timezone.now()
    start = params.window_start(now)
    ids = list(
        Customer.objects.filter(assessments__isnull=False)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    step = max(1, len(ids) // args.sample)
    sample = ids[::step][: args.sample]
    print(
        f"Portfolio: {Customer.objects.count()} customers, {Assessment.objects.count()} "
        f"assessments, PostgreSQL {connection.cursor().connection.info.server_version}; "
        f"{len(sample)} customers timed"
    )

    fast_rule, slow_rule, fast_read, slow_read, mismatches = [], [], [], [], 0
    for customer_id in sample:
        rows = selectors.customer_rule_rows([customer_id], start=start, end=now)
        assessments, scores = rows.get(customer_id, ([], []))
        frames = selectors.assessment_frames(start=start, end=now, customer_ids=[customer_id])

        started = time.perf_counter()
        one = calculations.compute_customer(assessments, scores, elements, now=now, params=params)
        fast_rule.append(time.perf_counter() - started)
        started = time.perf_counter()
        portfolio = calculations.compute_portfolio(
            *frames, frame_elements, now=now, params=params, customer_ids=[customer_id]
        )
        slow_rule.append(time.perf_counter() - started)

        started = time.perf_counter()
        selectors.customer_results([customer_id], now=now, scoring_model=model)
        fast_read.append(time.perf_counter() - started)
        started = time.perf_counter()
        calculations.compute_portfolio(
            *selectors.assessment_frames(start=start, end=now, customer_ids=[customer_id]),
            selectors.elements_frame(model),
            now=now,
            params=params,
            customer_ids=[customer_id],
        )
        slow_read.append(time.perf_counter() - started)

        row = portfolio.scores.loc[customer_id]
        same = all(
            (getattr(one, c) is None and math.isnan(row[c])) or getattr(one, c) == row[c]
            for c in ("binding_score", *calculations.FACTORS, "coverage")
        )
        same = same and one.band == row["band"] and one.respondents == row["respondents"]
        same = same and np.array_equal(
            np.asarray(one.element_values),
            portfolio.element_values.loc[customer_id].to_numpy(dtype=float),
            equal_nan=True,
        )
        mismatches += not same

    history = list(Assessment.objects.order_by("-assessed_at", "-pk")[:20])
    page, cached = [], []
    for _ in range(50):
        cache.clear()  # computed: the first view of these assessments with this model
        started = time.perf_counter()
        selectors.assessment_scores(history, now=now)
        page.append(time.perf_counter() - started)
        started = time.perf_counter()  # every later view: from the cache
        selectors.assessment_scores(history, now=now)
        cached.append(time.perf_counter() - started)

    rule_ratio = statistics.median(slow_rule) / statistics.median(fast_rule)
    read_ratio = statistics.median(slow_read) / statistics.median(fast_read)
    print(f"\n{'one customer':<44} {'median':>11} {'':>16}")
    print(f"{'rule: compute_customer':<44} {_ms(fast_rule)}")
    print(f"{'rule: compute_portfolio (one customer)':<44} {_ms(slow_rule)}   ({rule_ratio:.0f}x)")
    print(f"{'with reads: customer_results':<44} {_ms(fast_read)}")
    print(
        f"{'with reads: assessment_frames + portfolio':<44} {_ms(slow_read)}   ({read_ratio:.0f}x)"
    )
    print(f"{'own scores of a 20-assessment history page':<44} {_ms(page)}")
    print(f"{'  the same, computed once, from the cache':<44} {_ms(cached)}")
    print(f"\nResults that differ between both paths: {mismatches} of {len(sample)}")
    fast = statistics.median(fast_rule) * 1000
    verdict = "within" if fast < GOAL_MS else "OVER"
    print(f"One-customer rule {fast:.3f} ms median: {verdict} the goal of {GOAL_MS:.0f} ms.")
    if mismatches or fast >= GOAL_MS:
        sys.exit(1)


if __name__ == "__main__":
    main()
