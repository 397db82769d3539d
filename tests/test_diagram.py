"""The README's drawing is the compiled graph's, and the graph has the shape the product card asks for."""

from __future__ import annotations

from graph.cli.diagram import BEGIN, END, README, mermaid, readme_with_diagram


def test_readme_drawing_matches_the_compiled_graph() -> None:
    readme = README.read_text(encoding="utf-8")
    assert readme == readme_with_diagram(readme, mermaid()), "run `helpdesk diagram --write-readme`"


def test_drawing_shows_every_required_node_and_edge() -> None:
    drawing = mermaid()
    for node in (
        "intake",
        "coordinator",
        "jon",
        "june",
        "maya",
        "uncertainty",
        "human_escalation",
        "servicenow_writeback",
        "jira_writeback",
        "freshservice_writeback",
        "finalize",
    ):
        assert node in drawing, node
    assert "intake -.-> coordinator" in drawing
    assert "uncertainty -.-> human_escalation" in drawing
    assert BEGIN in README.read_text(encoding="utf-8") and END in README.read_text(encoding="utf-8")
