"""Table versions: a counter per table that the database bumps on every write to it.

Why: a cached result is valid exactly as long as the tables it was computed from are
unchanged. The cheap fingerprints (the newest id, a row count, the newest ``updated_at``) miss
an UPDATE of a table without ``updated_at`` (an invitation answered, a segment overridden, a
cadence status recomputed) and every ``QuerySet.update()``; signals on save miss
``bulk_create``, ``QuerySet.update()``/``delete()`` and plain SQL. So the database itself
counts: a trigger on each watched table bumps that table's row in ``kb_table_version`` on
every INSERT, UPDATE and DELETE, whoever sends it (the ORM, a bulk import, a Celery task, a
database shell).

- The bump is part of the writing transaction: a reader sees the new version together with
  the new rows, never before them, so nothing old is cached under a new version. (The
  counter row is locked until the writer commits: two transactions writing the same watched
  table take turns at that row.)
- PostgreSQL bumps once per statement (a bulk write of 10,000 rows costs one bump);
  SQLite (development and tests) has row triggers only and bumps per row.
- ``kb_table_version`` is no Django model on purpose: ``flush`` leaves it alone, so a version
  never goes back to a number an earlier state of the table already had.
- A migration installs the triggers (``watch``). A migration that remakes a watched table
  on SQLite (Django does so to alter a column there) drops its trigger with the old table and
  must call ``watch`` again; tests/klantbinding/test_versions.py catches a forgotten one for
  every table a dashboard panel reads.

``versions(tables)`` reads the counters of many tables in one query.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "kb_table_version"
FUNCTION = "kb_bump_table_version"


def _trigger(table: str, operation: str) -> str:
    return f"kb_{table}_version_{operation}"


def _create_table(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} "
            "(name varchar(128) NOT NULL PRIMARY KEY, version bigint NOT NULL)"
        )
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN INSERT INTO {TABLE} (name, version) VALUES (TG_TABLE_NAME, 1) "
                f"ON CONFLICT (name) DO UPDATE SET version = {TABLE}.version + 1; "
                "RETURN NULL; END $$"
            )


def watch(connection: BaseDatabaseWrapper, table: str) -> None:
    """Count every write to ``table`` in ``kb_table_version`` (idempotent)."""
    _create_table(connection)
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            name = _trigger(table, "write")
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {quoted}")
            cursor.execute(
                f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {quoted} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
            )
        elif connection.vendor == "sqlite":
            for operation in ("insert", "update", "delete"):
                name = _trigger(table, operation)
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(
                    f"CREATE TRIGGER {name} AFTER {operation.upper()} ON {quoted} "
                    f"FOR EACH ROW BEGIN INSERT INTO {TABLE} (name, version) "
                    f"VALUES ('{table}', 1) ON CONFLICT (name) DO UPDATE SET "
                    "version = version + 1; END"
                )
        else:
            raise NotImplementedError(f"no table version trigger for {connection.vendor}")


def unwatch(connection: BaseDatabaseWrapper, table: str) -> None:
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {_trigger(table, 'write')} ON {quoted}")
        else:
            for operation in ("insert", "update", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {_trigger(table, operation)}")


def table_of(label: str) -> str:
    """The database table of a model label such as ``"relations.ContactMoment"``."""
    return apps.get_model(label)._meta.db_table


def versions(tables: Iterable[str]) -> dict[str, int]:
    """The version of each table (0 for one never written since it was watched). One query."""
    names = sorted(set(tables))
    if not names:
        return {}
    placeholders = ", ".join(["%s"] * len(names))
    with default_connection.cursor() as cursor:
        cursor.execute(f"SELECT name, version FROM {TABLE} WHERE name IN ({placeholders})", names)
        found = dict(cursor.fetchall())
    return {name: int(found.get(name, 0)) for name in names}
