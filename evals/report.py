"""The eval report: rich tables in the terminal, or one self-contained HTML file with embedded charts.

Both show the same things: per-family and per-evaluator tables, the headline figures and the gate, a
confusion matrix, a reliability diagram, and every failure with the ticket, the decision and the
reason. Ticket text and decisions pass through `tools.screening.redact` before they are shown.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from evals.evaluators import EVALUATORS
from evals.metrics import ROUTES, confusion, failed_checks, reliability
from evals.runner import EvalRun, Row
from tools.screening import redact

SNIPPET_CHARS = 240


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def headline(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """The figures that decide whether the system is ready, as label/value pairs."""
    latency = summary["latency_ms"]
    return [
        ("tickets / runs", f"{summary['suite_size']} / {summary['runs']} (k={summary['k']})"),
        ("model", str(summary["model"])),
        ("pass^1 / pass^k", f"{_pct(summary['pass_1'])} / {_pct(summary['pass_k'])}"),
        (
            "false-confidence rate",
            f"{_pct(summary['false_confidence_rate'])} ({summary['false_confidence']} of {summary['auto_routed']})",
        ),
        ("escalation recall", f"{_pct(summary['escalation_recall'])} (of {summary['must_escalate']} runs)"),
        ("injection violations", str(summary["injection_violations"])),
        ("secret leaks", str(summary["secret_leaks"])),
        ("write-back field errors", str(summary["writeback_field_errors"])),
        ("note language errors", str(summary["note_language_errors"])),
        ("repeat consistency", _pct(summary["repeat_consistency"])),
        ("ECE (router)", "n/a" if summary["ece"] is None else f"{summary['ece']:.3f}"),
        ("latency p50 / p95 / max", f"{latency['p50']:.0f} / {latency['p95']:.0f} / {latency['max']:.0f} ms"),
        (
            "duration",
            f"{summary['duration_s']:.1f} s" + (f", uploaded: {summary['experiment']}" if summary["uploaded"] else ""),
        ),
        ("gate", "PASSED" if summary["gate"]["passed"] else "FAILED"),
    ]


def family_rows(run: EvalRun, summary: dict[str, Any]) -> list[list[str]]:
    counts: dict[str, int] = {}
    for case in run.suite.cases:
        counts[case.family] = counts.get(case.family, 0) + 1
    rows = []
    for name, rate in summary["families"].items():
        family = run.suite.families.get(name)
        floor = family.floor if family else 0.0
        failures = summary["families_failures"][name]
        rows.append(
            [
                name,
                str(counts.get(name, 0)),
                _pct(rate),
                _pct(summary["families_pass_k"][name]),
                _pct(floor),
                "ok" if rate >= floor else "BELOW FLOOR",
                str(failures["wrong_route"]),
                str(failures["cautious_escalation"]),
                family.intent if family else "",
            ]
        )
    return rows


def language_rows(summary: dict[str, Any]) -> list[list[str]]:
    return [[language, _pct(rate)] for language, rate in summary["languages"].items()]


def evaluator_rows(run: EvalRun) -> list[list[str]]:
    rows = []
    for ev in EVALUATORS:
        key = ev.key  # type: ignore[attr-defined]
        scores = [r.scores.get(key, (None, ""))[0] for r in run.rows]
        ok, bad, na = scores.count(1), scores.count(0), sum(s is None for s in scores)
        rows.append([key, str(ok), str(bad), str(na), _pct(ok / (ok + bad) if ok + bad else None)])
    return rows


def failure_rows(run: EvalRun) -> list[dict[str, str]]:
    """Every failed run: the ticket, what the system decided, and why each check failed."""
    out = []
    for row in run.rows:
        checks = failed_checks(row)
        if not checks:
            continue
        out.append(
            {
                "id": str(row.case.ticket.get("id")),
                "family": row.case.family,
                "repetition": str(row.repetition),
                "ticket": _ticket_text(row),
                "expected": _expected(row),
                "decision": _decision(row),
                "why": "; ".join(f"{key}: {comment}" for key, comment in checks),
            }
        )
    return out


def _ticket_text(row: Row) -> str:
    ticket = row.case.ticket
    text = f"[{ticket.get('source')}] {ticket.get('subject') or '(no subject)'}: {ticket.get('description') or ''}"
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    suffix = f" … ({len(text)} chars)" if len(text) > SNIPPET_CHARS else ""
    return redact(text[:SNIPPET_CHARS]) + suffix


def _expected(row: Row) -> str:
    expect = row.case.expect
    routes = "must escalate" if expect.must_escalate else "|".join(expect.allowed_routes)
    return routes + (f", note in {expect.note_language}" if expect.note_language else "")


def _decision(row: Row) -> str:
    record = row.record
    if record.get("error") and not record.get("route"):
        return redact(f"error: {record['error']}")[:300]
    wb = record.get("writeback") or {}
    reasons = "; ".join(str(r) for r in record.get("reasons") or [])
    return redact(
        f"route {record.get('route')} ({record.get('agent')}), category {record.get('category')} "
        f"@ {record.get('confidence')}, escalated={record.get('escalated')}, write {wb.get('system')}.{wb.get('field')}"
        f" [{wb.get('status')}]; {reasons}"
    )[:400]


def _table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=title, expand=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))  # ticket text is data, never rich markup
    return table


FAMILY_COLUMNS = [
    "family", "tickets", "pass^1", "pass^k", "floor", "status", "wrong routes", "cautious escalations", "intent"
]  # fmt: skip
EVALUATOR_COLUMNS = ["evaluator", "pass", "fail", "n/a", "pass rate"]
RELIABILITY_COLUMNS = ["confidence bin", "runs", "mean confidence", "accuracy"]


def _reliability_rows(run: EvalRun) -> list[list[str]]:
    table, _ = reliability(run.rows)
    return [
        [f"{b['lo']:.1f}-{b['hi']:.1f}", str(b["n"]), f"{b['confidence']:.2f}", f"{b['accuracy']:.2f}"] for b in table
    ]


def print_report(run: EvalRun, summary: dict[str, Any], console: Console) -> None:
    """Everything in the terminal: tables, confusion matrix, reliability bins, failures and the gate."""
    console.print(_table(f"Eval suite {run.suite.name}", ["figure", "value"], [list(p) for p in headline(summary)]))
    console.print(_table("Per family", FAMILY_COLUMNS, family_rows(run, summary)))
    console.print(_table("Per evaluator", EVALUATOR_COLUMNS, evaluator_rows(run)))
    console.print(_table("Per language", ["language", "pass^1"], language_rows(summary)))
    matrix = confusion(run.rows)
    console.print(
        _table(
            "Confusion matrix (rows: expected, columns: taken)",
            ["expected \\ taken", *ROUTES],
            [[route, *map(str, counts)] for route, counts in zip(ROUTES, matrix, strict=True)],
        )
    )
    console.print(_table("Reliability (router confidence)", RELIABILITY_COLUMNS, _reliability_rows(run)))
    failures = failure_rows(run)
    if failures:
        columns = ["id", "family", "ticket", "expected", "decision", "why"]
        console.print(_table(f"Failures ({len(failures)})", columns, [[f[c] for c in columns] for f in failures]))
    for problem in summary["load_problems"]:
        console.print(f"[yellow]suite line skipped:[/yellow] {problem}")
    if summary["gate"]["passed"]:
        console.print("[bold green]Gate passed.[/bold green]")
    for failure in summary["gate"]["failures"]:
        console.print(f"[bold red]Gate:[/bold red] {failure}")


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1b1b1b;background:#fafafa}
h1{margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:2px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0;background:#fff;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#eef2f7}.bad{color:#b71c1c;font-weight:600}.ok{color:#1b5e20;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem}.charts img{background:#fff;border:1px solid #ddd;max-width:100%}
td.text{max-width:38rem;font-family:ui-monospace,monospace;font-size:.8rem}
"""


def _html_table(columns: list[str], rows: list[list[str]], text_columns: tuple[int, ...] = ()) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            css = ' class="bad"' if value in {"BELOW FLOOR", "FAILED"} else ' class="ok"' if value == "PASSED" else ""
            css = ' class="text"' if i in text_columns else css
            cells.append(f"<td{css}>{html.escape(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def render_html(run: EvalRun, summary: dict[str, Any]) -> str:
    """One self-contained page: inline CSS, charts as base64 PNG, no external resource."""
    from evals.charts import confusion_chart, family_chart, reliability_chart

    floors = {name: family.floor for name, family in run.suite.families.items()}
    table, ece = reliability(run.rows)
    matrix = confusion(run.rows)
    failures = failure_rows(run)
    failure_columns = ["id", "family", "ticket", "expected", "decision", "why"]
    gate = summary["gate"]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Helpdesk eval: {html.escape(run.suite.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Helpdesk eval: {html.escape(run.suite.name)}</h1>",
        f"<p class='{'ok' if gate['passed'] else 'bad'}'>Gate {'passed' if gate['passed'] else 'failed'}</p>",
        "<ul>" + "".join(f"<li class='bad'>{html.escape(f)}</li>" for f in gate["failures"]) + "</ul>",
        "<h2>Headline</h2>",
        _html_table(["figure", "value"], [list(p) for p in headline(summary)]),
        "<h2>Charts</h2><div class='charts'>",
        _img(family_chart(summary["families"], floors), "pass rate per family"),
        _img(confusion_chart(matrix), "confusion matrix"),
        _img(reliability_chart(table, ece), "reliability diagram"),
        "</div>",
        "<h2>Per family</h2>",
        _html_table(FAMILY_COLUMNS, family_rows(run, summary), text_columns=(FAMILY_COLUMNS.index("intent"),)),
        "<h2>Per evaluator</h2>",
        _html_table(EVALUATOR_COLUMNS, evaluator_rows(run)),
        "<h2>Per language</h2>",
        _html_table(["language", "pass^1"], language_rows(summary)),
        "<h2>Confusion matrix</h2>",
        _html_table(
            ["expected \\ taken", *ROUTES],
            [[route, *map(str, counts)] for route, counts in zip(ROUTES, matrix, strict=True)],
        ),
        "<h2>Reliability</h2>",
        _html_table(RELIABILITY_COLUMNS, _reliability_rows(run)),
        f"<h2>Failures ({len(failures)})</h2>",
        _html_table(failure_columns, [[f[c] for c in failure_columns] for f in failures], text_columns=(2, 4, 5))
        if failures
        else "<p>None.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


def write_html(run: EvalRun, summary: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(run, summary), encoding="utf-8")
