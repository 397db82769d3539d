"""`helpdesk demo`, the README's first command: every bundled sample ends in a shown decision."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from graph.cli import app
from graph.cli.triage import SAMPLES_DIR


def test_demo_shows_a_decision_for_every_sample() -> None:
    result = CliRunner().invoke(app, ["demo"], terminal_width=200)
    assert result.exit_code == 0, result.output
    samples = [json.loads(line) for path in SAMPLES_DIR.glob("*.jsonl") for line in path.open() if line.strip()]
    assert len(samples) >= 30
    for ticket in samples:
        assert str(ticket["id"])[:12] in result.output.replace("\n", "")


def test_demo_json_covers_every_path() -> None:
    result = CliRunner().invoke(app, ["demo", "--json"])
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    agents = {r["agent"] for r in records}
    assert {"Jon", "June", "Maya", "human"} <= agents
    assert any(r.get("error") for r in records), "bad input is shown as a clear error"
    assert any("injection" in r.get("escalation_codes", []) for r in records)
    assert any(r.get("language") == "de" and not r["escalated"] for r in records)
