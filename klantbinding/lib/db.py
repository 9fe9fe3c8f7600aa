"""Raw SQL, and every difference between PostgreSQL and SQLite, in one place.

Why it exists: the reads and writes that must stay fast on 10,000 customers are written out in
SQL, because building and quoting ORM objects costs more than the queries themselves. Where the
two databases differ (timestamps as numbers, joining text, bulk writes) the difference is
here, so no other module asks which database it runs on: ``connection.vendor`` appears
nowhere else. Prefer the ORM; use these where a benchmark says so.

Numbers that many rows carry (the dashboard's customers and history) are read as text lines
of comma-separated values that pandas' C parser turns into NumPy arrays in one pass: turning
every value of 36,000 rows into a Python object costs far more than the query. A
``NumberLine`` names such a line's columns once, for the SQL that writes it and the parser
that reads it.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Model
from django.db.models.sql import Query
from django.utils import timezone

# SQLite allows a limited number of bound parameters; stay well under it.
CHUNK_SIZE = 5000
_INSERT_BATCH = 5000

T = TypeVar("T")


def chunked(items: Sequence[T], size: int = CHUNK_SIZE) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size``, for ``IN (...)`` lists of any length."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def quote_name(name: str) -> str:
    """A table or column name as this database quotes it ("order" is a keyword)."""
    return connection.ops.quote_name(name)


def fetch_all(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Every row of one statement, as tuples."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetch_dicts(sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Every row of one statement as a dict keyed by the statement's column names (``AS``)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def fetch_for_ids(
    sql: str, params: Sequence[Any], ids: Sequence[int] | None, column: str
) -> list[tuple[Any, ...]]:
    """Run ``sql`` once (``ids`` None: no restriction), or once per chunk of ``ids`` appended
    as ``AND column IN (...)``; the rows of all runs together."""
    if ids is None:
        return fetch_all(sql, params)
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for chunk in chunked(ids):
            placeholders = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"{sql} AND {column} IN ({placeholders})", [*params, *chunk])
            rows.extend(cursor.fetchall())
    return rows


def expression_sql(model: type[Model], expression: Any) -> tuple[str, list[Any]]:
    """An ORM expression over ``model``'s rows as SQL and parameters, for a written-out
    statement: the ORM stays the one definition of a condition that both the ORM's queries and
    a raw statement use. References to the row (``OuterRef("pk")``) name the model's table
    itself, so the statement must not give that table an alias."""
    query = Query(model)
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.compile(expression.resolve_expression(query))
    return sql, list(params)


def execute_many(sql: str, rows: Sequence[Sequence[Any]], *, batch: int = 10_000) -> None:
    """One statement for many parameter rows (``executemany``), a batch at a time."""
    with connection.cursor() as cursor:
        for chunk in chunked(rows, batch):
            cursor.executemany(sql, chunk)


# --------------------------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------------------------


def aware(moment: datetime | None) -> datetime | None:
    """A datetime from a raw cursor: SQLite hands back naive UTC, PostgreSQL aware ones."""
    if moment is None or timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment, UTC)


def db_time(value: datetime) -> object:
    """A datetime parameter as the database stores it (SQLite keeps naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def epoch_sql(column: str) -> str:
    """A timestamp column as seconds since 1970 with its microseconds: far cheaper to load
    than datetimes. Read the values back with ``epoch_to_utc``.

    SQLite keeps naive UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]": whole seconds, then the
    fraction as written (a REAL would keep only 15 digits). Its ``%%`` needs a statement with
    parameters (a list, even an empty one), as Django then turns it into one ``%``.
    """
    if connection.vendor == "postgresql":
        return f"date_part('epoch', {column})"
    return f"strftime('%%s', {column}) || substr({column}, 20)"


def epoch_to_utc(seconds: object) -> pd.DatetimeIndex:
    """Epoch seconds (numbers or their text; NaN for none) as UTC datetimes, to the
    microsecond: a float8 carries them exactly enough to round back to them."""
    values = np.asarray(seconds, dtype=float)
    return pd.to_datetime(np.round(values * 1e6), unit="us", utc=True)


# --------------------------------------------------------------------------------------------
# Lines of numbers
# --------------------------------------------------------------------------------------------


def line_sql(expressions: Iterable[str]) -> str:
    """One text of comma-separated values, empty where NULL."""
    return " || ',' || ".join(f"COALESCE(CAST({e} AS TEXT), '')" for e in expressions)


def lines_sql(line: str) -> str:
    """The aggregate that joins every row's line into one text, a line per row."""
    if connection.vendor == "postgresql":
        return f"string_agg({line}, E'\\n')"
    return f"group_concat({line}, char(10))"


def read_numbers(
    lines: str, names: Sequence[object], dtype: object = float, **options: Any
) -> pd.DataFrame:
    """Lines of comma-separated values (empty for none) read by pandas' C parser."""
    if not lines:
        types = dtype if isinstance(dtype, dict) else dict.fromkeys(names, dtype)
        return pd.DataFrame({name: pd.Series([], dtype=types[name]) for name in names})
    # Bytes: the parser reads them as they are (text it would encode again, in chunks).
    return pd.read_csv(
        io.BytesIO(lines.encode()),
        header=None,
        names=list(names),
        dtype=dtype,
        engine="c",
        **options,
    )


@dataclass(frozen=True)
class NumberLine:
    """A row's numbers as one text column, its columns named once: the SQL that writes the
    line and the parser that reads it back both come from ``columns``."""

    columns: Mapping[str, str]  # name → SQL expression, in the order of the line

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def sql(self) -> str:
        """The expression of one row's line."""
        return line_sql(self.columns.values())

    def lines_sql(self) -> str:
        """The aggregate of every row's line as one text."""
        return lines_sql(self.sql())

    def read(self, lines: str, dtype: object = float, **options: Any) -> pd.DataFrame:
        """The lines (joined with newlines) as a frame with one column per name."""
        return read_numbers(lines, self.names, dtype, **options)


# --------------------------------------------------------------------------------------------
# Bulk writes
# --------------------------------------------------------------------------------------------


def rows_insert(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert many rows in the caller's transaction, values in ``columns`` order.

    PostgreSQL gets them through COPY, other databases through one executemany per few
    thousand rows: the ORM's bulk_create spends seconds building and quoting 10,000 model
    objects (a full recompute's snapshots, a round's invitations).
    """
    names = ", ".join(columns)
    if connection.vendor == "postgresql":
        # Below Django's cursor wrapper: wrap the errors as Django's own (IntegrityError …).
        with (
            connection.wrap_database_errors,
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    ops = connection.ops
    prepared = [
        [
            ops.adapt_datetimefield_value(value)
            if isinstance(value, datetime)
            else value.hex
            if isinstance(value, uuid.UUID)
            else value
            for value in row
        ]
        for row in rows
    ]
    placeholders = ", ".join(["%s"] * len(columns))
    execute_many(
        f"INSERT INTO {table} ({names}) VALUES ({placeholders})", prepared, batch=_INSERT_BATCH
    )
