"""Database triggers that make rows write-once: the database itself refuses an UPDATE.

An application-level guard (a model's save() and its queryset) stops the app; a trigger also
stops the admin shell, a raw query or another program. PostgreSQL and SQLite write triggers
differently, so both spellings live here, called from migrations. DELETE stays allowed at this
level (the test runner empties tables, and a cascade from a removed parent must work); the
models refuse it.
"""

from __future__ import annotations

from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def _name(table: str) -> str:
    return f"{table}_no_update"


def forbid_updates(schema_editor: BaseDatabaseSchemaEditor, table: str, message: str) -> None:
    """Create a trigger that aborts every UPDATE of a row of ``table`` with ``message``."""
    quote = schema_editor.quote_name
    name = _name(table)
    text = message.replace("'", "''")
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            f"CREATE OR REPLACE FUNCTION {quote(name)}() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{text}'; END; $$ LANGUAGE plpgsql"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {quote(name)} BEFORE UPDATE ON {quote(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION {quote(name)}()"
        )
    elif vendor == "sqlite":
        schema_editor.execute(
            f"CREATE TRIGGER {quote(name)} BEFORE UPDATE ON {quote(table)} "
            f"BEGIN SELECT RAISE(ABORT, '{text}'); END"
        )


def allow_updates(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    """Remove the trigger ``forbid_updates`` made."""
    quote = schema_editor.quote_name
    name = _name(table)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {quote(name)} ON {quote(table)}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {quote(name)}()")
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {quote(name)}")
