"""Time the in-process helpdesk graph per ticket, against a bare LangGraph graph of the same topology.

Prints p50 / p95 latency and tickets per second for both, and their ratio: how much of the cost is
the helpdesk's own work (router, retrieval, screening, notes) rather than LangGraph's overhead.

    uv run python bench/graph_latency.py [--file TICKETS.jsonl] [--repeat N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
from pathlib import Path
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph

from graph.context import Context
from graph.runner import batch_graph

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"


class BareState(TypedDict, total=False):
    ticket: dict[str, Any]
    hop: int


def bare_graph() -> Any:
    """Same nodes and edges as the helpdesk graph (network path), each node a no-op."""

    def step(state: BareState) -> dict[str, Any]:
        return {"hop": state.get("hop", 0) + 1}

    def specialist() -> Any:
        sub = StateGraph(BareState)
        for name in ("diagnose", "resolve"):
            sub.add_node(name, step)
        sub.add_edge(START, "diagnose")
        sub.add_edge("diagnose", "resolve")
        sub.add_edge("resolve", END)
        return sub.compile()

    builder = StateGraph(BareState)
    chain = [
        "intake",
        "coordinator",
        "jon",
        "uncertainty",
        "plan_writeback",
        "servicenow_writeback",
        "finalize",
    ]
    for name in chain:
        builder.add_node(name, specialist() if name == "jon" else step)
    builder.add_edge(START, chain[0])
    for a, b in itertools.pairwise(chain):
        builder.add_edge(a, b)
    builder.add_edge(chain[-1], END)
    return builder.compile()


def time_calls(call: Any, tickets: list[dict[str, Any]], repeat: int) -> list[float]:
    call(tickets[0])  # warm-up: model loading and caches are start-up cost, not per-ticket cost
    timings = []
    for _ in range(repeat):
        for ticket in tickets:
            start = time.perf_counter()
            call(ticket)
            timings.append((time.perf_counter() - start) * 1000)
    return timings


def summary(name: str, ms: list[float]) -> dict[str, float]:
    q = statistics.quantiles(ms, n=100)
    row = {"p50_ms": statistics.median(ms), "p95_ms": q[94], "tickets_per_s": 1000 * len(ms) / sum(ms)}
    print(
        f"{name:<10} p50 {row['p50_ms']:8.2f} ms   p95 {row['p95_ms']:8.2f} ms   {row['tickets_per_s']:9.1f} tickets/s"
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, help="JSONL tickets (default: the bundled samples)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    files = [args.file] if args.file else sorted(SAMPLES.glob("*.jsonl"))
    tickets = [json.loads(line) for f in files for line in f.open(encoding="utf-8") if line.strip()]
    context = Context(writeback_mode="dry_run", review_with_interrupt=False)
    helpdesk, bare = batch_graph(), bare_graph()
    print(f"{len(tickets)} tickets x {args.repeat} runs, in process, dry-run write-back")
    full = summary(
        "helpdesk",
        time_calls(lambda t: helpdesk.invoke({"ticket": t}, context=context), tickets, args.repeat),
    )
    base = summary("bare", time_calls(lambda t: bare.invoke({"ticket": t}), tickets, args.repeat))
    print(f"ratio      p50 {full['p50_ms'] / base['p50_ms']:.1f}x   p95 {full['p95_ms'] / base['p95_ms']:.1f}x")


if __name__ == "__main__":
    main()
