"""The production report: are resolutions confirmed, is Lola's confidence honest, do write-backs land,
how fast are tickets resolved, where does time go, why do tickets escalate, which specialist rules
decide the outcomes, what do tokens cost.

Every metric counts a ticket once, by its latest run and its latest feedback, so recording runs or
feedback again never double-counts. A rate with nothing to count is null, not zero.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Row, select

from tools.store import schema as t

NOT_ATTEMPTED = frozenset({"dry_run", "skipped"})  # write-back outcomes that never reached an ITSM
LANDED = frozenset({"confirmed", "already_present", "retracted"})  # the write is (or was already) there
PRICE_TABLE_ENV = "HELPDESK_PRICE_TABLE"


@dataclass
class _Data:
    tickets: list[Row[Any]]
    latest: dict[str, Row[Any]]  # ticket id -> its latest run
    runs: list[Row[Any]]
    feedback: dict[str, Row[Any]]  # ticket id -> latest feedback
    audit: list[Row[Any]]
    audit_wired: bool  # any audit record at all: otherwise write-backs are read from the runs
    steps: list[Row[Any]]
    escalation_flags: list[Row[Any]]
    decisions: list[Row[Any]]


def build_report(conn: Connection, *, since: datetime | None, baseline_ttr_s: float | None) -> dict[str, Any]:
    """Every metric over tickets whose latest run finished at or after `since` (all when None)."""
    data = _load(conn, since)
    return {
        "generated_at": datetime.now(UTC).isoformat(),
        "since": since.isoformat() if since else None,
        "tickets": tickets_summary(data),
        "runs": runs_summary(data),
        "resolution_confirmation_rate": confirmation_rate(data),
        "false_confidence_rate": false_confidence(data),
        "writeback_success_rate": writeback_success(data),
        "time_to_resolution": time_to_resolution(data, baseline_ttr_s),
        "latency": latency(data),
        "escalation": escalation(data),
        "specialist_outcomes": specialist_outcomes(data),
        "tokens": tokens(data, load_price_table()),
    }


def _load(conn: Connection, since: datetime | None) -> _Data:
    ticket_q = select(t.tickets)
    run_q = select(t.runs)
    audit_q = select(t.writeback_attempts).order_by(t.writeback_attempts.c.time, t.writeback_attempts.c.id)
    decision_q = select(t.human_decisions)
    if since:
        ticket_q = ticket_q.where(t.tickets.c.last_run_at >= since)
        run_q = run_q.where(t.runs.c.finished_at >= since)
        audit_q = audit_q.where(t.writeback_attempts.c.time >= since)
        decision_q = decision_q.where(t.human_decisions.c.time >= since)
    tickets = list(conn.execute(ticket_q))
    ids = {r.id for r in tickets}
    runs = list(conn.execute(run_q))
    latest_ids = {r.last_run_id for r in tickets}
    latest = {r.ticket_id: r for r in runs if r.run_id in latest_ids}
    feedback: dict[str, Row[Any]] = {}
    for f in conn.execute(select(t.feedback).order_by(t.feedback.c.time, t.feedback.c.id)):
        if f.ticket_id in ids:
            feedback[f.ticket_id] = f
    step_q = select(t.steps).join(t.runs, t.runs.c.run_id == t.steps.c.run_id)
    flag_q = (
        select(t.flags)
        .join(t.tickets, t.tickets.c.last_run_id == t.flags.c.run_id)
        .where(t.flags.c.kind == "escalation")
    )
    if since:
        step_q = step_q.where(t.runs.c.finished_at >= since)
        flag_q = flag_q.where(t.tickets.c.last_run_at >= since)
    return _Data(
        tickets=tickets,
        latest=latest,
        runs=runs,
        feedback=feedback,
        audit=list(conn.execute(audit_q)),
        audit_wired=conn.execute(select(t.writeback_attempts.c.id).limit(1)).first() is not None,
        steps=list(conn.execute(step_q)),
        escalation_flags=list(conn.execute(flag_q)),
        decisions=list(conn.execute(decision_q)),
    )


# --- small helpers -------------------------------------------------------------------------------


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _percentiles(values: Iterable[float], unit: str) -> dict[str, Any]:
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    if arr.size == 0:
        return {"count": 0, f"p50_{unit}": None, f"p95_{unit}": None, f"mean_{unit}": None}
    return {
        "count": int(arr.size),
        f"p50_{unit}": round(float(np.percentile(arr, 50)), 3),
        f"p95_{unit}": round(float(np.percentile(arr, 95)), 3),
        f"mean_{unit}": round(float(arr.mean()), 3),
    }


def _grouped(
    items: Iterable[Any], key: Callable[[Any], Any], summarise: Callable[[list[Any]], dict[str, Any]]
) -> dict[str, Any]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for item in items:
        groups[str(key(item) or "unknown")].append(item)
    return {name: summarise(group) for name, group in sorted(groups.items())}


# --- metrics -------------------------------------------------------------------------------------


def tickets_summary(data: _Data) -> dict[str, Any]:
    def count(attr: str) -> dict[str, int]:
        return dict(sorted(Counter(str(getattr(r, attr) or "unknown") for r in data.tickets).items()))

    return {
        "total": len(data.tickets),
        "with_feedback": len(data.feedback),
        "by_source": count("source"),
        "by_category": count("category"),
        "by_agent": count("agent"),
        "by_language": count("language"),
    }


def runs_summary(data: _Data) -> dict[str, Any]:
    return {
        "total": len(data.runs),
        "errors": sum(1 for r in data.runs if r.error),
        "by_mode": dict(sorted(Counter(str(r.mode or "unknown") for r in data.runs).items())),
        "duration": _percentiles((r.duration_ms for r in data.runs), "ms"),
    }


def _confirmation(tickets: list[Row[Any]], feedback: Mapping[str, Row[Any]]) -> dict[str, Any]:
    confirmed = sum(1 for r in tickets if feedback[r.id].confirmed)
    rejected = len(tickets) - confirmed
    return {"rate": _rate(confirmed, confirmed + rejected), "confirmed": confirmed, "rejected": rejected}


def confirmation_rate(data: _Data) -> dict[str, Any]:
    """confirmed / (confirmed + rejected), over tickets with feedback, by the agent that handled them."""
    rated = [r for r in data.tickets if r.id in data.feedback]

    def summarise(group: list[Row[Any]]) -> dict[str, Any]:
        return _confirmation(group, data.feedback)

    return {
        **summarise(rated),
        "tickets_with_feedback": len(rated),
        "by_agent": _grouped(rated, lambda r: r.agent, summarise),
        "by_category": _grouped(rated, lambda r: r.category, summarise),
        "by_source": _grouped(rated, lambda r: r.source, summarise),
    }


def _auto_routed(run: Row[Any] | None) -> bool:
    return run is not None and not run.escalated and not run.error


def false_confidence(data: _Data) -> dict[str, Any]:
    """Auto-routed tickets later rejected, or corrected to another category, over those with feedback and all."""
    auto = [r for r in data.tickets if _auto_routed(data.latest.get(r.id))]
    rated = [r for r in auto if r.id in data.feedback]

    def wrong(r: Row[Any]) -> str | None:
        f = data.feedback[r.id]
        if not f.confirmed:
            return "rejected"
        return "corrected" if f.category and f.category != r.category else None

    verdicts = Counter(wrong(r) for r in rated)
    false = verdicts["rejected"] + verdicts["corrected"]

    def by(group: list[Row[Any]]) -> dict[str, Any]:
        n_false = sum(1 for r in group if wrong(r))
        return {"rate": _rate(n_false, len(group)), "false_confident": n_false, "with_feedback": len(group)}

    return {
        "rate": _rate(false, len(rated)),
        "rate_over_all_auto_routed": _rate(false, len(auto)),
        "false_confident": false,
        "rejected": verdicts["rejected"],
        "corrected": verdicts["corrected"],
        "auto_routed": len(auto),
        "auto_routed_with_feedback": len(rated),
        "by_category": _grouped(rated, lambda r: r.category, by),
    }


def writeback_success(data: _Data) -> dict[str, Any]:
    """Share of writes whose final attempt was confirmed, per platform and per action type.

    One write is one (ticket, platform, action, marker): the marker derives from what is written, so
    retries, re-runs and resumes of the same write are attempts, not writes.
    When the store holds no audit record at all (auditing not wired), the runs' own write-back
    outcomes are counted instead.
    """
    writes: list[tuple[str, str, bool]] = []  # (platform, action, confirmed)
    final: dict[tuple[Any, ...], Row[Any]] = {}
    for a in data.audit:
        final[(a.ticket_id, a.platform, a.action, a.marker)] = a  # rows come in time order
    for a in final.values():
        if a.outcome not in NOT_ATTEMPTED:
            writes.append((a.platform or "unknown", a.action or a.field or "unknown", a.outcome in LANDED))
    basis = "audit"
    if not data.audit_wired:
        basis = "runs"
        for run in data.latest.values():
            writeback = (run.result or {}).get("writeback") or {}
            for action in writeback.get("actions") or ([writeback] if writeback.get("status") else []):
                if action.get("status") and action["status"] not in NOT_ATTEMPTED:
                    platform = action.get("system") or writeback.get("system") or "unknown"
                    writes.append((platform, action.get("field") or "unknown", action["status"] == "confirmed"))

    def summarise(group: list[tuple[str, str, bool]]) -> dict[str, Any]:
        ok = sum(1 for w in group if w[2])
        return {"rate": _rate(ok, len(group)), "confirmed": ok, "total": len(group)}

    return {
        **summarise(writes),
        "basis": basis,
        "attempts": len(data.audit),
        "by_platform": _grouped(writes, lambda w: w[0], summarise),
        "by_action": _grouped(writes, lambda w: w[1], summarise),
    }


def time_to_resolution(data: _Data, baseline_s: float | None) -> dict[str, Any]:
    """Seconds from the ticket's creation (or first run) to its resolution reaching the ITSM, else to a
    confirming feedback. Tickets whose latest feedback rejects the outcome are not resolved."""
    confirmed_at: dict[str, datetime] = {}
    for a in data.audit:
        if a.outcome in {"confirmed", "already_present"} and a.ticket_id not in confirmed_at:
            confirmed_at[a.ticket_id] = a.time
    durations, basis = [], Counter()
    for ticket in data.tickets:
        start = ticket.created_at or ticket.first_seen_at
        feedback = data.feedback.get(ticket.id)
        run = data.latest.get(ticket.id)
        if feedback is not None and not feedback.confirmed:
            continue
        end, how = None, None
        if run is not None and run.resolution and run.writeback_status == "confirmed":
            end, how = confirmed_at.get(ticket.id, run.finished_at), "writeback"
        elif feedback is not None:
            end, how = feedback.time, "feedback"
        if end is None or start is None:
            continue
        durations.append(max(0.0, (end - start).total_seconds()))
        basis[how] += 1
    stats = _percentiles(durations, "s")
    out: dict[str, Any] = {"resolved": stats.pop("count"), **stats, "basis": dict(basis), "baseline_s": baseline_s}
    if baseline_s and stats["mean_s"] is not None:
        out["vs_baseline"] = {
            "p50_ratio": round(stats["p50_s"] / baseline_s, 4),
            "mean_ratio": round(stats["mean_s"] / baseline_s, 4),
            "mean_saving_s": round(baseline_s - stats["mean_s"], 3),
        }
    return out


def latency(data: _Data) -> dict[str, Any]:
    """p50/p95 per graph node (from the nodes' own timings) and per whole run."""
    per_node: dict[str, list[float]] = defaultdict(list)
    for s in data.steps:
        if s.latency_ms is not None:
            per_node[s.node].append(s.latency_ms)
    return {
        "per_node": {node: _percentiles(values, "ms") for node, values in sorted(per_node.items())},
        "run": _percentiles((r.duration_ms for r in data.runs), "ms"),
    }


def escalation(data: _Data) -> dict[str, Any]:
    escalated = sum(1 for r in data.tickets if r.escalated)
    return {
        "rate": _rate(escalated, len(data.tickets)),
        "escalated": escalated,
        "tickets": len(data.tickets),
        "reasons": dict(Counter(f.code for f in data.escalation_flags).most_common()),
        "review_decisions": dict(Counter(str(d.kind or "unknown") for d in data.decisions).most_common()),
    }


def outcome_tag(outcome: str, rule: str | None) -> str:
    """An outcome with the specialist's rule that produced it (`Diagnosis.check`), e.g.
    `hand_back:private_device`; `unknown` for runs recorded before the rule was."""
    return f"{outcome}:{rule or 'unknown'}"


def specialist_outcomes(data: _Data) -> dict[str, int]:
    """What the specialists did with each ticket's latest run, as `outcome:rule` (`resolve:fits`,
    `ask:weak_fit`, `hand_back:other_domain`, ...): which of their checks keep tickets from resolving."""
    counts: Counter[str] = Counter()
    for run in data.latest.values():
        if run.outcome:
            counts[outcome_tag(run.outcome, (run.result or {}).get("outcome_rule"))] += 1
    return dict(counts.most_common())


def load_price_table() -> dict[str, Any] | None:
    """`HELPDESK_PRICE_TABLE`: inline JSON or a JSON file, `{"currency": "USD", "models": {MODEL:
    {"input_per_1m": X, "output_per_1m": Y}}}`; None when unset or unreadable."""
    raw = os.environ.get(PRICE_TABLE_ENV, "").strip()
    if not raw:
        return None
    try:
        table = json.loads(raw if raw.startswith("{") else Path(raw).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return table if isinstance(table, dict) and isinstance(table.get("models"), dict) else None


def tokens(data: _Data, prices: Mapping[str, Any] | None) -> dict[str, Any]:
    """Token usage per ticket (all runs in the window), and its cost when a price table is configured."""
    model_of = {r.run_id: r.model for r in data.runs}
    per_model: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for s in data.steps:
        usage = per_model[str(model_of.get(s.run_id) or "unknown")]
        usage[0] += s.tokens_in or 0
        usage[1] += s.tokens_out or 0
    total_in = sum(u[0] for u in per_model.values())
    total_out = sum(u[1] for u in per_model.values())
    n = len(data.tickets)
    out: dict[str, Any] = {
        "total_in": total_in,
        "total_out": total_out,
        "per_ticket": {
            "in": round(total_in / n, 2) if n else None,
            "out": round(total_out / n, 2) if n else None,
            "total": round((total_in + total_out) / n, 2) if n else None,
        },
        "by_model": {m: {"in": u[0], "out": u[1]} for m, u in sorted(per_model.items()) if u[0] or u[1]},
        "cost": None,
    }
    if prices:
        total, unpriced = 0.0, []
        for model, (t_in, t_out) in per_model.items():
            price = prices["models"].get(model)
            if not (t_in or t_out):
                continue
            if not isinstance(price, Mapping):
                unpriced.append(model)
                continue
            total += t_in / 1e6 * float(price.get("input_per_1m", 0)) + t_out / 1e6 * float(
                price.get("output_per_1m", 0)
            )
        out["cost"] = {
            "currency": prices.get("currency", "USD"),
            "total": round(total, 6),
            "per_ticket": round(total / n, 6) if n else None,
            "unpriced_models": sorted(unpriced),
        }
    return out
