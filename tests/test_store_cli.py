"""`helpdesk search` and `helpdesk feedback` against a store; bad input never shows a traceback."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.cli import app
from graph.cli.observe import parse_since
from tests.test_store import PAYSLIP, PRINTER, VPN_DE, VPN_ES, record
from tools.store import open_store

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/helpdesk.db"
    with open_store(url) as store:
        for state, run_id in ((VPN_DE, "r1"), (VPN_ES, "r2"), (PRINTER, "r3"), (PAYSLIP, "r4")):
            record(store, state, run_id)
    return url


def test_search_json_lines_carry_ticket_decision_and_conversation(url: str) -> None:
    result = runner.invoke(app, ["search", "vpn", "--json", "--store", url])
    assert result.exit_code == 0, result.output
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert {h["ticket"]["id"] for h in hits} == {"INC-DE-1", "JSM-ES-2"}
    assert all(h["conversation"] and h["decision"]["agent"] == "Jon" for h in hits)
    filtered = runner.invoke(app, ["search", "vpn", "--json", "--source", "jira", "--store", url])
    assert [json.loads(line)["ticket"]["id"] for line in filtered.stdout.splitlines()] == ["JSM-ES-2"]


def test_search_table_is_readable(url: str) -> None:
    result = runner.invoke(app, ["search", "vpn", "--store", url], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "INC-DE-1" in result.stdout and "JSM-ES-2" in result.stdout
    assert "Lola:" in result.stdout and "Jon (network)" in result.stdout
    assert "FS-3" not in result.stdout
    none = runner.invoke(app, ["search", "kubernetes", "--store", url])
    assert none.exit_code == 0 and "No ticket matches" in none.stdout


def test_feedback_is_recorded_and_counted(url: str) -> None:
    assert runner.invoke(app, ["feedback", "INC-DE-1", "--confirmed", "--store", url]).exit_code == 0
    result = runner.invoke(
        app, ["feedback", "JSM-ES-2", "--rejected", "--category", "software_cloud", "--note", "wrong", "--store", url]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(runner.invoke(app, ["report", "--json", "--store", url]).stdout)
    rate = report["resolution_confirmation_rate"]
    assert (rate["confirmed"], rate["rejected"]) == (1, 1)
    assert report["false_confidence_rate"]["rejected"] == 1


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["feedback", "NOPE-1", "--confirmed"], 1, "no ticket 'NOPE-1'"),
        (["feedback", "INC-DE-1"], 2, "--confirmed or --rejected"),
        (["feedback", "INC-DE-1", "--rejected", "--category", "printers"], 2, "not one of"),
        (["search", "vpn", "--since", "a while ago"], 2, "--since"),
    ],
)
def test_bad_input_gets_a_message_not_a_traceback(url: str, args: list[str], code: int, message: str) -> None:
    result = runner.invoke(app, [*args, "--store", url])
    assert result.exit_code == code
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception)  # only SystemExit: the command ended itself


def test_an_unreachable_store_is_one_line_of_error() -> None:
    result = runner.invoke(app, ["search", "vpn", "--store", "postgresql://nobody:secret@127.0.0.1:1/none"])
    assert result.exit_code == 1
    assert "cannot open" in result.output and "secret" not in result.output
    assert "Traceback" not in result.output


def test_parse_since_accepts_ages_and_iso_dates() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert parse_since("2h", now) == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert parse_since("7d", now) == datetime(2026, 2, 22, 12, 0, tzinfo=UTC)
    assert parse_since("2026-02-01") == datetime(2026, 2, 1, tzinfo=UTC)
    assert parse_since("2026-02-01T10:00:00+02:00") == datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
    assert parse_since(None) is None and parse_since(" ") is None
