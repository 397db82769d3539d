"""`helpdesk serve`: the LangGraph server API (Studio, webhooks, review) offline, on a port known to be free."""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from pathlib import Path
from typing import Annotated

import typer

from graph.server.settings import STUDIO_ENV

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "langgraph.json"
OFFLINE_ENV = {
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",  # the CLI's usage analytics
    "LANGGRAPH_NO_VERSION_CHECK": "true",  # the PyPI version check at start
}
TRUTHY = {"1", "true", "yes", "on"}


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    port: Annotated[int, typer.Option(help="Port to listen on; refused if taken.", min=1, max=65535)] = 2024,
    host: Annotated[str, typer.Option(help="Interface to bind (0.0.0.0 to expose).")] = "127.0.0.1",
    store: Annotated[
        str | None,
        typer.Option(help="Store URL (sqlite:///PATH or postgresql://...); else HELPDESK_STORE.", show_default=False),
    ] = None,
    config: Annotated[Path, typer.Option(help="LangGraph config file.", exists=True, dir_okay=False)] = DEFAULT_CONFIG,
    jobs: Annotated[int, typer.Option(help="Runs executed concurrently by this process.", min=1)] = 10,
    persist: Annotated[
        bool, typer.Option(help="Keep thread and run records in .langgraph_api/ across restarts.")
    ] = True,
    allow_blocking: Annotated[
        bool, typer.Option(help="Do not raise on blocking I/O inside async code (debugging only).")
    ] = False,
    studio: Annotated[
        bool, typer.Option(help="Let LangGraph Studio (smith.langchain.com) use the API; loopback host only.")
    ] = False,
) -> None:
    """Serve the `helpdesk` graph over the LangGraph server API with custom auth, webhooks and review routes.

    Clients send `x-api-key` with a key from HELPDESK_API_KEYS. No analytics, no version check, and
    LangSmith tracing only when LANGSMITH_TRACING and LANGSMITH_API_KEY are both set.
    """
    if studio and not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
        typer.echo("error: --studio lets any local Studio session in; bind it to 127.0.0.1 only", err=True)
        raise typer.Exit(2)
    if not port_is_free(host, port):
        typer.echo(f"error: port {port} on {host} is already in use; choose another with --port", err=True)
        raise typer.Exit(1)
    if studio:
        os.environ[STUDIO_ENV] = "true"
    for key, value in server_environment(os.environ, store).items():
        os.environ[key] = value
    if not os.environ.get("HELPDESK_API_KEYS", "").strip():
        typer.echo("warning: HELPDESK_API_KEYS is not set: every API request will be refused (401)", err=True)

    from langgraph_api.cli import run_server
    from langgraph_cli.config import validate_config_file

    settings = validate_config_file(config)
    os.chdir(config.resolve().parent)  # graph, auth and app paths in the config are relative to it
    sys.path.insert(0, str(config.resolve().parent))
    typer.echo(f"helpdesk API on http://{host}:{port} (graph 'helpdesk'; health /ok and /health)", err=True)
    run_server(
        host,
        port,
        reload=False,
        graphs=settings.get("graphs", {}),
        n_jobs_per_worker=jobs,
        open_browser=False,
        env=settings.get("env"),
        store=settings.get("store"),
        auth={**settings["auth"], "disable_studio_auth": False} if studio else settings.get("auth"),
        http=settings.get("http"),
        checkpointer=settings.get("checkpointer"),
        disable_persistence=not persist,
        allow_blocking=allow_blocking,
        server_level="WARNING",
    )


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port (the server would otherwise silently pick another port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def server_environment(environ: os._Environ[str] | dict[str, str], store: str | None) -> dict[str, str]:
    """The variables to set: offline flags, the store, and tracing switched off unless fully configured."""
    env = dict(OFFLINE_ENV)
    if store:
        env["HELPDESK_STORE"] = store
    tracing = (environ.get("LANGSMITH_TRACING") or environ.get("LANGCHAIN_TRACING_V2") or "").lower() in TRUTHY
    has_key = bool(environ.get("LANGSMITH_API_KEY") or environ.get("LANGCHAIN_API_KEY"))
    if not (tracing and has_key):
        env |= {"LANGSMITH_TRACING": "false", "LANGCHAIN_TRACING_V2": "false"}
    return env
