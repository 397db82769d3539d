"""The `helpdesk triage` contract: one record per line, in order; bad lines reported; exit 2 on any."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from graph.cli import app

GOOD = {
    "id": "C1",
    "source": "jira",
    "subject": "VPN drops",
    "description": "Cisco AnyConnect VPN disconnects hourly.",
}
CONTRACT_KEYS = {
    "id",
    "category",
    "route",
    "agent",
    "confidence",
    "escalated",
    "reasons",
    "resolution",
    "writeback",
}


def run_triage(tmp_path: Path, lines: list[bytes]) -> tuple[int, list[dict]]:
    path = tmp_path / "tickets.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = CliRunner().invoke(app, ["triage", str(path)])
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()]


def test_valid_file_exits_zero_with_the_contract_fields(tmp_path: Path) -> None:
    code, records = run_triage(tmp_path, [json.dumps(GOOD).encode(), json.dumps({**GOOD, "id": "C2"}).encode()])
    assert code == 0 and [r["id"] for r in records] == ["C1", "C2"]
    for record in records:
        assert record.keys() >= CONTRACT_KEYS
        assert record["category"] in {"network", "software_cloud", "hardware", "out_of_scope"}
        assert record["agent"] in {"Jon", "June", "Maya", "human"}
        assert record["escalated"] is (record["route"] == "human")
        assert {"system", "field", "body", "status"} <= record["writeback"].keys()


def test_malformed_lines_are_reported_in_place_and_exit_two(tmp_path: Path) -> None:
    lines = [
        json.dumps(GOOD).encode(),
        b"{not json",
        b"[1, 2]",
        json.dumps({"source": "jira"}).encode(),
        json.dumps({"id": "x", "source": "zendesk"}).encode(),
        json.dumps({"id": "x", "source": "jira", "subject": 5}).encode(),
        b"\xff\xfe broken utf-8",
        b"",
        json.dumps({**GOOD, "id": "C9"}).encode(),
    ]
    code, records = run_triage(tmp_path, lines)
    assert code == 2 and len(records) == len(lines)
    assert records[0]["id"] == "C1" and records[-1]["id"] == "C9"
    for number, record in enumerate(records[1:-1], start=2):
        assert record["line"] == number and record["error"], record
    assert "UTF-8" in records[6]["error"] and "source" in records[4]["error"]


def test_ten_thousand_lines_with_malformed_ones_hold_the_contract(tmp_path: Path) -> None:
    lines = []
    for i in range(10_000):
        if i % 50 == 0:
            lines.append(json.dumps({**GOOD, "id": f"T{i}"}).encode())
        elif i % 3 == 0:
            lines.append(b'{"id": 1, "source": "jira", "description": ["list"]}')
        else:
            lines.append(f'{{"broken": {i}'.encode())
    code, records = run_triage(tmp_path, lines)
    assert code == 2 and len(records) == 10_000
    assert all(("error" in r) != (r.get("id", "").startswith("T")) for r in records)
