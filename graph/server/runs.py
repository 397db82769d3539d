"""Start a triage run for a webhook event, at most once per event and one run at a time per ticket.

Each ticket has one thread, `uuid5("<source>:<ticket id>")`, whose metadata keeps the readable key,
the ids of the last webhook events seen (a redelivery repeats the body, so its hash repeats) and the
last run started. What an event does:
- a new ticket (created, or first seen through an update): start a run;
- reopened in the ITSM: record the rejected-feedback signal and start a new run;
- any other update of a ticket already triaged: nothing (our own write-back updates the ticket too);
- a ticket whose run is in flight or waiting for review: nothing new starts.
Within one process a per-ticket lock serialises deliveries; across processes `multitask_strategy="reject"`
makes the server refuse a second concurrent run on the thread.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import ConflictError

from graph.server.webhooks import WebhookEvent

GRAPH_ID = "helpdesk"
THREAD_NAMESPACE = uuid.UUID("5d1f8a40-8c1e-4d0b-9a43-6f0c2b7e9d11")
EVENTS_KEPT = 50

ReopenedHook = Callable[[WebhookEvent], Awaitable[None]]
_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


@dataclass(frozen=True)
class Accepted:
    """What the webhook answers: `started` (202) or why nothing started (200)."""

    status: str  # started | duplicate | ignored | busy | awaiting_review
    thread_id: str
    ticket_key: str
    run_id: str | None = None

    @property
    def http_status(self) -> int:
        return 202 if self.status == "started" else 200


def thread_id_for(source: str, ticket_id: str) -> str:
    """The ticket's thread: deterministic, so every delivery about it lands on the same thread."""
    return str(uuid.uuid5(THREAD_NAMESPACE, f"{source}:{ticket_id}"))


async def accept_event(
    client: LangGraphClient, event: WebhookEvent, on_reopened: ReopenedHook | None = None
) -> Accepted:
    """Apply the rules above; raises the SDK's error when the server fails (the platform then retries)."""
    key = event.ticket_key
    lock = _locks.setdefault(key, asyncio.Lock())
    async with lock:
        return await _accept(client, event, on_reopened)


async def _accept(client: LangGraphClient, event: WebhookEvent, on_reopened: ReopenedHook | None) -> Accepted:
    key = event.ticket_key
    thread_id = thread_id_for(event.platform, event.ticket["id"])
    thread = await client.threads.create(
        thread_id=thread_id,
        metadata={"ticket_key": key, "source": event.platform, "ticket_id": event.ticket["id"]},
        if_exists="do_nothing",
        graph_id=GRAPH_ID,
    )
    metadata: dict[str, Any] = thread.get("metadata") or {}
    seen = list(metadata.get("webhook_events") or [])
    if event.event_id in seen:
        return Accepted("duplicate", thread_id, key, metadata.get("last_run_id"))
    if event.kind == "reopened" and on_reopened is not None:
        await on_reopened(event)

    status, run_id = "ignored", None
    if not metadata.get("last_run_id") or event.kind == "reopened":
        status, run_id = await _start(client, event, thread_id, thread.get("status"))
    update: dict[str, Any] = {"webhook_events": [*seen, event.event_id][-EVENTS_KEPT:]}
    if run_id:
        update["last_run_id"] = run_id
    await client.threads.update(thread_id, metadata=update)
    return Accepted(status, thread_id, key, run_id)


async def _start(
    client: LangGraphClient, event: WebhookEvent, thread_id: str, thread_status: str | None
) -> tuple[str, str | None]:
    if thread_status == "interrupted":
        return "awaiting_review", None
    if thread_status == "busy":
        return "busy", None
    try:
        run = await client.runs.create(
            thread_id,
            GRAPH_ID,
            input={"ticket": event.ticket},
            metadata={"ticket_key": event.ticket_key, "webhook_event": event.event_id, "trigger": event.kind},
            multitask_strategy="reject",
        )
    except ConflictError:
        return "busy", None
    return "started", run["run_id"]
