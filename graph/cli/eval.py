"""`helpdesk eval`: score the helpdesk on an eval suite and gate on the suite's committed floors.

Exit status: 0 when the gate passes, 1 when a family is below its floor or a zero-tolerance figure
(injection violations, secret leaks, write-back field errors) is not zero, 2 when the suite cannot
be loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("eval")(evaluate_suite)


def evaluate_suite(
    suite: Annotated[
        str,
        typer.Option(help="Suite name under evals/suites/, a suite folder, or a JSONL file (adversarial or labeled)."),
    ] = "adversarial",
    k: Annotated[int, typer.Option("--k", help="Repetitions per ticket for pass^k.", min=1)] = 1,
    model: Annotated[
        str, typer.Option(help="'local' or 'openai:<model>' (sets Context.model).", envvar="HELPDESK_MODEL")
    ] = "local",
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary object as the last line.")] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report here.", dir_okay=False)
    ] = None,
    limit: Annotated[int, typer.Option(help="Run only the first N tickets (0 = all).", min=0)] = 0,
    upload: Annotated[
        bool | None, typer.Option("--upload/--no-upload", help="Upload to LangSmith (default: when configured).")
    ] = None,
    concurrency: Annotated[int, typer.Option(help="Tickets evaluated in parallel (0 = sequential).", min=0)] = 0,
) -> None:
    """Run the suite through the whole graph, evaluate every run, report, and apply the gate."""
    from rich.console import Console

    from evals.metrics import summarize
    from evals.report import print_report, write_html
    from evals.runner import run_suite
    from evals.suite import load_suite
    from graph.context import Context

    console = Console(stderr=as_json)
    try:
        loaded = load_suite(suite)
    except (OSError, ValueError) as exc:
        console.print(f"[bold red]cannot load suite:[/bold red] {exc}")
        raise typer.Exit(2) from None
    if limit:
        loaded.cases = loaded.cases[:limit]
    if not loaded.cases:
        console.print(
            f"[bold red]suite {loaded.name} has no usable ticket[/bold red] ({len(loaded.problems)} bad lines)"
        )
        raise typer.Exit(2)
    context = Context(model=model, writeback_mode="dry_run", review_with_interrupt=False)
    run = run_suite(loaded, k=k, context=context, upload=upload, concurrency=concurrency)
    summary = summarize(run)
    if html:
        write_html(run, summary, html)
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print_report(run, summary, console)
        if html:
            console.print(f"HTML report: {html}")
    raise typer.Exit(0 if summary["gate"]["passed"] else 1)
