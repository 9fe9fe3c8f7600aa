"""Helpers every app uses: raw SQL and database-vendor branches live here and nowhere else."""
