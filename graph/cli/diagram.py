"""`helpdesk diagram`: the compiled graph drawn as Mermaid, and kept true in the README."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

README = Path(__file__).resolve().parent.parent.parent / "README.md"
BEGIN, END = "<!-- GRAPH:BEGIN -->", "<!-- GRAPH:END -->"


def register(app: typer.Typer) -> None:
    app.command("diagram")(diagram)


def mermaid() -> str:
    """Mermaid of the compiled graph with the specialist subgraphs expanded."""
    from graph.builder import build_graph

    return build_graph().get_graph(xray=1).draw_mermaid()


def readme_with_diagram(readme: str, drawing: str) -> str:
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n```mermaid\n{drawing.strip()}\n```\n{END}{tail}"


def diagram(
    write_readme: Annotated[bool, typer.Option("--write-readme", help="Replace the drawing in README.md.")] = False,
) -> None:
    """Print the graph as Mermaid (or refresh the README's drawing)."""
    drawing = mermaid()
    if not write_readme:
        print(drawing)
        return
    README.write_text(readme_with_diagram(README.read_text(encoding="utf-8"), drawing), encoding="utf-8")
