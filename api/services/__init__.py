"""Writes of the API app, by sub-domain: tokens, customers (the import's upsert), webhooks
(endpoints, events, deliveries). The public names are re-exported here."""

from api.services.tokens import NewToken, token_create, token_hash, token_revoke, token_touch

__all__ = ["NewToken", "token_create", "token_hash", "token_revoke", "token_touch"]
