"""Keep every run locally: the store behind `Context.store`, opened once per URL and shared.

Recording is a side effect of `finalize` (a node that never interrupts), so runs through the CLI, the
evals and the LangGraph server are all kept. A store that fails never loses the ticket: the failure is
logged and returned, and the run still ends with its terminal record.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from graph.context import Context

log = logging.getLogger(__name__)
_lock = threading.Lock()
_stores: dict[str, Any] = {}

DISABLED = {"", "none", "off"}


def store_for(url: str) -> Any | None:
    """The open store for `url` (None when recording is turned off with `store=none`)."""
    if url.strip().lower() in DISABLED:
        return None
    with _lock:
        if url not in _stores:
            from tools.store import open_store

            _stores[url] = open_store(url)
        return _stores[url]


@contextmanager
def audit_to_store(ctx: Context) -> Iterator[None]:
    """Send the write-back audit records of this block to the run's store, then restore the sink."""
    try:
        store = store_for(ctx.store)
    except Exception as exc:
        log.error("store %s unavailable for audit records: %s", ctx.store, exc)
        store = None
    if store is None:
        yield
        return
    from tools.itsm import set_audit_sink

    previous = set_audit_sink(store.audit_sink())
    try:
        yield
    finally:
        set_audit_sink(previous)


def record_run(state: dict[str, Any], ctx: Context, *, run_id: str, thread_id: str | None) -> str | None:
    """Store the finished run; returns an error message instead of raising."""
    try:
        store = store_for(ctx.store)
        if store is None:
            return None
        started = state.get("started_at")
        store.record_run(
            state,
            run_id=run_id,
            thread_id=thread_id,
            started_at=datetime.fromisoformat(started) if started else datetime.now(UTC),
            finished_at=datetime.now(UTC),
            mode=ctx.writeback_mode,
        )
    except Exception as exc:
        log.error("could not record run %s: %s", run_id, exc)
        return f"run not recorded: {type(exc).__name__}: {exc}"
    return None
