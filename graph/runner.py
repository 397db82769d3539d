"""Run tickets through the graph in process: the one entry point the CLI, evals and benchmarks share.

Nothing raises to the caller: a ticket that breaks the graph still yields a terminal record with the
error, so no ticket ends without one.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any

from langgraph.graph.state import CompiledStateGraph

from graph.context import Context
from graph.schemas import Ticket, describe_validation_error

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def batch_graph() -> CompiledStateGraph:
    """The graph without a checkpointer: escalations are written back instead of pausing."""
    from graph.builder import build_graph

    return build_graph()


def run_ticket(ticket: Any, context: Context | None = None) -> dict[str, Any]:
    """Run one ticket and return the final state (with `result`, the terminal record)."""
    context = context or Context(review_with_interrupt=False)
    try:
        from tools.tracing import traced

        with traced(ticket if isinstance(ticket, dict) else {}) as trace:
            config = {**trace.config, "run_id": uuid.uuid4()}
            state = batch_graph().invoke({"ticket": ticket}, config=config, context=context)
            trace.finish(state)
        return state
    except Exception as exc:  # the graph must never lose a ticket: record the failure instead
        log.error("graph failed on ticket %r: %s", _ticket_id(ticket), traceback.format_exc())
        return {"result": failure_record(ticket, f"internal error: {type(exc).__name__}: {exc}")}


def triage_ticket(ticket: Any, context: Context | None = None) -> dict[str, Any]:
    """The `helpdesk triage` record of one ticket."""
    return run_ticket(ticket, context)["result"]


def check_ticket(raw: Any) -> str | None:
    """Why `raw` is not a ticket the graph can take, or None when it is."""
    try:
        Ticket.model_validate(raw)
    except Exception as exc:
        return describe_validation_error(exc)
    return None


def triage_many(
    tickets: Iterable[Any], context: Context | None = None, on_done: Callable[[], None] | None = None
) -> Iterator[dict[str, Any]]:
    """Triage tickets in order, yielding each record as soon as it is ready."""
    for ticket in tickets:
        yield triage_ticket(ticket, context)
        if on_done:
            on_done()


def failure_record(ticket: Any, error: str) -> dict[str, Any]:
    """A terminal record for a ticket the graph could not finish: a person must take it."""
    return {
        "id": _ticket_id(ticket),
        "error": error,
        "category": "out_of_scope",
        "route": "human",
        "agent": "human",
        "confidence": 0.0,
        "escalated": True,
        "reasons": [error],
        "resolution": None,
        "writeback": None,
        "needs_review": True,
    }


def _ticket_id(ticket: Any) -> str | None:
    raw = ticket.get("id") if isinstance(ticket, dict) else None
    return str(raw) if isinstance(raw, str | int) and not isinstance(raw, bool) else None
