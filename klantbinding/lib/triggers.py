"""Database triggers that keep history as it was written, on PostgreSQL and SQLite.

- *Append-only* tables refuse every UPDATE and DELETE, whoever sends it: the ORM, its base
  manager, the admin or plain SQL in a database shell.
- *Keep-values* tables refuse an UPDATE that changes any column but the few named ones.
- *Locked* tables (``forbid_updates``) refuse every UPDATE but allow DELETE, for rows that
  are final once written but go with their parent (a departure's reason sets).

The triggers are made by migrations (which call ``append_only_create`` and
``keep_values_create``). A migration that remakes such a table on SQLite (Django does so to
alter a column or add a constraint there) drops its triggers with the old table: it must call
the create function again. The tests that try plain UPDATE and DELETE catch a forgotten one.

Emptying the whole database stays possible, as it should for `manage.py flush` and the test
runner between tests: PostgreSQL's flush is a TRUNCATE, which row triggers do not see;
SQLite's is a DELETE per table, so ``suspended`` lifts the triggers for the flush and puts
them back in the same transaction (klantbinding/management/commands/flush.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

PREFIX = "kb_"  # every trigger (and PostgreSQL function) made here starts with this
REFUSE_FUNCTION = "kb_refuse_change"


def _quote(connection: BaseDatabaseWrapper, name: str) -> str:
    return connection.ops.quote_name(name)


def _names(table: str) -> dict[str, str]:
    return {
        "update": f"{PREFIX}{table}_no_update",
        "delete": f"{PREFIX}{table}_no_delete",
        "keep": f"{PREFIX}{table}_keep_values",
    }


def append_only_create(connection: BaseDatabaseWrapper, table: str) -> None:
    """Make ``table`` refuse UPDATE and DELETE of any row (idempotent)."""
    names = _names(table)
    message = f"{table} is append-only: its rows are never changed or deleted"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {REFUSE_FUNCTION}() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP "
                "USING ERRCODE = 'restrict_violation'; END $$"
            )
            for operation in ("update", "delete"):
                cursor.execute(
                    f"DROP TRIGGER IF EXISTS {names[operation]} ON {_quote(connection, table)}"
                )
                cursor.execute(
                    f"CREATE TRIGGER {names[operation]} BEFORE {operation.upper()} "
                    f"ON {_quote(connection, table)} FOR EACH ROW "
                    f"EXECUTE FUNCTION {REFUSE_FUNCTION}()"
                )
        elif connection.vendor == "sqlite":
            for operation in ("update", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {names[operation]}")
                cursor.execute(
                    f"CREATE TRIGGER {names[operation]} BEFORE {operation.upper()} "
                    f"ON {_quote(connection, table)} FOR EACH ROW "
                    f"BEGIN SELECT RAISE(ABORT, '{message}: {operation.upper()} refused'); END"
                )
        else:
            raise NotImplementedError(f"no append-only trigger for {connection.vendor}")


def append_only_drop(connection: BaseDatabaseWrapper, table: str) -> None:
    names = _names(table)
    with connection.cursor() as cursor:
        for operation in ("update", "delete"):
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"DROP TRIGGER IF EXISTS {names[operation]} ON {_quote(connection, table)}"
                )
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {names[operation]}")


def keep_values_create(
    connection: BaseDatabaseWrapper, table: str, columns: Sequence[str], changeable: Sequence[str]
) -> None:
    """Make ``table`` refuse an UPDATE that changes any of ``columns`` but ``changeable``.

    The comparison sits in the trigger's WHEN clause, so an UPDATE that changes only what
    may change (a recompute setting is_current on 10,000 rows) costs no function call.
    """
    kept = [c for c in columns if c not in set(changeable)]
    name = _names(table)["keep"]
    quoted_table = _quote(connection, table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            differs = " OR ".join(
                f"OLD.{_quote(connection, c)} IS DISTINCT FROM NEW.{_quote(connection, c)}"
                for c in kept
            )
            allowed = ", ".join(changeable)
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN RAISE EXCEPTION '% keeps its values: only {allowed} may change', "
                "TG_TABLE_NAME USING ERRCODE = 'restrict_violation'; END $$"
            )
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {quoted_table}")
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE UPDATE ON {quoted_table} FOR EACH ROW "
                f"WHEN ({differs}) EXECUTE FUNCTION {name}()"
            )
        elif connection.vendor == "sqlite":
            differs = " OR ".join(
                f"OLD.{_quote(connection, c)} IS NOT NEW.{_quote(connection, c)}" for c in kept
            )
            allowed = ", ".join(changeable)
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE UPDATE ON {quoted_table} FOR EACH ROW "
                f"WHEN {differs} BEGIN SELECT RAISE(ABORT, "
                f"'{table} keeps its values: only {allowed} may change'); END"
            )
        else:
            raise NotImplementedError(f"no keep-values trigger for {connection.vendor}")


def keep_values_drop(connection: BaseDatabaseWrapper, table: str) -> None:
    name = _names(table)["keep"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {_quote(connection, table)}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def trigger_names(connection: BaseDatabaseWrapper, table: str) -> set[str]:
    """The names of this module's triggers on ``table``."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = %s::regclass",
                [connection.ops.quote_name(table)],
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
            )
        return {row[0] for row in cursor.fetchall() if row[0].startswith(PREFIX)}


@contextmanager
def suspended(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Lift this module's triggers for the block and put them back, in one transaction.

    Only SQLite needs it (for its flush, a DELETE per table); on PostgreSQL it changes
    nothing. If the block fails, the transaction rolls back and the triggers stay.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            saved = [(name, sql) for name, sql in cursor.fetchall() if name.startswith(PREFIX)]
            for name, _sql in saved:
                cursor.execute(f"DROP TRIGGER {_quote(connection, name)}")
        yield
        with connection.cursor() as cursor:
            for _name, sql in saved:
                cursor.execute(sql)


def forbid_updates(schema_editor: BaseDatabaseSchemaEditor, table: str, message: str) -> None:
    """Make ``table`` refuse every UPDATE with ``message``; DELETE stays allowed (a cascade
    from a removed parent must work). For rows that are locked once written (idempotent)."""
    connection = schema_editor.connection
    name = _names(table)["update"]
    quoted_table = _quote(connection, table)
    text = message.replace("'", "''")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN RAISE EXCEPTION '{text}' USING ERRCODE = 'restrict_violation'; END $$"
            )
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {quoted_table}")
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE UPDATE ON {quoted_table} FOR EACH ROW "
                f"EXECUTE FUNCTION {name}()"
            )
        elif connection.vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE UPDATE ON {quoted_table} FOR EACH ROW "
                f"BEGIN SELECT RAISE(ABORT, '{text}'); END"
            )
        else:
            raise NotImplementedError(f"no update trigger for {connection.vendor}")


def allow_updates(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    """Remove the trigger ``forbid_updates`` made."""
    connection = schema_editor.connection
    name = _names(table)["update"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {_quote(connection, table)}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
