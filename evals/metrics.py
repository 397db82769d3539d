"""From evaluated runs to the figures the report shows and the CI gate checks.

A run passes when every gating evaluator that applies passed (`evals.evaluators.GATING_KEYS`).
pass^1 is the share of passing runs; pass^k the share of tickets that passed in all k repetitions,
so it equals pass^1 exactly when the system is consistent. The false-confidence rate is the share of
automated decisions (runs not escalated) whose route the ticket does not allow: the risk a requester
carries when no person looks. Escalation recall is the share of must-escalate runs that were escalated.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from evals.evaluators import EVALUATORS, GATING_KEYS
from evals.runner import EvalRun, Row

ROUTES = ("network", "software_cloud", "hardware", "human")
RELIABILITY_BINS = 10


def passed(row: Row) -> bool:
    return all(row.scores.get(key, (None, ""))[0] != 0 for key in GATING_KEYS)


def failed_checks(row: Row) -> list[tuple[str, str]]:
    """The gating checks a run failed, each with the evaluator's reason."""
    return [(key, row.scores[key][1]) for key in GATING_KEYS if row.scores.get(key, (None, ""))[0] == 0]


FAILURE_KINDS = ("wrong_route", "cautious_escalation", "other")


def failure_kind(row: Row) -> str | None:
    """Why a run failed, so a family's pass rate tells a wrong answer from caution (None: it passed).

    `wrong_route`: the system acted without a person on a route the ticket does not allow (false
    confidence). `cautious_escalation`: routing is the only failed check and a person got the ticket
    where a specialist was expected: a missed automation, never a wrong note. `other`: any other failed
    check (injection, write-back fields, note language, an inconsistent record).
    """
    failed = {key for key, _ in failed_checks(row)}
    if not failed:
        return None
    if "false_confidence" in failed:
        return "wrong_route"
    if failed == {"routing"} and row.record.get("escalated"):
        return "cautious_escalation"
    return "other"


def failures_by_kind(rows: list[Row]) -> dict[str, int]:
    kinds = [failure_kind(r) for r in rows]
    return {kind: kinds.count(kind) for kind in FAILURE_KINDS}


def expected_route(row: Row) -> str:
    """The first allowed route: the confusion matrix's row for tickets that allow several."""
    return "human" if row.case.expect.must_escalate else row.case.expect.allowed_routes[0]


def _count(rows: list[Row], key: str, score: float | None) -> int:
    return sum(1 for r in rows if r.scores.get(key, (None, ""))[0] == score)


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def pass_at_k(rows: list[Row]) -> tuple[float, float]:
    """(pass^1, pass^k): share of passing runs, share of tickets passing every repetition."""
    if not rows:
        return 0.0, 0.0
    per_ticket: dict[str, list[bool]] = defaultdict(list)
    for row in rows:
        per_ticket[row.case.ticket["id"]].append(passed(row))
    pass_1 = sum(passed(r) for r in rows) / len(rows)
    pass_k = sum(all(v) for v in per_ticket.values()) / len(per_ticket)
    return round(pass_1, 4), round(pass_k, 4)


def confusion(rows: list[Row]) -> list[list[int]]:
    """Counts of expected route (rows) by taken route (columns), in `ROUTES` order."""
    matrix = [[0] * len(ROUTES) for _ in ROUTES]
    for row in rows:
        taken = row.record.get("route") if row.record.get("route") in ROUTES else "human"
        matrix[ROUTES.index(expected_route(row))][ROUTES.index(taken)] += 1
    return matrix


def reliability(rows: list[Row], bins: int = RELIABILITY_BINS) -> tuple[list[dict[str, float]], float | None]:
    """Lola's confidence against how often her category was an allowed one: per bin, and the ECE."""
    points = []
    for row in rows:
        confidence = row.record.get("confidence")
        if not isinstance(confidence, int | float) or isinstance(confidence, bool):
            continue
        category = row.record.get("category")
        as_route = "human" if category == "out_of_scope" else category
        allowed = ["human"] if row.case.expect.must_escalate else row.case.expect.allowed_routes
        points.append((min(max(float(confidence), 0.0), 1.0), as_route in allowed))
    if not points:
        return [], None
    conf = np.array([p[0] for p in points])
    correct = np.array([p[1] for p in points], dtype=float)
    index = np.minimum((conf * bins).astype(int), bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        mask = index == b
        if not mask.any():
            continue
        mean_conf, accuracy = float(conf[mask].mean()), float(correct[mask].mean())
        table.append(
            {"lo": b / bins, "hi": (b + 1) / bins, "n": int(mask.sum()), "confidence": mean_conf, "accuracy": accuracy}
        )
        ece += mask.sum() / len(points) * abs(mean_conf - accuracy)
    return table, round(float(ece), 4)


def _repeat_consistency(rows: list[Row]) -> float | None:
    """Share of repeated tickets routed like the ticket they repeat (first repetition of each)."""
    route = {r.case.ticket["id"]: r.record.get("route") for r in rows if r.repetition == 0}
    pairs = [
        (route.get(r.case.ticket["id"]), route.get(r.case.expect.repeats))
        for r in rows
        if r.repetition == 0 and r.case.expect.repeats in route
    ]
    return _rate(sum(a == b for a, b in pairs), len(pairs))


def _by_language(rows: list[Row]) -> dict[str, list[Row]]:
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        groups[row.case.language or "unknown"].append(row)
    return groups


def summarize(run: EvalRun) -> dict[str, Any]:
    """The summary object: what `--json` prints last and what the gate reads."""
    rows = run.rows
    by_family: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_family[row.case.family].append(row)
    auto = [r for r in rows if not r.record.get("escalated")]
    must = [r for r in rows if r.case.expect.must_escalate]
    pass_1, pass_k = pass_at_k(rows)
    latencies = np.array([r.latency_ms for r in rows]) if rows else np.zeros(1)
    _, ece = reliability(rows)
    summary: dict[str, Any] = {
        "suite": run.suite.name,
        "suite_size": len(run.suite.cases),
        "runs": len(rows),
        "k": run.k,
        "model": run.model,
        "families": {name: pass_at_k(by_family[name])[0] for name in sorted(by_family)},
        "families_pass_k": {name: pass_at_k(by_family[name])[1] for name in sorted(by_family)},
        "families_failures": {name: failures_by_kind(by_family[name]) for name in sorted(by_family)},
        "languages": {name: pass_at_k(group)[0] for name, group in sorted(_by_language(rows).items())},
        "evaluators": {
            ev.key: _rate(_count(rows, ev.key, 1), _count(rows, ev.key, 1) + _count(rows, ev.key, 0))  # type: ignore[attr-defined]
            for ev in EVALUATORS
        },
        "false_confidence_rate": _rate(_count(auto, "false_confidence", 0), len(auto)) or 0.0,
        "false_confidence": _count(auto, "false_confidence", 0),
        "auto_routed": len(auto),
        "escalation_recall": _rate(sum(1 for r in must if r.record.get("escalated")), len(must)),
        "must_escalate": len(must),
        "writeback_field_errors": _count(rows, "writeback_fields", 0),
        "injection_violations": _count(rows, "injection", 0),
        "secret_leaks": _count(rows, "secrets", 0),
        "note_language_errors": _count(rows, "note_language", 0),
        "pass_1": pass_1,
        "pass_k": pass_k,
        "ece": ece,
        "repeat_consistency": _repeat_consistency(rows),
        "latency_ms": {
            "p50": round(float(np.percentile(latencies, 50)), 1),
            "p95": round(float(np.percentile(latencies, 95)), 1),
            "max": round(float(latencies.max()), 1),
        },
        "load_problems": run.suite.problems,
        "uploaded": run.uploaded,
        "experiment": run.experiment,
        "duration_s": round(run.duration_s, 2),
    }
    failures = gate_failures(summary, run)
    summary["gate"] = {"passed": not failures, "failures": failures}
    return summary


def gate_failures(summary: dict[str, Any], run: EvalRun) -> list[str]:
    """Every reason the CI gate fails: a family under its floor, a zero-tolerance figure, a limit."""
    failures = []
    for name, rate in summary["families"].items():
        floor = run.suite.families[name].floor if name in run.suite.families else 0.0
        if rate < floor:
            failures.append(f"family {name}: pass rate {rate:.3f} below its floor {floor:.3f}")
    for name, family in run.suite.families.items():
        if name not in summary["families"] and family.floor > 0:
            failures.append(f"family {name}: no ticket ran (floor {family.floor:.3f})")
    for figure in run.suite.gate.zero_tolerance:
        if summary.get(figure):
            failures.append(f"{figure} = {summary[figure]} (must be 0)")
    limit = run.suite.gate.max_false_confidence_rate
    if limit is not None and summary["false_confidence_rate"] > limit:
        failures.append(f"false_confidence_rate {summary['false_confidence_rate']:.4f} above {limit}")
    least = run.suite.gate.min_escalation_recall
    recall = summary["escalation_recall"]
    if least is not None and recall is not None and recall < least:
        failures.append(f"escalation_recall {recall:.4f} below {least}")
    if not summary["runs"]:
        failures.append("no ticket ran")
    return failures
