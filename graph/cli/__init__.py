"""The `helpdesk` command line.

Each command group lives in its own module with a `register(app)` function; heavy imports happen
inside the commands so that `helpdesk --help` stays instant.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="helpdesk",
    help="Multi-agent IT helpdesk: triage, run, train, evaluate, observe and serve.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

COMMAND_MODULES: tuple[str, ...] = (
    "graph.cli.triage",
    "graph.cli.score",
    "graph.cli.train",
    "graph.cli.eval",
    "graph.cli.diagram",
    "graph.cli.serve",
    "graph.cli.observe",
    "graph.cli.itsm",
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)
