"""`helpdesk score FILE.jsonl`: routing quality of the full graph on any labeled ticket file.

Each line needs `label` (network | software_cloud | hardware | out_of_scope). Prints macro-F1, per-class
and per-language F1, auto-routed share, false-confidence rate, auto-correct, out-of-scope escalation
recall and LLM calls per ticket, for the full graph and for Lola's first decision alone (the router
without the specialists' check), so the specialists' contribution is measured, not assumed.

`input` counts what was not measured as intended, and stderr says it: unreadable or unlabeled lines
are left out; a ticket the graph rejects (say, no `source`) stays in as the escalation the product
makes. The exit code is 2 when nothing could be measured (no labeled line, or every ticket rejected).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from graph.cli.console import progress
from graph.cli.triage import DEFAULT_WORKERS
from graph.context import Context


def register(app: typer.Typer) -> None:
    app.command("score")(score)


def score(
    file: Annotated[Path, typer.Argument(help="Labeled JSONL (a `label` per ticket).", exists=True, dir_okay=False)],
    model: Annotated[str, typer.Option(help="'local' or 'openai:<model>'.", envvar="HELPDESK_MODEL")] = "local",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
    limit: Annotated[int, typer.Option(help="Score only the first N tickets (0 = all).", min=0)] = 0,
) -> None:
    """Score routing and escalation against the labels: the full graph and the router alone."""
    from rich.console import Console

    from evals.routing_metrics import format_metrics, routing_metrics
    from graph.jsonl import read_lines
    from graph.runner import triage_many
    from nodes.coordinator import route_from_coordinator

    lines = list(read_lines(file))
    tickets = [line.value for line in lines if line.value is not None and "label" in line.value]
    if limit:
        tickets = tickets[:limit]
    unreadable = [line for line in lines if line.value is None]
    unlabeled = sum(1 for line in lines if line.value is not None and "label" not in line.value)
    context = Context(model=model, writeback_mode="dry_run", review_with_interrupt=False)
    graph_rows, router_rows, rejected = [], [], []
    without_labels = ({k: v for k, v in ticket.items() if k != "label"} for ticket in tickets)
    records = triage_many(without_labels, context, workers=DEFAULT_WORKERS, expected=len(tickets))
    with progress(len(tickets), "score") as advance:
        for ticket, record in zip(tickets, records, strict=True):
            if record.get("error"):
                rejected.append(record["error"])
            graph_rows.append(_row(ticket, record["category"], record["escalated"], record))
            router = record.get("router") or {}
            # A ticket the graph could not take (an error record) has no router decision: it went to a person.
            router_escalated = (
                not router.get("category") or route_from_coordinator({"routing": router}) == "uncertainty"
            )
            router_rows.append(_row(ticket, router.get("category", "out_of_scope"), router_escalated, record))
            advance()
    results = {"file": str(file), "tickets": len(tickets), "model": model}
    results["input"] = {
        "lines": len(lines),
        "unreadable": len(unreadable),
        "unlabeled": unlabeled,
        "rejected": len(rejected),
    }
    results["graph"] = routing_metrics(graph_rows)
    results["router_only"] = routing_metrics(router_rows)
    _warn_about_input(results["input"], unreadable, rejected)
    if not tickets or len(rejected) == len(tickets):
        raise typer.Exit(2)  # nothing was measured: the figures would describe the input errors
    if as_json:
        print(json.dumps(results, ensure_ascii=False))
        return
    console = Console()
    console.print(f"[bold]{file}[/bold]: {len(tickets)} tickets, model {model}")
    console.print("[bold]Full graph (router + specialists' check)[/bold]")
    console.print(format_metrics(results["graph"]))
    console.print("[bold]Router alone (Lola's first decision)[/bold]")
    console.print(format_metrics(results["router_only"]))


def _warn_about_input(counts: dict[str, int], unreadable: list[Any], rejected: list[str]) -> None:
    """Say on stderr what was not measured as intended: unreadable and unlabeled lines are left out;
    tickets the graph rejects (a missing field) stay in, scored as the escalation the product makes."""
    problems = []
    if unreadable:
        problems.append(f"{counts['unreadable']} unreadable (line {unreadable[0].number}: {unreadable[0].error})")
    if counts["unlabeled"]:
        problems.append(f"{counts['unlabeled']} without a label")
    if rejected:
        problems.append(f"{len(rejected)} rejected by the graph and counted as escalated (e.g. {rejected[0]})")
    if problems:
        typer.echo(f"score: of {counts['lines']} lines, " + "; ".join(problems), err=True)


def _row(ticket: dict[str, Any], category: str, escalated: bool, record: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": ticket["label"],
        "category": category,
        "escalated": bool(escalated),
        "language": ticket.get("language") or record.get("language") or "unknown",
        "llm_calls": record.get("llm_calls", 0),
    }
