"""How the specialists treat the written corpus, routed as a new author's tickets would be.

The probes are small; the written corpus (32 writers) is large but trained on. Scoring every written
ticket with a router that never saw its writer (`writer_held_out_probabilities`, one fit per writer
fold, a few minutes) gives the routing a new author's ticket would get. Every ticket the router sends
to a specialist (an in-scope class at or above the shipped threshold) then goes through that
specialist's own decision (`nodes.specialists.shape.examine`). Outcomes are counted by kind: the
ticket's own specialist, a wrong specialist, or an out-of-scope ticket. This is how rules downstream
of the router (the specialists' checks) are decided on our data (`evals/probes/README.md`).

    uv run python -m evals.specialist_proxy [--cache FILE] [--no-router-floor] [--json] [--show KIND[:OUTCOME[:RULE]]]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ProxyDecision:
    """One written ticket a specialist received: whose it is and what the specialist did."""

    ticket_id: str
    kind: str  # own / wrong_specialist / out_of_scope
    routed: str
    outcome: str
    tag: str  # outcome:rule (`tools.store.metrics.outcome_tag`)
    why: str


def specialist_decisions(
    rows: list[dict[str, Any]], probabilities: dict[str, dict[str, float]], threshold: float, router_floor: bool = True
) -> Iterator[ProxyDecision]:
    """Every ticket the router sends to a specialist (an in-scope class at or above the threshold), decided."""
    from graph.context import Context
    from nodes.specialists.shape import examine
    from tools.language import detect_language
    from tools.router.corpus import ticket_text
    from tools.screening import mask
    from tools.store.metrics import outcome_tag

    ctx = Context()
    for row in rows:
        p = probabilities.get(row["id"])
        if p is None:
            continue
        routed = max(p, key=p.__getitem__)
        if routed == "out_of_scope" or p[routed] < threshold:
            continue
        kind = "own" if row["label"] == routed else "wrong_specialist"
        kind = "out_of_scope" if row["label"] == "out_of_scope" else kind
        text = mask(ticket_text(row).strip())
        router_oos = p["out_of_scope"] if router_floor else None
        diagnosis, _, _ = examine(routed, text, detect_language(text).code, ctx, router_oos)  # type: ignore[arg-type]
        tag = outcome_tag(diagnosis.outcome, diagnosis.check)
        yield ProxyDecision(row["id"], kind, routed, diagnosis.outcome, tag, diagnosis.why)


def specialist_outcomes(
    rows: list[dict[str, Any]], probabilities: dict[str, dict[str, float]], threshold: float, router_floor: bool = True
) -> dict[str, dict[str, int]]:
    """Per kind (own / wrong_specialist / out_of_scope), how many tickets reach a specialist and what it does."""
    counts: dict[str, Counter[str]] = {kind: Counter() for kind in ("own", "wrong_specialist", "out_of_scope")}
    for decision in specialist_decisions(rows, probabilities, threshold, router_floor):
        counts[decision.kind].update(("routed", decision.outcome, decision.tag))
    return {kind: dict(sorted(c.items())) for kind, c in counts.items()}


def shown(decision: ProxyDecision, selector: str) -> bool:
    """Whether `selector` ("out_of_scope:resolve", "own:hand_back:non_it_mixed", "own") picks the decision."""
    kind, _, tag = selector.partition(":")
    return decision.kind == kind and (not tag or decision.tag == tag or decision.outcome == tag)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, help="read the held-out probabilities here, or write them here")
    parser.add_argument(
        "--no-router-floor", action="store_true", help="the non-IT checks as before they listened to the router"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--show", metavar="KIND[:OUTCOME[:RULE]]", help="list those tickets instead (e.g. out_of_scope:resolve)"
    )
    args = parser.parse_args()

    from graph.context import Context
    from tools.router import load_router
    from tools.router.train import writer_held_out_probabilities
    from tools.router.written import read_written

    if args.cache and args.cache.exists():
        probabilities = json.loads(args.cache.read_text(encoding="utf-8"))
    else:
        probabilities = writer_held_out_probabilities()
        if args.cache:
            args.cache.write_text(json.dumps(probabilities), encoding="utf-8")
    threshold = load_router().threshold_for(Context().risk_target)
    if args.show:
        for decision in specialist_decisions(read_written(), probabilities, threshold, not args.no_router_floor):
            if shown(decision, args.show):
                print(f"{decision.ticket_id}\t{decision.routed}\t{decision.tag}\t{decision.why}")
        return
    result = specialist_outcomes(read_written(), probabilities, threshold, router_floor=not args.no_router_floor)
    if args.json:
        print(json.dumps({"threshold": threshold, "outcomes": result}))
        return
    print(f"written tickets routed by a router that never saw their writer, threshold {threshold}")
    for kind, counts in result.items():
        print(f"{kind}: {counts}")


if __name__ == "__main__":
    main()
