"""Helpers every app uses: raw SQL and the differences between the databases (``db``)."""
