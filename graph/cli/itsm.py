"""`helpdesk sandbox` (local ITSM APIs) and `helpdesk retract` (compensate a write-back)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Literal

import typer


def register(app: typer.Typer) -> None:
    app.command("sandbox")(sandbox)
    app.command("retract")(retract)


def sandbox(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.", min=1, max=65535)] = 8765,
    faults: Annotated[float, typer.Option(help="Fault rate per request (0..1).", min=0.0, max=1.0)] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed of the fault draws.")] = 0,
    tickets: Annotated[
        Path | None, typer.Option(help="JSONL tickets to create up front.", exists=True, dir_okay=False)
    ] = None,
    hang: Annotated[
        float, typer.Option(help="Seconds an injected timeout hangs (set above the client timeout).")
    ] = 20.0,
    retry_after: Annotated[int, typer.Option(help="Retry-After seconds of injected 429/503.", min=0)] = 1,
) -> None:
    """Serve local, contract-faithful ServiceNow, Jira/JSM and Freshservice APIs until Ctrl-C."""
    import uvicorn

    from tools.itsm.sandbox import SandboxConfig, build_app, sandbox_env
    from tools.itsm.sandbox.store import SandboxStore

    store = SandboxStore()
    if tickets is not None:
        from graph.jsonl import read_lines

        store.seed([line.value for line in read_lines(tickets) if isinstance(line.value, dict)])
    config = SandboxConfig(faults=faults, seed=seed, hang_s=hang, retry_after_s=retry_after)
    app, _ = build_app(store, config)
    base_url = f"http://127.0.0.1:{port}"
    typer.echo("# ITSM sandbox (test credentials only). Point the helpdesk at it with:", err=True)
    for name, value in sandbox_env(base_url, timeout_s=15.0).items():
        typer.echo(f"export {name}={value}")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def retract(
    ticket_id: Annotated[str, typer.Argument(help="The ticket id as the helpdesk saw it.")],
    source: Annotated[Literal["servicenow", "jira", "freshservice"], typer.Option(help="The ticket's ITSM.")],
    marker: Annotated[str, typer.Option(help="The write-back marker, e.g. [helpdesk:INC1:internal_note:ab12cd34].")],
    writeback: Annotated[Literal["sandbox", "live"], typer.Option(help="Which ITSM the settings point at.")] = "live",
    reason: Annotated[str | None, typer.Option(help="Why, recorded in the retraction note.")] = None,
    agent: Annotated[str, typer.Option(help="Who retracts (audited).")] = "human",
) -> None:
    """Retract a write-back: delete the Jira comment / Freshservice note, or add a "retracted" work note.

    Exit status 0 when the retraction is confirmed, 1 otherwise (the JSON result says why).
    """
    from tools.itsm import retract_writeback

    url_var = f"HELPDESK_{source.upper()}_URL"
    if not os.environ.get(url_var):
        hint = "start `helpdesk sandbox` and export what it prints" if writeback == "sandbox" else "configure it"
        typer.echo(f"{url_var} is not set: {hint}.", err=True)
        raise typer.Exit(2)
    result = retract_writeback({"id": ticket_id, "source": source}, marker, agent=agent, reason=reason)
    typer.echo(json.dumps(result, ensure_ascii=False))
    raise typer.Exit(0 if result["status"] == "retracted" else 1)
