"""`helpdesk search`, `helpdesk feedback` and `helpdesk report`: the store, seen from the terminal."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.table import Table

    from tools.store import Store

CATEGORIES = ("network", "software_cloud", "hardware", "out_of_scope")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="HELPDESK_STORE",
        help="sqlite:///PATH or postgresql://... (default .helpdesk/helpdesk.db).",
        show_default=False,
    ),
]
SinceOption = Annotated[
    str | None,
    typer.Option("--since", help="Only tickets since then: an ISO date/time or an age such as 30m, 24h, 7d, 2w."),
]


def register(app: typer.Typer) -> None:
    app.command("search")(search)
    app.command("feedback")(feedback)
    app.command("report")(report)


def parse_since(value: str | None, now: datetime | None = None) -> datetime | None:
    """An aware datetime from an ISO date/time (UTC when no zone is given) or an age like `7d`."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    age = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([mhdw])", text.lower())
    if age:
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[age.group(2)]: float(age.group(1))})
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is neither an ISO date/time nor an age like 7d", param_hint="--since"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


@contextmanager
def open_store_or_exit(url: str | None) -> Iterator[Store]:
    """The store, or a one-line error and exit status 1 when it cannot be opened."""
    from alembic.util import CommandError
    from rich.console import Console
    from sqlalchemy.exc import SQLAlchemyError

    from tools.store import open_store
    from tools.store.urls import describe, resolve_url

    try:
        store = open_store(url)
    except (SQLAlchemyError, CommandError, ValueError, OSError) as exc:  # unreachable, unknown schema, bad URL
        target = resolve_url(url)
        try:
            target = describe(target)
        except Exception:
            target = "the configured store"
        Console(stderr=True).print(f"[red]cannot open {target}:[/red] {type(exc).__name__}: {str(exc).splitlines()[0]}")
        raise typer.Exit(1) from None
    try:
        yield store
    finally:
        store.close()


def search(
    query: Annotated[str, typer.Argument(help="Words to find in ticket text and conversations (prefixes match).")] = "",
    agent: Annotated[
        str | None, typer.Option(help="Only tickets handled by this agent (Jon, June, Maya, human).")
    ] = None,
    category: Annotated[str | None, typer.Option(help="Only tickets of this category.")] = None,
    source: Annotated[str | None, typer.Option(help="Only tickets from servicenow, jira or freshservice.")] = None,
    since: SinceOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per hit (JSON lines).")] = False,
    limit: Annotated[int, typer.Option(help="At most this many hits.", min=1, max=1000)] = 50,
    store: StoreOption = None,
) -> None:
    """Full-text search over tickets and their agent conversations."""
    when = parse_since(since)
    with open_store_or_exit(store) as db:
        hits = db.search(query, agent=agent, category=category, source=source, since=when, limit=limit)
    if as_json:
        for hit in hits:
            print(json.dumps(hit, ensure_ascii=False))
        return
    from rich.console import Console

    console = Console()
    if not hits:
        console.print(f"No ticket matches {query!r}.")
        return
    console.print(hits_table(query, hits))


def hits_table(query: str, hits: list[dict[str, Any]]) -> Table:
    """One row per ticket: what it said, where it went, how it ended, and the conversation."""
    from rich.table import Table

    table = Table(title=f"{len(hits)} ticket(s) matching {query!r}", show_lines=True, expand=True)
    for name, style, ratio in (
        ("ticket", "bold", 2),
        ("ticket text", "", 4),
        ("decision", "cyan", 2),
        ("outcome", "", 2),
        ("conversation", "dim", 7),
    ):
        table.add_column(name, style=style or None, overflow="fold", ratio=ratio)
    for hit in hits:
        ticket, decision, fb = hit["ticket"], hit["decision"], hit.get("feedback")
        text = f"[bold]{_short(ticket.get('subject'), 80)}[/bold]\n{_short(ticket.get('description'), 160)}"
        route = "human" if decision.get("escalated") else f"{decision.get('agent')} ({decision.get('category')})"
        outcome = [decision.get("outcome") or "-", f"write-back: {decision.get('writeback_status') or '-'}"]
        if fb:
            verdict = "confirmed" if fb["confirmed"] else "rejected"
            outcome.append(f"feedback: {verdict}" + (f" → {fb['category']}" if fb.get("category") else ""))
        conversation = "\n".join(f"{m['agent']}: {_short(m['content'], 140)}" for m in hit["conversation"])
        table.add_row(
            f"{ticket['id']}\n{ticket.get('source') or ''} · {ticket.get('language') or '?'}",
            text,
            f"{route}\nconf {decision.get('confidence') or 0:.2f}",
            "\n".join(outcome),
            conversation or "-",
        )
    return table


def _short(text: Any, limit: int) -> str:
    from rich.markup import escape

    flat = " ".join(str(text or "").split())
    return escape(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def feedback(
    ticket: Annotated[str, typer.Argument(help="The ticket id.")],
    confirmed: Annotated[
        bool | None,
        typer.Option("--confirmed/--rejected", help="Was the outcome right?", show_default=False),
    ] = None,
    category: Annotated[str | None, typer.Option(help="The right category, when Lola's was wrong.")] = None,
    note: Annotated[str | None, typer.Option(help="A short note for the audit trail.")] = None,
    store: StoreOption = None,
) -> None:
    """Record whether a ticket's outcome was right (feeds the confirmation and false-confidence rates)."""
    from rich.console import Console

    from tools.store import UnknownTicketError

    if confirmed is None:
        raise typer.BadParameter("say --confirmed or --rejected", param_hint="--confirmed/--rejected")
    if category is not None and category not in CATEGORIES:
        raise typer.BadParameter(f"{category!r} is not one of {', '.join(CATEGORIES)}", param_hint="--category")
    console = Console(stderr=True)
    with open_store_or_exit(store) as db:
        try:
            db.record_feedback(ticket, confirmed=confirmed, category=category, note=note, source="cli")
        except UnknownTicketError:
            console.print(f"[red]no ticket {ticket!r} in the store[/red]: run it first (helpdesk run ... --store ...)")
            raise typer.Exit(1) from None
    verdict = "confirmed" if confirmed else "rejected"
    console.print(f"Recorded: {ticket} {verdict}" + (f", correct category {category}" if category else ""))


def report(
    since: SinceOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as one JSON object.")] = False,
    html: Annotated[Path | None, typer.Option("--html", help="Also write a self-contained HTML report here.")] = None,
    baseline_ttr: Annotated[
        float | None,
        typer.Option("--baseline-ttr", help="Time to resolution before the helpdesk, in seconds.", min=0.0),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Production metrics: confirmations, false confidence, write-backs, time to resolution, latency."""
    from rich.console import Console

    when = parse_since(since)
    with open_store_or_exit(store) as db:
        metrics = db.report(since=when, baseline_ttr_s=baseline_ttr)
    if html is not None:
        from tools.store.html import render_html

        try:
            html.parent.mkdir(parents=True, exist_ok=True)
            html.write_text(render_html(metrics), encoding="utf-8")
        except OSError as exc:
            Console(stderr=True).print(f"[red]cannot write {html}:[/red] {exc.strerror or exc}")
            raise typer.Exit(1) from None
        Console(stderr=True).print(f"HTML report written to {html}")
    if as_json:
        print(json.dumps(metrics, ensure_ascii=False))
        return
    Console().print(*summary_tables(metrics))


def summary_tables(metrics: dict[str, Any]) -> list[Table]:
    """The report for a terminal: headline numbers, then confirmations and latency per node."""
    from rich.table import Table

    def pct(rate: float | None) -> str:
        return "-" if rate is None else f"{rate * 100:.1f}%"

    conf, false = metrics["resolution_confirmation_rate"], metrics["false_confidence_rate"]
    wb, ttr, esc = metrics["writeback_success_rate"], metrics["time_to_resolution"], metrics["escalation"]
    head = Table(title="Helpdesk report", show_header=False)
    head.add_column(style="bold")
    head.add_column(justify="right")
    head.add_column(style="dim")
    head.add_row("tickets", str(metrics["tickets"]["total"]), f"{metrics['runs']['total']} runs")
    head.add_row(
        "resolution confirmation", pct(conf["rate"]), f"{conf['confirmed']}/{conf['tickets_with_feedback']} rated"
    )
    head.add_row(
        "false confidence", pct(false["rate"]), f"{false['false_confident']}/{false['auto_routed_with_feedback']} rated"
    )
    head.add_row("write-back success", pct(wb["rate"]), f"{wb['confirmed']}/{wb['total']} writes ({wb['basis']})")
    p50 = "-" if ttr["p50_s"] is None else f"{ttr['p50_s']:.0f} s"
    head.add_row("time to resolution p50", p50, f"{ttr['resolved']} resolved")
    head.add_row("escalation", pct(esc["rate"]), ", ".join(f"{k} {v}" for k, v in esc["reasons"].items()) or "-")
    outcomes = metrics["specialist_outcomes"]
    head.add_row(
        "specialist outcomes", str(sum(outcomes.values())), ", ".join(f"{k} {v}" for k, v in outcomes.items()) or "-"
    )
    per_ticket = metrics["tokens"]["per_ticket"]["total"]
    head.add_row("tokens per ticket", "-" if per_ticket is None else f"{per_ticket:.0f}", "")
    tables = [head]
    by_agent = Table(title="Confirmation by agent")
    for column in ("agent", "rate", "confirmed", "rejected"):
        by_agent.add_column(column)
    for agent, row in conf["by_agent"].items():
        by_agent.add_row(agent, pct(row["rate"]), str(row["confirmed"]), str(row["rejected"]))
    latency = Table(title="Latency per node (ms)")
    for column in ("node", "p50", "p95", "count"):
        latency.add_column(column, justify="right" if column != "node" else "left")
    for node, row in metrics["latency"]["per_node"].items():
        latency.add_row(node, f"{row['p50_ms']:.1f}", f"{row['p95_ms']:.1f}", str(row["count"]))
    tables += [t for t in (by_agent, latency) if t.row_count]
    return tables
