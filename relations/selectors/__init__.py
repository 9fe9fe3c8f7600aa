"""Reads of the relations app, by sub-domain; pages import from the sub-modules."""
