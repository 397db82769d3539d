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
    """One row per ticket: what it was, where Lola sent it, what came of it."""
    table = Table(title="Helpdesk decisions", show_lines=False, expand=True)
    for column, style in (
        ("ticket", "bold"),
        ("lang", ""),
        ("subject", ""),
        ("route", "cyan"),
        ("conf", "right"),
        ("outcome", ""),
        ("write-back", ""),
        ("why", "dim"),
    ):
        table.add_column(column, style=style or None, overflow="fold")
    for ticket, record in zip(tickets, records, strict=True):
        wb = record.get("writeback") or {}
        outcome = record.get("outcome") or ("error" if record.get("error") else "")
        if record.get("article_id"):
            outcome += f" {record['article_id']}"
        route = f"{record.get('agent')} ({record.get('route')})" if not record.get("escalated") else "human"
        table.add_row(
            str(ticket.get("id")),
            record.get("language") or "",
            str(ticket.get("subject") or "")[:40],
            route,
            f"{record.get('confidence', 0):.2f}",
            outcome,
            f"{wb.get('field')}: {wb.get('status')}" if wb else "-",
            "; ".join(record.get("reasons") or [])[:110],
        )
    return table
