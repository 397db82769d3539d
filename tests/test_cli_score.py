"""`helpdesk score`: figures for labeled tickets, and a clear account of the lines it could not measure."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from graph.cli import app

VPN = {"id": "S1", "source": "jira", "subject": "VPN drops", "description": "GlobalProtect VPN disconnects hourly."}
PAYSLIP = {"id": "S2", "source": "servicenow", "subject": "Payslip", "description": "My payslip shows wrong hours."}


def score(tmp_path: Path, lines: list[str]) -> tuple[int, dict | None, str]:
    path = tmp_path / "labeled.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["score", str(path), "--json"], env={"HELPDESK_STORE": "none"})
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    return result.exit_code, json.loads(last) if last.startswith("{") else None, result.stderr


def test_bad_lines_are_counted_and_reported_while_the_rest_is_measured(tmp_path: Path) -> None:
    code, results, stderr = score(
        tmp_path,
        [
            json.dumps({**VPN, "label": "network"}),
            json.dumps({**PAYSLIP, "label": "out_of_scope"}),
            json.dumps({k: v for k, v in VPN.items() if k != "source"} | {"id": "S3", "label": "network"}),
            json.dumps(VPN),
            "{not json",
        ],
    )
    assert code == 0 and results is not None
    assert results["input"] == {"lines": 5, "unreadable": 1, "unlabeled": 1, "rejected": 1}
    assert results["tickets"] == 3 and results["graph"]["tickets"] == 3
    assert "1 unreadable (line 5" in stderr and "1 without a label" in stderr and "source" in stderr


def test_a_file_whose_every_ticket_is_rejected_exits_two(tmp_path: Path) -> None:
    no_source = {k: v for k, v in VPN.items() if k != "source"}
    code, _, stderr = score(tmp_path, [json.dumps({**no_source, "label": "network"})] * 3)
    assert code == 2 and "3 rejected by the graph" in stderr
