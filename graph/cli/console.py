"""Terminal output shared by the commands: progress on stderr and readable decision tables."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.table import Table


@contextmanager
def progress(total: int, label: str) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr when it is a terminal; silent for pipes and CI. Yields `advance()`."""
    if not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        f"[bold]{label}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


def decisions_table(tickets: list[dict[str, Any]], records: list[dict[str, Any]]) -> Table:
    """One row per ticket: who took it, how sure, what came of it, what was written, and why."""
    table = Table(title="Helpdesk decisions")
    for column, justify in (("ticket", "left"), ("lang", "left"), ("agent", "left"), ("conf", "right")):
        table.add_column(column, justify=justify, no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    table.add_column("write-back", no_wrap=True)
    table.add_column("why", style="dim", overflow="fold")
    for ticket, record in zip(tickets, records, strict=True):
        wb = record.get("writeback") or {}
        if record.get("error"):
            outcome = "error"
        elif record.get("escalated"):
            outcome = "escalated"
        else:
            outcome = f"{record.get('outcome') or ''} {record.get('article_id') or ''}".strip()
        table.add_row(
            str(ticket.get("id")),
            (record.get("language") or "")[:7],
            str(record.get("agent")),
            f"{record.get('confidence', 0):.2f}",
            outcome,
            f"{wb.get('field')} {wb.get('status')}" if wb else "-",
            _short_reason(record),
        )
    return table


def _short_reason(record: dict[str, Any]) -> str:
    """The first reason, without the evidence list (the JSON output keeps everything)."""
    reasons = record.get("reasons") or []
    first = str(reasons[0]).split(" (", 1)[0].split("; evidence", 1)[0] if reasons else ""
    more = f" (+{len(reasons) - 1})" if len(reasons) > 1 else ""
    return first[:70] + more
