"""Dates as the house writes them, in the active language's named formats
(``klantbinding/formats/<language>/formats.py``): Dutch 1-12-2026 and 1 december 2026, English
1 Dec 2026, never the US order.

Templates use the ``date`` filter with a named format (``"SHORT_DATE_FORMAT"`` in lists,
``"DATE_FORMAT"`` in sentences); Python code uses ``day``, ``long_day`` and ``moment``. Pages
with many rows use ``DateFormatter``: Django's ``dateformat`` per row cost more than the rest of
a row, so the formatter reads the format and the month names once and writes the usual codes
itself (tests check it against ``dateformat``).
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import dateformat, formats, timezone

# The format codes the fast path writes itself; any other code goes through dateformat.
_FAST = set("djnmYyMFHi")


def _local(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def format_date(value: date | datetime | None, name: str) -> str:
    """``value`` in the named format (``"SHORT_DATE_FORMAT"`` ...) of the active language."""
    if value is None or value == "":
        return ""
    return str(dateformat.format(_local(value), formats.get_format(name)))


def day(value: date | datetime | None) -> str:
    """1-12-2026 in Dutch, 1 Dec 2026 in English; "" for nothing."""
    return format_date(value, "SHORT_DATE_FORMAT")


def long_day(value: date | datetime | None) -> str:
    """1 december 2026 in Dutch, 1 Dec 2026 in English; "" for nothing."""
    return format_date(value, "DATE_FORMAT")


def moment(value: datetime | None) -> str:
    """1-12-2026 09:30 in Dutch, 1 Dec 2026 09:30 in English; "" for nothing."""
    return format_date(value, "SHORT_DATETIME_FORMAT")


class DateFormatter:
    """``format_date`` for many values: the same text, the format looked up once."""

    def __init__(self, name: str = "SHORT_DATE_FORMAT") -> None:
        self.format = formats.get_format(name)
        self.zone = timezone.get_current_timezone()
        fmt = self.format
        self.fast = all(c in _FAST or not c.isalpha() for c in fmt) and "\\" not in fmt
        self.short_months = [""] + [
            str(dateformat.format(date(2000, m, 1), "M")) for m in range(1, 13)
        ]
        self.long_months = [""] + [
            str(dateformat.format(date(2000, m, 1), "F")) for m in range(1, 13)
        ]

    def __call__(self, value: date | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime) and timezone.is_aware(value):
            value = value.astimezone(self.zone)
        if not self.fast:
            return str(dateformat.format(value, self.format))
        parts = []
        for code in self.format:
            if code == "j":
                parts.append(str(value.day))
            elif code == "d":
                parts.append(f"{value.day:02d}")
            elif code == "n":
                parts.append(str(value.month))
            elif code == "m":
                parts.append(f"{value.month:02d}")
            elif code == "Y":
                parts.append(str(value.year))
            elif code == "y":
                parts.append(f"{value.year % 100:02d}")
            elif code == "M":
                parts.append(self.short_months[value.month])
            elif code == "F":
                parts.append(self.long_months[value.month])
            elif code == "H":
                parts.append(f"{getattr(value, 'hour', 0):02d}")
            elif code == "i":
                parts.append(f"{getattr(value, 'minute', 0):02d}")
            else:
                parts.append(code)
        return "".join(parts)
