"""Do the specialists resolve with a runbook that fits? Measured on labeled probe tickets, never trained on.

`evals/probes/runbook_fit.jsonl` says, for 421 in-scope probe tickets, which runbooks a reviewer would
send (none when no runbook covers the problem). Two views:

- the specialists alone: each ticket goes to the specialist of its own label, as after a correct route;
- the whole graph (`--triage FILE`, the output of `helpdesk triage` on the probe files): what was
  auto-resolved, including wrong routes and out-of-scope tickets, which count as misses.

    uv run python -m evals.runbook_fit [--labels FILE] [--precision-target 0.6] [--triage triage.jsonl ...] [--json]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "evals" / "probes" / "runbook_fit.jsonl"


def read_probe_labels(path: Path = LABELS) -> dict[str, dict[str, Any]]:
    """Each labeled ticket (text and category from its probe file) with the runbooks that fit it."""
    from tools.router.corpus import read_jsonl

    labels = read_jsonl(path)
    tickets = {row["id"]: row for file in {label["file"] for label in labels} for row in read_jsonl(ROOT / file)}
    return {label["id"]: {**tickets[label["id"]], "fits": label["articles"]} for label in labels}


def specialists_alone(labels: dict[str, dict[str, Any]], precision_target: float) -> dict[str, Any]:
    """Outcomes of each ticket's own specialist, and how often its resolution cites a fitting runbook."""
    from graph.context import Context
    from nodes.specialists.shape import examine, runbook_threshold
    from tools.router.corpus import ticket_text
    from tools.screening import mask

    ctx = Context(runbook_precision_target=precision_target)
    threshold = runbook_threshold(ctx)
    outcomes: Counter[str] = Counter()
    per_runbook: dict[str, Counter[str]] = {}
    first_choice_fits = with_fit = 0
    for row in labels.values():
        diagnosis, match, _ = examine(row["label"], mask(ticket_text(row).strip()), row["language"], ctx)
        fits = diagnosis.article is not None and diagnosis.article.id in row["fits"]
        if row["fits"]:
            with_fit += 1
            first_choice_fits += bool(match and match.best and match.best.article.id in row["fits"])
        key = diagnosis.outcome if diagnosis.outcome != "resolve" else ("resolve_fits" if fits else "resolve_misfit")
        outcomes[key] += 1
        if diagnosis.outcome == "resolve" and diagnosis.article is not None:
            per_runbook.setdefault(diagnosis.article.id, Counter())["fits" if fits else "misfits"] += 1
    resolved = outcomes["resolve_fits"] + outcomes["resolve_misfit"]
    return {
        "tickets": len(labels),
        "threshold": threshold,
        "outcomes": dict(outcomes),
        "resolution_precision": round(outcomes["resolve_fits"] / resolved, 4) if resolved else None,
        "first_choice_fits": round(first_choice_fits / with_fit, 4) if with_fit else None,
        # Which runbooks resolve tickets they do not fit, most misfits first: where to look next.
        "per_runbook": {
            rid: {"fits": c["fits"], "misfits": c["misfits"]}
            for rid, c in sorted(per_runbook.items(), key=lambda item: (-item[1]["misfits"], item[0]))
        },
    }


def graph_resolutions(labels: dict[str, dict[str, Any]], triage_files: list[Path]) -> dict[str, Any]:
    """Of the graph's auto-resolutions of labeled tickets, which cite a runbook that fits."""
    kinds: Counter[str] = Counter()
    for file in triage_files:
        for line in file.read_text(encoding="utf-8").splitlines():
            record = json.loads(line) if line.strip() else {}
            row = labels.get(record.get("id", ""))
            if row is None or record.get("escalated", True):
                continue
            if record.get("category") != row["label"]:
                kinds["wrong_category"] += 1
            elif record.get("article_id") in row["fits"]:
                kinds["fits"] += 1
            else:
                kinds["another_fits" if row["fits"] else "none_fits"] += 1
    resolved = sum(kinds.values())
    return {
        "resolved": resolved,
        "kinds": dict(kinds),
        "resolution_precision": round(kinds["fits"] / resolved, 4) if resolved else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precision-target", type=float, default=None, help="Context.runbook_precision_target")
    parser.add_argument("--labels", type=Path, default=LABELS, help="probe runbook labels (default: the four probes')")
    parser.add_argument("--triage", type=Path, nargs="*", default=[], help="helpdesk triage output on the probes")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    from graph.context import Context

    target = args.precision_target if args.precision_target is not None else Context().runbook_precision_target
    labels = read_probe_labels(args.labels)
    result: dict[str, Any] = {"precision_target": target, "specialists": specialists_alone(labels, target)}
    if args.triage:
        result["graph"] = graph_resolutions(labels, args.triage)
    if args.json:
        print(json.dumps(result))
        return
    alone = result["specialists"]
    print(f"{alone['tickets']} labeled probe tickets, precision target {target} (fit threshold {alone['threshold']})")
    print(f"specialists alone: {alone['outcomes']}")
    print(f"resolutions citing a fitting runbook: {alone['resolution_precision']}")
    print(f"first-ranked runbook fits, where one fits: {alone['first_choice_fits']}")
    worst = [f"{rid} {c['misfits']}/{c['fits']}" for rid, c in alone["per_runbook"].items() if c["misfits"]][:8]
    if worst:
        print(f"most misfits (misfits/fits): {', '.join(worst)}")
    if "graph" in result:
        graph = result["graph"]
        print(f"graph: {graph['resolved']} auto-resolved {graph['kinds']}; fitting {graph['resolution_precision']}")


if __name__ == "__main__":
    main()
