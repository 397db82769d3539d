"""evals.routing_metrics on hand-computed cases, and the router-only evaluation command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.routing_metrics import format_metrics, routing_metrics
from tools.router.corpus import GENERATED_FILE, read_jsonl

ROWS = [
    {"label": "network", "category": "network", "escalated": False, "language": "en", "llm_calls": 0},
    {"label": "network", "category": "hardware", "escalated": False, "language": "en", "llm_calls": 1},
    {"label": "hardware", "category": "hardware", "escalated": True, "language": "de"},
    {"label": "out_of_scope", "category": "out_of_scope", "escalated": True, "language": "de", "llm_calls": 1},
    {"label": "out_of_scope", "category": "software_cloud", "escalated": False, "language": "de"},
]


def test_rates_follow_the_issue_definitions() -> None:
    m = routing_metrics(ROWS)
    assert m["tickets"] == 5
    assert m["auto_routed_share"] == pytest.approx(3 / 5)
    assert m["false_confidence_rate"] == pytest.approx(2 / 5)  # wrong class + auto-routed out_of_scope
    by_label = m["false_confidence_by_label"]
    assert by_label == pytest.approx({"network": 1 / 5, "software_cloud": 0.0, "hardware": 0.0, "out_of_scope": 1 / 5})
    assert sum(by_label.values()) == pytest.approx(m["false_confidence_rate"])
    assert m["auto_correct"] == pytest.approx(1 / 3)  # of the three in-scope tickets, one auto-routed right
    assert m["out_of_scope_escalation_recall"] == pytest.approx(1 / 2)
    assert m["llm_calls_per_ticket"] == pytest.approx(2 / 5)
    assert m["per_class_f1"]["network"] == pytest.approx(2 / 3)
    assert set(m["per_language_macro_f1"]) == {"de", "en"}


def test_empty_input_gives_zeros_not_errors() -> None:
    m = routing_metrics([])
    assert m["tickets"] == 0 and m["macro_f1"] == 0.0 and m["false_confidence_rate"] == 0.0
    assert "Routing metrics" in format_metrics(m)


def test_format_metrics_shows_every_figure() -> None:
    text = format_metrics(routing_metrics(ROWS))
    for key in ("macro_f1", "false_confidence_rate", "auto_correct", "out_of_scope_escalation_recall"):
        assert key in text
    assert "de" in text and "software_cloud" in text
    assert "False confidence by gold label" in text


def test_route_eval_command_on_a_labeled_file(tmp_path: Path) -> None:
    from graph.cli import app

    sample = [r for r in read_jsonl(GENERATED_FILE) if r["split"] == "test"][::50]
    path = tmp_path / "labeled.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in sample) + "\nnot json\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["route-eval", str(path), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["tickets"] == len(sample)
    assert figures["macro_f1"] > 0.8
    assert 0.0 < figures["threshold"] <= 1.0
