"""Router-only figures on any labeled JSONL (one ticket per line with `label`): what Lola alone decides.

Measuring only: nothing here learns from the file. The escalation rule is the coordinator's: escalate
when the category is out_of_scope or the confidence is below the threshold for the risk target.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tools.router.corpus import ticket_text
from tools.router.labels import OUT_OF_SCOPE
from tools.router.model import load_router


def read_labeled(path: Path) -> list[dict[str, Any]]:
    """Labeled tickets of a JSONL file; blank, malformed or unlabeled lines are skipped."""
    tickets = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict) and value.get("label"):
                tickets.append(value)
    return tickets


def route_rows(
    tickets: list[dict[str, Any]], risk_target: float = 0.05, artifact: Path | None = None
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """One metrics row per ticket, plus the threshold and mean prediction latency used."""
    from tools.screening import mask

    router = load_router(artifact)
    threshold = router.threshold_for(risk_target)
    rows = []
    started = time.perf_counter()
    for ticket in tickets:
        prediction = router.predict(mask(ticket_text(ticket)), ticket.get("language"))
        rows.append(
            {
                "label": ticket["label"],
                "category": prediction.category,
                "escalated": prediction.category == OUT_OF_SCOPE or prediction.confidence < threshold,
                "language": ticket.get("language") or "unknown",
                "llm_calls": 0,
            }
        )
    elapsed_ms = (time.perf_counter() - started) * 1000 / max(len(tickets), 1)
    return rows, {"risk_target": risk_target, "threshold": threshold, "ms_per_ticket": elapsed_ms}
