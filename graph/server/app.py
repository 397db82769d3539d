"""Custom HTTP routes served beside the LangGraph API (`http.app` in langgraph.json).

- `POST /webhooks/{servicenow,jira,freshservice}`: verify the platform's proof, normalise the ticket,
  start at most one run per event on the ticket's thread (`graph.server.runs`).
- `GET /health`: the graph is loaded, whether the models are warm, and which webhooks are configured
  (booleans only).
- `GET /review`: tickets waiting for a person; `POST /review/{thread_id}`: resume one with a decision.

At start-up the models (router, knowledge indexes, language detector) load in a background thread, so
the first ticket does not pay for them; on a fresh machine that includes building the encoder's static
table (about 20 s). The server accepts requests meanwhile; a ticket that arrives first simply waits.

The routes reach the API through the in-process `langgraph_sdk` client, which the server exempts
from auth; the caller was already authenticated by `graph.server.auth` (and, for webhooks, here).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import APIError, NotFoundError, UnprocessableEntityError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from graph.runner import warm_up
from graph.server.auth import API_PERMISSION
from graph.server.feedback import record_reopened
from graph.server.review import DecisionError, check_decision, pending_reviews, resume
from graph.server.runs import GRAPH_ID, ReopenedHook, accept_event
from graph.server.settings import PLATFORMS, api_keys, webhook_secret
from graph.server.signatures import verify_webhook
from graph.server.webhooks import PayloadError, parse_event
from tools.screening import redact

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 1_000_000

ClientFactory = Callable[[], LangGraphClient]


def in_process_client() -> LangGraphClient:
    """The SDK client that talks to this very server without a network hop."""
    return get_client(url=None, api_key=None)


def create_app(
    client: ClientFactory = in_process_client,
    on_reopened: ReopenedHook | None = record_reopened,
    warm: Callable[[], None] | None = warm_up,
) -> Starlette:
    """The routes; tests pass their own client factory, reopen hook and warm-up."""
    warming: list[asyncio.Task[None]] = []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if warm is not None:
            task = asyncio.create_task(asyncio.to_thread(warm))
            task.add_done_callback(_log_warm_up_failure)
            warming.append(task)
        yield

    def models_warm() -> bool:
        if not warming:
            return warm is None
        task = warming[0]
        return task.done() and not task.cancelled() and task.exception() is None

    async def webhook(request: Request) -> JSONResponse:
        name = request.path_params["platform"]
        platform = next((p for p in PLATFORMS if p == name), None)
        if platform is None:
            return _error(404, f"unknown platform {name[:40]!r}")
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _error(413, "payload too large")
        verdict = verify_webhook(platform, request.headers, body)
        if not verdict.ok:
            log.warning("refused %s webhook: %s", platform, verdict.reason)
            return _error(verdict.status, verdict.reason)
        try:
            event = parse_event(platform, json.loads(body), body)
        except json.JSONDecodeError:
            return _error(400, "the body is not JSON")
        except PayloadError as exc:
            return _error(422, redact(str(exc))[:500])
        if event is None:
            return JSONResponse({"status": "ignored", "reason": "event type not handled"}, status_code=200)
        try:
            accepted = await accept_event(client(), event, on_reopened)
        except APIError as exc:
            log.error("webhook %s for %s failed: %s", platform, event.ticket_key, redact(str(exc))[:300])
            return _error(503, "could not start the run; retry the delivery")
        return JSONResponse(
            {
                "status": accepted.status,
                "ticket_key": accepted.ticket_key,
                "thread_id": accepted.thread_id,
                "run_id": accepted.run_id,
                "event": event.kind,
            },
            status_code=accepted.http_status,
        )

    async def health(request: Request) -> JSONResponse:
        try:
            await client().assistants.search(graph_id=GRAPH_ID, limit=1)
        except APIError as exc:
            return JSONResponse({"status": "unavailable", "error": redact(str(exc))[:200]}, status_code=503)
        configured: dict[str, bool] = {p: webhook_secret(p) is not None for p in PLATFORMS}
        return JSONResponse(
            {
                "status": "ok",
                "graph": GRAPH_ID,
                "models_warm": models_warm(),
                "api_keys": bool(api_keys()),
                "webhooks": configured,
            }
        )

    async def list_reviews(request: Request) -> JSONResponse:
        if (refused := _require_api(request)) is not None:
            return refused
        try:
            limit = int(request.query_params.get("limit", "50"))
        except ValueError:
            return _error(422, "limit must be an integer")
        items = await pending_reviews(client(), limit)
        return JSONResponse({"count": len(items), "items": items})

    async def decide(request: Request) -> JSONResponse:
        if (refused := _require_api(request)) is not None:
            return refused
        thread_id = request.path_params["thread_id"]
        try:
            decision = check_decision(json.loads(await request.body() or b"null"))
        except json.JSONDecodeError:
            return _error(400, "the body is not JSON")
        except DecisionError as exc:
            return _error(422, str(exc))
        api = client()
        try:
            thread = await api.threads.get(thread_id)
        except (NotFoundError, UnprocessableEntityError):  # unknown, or not a thread id at all
            return _error(404, "no such thread")
        except APIError:
            return _error(503, "thread lookup failed")
        if thread.get("status") != "interrupted":
            return _error(409, f"thread is {thread.get('status')}, not waiting for review")
        return JSONResponse(await resume(api, thread_id, decision))

    return Starlette(
        lifespan=lifespan,
        routes=[
            Route("/webhooks/{platform}", webhook, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            Route("/review", list_reviews, methods=["GET"]),
            Route("/review/{thread_id}", decide, methods=["POST"]),
        ],
    )


def _log_warm_up_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("model warm-up failed; the first ticket will load them: %s", redact(repr(task.exception()))[:300])


def _require_api(request: Request) -> JSONResponse | None:
    """Defence in depth: the review routes need an API-key caller even if route auth were switched off."""
    scopes: Any = getattr(request.scope.get("auth"), "scopes", None)
    if scopes is None or API_PERMISSION not in scopes:
        return _error(403, "an API key is required")
    return None


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


app = create_app()
