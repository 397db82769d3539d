"""Routing quality figures for any labeled run: the numbers the acceptance criteria are stated in.

A row is one ticket: `label` (gold), `category` (the decision), `escalated` (sent to a person),
`language`, and optionally `llm_calls`. Definitions (issue 3): a ticket is auto-routed when not
escalated; false-confident when auto-routed to a class other than its label or auto-routed although its
label is out_of_scope, as a rate over all tickets; auto-correct is the share of in-scope tickets
auto-routed to their own label.
"""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

from sklearn.metrics import f1_score

CATEGORIES = ("network", "software_cloud", "hardware", "out_of_scope")
OUT_OF_SCOPE = "out_of_scope"


def _macro_f1(labels: list[str], predicted: list[str]) -> float:
    present = [c for c in CATEGORIES if c in set(labels) | set(predicted)]
    if not present:
        return 0.0
    return float(f1_score(labels, predicted, labels=present, average="macro", zero_division=0))


def _false_confident(row: dict[str, Any]) -> bool:
    """Auto-routed to a class other than its label, or auto-routed although it is out_of_scope."""
    return not row.get("escalated") and (row["category"] != row["label"] or row["label"] == OUT_OF_SCOPE)


def _rates(rows: list[dict[str, Any]]) -> dict[str, float]:
    n = len(rows)
    auto = [not bool(r.get("escalated")) for r in rows]
    false_conf = sum(1 for r in rows if _false_confident(r))
    in_scope = [(r, a) for r, a in zip(rows, auto, strict=True) if r["label"] != OUT_OF_SCOPE]
    oos = [(r, a) for r, a in zip(rows, auto, strict=True) if r["label"] == OUT_OF_SCOPE]
    return {
        "auto_routed_share": sum(auto) / n if n else 0.0,
        "false_confidence_rate": false_conf / n if n else 0.0,
        "auto_correct": (sum(1 for r, a in in_scope if a and r["category"] == r["label"]) / len(in_scope))
        if in_scope
        else 0.0,
        "out_of_scope_escalation_recall": (sum(1 for _, a in oos if not a) / len(oos)) if oos else 0.0,
    }


def _false_confidence_by_label(rows: list[dict[str, Any]]) -> dict[str, float]:
    """The false-confidence rate split by gold label (rates over all tickets; they sum to the total):
    an out_of_scope ticket not escalated and an in-scope ticket auto-routed to the wrong class are
    different failures with different remedies."""
    wrong = [r["label"] for r in rows if _false_confident(r)]
    return {c: (wrong.count(c) / len(rows) if rows else 0.0) for c in CATEGORIES}


def routing_metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Macro-F1, per-class and per-language F1, auto-routed share, false-confidence, auto-correct, ..."""
    rows = [
        {
            "label": str(r.get("label")),
            "category": str(r.get("category")),
            "escalated": bool(r.get("escalated")),
            "language": str(r.get("language") or "unknown"),
            "llm_calls": int(r.get("llm_calls") or 0),
        }
        for r in rows
    ]
    labels = [r["label"] for r in rows]
    predicted = [r["category"] for r in rows]
    per_class = f1_score(labels, predicted, labels=list(CATEGORIES), average=None, zero_division=0) if rows else []
    by_language: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_language[r["language"]].append(r)
    per_language = {
        lang: {
            "tickets": len(group),
            "macro_f1": _macro_f1([r["label"] for r in group], [r["category"] for r in group]),
            **_rates(group),
        }
        for lang, group in sorted(by_language.items())
    }
    return {
        "tickets": len(rows),
        "macro_f1": _macro_f1(labels, predicted),
        "per_class_f1": {c: float(f) for c, f in zip(CATEGORIES, per_class, strict=False)},
        "per_language_macro_f1": {lang: v["macro_f1"] for lang, v in per_language.items()},
        "per_language": per_language,
        **_rates(rows),
        "false_confidence_by_label": _false_confidence_by_label(rows),
        "llm_calls_per_ticket": (sum(r["llm_calls"] for r in rows) / len(rows)) if rows else 0.0,
    }


def format_metrics(m: dict[str, Any]) -> str:
    """The figures as readable tables (rendered to plain text, ready to print or paste)."""
    from rich.console import Console
    from rich.table import Table

    summary = Table(title=f"Routing metrics ({m.get('tickets', 0)} tickets)", show_header=True)
    summary.add_column("figure")
    summary.add_column("value", justify="right")
    for key in (
        "macro_f1",
        "auto_routed_share",
        "false_confidence_rate",
        "auto_correct",
        "out_of_scope_escalation_recall",
        "llm_calls_per_ticket",
    ):
        summary.add_row(key, f"{m.get(key, 0.0):.3f}")
    classes = Table(title="F1 per class")
    for c in CATEGORIES:
        classes.add_column(c, justify="right")
    classes.add_row(*(f"{m.get('per_class_f1', {}).get(c, 0.0):.3f}" for c in CATEGORIES))
    false_conf = Table(title="False confidence by gold label (rate over all tickets)")
    for c in CATEGORIES:
        false_conf.add_column(c, justify="right")
    false_conf.add_row(*(f"{m.get('false_confidence_by_label', {}).get(c, 0.0):.3f}" for c in CATEGORIES))
    languages = Table(title="Per language")
    for column in ("language", "tickets", "macro_f1", "false_conf", "auto_correct", "oos_esc_recall"):
        languages.add_column(column, justify="right" if column != "language" else "left")
    for lang, v in m.get("per_language", {}).items():
        languages.add_row(
            lang,
            str(v["tickets"]),
            f"{v['macro_f1']:.3f}",
            f"{v['false_confidence_rate']:.3f}",
            f"{v['auto_correct']:.3f}",
            f"{v['out_of_scope_escalation_recall']:.3f}",
        )
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, force_terminal=False, color_system=None)
    for table in (summary, classes, false_conf, languages):
        console.print(table)
    return buffer.getvalue().rstrip("\n")
