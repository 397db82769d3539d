"""`helpdesk triage`, `helpdesk run` and `helpdesk demo`: the graph over a file of tickets."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer

from graph.cli.console import progress
from graph.context import Context, WritebackMode
from graph.jsonl import Line

DEFAULT_WORKERS = min(2, os.cpu_count() or 1)
SAMPLES_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "samples"


def register(app: typer.Typer) -> None:
    app.command("triage")(triage)
    app.command("run")(run)
    app.command("demo")(demo)


def triage(
    file: Annotated[Path, typer.Argument(help="JSONL file, one ticket per line.", exists=True, dir_okay=False)],
    model: Annotated[str, typer.Option(help="'local' or 'openai:<model>'.", envvar="HELPDESK_MODEL")] = "local",
    store: Annotated[
        str | None, typer.Option(help="Store URL (sqlite:///PATH, postgresql://..., none).", envvar="HELPDESK_STORE")
    ] = None,
) -> None:
    """Dry run of the full graph on every ticket: one JSON result per input line, in order.

    Exit status 2 when any line was malformed (its record is {"line", "error"}), else 0.
    """
    raise typer.Exit(process_file(file, _context(model=model, writeback_mode="dry_run", store=store)))


def run(
    file: Annotated[Path, typer.Argument(help="JSONL file, one ticket per line.", exists=True, dir_okay=False)],
    writeback: Annotated[WritebackMode, typer.Option(help="sandbox or live write-back.")] = "sandbox",
    faults: Annotated[float, typer.Option(help="Sandbox fault rate (0..1).", min=0.0, max=1.0)] = 0.0,
    seed: Annotated[int, typer.Option(help="Sandbox fault seed.")] = 0,
    model: Annotated[str, typer.Option(help="'local' or 'openai:<model>'.", envvar="HELPDESK_MODEL")] = "local",
    store: Annotated[
        str | None, typer.Option(help="Store URL (sqlite:///PATH, postgresql://..., none).", envvar="HELPDESK_STORE")
    ] = None,
) -> None:
    """The full graph with real write-backs (the sandboxes start in process unless configured)."""
    context = _context(model=model, writeback_mode=writeback, store=store)
    if writeback != "sandbox":
        raise typer.Exit(process_file(file, context))
    from tools.itsm import sandbox_for_run

    with sandbox_for_run(faults=faults, seed=seed):
        code = process_file(file, context)
    raise typer.Exit(code)


def demo(
    writeback: Annotated[WritebackMode, typer.Option(help="dry_run or sandbox write-back.")] = "dry_run",
    as_json: Annotated[bool, typer.Option("--json", help="Print the records as JSON lines.")] = False,
    store: Annotated[
        str | None, typer.Option(help="Store URL (sqlite:///PATH, postgresql://..., none).", envvar="HELPDESK_STORE")
    ] = None,
) -> None:
    """Run the bundled sample tickets through the whole helpdesk and show every decision."""
    from rich.console import Console

    from graph.cli.console import decisions_table
    from graph.runner import triage_ticket

    tickets = [json.loads(line) for path in sorted(SAMPLES_DIR.glob("*.jsonl")) for line in path.open() if line.strip()]
    context = _context(writeback_mode=writeback, store=store)
    console = Console(stderr=as_json)
    records = []
    with _sandbox_if(writeback == "sandbox"), progress(len(tickets), "demo") as advance:
        for ticket in tickets:
            records.append(triage_ticket(ticket, context))
            advance()
    if as_json:
        for record in records:
            print(json.dumps(record, ensure_ascii=False))
        return
    console.print(decisions_table(tickets, records))
    agents = Counter(str(r.get("agent")) for r in records)
    statuses = Counter(str((r.get("writeback") or {}).get("status", "error")) for r in records)
    console.print(
        f"{len(records)} tickets: "
        + ", ".join(f"{agent} {n}" for agent, n in sorted(agents.items()))
        + "; write-back "
        + ", ".join(f"{status} {n}" for status, n in sorted(statuses.items()))
        + ". JSON records: helpdesk demo --json; one ticket in full: helpdesk triage FILE."
    )


def _context(*, store: str | None, **settings: Any) -> Context:
    """Batch runs cannot pause for review: escalations are written back with their acknowledgement."""
    return Context(review_with_interrupt=False, **settings, **({"store": store} if store else {}))


def process_file(path: Path, context: Context, workers: int = DEFAULT_WORKERS) -> int:
    """Triage every line of `path` to stdout; returns the exit status (2 if any line was malformed)."""
    from graph.jsonl import count_lines, read_lines
    from graph.runner import triage_many

    total = count_lines(path)
    malformed = 0
    out = sys.stdout
    with progress(total, "triage") as advance:
        for record in triage_many(read_lines(path), context, workers=workers, expected=total, runner=_line_record):
            malformed += "line" in record and "error" in record
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            advance()
    out.flush()
    return 2 if malformed else 0


def _line_record(line: Line, context: Context | None) -> dict[str, Any]:
    """The record of one input line: its error, or the ticket's triage."""
    from graph.runner import check_ticket, triage_ticket

    problem = line.error or check_ticket(line.value)
    if problem:
        return {"line": line.number, "error": problem}
    return triage_ticket(line.value, context)


def _sandbox_if(enabled: bool) -> AbstractContextManager[object]:
    if not enabled:
        return nullcontext()
    from tools.itsm import sandbox_for_run

    return sandbox_for_run(faults=0.0, seed=0)
