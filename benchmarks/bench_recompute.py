"""Full recompute of every customer's stored score, next to a hand-written floor.

Run with `make bench` (PostgreSQL must be up). It seeds 10,000 customers (about 5 assessments
each, about 600,000 element scores) into its own database once, then in the same run times:

- the app: publishing a new model version, which recomputes and stores every snapshot
  (selectors → scoring.calculations → bulk insert), and a refresh in which nothing changed;
- the floor: one raw SELECT of the same rows through a psycopg cursor, the rule written in
  plain NumPy, and one bulk insert (COPY) of the results into a scratch table.

The floor's scores are checked against the app's, so both compute the same thing. The runs
write (each publish stores 10,000 snapshots and a model version), so they happen on a scratch
copy of the seeded database that is dropped afterwards: every run starts from the same data,
and the database is left as it was found (checked at the end).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import scratch_copy, setup_portfolio
from benchmarks.timing import Stopwatch

CLOCK = Stopwatch()


def time_the_refresh() -> None:
    """Split a refresh by wrapping what it calls: the reads, the rule, the comparison with
    the stored fingerprints and the store."""
    from scoring import calculations, selectors, snapshots

    for name in ("scoring_model_active", "elements_frame", "assessment_frames", "last_assessed_at"):
        CLOCK.wrap(selectors, name, "read")
    CLOCK.wrap(snapshots, "current_fingerprints", "read")
    CLOCK.wrap(calculations, "compute_portfolio", "rule")
    CLOCK.wrap(snapshots, "changed_snapshots", "compare")
    CLOCK.wrap(snapshots, "snapshots_store", "store")


def floor_run(now, params, elements) -> tuple[dict[str, float], dict[int, float]]:
    """The floor: one SELECT, the rule in plain NumPy, one COPY. Returns timings and scores."""
    import numpy as np
    from django.db import connection

    codes = list(elements["code"])
    weights = elements["weight"].to_numpy(dtype=float)
    factor_names = ["satisfaction", "alternatives", "investment"]
    factor_of = np.array([factor_names.index(f) for f in elements["factor"]])
    kinds = ["staff", "customer", "expert"]
    source = np.array([params.source_weights[k] for k in kinds])
    timings: dict[str, float] = {}

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, code FROM scoring_element")
        code_of_element = dict(cursor.fetchall())
        # Numbers only, so the rows load straight into one NumPy array: the kind as 0/1/2,
        # the respondent's e-mail as a 32-bit hash, the time as epoch seconds, "don't know"
        # and assessments without answers as -1.
        cursor.execute(
            "SELECT a.id, a.customer_id, "
            "CASE a.respondent_kind WHEN 'staff' THEN 0 WHEN 'customer' THEN 1 ELSE 2 END, "
            "hashtext(LOWER(a.respondent_email)), EXTRACT(EPOCH FROM a.assessed_at)::float8, "
            "COALESCE(s.element_id, -1), COALESCE(s.value, -1) "
            "FROM scoring_assessment a LEFT JOIN scoring_elementscore s "
            "ON s.assessment_id = a.id AND s.value IS NOT NULL "
            "WHERE a.assessed_at >= %s AND a.assessed_at <= %s",
            [params.window_start(now), now],
        )
        rows = cursor.fetchall()
    timings["select"] = time.perf_counter() - started

    started = time.perf_counter()
    table = np.array(rows, dtype=float)
    assessment = table[:, 0].astype(np.int64)
    customer = table[:, 1].astype(np.int64)
    kind = table[:, 2].astype(np.int64)
    email_hash = table[:, 3].astype(np.int64)
    at = table[:, 4]
    element_ids = table[:, 5].astype(np.int64)
    value = np.where(table[:, 6] < 0, np.nan, table[:, 6])
    code_index = {c: i for i, c in enumerate(codes)}
    element_of_id = np.full(max(code_of_element) + 2, -1, dtype=np.int64)
    for element_id, code in code_of_element.items():
        element_of_id[element_id] = code_index.get(code, -1)
    element = element_of_id[element_ids]  # -1 (no score) maps to the spare last slot: -1
    # Latest assessment per respondent (customer, kind, e-mail): the last by (time, id).
    respondent_key = (customer * 3 + kind) * (2**33) + (email_hash + 2**31)
    _, respondent = np.unique(respondent_key, return_inverse=True)
    order = np.lexsort((assessment, at, respondent))
    last_of_respondent = np.ones(len(order), dtype=bool)
    last_of_respondent[:-1] = respondent[order][1:] != respondent[order][:-1]
    latest_ids = np.unique(assessment[order][last_of_respondent])
    keep = np.isin(assessment, latest_ids) & ~np.isnan(value) & (element >= 0)
    customer, kind, element, value = customer[keep], kind[keep], element[keep], value[keep]
    respondent = respondent[keep]
    customers = np.unique(customer)
    c_index = np.searchsorted(customers, customer)
    n_c, n_e, n_k = len(customers), len(codes), len(kinds)
    # m_ek per customer, element and kind.
    cell = (c_index * n_e + element) * n_k + kind
    sums = np.bincount(cell, weights=value, minlength=n_c * n_e * n_k)
    counts = np.bincount(cell, minlength=n_c * n_e * n_k)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (sums / counts).reshape(n_c, n_e, n_k)
        answered = counts.reshape(n_c, n_e, n_k) > 0
        sw = np.where(answered, source, 0.0)
        v = (np.where(answered, means, 0.0) * source).sum(axis=2) / sw.sum(axis=2)
        has = sw.sum(axis=2) > 0
        w = np.where(has, weights, 0.0)
        score = 100 * np.nansum(np.where(has, v, 0) * weights, axis=1) / (6 * w.sum(axis=1))
        factors = []
        for f in range(3):
            mask = factor_of == f
            factors.append(
                100
                * np.nansum(np.where(has[:, mask], v[:, mask], 0) * weights[mask], axis=1)
                / (6 * w[:, mask].sum(axis=1))
            )
    coverage = 100 * w.sum(axis=1) / weights.sum()
    rounded = np.floor(score * 10 + 0.5 + 1e-9) / 10
    t0, t1, t2 = params.band_thresholds
    band = np.select(
        [rounded < t0, rounded < t1, rounded < t2], ["red", "orange", "yellow"], "green"
    )
    band[np.isnan(score)] = ""
    pairs = np.unique(np.stack([c_index, respondent]), axis=1)
    respondents = np.bincount(pairs[0], minlength=n_c)
    timings["numpy rule"] = time.perf_counter() - started

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor_snapshot")
        cursor.execute(
            "CREATE TABLE bench_floor_snapshot (LIKE scoring_scoresnapshot INCLUDING ALL)"
        )
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(
            "COPY bench_floor_snapshot (customer_id, scoring_model_id, computed_at, is_current, "
            "binding_score, satisfaction, alternatives, investment, coverage, provisional, band, "
            "respondents, details, fingerprint) FROM STDIN"
        ) as copy:
            model_id = int(elements.attrs["scoring_model_id"])
            # The same details line the app stores: values, then each kind's means.
            matrix = np.hstack(
                [np.where(has, v, np.nan)]
                + [np.where(answered[:, :, k], means[:, :, k], np.nan) for k in range(n_k)]
            )
            text = np.round(matrix, 3).astype(str)
            text[np.isnan(matrix)] = ""
            details = [",".join(row) for row in text.tolist()]
            for i, customer_id in enumerate(customers.tolist()):
                copy.write_row(
                    (
                        customer_id,
                        model_id,
                        now,
                        True,
                        None if np.isnan(score[i]) else float(score[i]),
                        *(None if np.isnan(f[i]) else float(f[i]) for f in factors),
                        float(coverage[i]),
                        bool(coverage[i] < params.provisional_coverage),
                        str(band[i]),
                        int(respondents[i]),
                        details[i],
                        "",
                    )
                )
        cursor.execute("DROP TABLE bench_floor_snapshot")
    timings["bulk insert"] = time.perf_counter() - started
    timings["total"] = sum(timings.values())
    return timings, dict(zip(customers.tolist(), score.tolist(), strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    setup_portfolio("klantbinding_bench", customers=args.customers, seed=args.seed)
    time_the_refresh()
    from scoring.models import ScoreSnapshot, ScoringModel

    def state() -> tuple[int, int, int | None]:
        active = ScoringModel.objects.filter(is_active=True).values_list("pk", flat=True).first()
        return ScoreSnapshot.objects.count(), ScoringModel.objects.count(), active

    found = state()
    with scratch_copy():
        failed = run(args)
    left = state()
    print(
        f"  database as found: {found[0]} snapshots, {found[1]} model versions; "
        f"as left: {left[0]} snapshots, {left[1]} model versions"
        + (" (unchanged)" if left == found else " (CHANGED)")
    )
    if failed or left != found:
        sys.exit(1)


def run(args: argparse.Namespace) -> bool:
    """The timed runs, on the scratch copy; True when the floor's scores differ from the app's."""
    from django.db import connection

    from scoring import selectors, services
    from scoring.conf import rule_params
    from scoring.models import Customer, ElementScore, ScoreSnapshot

    params = rule_params()
    print(
        f"Portfolio: {Customer.objects.count()} customers, "
        f"{ElementScore.objects.count()} element scores, PostgreSQL "
        f"{connection.cursor().connection.info.server_version}"
    )

    app_times, unchanged_times, floor_times = [], [], []
    app_split: list[dict[str, float]] = []
    floor_split: list[dict[str, float]] = []
    for _ in range(args.repeat):
        draft = services.scoring_model_draft_create()
        CLOCK.reset()
        started = time.perf_counter()
        result = services.scoring_model_publish(scoring_model=draft)
        app_times.append(time.perf_counter() - started)
        app_split.append(dict(CLOCK.seconds))
        assert result.changed >= 0.9 * args.customers, result

        started = time.perf_counter()
        services.scores_refresh(now=result.computed_at)
        unchanged_times.append(time.perf_counter() - started)

        model = selectors.scoring_model_active()
        elements = selectors.elements_frame(model)
        elements.attrs["scoring_model_id"] = model.pk
        split, floor_scores = floor_run(result.computed_at, params, elements)
        floor_times.append(split["total"])
        floor_split.append(split)

    # Both compute the same thing: compare the floor's scores with the stored ones.
    stored = dict(
        ScoreSnapshot.objects.filter(is_current=True).values_list("customer_id", "binding_score")
    )

    def differs(customer_id: int, floor_score: float) -> bool:
        app_score = stored.get(customer_id)
        if app_score is None:
            return floor_score == floor_score  # NaN in the floor means "no score" too
        return abs(app_score - floor_score) > 1e-6

    mismatches = [c for c, s in floor_scores.items() if differs(c, s)]
    app = statistics.median(app_times)
    floor = statistics.median(floor_times)
    print(f"\nFull recompute and store of {args.customers} customers ({args.repeat} runs, median):")
    print(
        f"  app   (publish new model version): {app:6.2f} s   runs: "
        + ", ".join(f"{t:.2f}" for t in app_times)
    )
    for part in ("read", "rule", "compare", "store"):
        print(f"      {part:<12} {statistics.median(s.get(part, 0.0) for s in app_split):6.2f} s")
    print(f"  app   (refresh, nothing changed):  {statistics.median(unchanged_times):6.2f} s")
    print(
        f"  floor (SELECT + NumPy + COPY):     {floor:6.2f} s   runs: "
        + ", ".join(f"{t:.2f}" for t in floor_times)
    )
    for part in ("select", "numpy rule", "bulk insert"):
        print(f"      {part:<12} {statistics.median(s[part] for s in floor_split):6.2f} s")
    print(f"  ratio app / floor: {app / floor:.2f}x   (goal: app < 3 s and ratio < 3x)")
    print(f"  floor scores that differ from the app's: {len(mismatches)}")
    for c in mismatches[:5]:
        print(f"    customer {c}: app {stored.get(c)}, floor {floor_scores[c]}")
    return bool(mismatches)


if __name__ == "__main__":
    main()
