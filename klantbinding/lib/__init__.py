"""Helpers every app uses: raw SQL and the differences between the databases (``db``),
and the database triggers that keep history as it was written (``triggers``)."""
