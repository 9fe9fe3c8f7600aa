"""A team at work: locust against gunicorn (-w 4) on loopback, PostgreSQL, 10,000 customers.

Run with `.venv/bin/python benchmarks/bench_load.py` (PostgreSQL must be up; redis-server and
locust are used from the machine and the virtualenv). It seeds its own database
`klantbinding_bench_load` once (`seed_demo --customers 10000`, with a year of score history),
then on a scratch copy of it (the submits write assessments; the seeded database stays as it
was) starts a redis-server of its own (the cache and broker, as in production) and gunicorn
with 4 sync workers in production settings, signs the users in (a session each) and runs
locust headless (benchmarks/locustfile.py), in one run on the same server:

1. the load, for 60 s: 50 account managers, 5 s between requests (after each answer): their
   list, a customer page, the matrix with 12 live previews, the submit, the result page; and
   10 managers on the dashboard, 5 s apart, in turn with and without a filter;
2. the floor, for 60 s: the same 60 sessions at the same pace on the sign-in page (a form and
   the layout, no data), so the pages' times can be read as a multiple of what the server,
   the network stack and the machine's other load cost any request in this run;
3. for 20 s, 16 of those sessions on the sign-in page without a pause: what the server serves
   a second of a trivial page, next to what the load got.

It prints p50 / p95 / requests a second per user class (and per step of the account managers'
round) with the ratio to the floor, and whether the goals are met:

- no errors (a wrong status or a page without its content counts as one);
- account managers' p95 under 300 ms, while the server keeps up: at least 90 % of the requests
  the 50 users would make in the minute with instant answers (one each 5 s: 600) are served;
- the dashboard's p95 under 1 s with 10 managers.

The machine may be shared: read the ratios to the floor next to the milliseconds. The
single-request figures (the dashboard's median against its SQL, the one-customer rule, the
pages at 1,000 / 10,000 / 50,000 customers) are bench_dashboard.py, bench_rule.py and
bench_pages.py --growth.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import ROOT, scratch_copy, setup_portfolio

VENV_BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
Sample = tuple[str, str, float, float, bool]  # user class, step, finished at, ms, ok
GOAL_P95_MS = {"account manager": 300.0, "dashboard": 1000.0}
KEEP_UP = 0.9


def _ms(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def write_plan(path: Path, *, managers: int, dashboards: int, pause: float) -> dict[str, Any]:
    """Sign the users in (a session each, as the sign-in form makes one) and write the plan."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from scoring import selectors
    from scoring.demo import ACCOUNT_MANAGERS_DEMO
    from scoring.models import Customer, RespondentKind

    logging.getLogger("axes").setLevel(logging.WARNING)  # a line per signed-in session
    users = get_user_model().objects
    account_managers = [users.get(username=name) for name, _first, _last in ACCOUNT_MANAGERS_DEMO]
    boss = users.get(username="directie")

    def session(user: Any) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    steps = 12 + 5
    planned_managers = []
    for index in range(managers):
        manager = account_managers[index % len(account_managers)]
        own = list(
            Customer.objects.filter(account_manager=manager, active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        per_manager = math.ceil(managers / len(account_managers))
        share = own[index // len(account_managers) :: per_manager][:50]
        planned_managers.append(
            {
                "sessionid": session(manager),
                "customers": share,
                "start_step": index * steps // managers,  # the team spread over the round
            }
        )
    planned_boss = [
        {"sessionid": session(boss), "start_step": index} for index in range(dashboards)
    ]
    sector = Customer.objects.exclude(sector="").values_list("sector", flat=True).first() or ""
    elements = selectors.asked_elements(selectors.scoring_model_active(), RespondentKind.STAFF)
    plan = {
        "pause": pause,
        "csrf": secrets.token_hex(16),  # a CSRF secret of 32 characters, cookie and form alike
        "element_codes": [element.code for element in elements],
        "account_managers": planned_managers,
        "managers": planned_boss,
        "everyone": planned_managers + planned_boss,
        "dashboard_filters": [
            "",
            f"account_manager={account_managers[0].pk}",
            "band=red",
            f"sector={sector}",
        ],
    }
    path.write_text(json.dumps(plan))
    return plan


def _wait_for(url: str, seconds: float, process: subprocess.Popen) -> None:
    deadline, last = time.monotonic() + seconds, ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"The server stopped at start (exit {process.returncode}).")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                if response.status == 200:
                    return
        except OSError as error:
            last = str(error)
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s ({last}).")


def start_servers(
    processes: list[subprocess.Popen],
    *,
    port: int,
    redis_port: int,
    workers: int,
    database_url: str,
    secret: str,
) -> None:
    """redis-server and gunicorn in production settings (no debug, Redis cache, plain HTTP),
    added to ``processes`` as they start (so a failed start still stops the other)."""
    if not shutil.which("redis-server"):
        raise RuntimeError("redis-server is needed (make redis-server installs it).")
    redis = subprocess.Popen(
        [
            *("redis-server", "--port", str(redis_port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--daemonize", "no"),
        ],
        stdout=subprocess.DEVNULL,
    )
    processes.append(redis)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": secret,
        "KB_DEVELOPMENT": "0",
        "DJANGO_DEBUG": "0",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SESSION_COOKIE_SECURE": "false",
        "DJANGO_CSRF_COOKIE_SECURE": "false",
        "PYTHONWARNINGS": "ignore:No directory at",  # no collectstatic: the pages need none
    }
    gunicorn = subprocess.Popen(
        [
            *(str(VENV_BIN / "gunicorn"), "klantbinding.wsgi", "-w", str(workers)),
            *("-b", f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
    )
    processes.insert(0, gunicorn)
    _wait_for(f"http://127.0.0.1:{port}/health", 90, gunicorn)


def stop_servers(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def warm_up(host: str, plan: dict[str, Any]) -> None:
    """A few of each request on every worker first: imports, templates, per-process caches."""
    manager, boss = plan["account_managers"][0], plan["managers"][0]
    pk = manager["customers"][0]
    codes = plan["element_codes"]
    preview = "&".join(
        [f"csrfmiddlewaretoken={plan['csrf']}"] + [f"value_{code}=3" for code in codes]
    ).encode()

    def get(path: str, sessionid: str, data: bytes | None = None) -> None:
        request = urllib.request.Request(host + path, data=data)
        request.add_header("Cookie", f"sessionid={sessionid}; csrftoken={plan['csrf']}")
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()

    def round_(_: int) -> None:
        get("/customers/", manager["sessionid"])
        get(f"/customers/{pk}/", manager["sessionid"])
        get(f"/customers/{pk}/matrix/", manager["sessionid"])
        get(f"/customers/{pk}/matrix/preview/", manager["sessionid"], preview)
        get("/dashboard/", boss["sessionid"])
        get("/accounts/login/", boss["sessionid"])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(round_, range(12)))


def run_locust(
    host: str, plan_path: Path, classes: list[str], users: int, seconds: int, workdir: Path
) -> list[Sample]:
    """One phase: locust headless with these user classes; every request's time."""
    samples = workdir / f"samples-{classes[0]}.json"
    env = {**os.environ, "KB_LOAD_PLAN": str(plan_path), "KB_LOAD_SAMPLES": str(samples)}
    command = [str(VENV_BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "--host", host]
    command += ["-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--stop-timeout", "30"]
    command += ["--only-summary", "--loglevel", "WARNING", "--skip-log-setup", *classes]
    # Locust exits 1 when a request failed; the failures are counted from the samples.
    subprocess.run(command, env=env, cwd=workdir, stdout=subprocess.DEVNULL, check=False)
    if not samples.exists():
        sys.exit(f"locust wrote no samples for {classes}.")
    return [
        (str(c), str(n), float(t), float(ms), bool(ok))
        for c, n, t, ms, ok in json.loads(samples.read_text())
    ]


def summarise(samples: list[Sample], by_step: bool = False) -> dict[str, dict]:
    """Requests, errors, p50 and p95 (ms) per user class, or per step."""
    groups: dict[str, list[tuple[float, bool]]] = {}
    for kind, step, _at, ms, ok in samples:
        groups.setdefault(step if by_step else kind, []).append((ms, ok))
    return {
        name: {
            "count": len(rows),
            "errors": sum(not ok for _ms_, ok in rows),
            "p50": statistics.median(ms for ms, _ok in rows),
            "p95": _ms([ms for ms, _ok in rows], 0.95),
        }
        for name, rows in groups.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--database", default="klantbinding_bench_load")
    parser.add_argument("--port", type=int, default=8800, help="gunicorn's port on 127.0.0.1")
    parser.add_argument("--redis-port", type=int, default=8801)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--account-managers", type=int, default=50)
    parser.add_argument("--dashboard-managers", type=int, default=10)
    parser.add_argument("--pause", type=float, default=5.0, help="seconds between requests")
    parser.add_argument("--seconds", type=int, default=60, help="length of the load and floor")
    parser.add_argument("--flat-seconds", type=int, default=20)
    args = parser.parse_args()

    secret = secrets.token_urlsafe(50)
    os.environ["DJANGO_SECRET_KEY"] = secret  # the sessions are signed for gunicorn's key
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klantbinding.settings")
    setup_portfolio(args.database, customers=args.customers, demo=True)
    from django.db import connection, connections

    from scoring.models import Customer

    host = f"http://127.0.0.1:{args.port}"
    workdir = Path(tempfile.mkdtemp(prefix="kb-load-"))
    users = args.account_managers + args.dashboard_managers
    with scratch_copy() as copy:
        plan = write_plan(
            workdir / "plan.json",
            managers=args.account_managers,
            dashboards=args.dashboard_managers,
            pause=args.pause,
        )
        plan["account_managers_count"] = args.account_managers
        plan["dashboard_count"] = args.dashboard_managers
        (workdir / "plan.json").write_text(json.dumps(plan))
        print(
            f"Portfolio: {Customer.objects.count()} customers, PostgreSQL "
            f"{connection.cursor().connection.info.server_version}, gunicorn -w {args.workers} "
            f"on {host}; {args.account_managers} account managers and "
            f"{args.dashboard_managers} managers, {args.pause:g} s between requests",
            flush=True,
        )
        connections.close_all()
        database_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{copy}"
        servers: list[subprocess.Popen] = []
        try:
            start_servers(
                servers,
                port=args.port,
                redis_port=args.redis_port,
                workers=args.workers,
                database_url=database_url,
                secret=secret,
            )
            warm_up(host, plan)
            plan_path = workdir / "plan.json"
            load = run_locust(
                host,
                plan_path,
                ["AccountManager", "DashboardManager"],
                users,
                args.seconds,
                workdir,
            )
            floor = run_locust(host, plan_path, ["SignIn"], users, args.seconds, workdir)
            flat = run_locust(host, plan_path, ["SignInFlat"], 16, args.flat_seconds, workdir)
        finally:
            stop_servers(servers)
            shutil.rmtree(workdir, ignore_errors=True)
    report(load, floor, flat, args)


def report(
    load: list[Sample], floor: list[Sample], flat: list[Sample], args: argparse.Namespace
) -> None:
    classes = summarise(load)
    floor_stats = summarise(floor)["sign-in"]
    flat_stats = summarise(flat)["sign-in, no pause"]
    flat_rps = flat_stats["count"] / args.flat_seconds
    rows = [
        ("account manager", classes.get("account manager"), args.seconds),
        ("dashboard", classes.get("dashboard"), args.seconds),
        ("sign-in (the floor)", floor_stats, args.seconds),
        ("sign-in, no pause", flat_stats, args.flat_seconds),
    ]
    print(
        f"\n{'user class':<22} {'requests':>8} {'errors':>6} {'p50':>9} {'p95':>9} "
        f"{'req/s':>6} {'p50 ×floor':>10} {'p95 ×floor':>10}"
    )
    for label, stats, seconds in rows:
        if not stats:
            print(f"{label:<22} no requests")
            continue
        print(
            f"{label:<22} {stats['count']:>8} {stats['errors']:>6} {stats['p50']:>6.0f} ms "
            f"{stats['p95']:>6.0f} ms {stats['count'] / seconds:>6.1f} "
            f"{stats['p50'] / floor_stats['p50']:>9.1f}× {stats['p95'] / floor_stats['p95']:>9.1f}×"
        )
    heads = f"{'requests':>8} {'errors':>6} {'p50':>9} {'p95':>9}"
    print(f"\n{'account managers, step':<22} {heads}")
    steps = summarise([s for s in load if s[0] == "account manager"], by_step=True)
    for step in ("list", "customer page", "matrix", "live preview", "submit", "result"):
        if step in steps:
            stats = steps[step]
            print(
                f"{step:<22} {stats['count']:>8} {stats['errors']:>6} {stats['p50']:>6.0f} ms "
                f"{stats['p95']:>6.0f} ms"
            )
    manager = classes.get("account manager") or {"count": 0, "errors": 0, "p95": math.inf}
    dashboard = classes.get("dashboard") or {"count": 0, "errors": 0, "p95": math.inf}
    ideal = args.account_managers * args.seconds / args.pause
    served = manager["count"] / ideal
    load_rps = (manager["count"] + dashboard["count"]) / args.seconds
    errors = sum(stats["errors"] for _label, stats, _s in rows if stats)
    goals = [
        ("no errors", errors == 0, f"{errors} errors"),
        (
            "account managers' p95 under 300 ms",
            manager["p95"] < GOAL_P95_MS["account manager"],
            f"{manager['p95']:.0f} ms",
        ),
        (
            "the server keeps up (≥ 90 % of the requests served)",
            served >= KEEP_UP,
            f"{manager['count']} of {ideal:.0f}, {served:.0%}",
        ),
        (
            "dashboard's p95 under 1 s",
            dashboard["p95"] < GOAL_P95_MS["dashboard"],
            f"{dashboard['p95']:.0f} ms",
        ),
    ]
    print(
        f"\nThe load got {load_rps:.1f} requests/s; the sign-in page without a pause "
        f"{flat_rps:.1f} requests/s on the same server ({load_rps / flat_rps:.2f}× of it)."
    )
    for label, met, figure in goals:
        print(f"{'met   ' if met else 'MISSED'} {label}: {figure}")


if __name__ == "__main__":
    main()
