"""The reopened-ticket signal: a ticket reopened in its ITSM counts as rejected feedback in the store."""

from __future__ import annotations

import asyncio
import logging

from graph.context import Context
from graph.server.webhooks import WebhookEvent
from tools.screening import redact

log = logging.getLogger(__name__)


async def record_reopened(event: WebhookEvent) -> None:
    """Record it off the event loop (the store is synchronous); a store failure never fails the webhook."""
    try:
        known = await asyncio.to_thread(_record, event.ticket["id"], event.platform)
    except Exception as exc:  # the ITSM would retry forever on a 5xx; the run still starts
        log.warning("reopen signal for %s not recorded: %s", event.ticket_key, redact(str(exc))[:300])
        return
    if not known:
        log.info("reopen signal for %s: ticket not in the store yet", event.ticket_key)


def _record(ticket_id: str, source: str) -> bool:
    from tools.store import open_store

    with open_store(Context().store) as store:
        return store.record_reopened(ticket_id, source)
