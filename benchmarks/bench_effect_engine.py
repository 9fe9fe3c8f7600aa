"""The effect report's engine alone (actions.calculations), without database or page.

Issue 13's size: 10,000 customers, 12 months of assessments (~66,000 assessments, ~710,000
element values), 2,000 actions: 1,200 decided by hand over six action types (one on the whole
binding) and one campaign of 1,000 customers with a 20 % holdout (800 actions). Builds the
frames with the tests' synthetic portfolio, then times ``effect_report`` (both estimators,
2,000 bootstrap resamples) a few times and prints the median, its split per stage, and the
CPU time (the machine is shared: CPU time says what the engine costs when the wall clock
waits for other processes).

    .venv/bin/python benchmarks/bench_effect_engine.py [--customers 10000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from actions.calculations import effect_report, matched_controls  # noqa: E402
from tests.actions.test_calculations import (  # noqa: E402
    DEFAULT_MODEL,
    START,
    synthetic_portfolio,
)

TYPES = {  # action type → element ("" = the whole binding)
    1: "knowledge_advantage",
    2: "personal_bond",
    3: "it_integration",
    4: "contract",
    5: "performance",
    6: "",
}


def portfolio(customers: int, seed: int = 2026):
    """The frames of issue 13's benchmark, scaled to ``customers``."""
    synthetic = synthetic_portfolio(
        seed=seed,
        customers=customers,
        elements=DEFAULT_MODEL,
        days=365,
        every={"staff": 120, "customer": 180, "expert": 180},
        contacts=(1, 2),
        expert_share=0.3,
        answer_rate=0.9,
        customer_spread=0.7,
        treated=0,
        select_below=None,
    )
    rng = np.random.default_rng(seed)
    ids = np.arange(1, customers + 1)
    n_own = customers * 12 // 100
    types = rng.integers(1, len(TYPES) + 1, size=n_own)
    own = pd.DataFrame(
        {
            "action_id": np.arange(1, n_own + 1),
            "customer_id": rng.choice(ids, size=n_own),
            "action_type_id": types,
            "code": [TYPES[t] for t in types],
            "decided_at": pd.Timestamp(START)
            + pd.to_timedelta(rng.uniform(0, 365, size=n_own), unit="D"),
            "campaign_id": None,
        }
    )
    pool = rng.permutation(ids)[: customers // 10]
    arm = np.where(rng.random(len(pool)) < 0.2, "control", "action")
    started = pd.Timestamp(START) + pd.Timedelta(days=150)
    assignments = pd.DataFrame(
        {
            "campaign_id": 1,
            "customer_id": pool,
            "arm": arm,
            "started_at": started,
            "action_type_id": 1,
            "code": TYPES[1],
        }
    )
    in_campaign = pool[arm == "action"]
    campaign = pd.DataFrame(
        {
            "action_id": np.arange(n_own + 1, n_own + 1 + len(in_campaign)),
            "customer_id": in_campaign,
            "action_type_id": 1,
            "code": TYPES[1],
            "decided_at": started,
            "campaign_id": 1,
        }
    )
    actions = pd.concat([own, campaign], ignore_index=True)
    return synthetic, actions, assignments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    synthetic, actions, assignments = portfolio(args.customers)
    print(
        f"{args.customers:,} customers, {len(synthetic.assessments):,} assessments, "
        f"{len(synthetic.scores):,} element values, {len(actions):,} actions "
        f"({int(actions['campaign_id'].notna().sum()):,} in the campaign)"
    )

    def run():
        return effect_report(
            synthetic.assessments,
            synthetic.scores,
            synthetic.elements,
            actions,
            now=synthetic.now,
            assignments=assignments,
        )

    run()  # warm-up: imports, first-touch of the arrays
    walls, cpus, splits = [], [], []
    for _ in range(args.repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        report = run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        splits.append((report.timings, report.cpu_timings))
    middle = int(np.argsort(walls)[len(walls) // 2])
    print(
        f"effect_report: median {statistics.median(walls) * 1000:.0f} ms wall "
        f"(min {min(walls) * 1000:.0f}), {statistics.median(cpus) * 1000:.0f} ms CPU, "
        f"{len(report.groups)} groups"
    )
    wall_split, cpu_split = splits[middle]
    print(
        "  split of the median run (wall / CPU): "
        + ", ".join(
            f"{stage} {seconds * 1000:.0f} / {cpu_split[stage] * 1000:.0f} ms"
            for stage, seconds in wall_split.items()
            if stage in cpu_split  # "bootstrap" is a part of "matched", timed by wall only
        )
    )
    wall = time.perf_counter()
    controls = matched_controls(
        synthetic.assessments, synthetic.scores, synthetic.elements, actions, now=synthetic.now
    )
    print(
        f"matched_controls: {(time.perf_counter() - wall) * 1000:.0f} ms, "
        f"{len(controls):,} (action, control, kind) rows"
    )


if __name__ == "__main__":
    main()
