"""Run tickets through the graph in process: the one entry point the CLI, evals and benchmarks share.

Nothing raises to the caller: a ticket that breaks the graph still yields a terminal record with the
error, so no ticket ends without one.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache, partial
from typing import Any

from langgraph.graph.state import CompiledStateGraph

from graph.context import Context
from graph.schemas import Ticket, describe_validation_error
from nodes.finalize import error_record

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
        record = error_record(ticket, f"internal error: {type(exc).__name__}: {exc}")
        log.error("graph failed on ticket %r: %s", record["id"], traceback.format_exc())
        return {"result": record}


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


PARALLEL_MIN_TICKETS = 64
"""Below this many tickets a process pool costs more than it saves."""


def warm_up() -> None:
    """Load the models and indexes once (before forking workers, so they share them)."""
    from tools.knowledge import load_knowledge, semantic
    from tools.knowledge.fit import load_fit
    from tools.language import detect_language
    from tools.router import load_router
    from tools.screening import find_injection

    batch_graph()
    load_router()
    for domain in ("network", "software_cloud", "hardware"):
        load_knowledge(domain)
    semantic.warm()
    load_fit()
    detect_language("warm up the language models with a sentence")
    find_injection("compile the screening patterns and the invisible-character class: caf\u00e9\u200b")


def triage_many(
    tickets: Iterable[Any],
    context: Context | None = None,
    *,
    workers: int = 1,
    expected: int = 0,
    runner: Callable[[Any, Context | None], dict[str, Any]] | None = None,
) -> Iterator[dict[str, Any]]:
    """Triage tickets, yielding each record in input order as soon as it is ready.

    With `workers > 1` and enough tickets, a pool of forked processes shares the work; each process
    keeps its own store connection, opened after the fork.
    """
    run = partial(runner or triage_ticket, context=context)
    if workers <= 1 or expected < PARALLEL_MIN_TICKETS or "fork" not in mp.get_all_start_methods():
        yield from map(run, tickets)
        return
    warm_up()
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
        yield from pool.map(run, tickets, chunksize=8)
