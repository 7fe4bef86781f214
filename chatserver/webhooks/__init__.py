"""Webhooks: events written to an outbox in the same transaction as the change that caused them,
then sent by a worker as signed JSON POSTs, retried with backoff for a day and recorded.

No tornado or sqlalchemy here: the store (``chatserver.adapters.sql.webhooks``) and the HTTP sender
(``chatserver.adapters.http.outgoing``) are injected.
"""
