"""Shared set-up for the benchmarks: Django on a PostgreSQL database of their own, seeded once.

Each benchmark names its own database (so they can run side by side) and calls
``setup_portfolio`` before timing anything.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klantbinding.settings")

SERVER = "postgres://postgres@127.0.0.1:5432"


def _prepare_database(url: str, customers: int) -> None:
    """Keep the database when it holds a portfolio of this size, else create it afresh."""
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT COUNT(*) FROM scoring_customer").fetchone()
        count = row[0] if row else 0
        if count == customers:
            return
    except psycopg.Error:
        pass
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_portfolio(
    database: str,
    *,
    customers: int = 10_000,
    seed: int = 2026,
    history_months: int = 0,
    demo: bool = False,
) -> None:
    """Point Django at ``database`` (env DATABASE_URL wins), migrate, seed when empty: the
    scored portfolio (``seed_portfolio``), or with ``demo`` the whole demo of ``seed_demo``
    (a year of history and every app's data, for the load test)."""
    url = os.environ.setdefault("DATABASE_URL", f"{SERVER}/{database}")
    if not url.startswith("postgres"):
        sys.exit("The benchmarks run on PostgreSQL: DATABASE_URL must be a postgres:// URL.")
    _prepare_database(url, customers)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from scoring.demo import seed_portfolio
    from scoring.models import Customer

    call_command("migrate", verbosity=0)
    if not Customer.objects.exists():
        print(f"Seeding {customers} customers into {url.rsplit('/', 1)[1]} ...", flush=True)
        started = time.perf_counter()
        if demo:
            call_command("seed_demo", customers=customers, no_progress=True, verbosity=0)
        else:
            seed_portfolio(customers=customers, seed=seed, history_months=history_months)
        print(f"  seeded in {time.perf_counter() - started:.1f} s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


@contextmanager
def scratch_copy() -> Iterator[str]:
    """Run the block on a copy of the benchmark's database, dropped afterwards.

    A benchmark that writes (publishing a model stores a snapshot per customer) would otherwise
    grow its database on every run, and the next run would time a bigger table. PostgreSQL
    copies the seeded database as a template in seconds; Django's connection is pointed at the
    copy for the block and back afterwards, so the seeded database is left as it was found.
    """
    import psycopg
    from django.db import connections
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    settings = connections["default"].settings_dict
    original = settings["NAME"]
    copy = f"{original}_scratch"
    parts = {key.lower(): settings[key] for key in ("HOST", "PORT", "USER", "PASSWORD")}
    admin = make_conninfo(dbname="postgres", **{k: str(v) for k, v in parts.items() if v})

    def run(statement: sql.Composed) -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(statement)

    connections.close_all()  # a template must have no open sessions
    run(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(copy)))
    for attempt in range(10):
        try:
            run(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(copy), sql.Identifier(original)
                )
            )
            break
        except psycopg.errors.ObjectInUse:  # autovacuum still on the template: wait
            if attempt == 9:
                raise
            time.sleep(1.0)
    settings["NAME"] = copy
    try:
        yield copy
    finally:
        connections.close_all()
        settings["NAME"] = original
        run(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(copy)))
