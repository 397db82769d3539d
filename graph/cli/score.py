"""`helpdesk score FILE.jsonl`: routing quality of the full graph on any labeled ticket file.

Each line needs `label` (network | software_cloud | hardware | out_of_scope). Prints macro-F1, per-class
and per-language F1, auto-routed share, false-confidence rate, auto-correct, out-of-scope escalation
recall and LLM calls per ticket, for the full graph and for Lola's first decision alone (the router
without the specialists' check), so the specialists' contribution is measured, not assumed.
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

    tickets = [line.value for line in read_lines(file) if line.value is not None and "label" in line.value]
    if limit:
        tickets = tickets[:limit]
    context = Context(model=model, writeback_mode="dry_run", review_with_interrupt=False)
    graph_rows, router_rows = [], []
    unlabeled = ({k: v for k, v in ticket.items() if k != "label"} for ticket in tickets)
    records = triage_many(unlabeled, context, workers=DEFAULT_WORKERS, expected=len(tickets))
    with progress(len(tickets), "score") as advance:
        for ticket, record in zip(tickets, records, strict=True):
            graph_rows.append(_row(ticket, record["category"], record["escalated"], record))
            router = record.get("router") or {}
            # A ticket the graph could not take (an error record) has no router decision: it went to a person.
            router_escalated = (
                not router.get("category") or route_from_coordinator({"routing": router}) == "uncertainty"
            )
            router_rows.append(_row(ticket, router.get("category", "out_of_scope"), router_escalated, record))
            advance()
    results = {"file": str(file), "tickets": len(tickets), "model": model}
    results["graph"] = routing_metrics(graph_rows)
    results["router_only"] = routing_metrics(router_rows)
    if as_json:
        print(json.dumps(results, ensure_ascii=False))
        return
    console = Console()
    console.print(f"[bold]{file}[/bold]: {len(tickets)} tickets, model {model}")
    console.print("[bold]Full graph (router + specialists' check)[/bold]")
    console.print(format_metrics(results["graph"]))
    console.print("[bold]Router alone (Lola's first decision)[/bold]")
    console.print(format_metrics(results["router_only"]))


def _row(ticket: dict[str, Any], category: str, escalated: bool, record: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": ticket["label"],
        "category": category,
        "escalated": bool(escalated),
        "language": ticket.get("language") or record.get("language") or "unknown",
        "llm_calls": record.get("llm_calls", 0),
    }
