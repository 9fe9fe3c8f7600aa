"""`manage.py flush`, which also empties the append-only tables on SQLite.

Django's flush (the test runner's too, between transactional tests) deletes every row. On
PostgreSQL that is a TRUNCATE, which row triggers do not see; on SQLite it is a DELETE per
table, which the append-only triggers refuse. Emptying the whole database is a deliberate act
of whoever runs this command, so the triggers step aside for it and come back in the same
transaction (klantbinding.lib.triggers.suspended).
"""

from __future__ import annotations

from django.core.management.commands import flush
from django.db import connections

from klantbinding.lib import triggers


class Command(flush.Command):
    def handle(self, **options: object) -> None:
        with triggers.suspended(connections[str(options["database"])]):
            super().handle(**options)
