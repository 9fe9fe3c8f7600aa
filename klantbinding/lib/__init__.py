"""Helpers every app needs: raw SQL and database-specific branches live here, nowhere else."""
