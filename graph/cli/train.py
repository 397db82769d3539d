"""`helpdesk train`, `helpdesk train-fit` and `helpdesk route-eval FILE`: build the embedded models.

`train` regenerates the corpus and the support e-mails from the templates (deterministic), re-derives the
CC0 subset when the CC0 source is present (else keeps the committed subset), trains, calibrates, picks the
threshold table and writes the artifact, its manifest and the reliability diagram. `train-fit` refits the
specialists' runbook-fit gate from the team's labels. `route-eval` prints router-only figures for any
labeled JSONL: it measures, it never learns from the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.command("train-fit")(train_fit)
    app.command("route-eval")(route_eval)


def train(
    out: Annotated[Path | None, typer.Option(help="Artifact directory (default: tools/router/artifact).")] = None,
    regenerate: Annotated[bool, typer.Option(help="Regenerate data/corpus/generated.jsonl first.")] = True,
    cc0: Annotated[bool, typer.Option(help="Use the reviewed CC0 subset as down-weighted extra signal.")] = True,
) -> None:
    """Train the embedded router reproducibly and print its held-out test figures."""
    from rich.console import Console

    from evals.routing_metrics import format_metrics
    from tools.router import cc0 as cc0_subset
    from tools.router.corpus import write_generated
    from tools.router.support_corpus import write_support
    from tools.router.train import ARTIFACT_DIR, DIAGRAM_NAME, TrainParams
    from tools.router.train import train as train_router

    console = Console(stderr=True)
    if regenerate:
        console.print(f"generated corpus: {write_generated()} tickets; support e-mails: {write_support()} tickets")
    if cc0 and cc0_subset.SOURCE.exists():
        console.print(f"CC0 subset re-derived: {cc0_subset.write_subset()} rows")
    result = train_router(TrainParams(use_cc0=cc0), out_dir=out or ARTIFACT_DIR)
    manifest = result.manifest
    print(f"artifact: {result.artifact} ({result.artifact.stat().st_size / 1e6:.1f} MB), {manifest['model_version']}")
    print(f"reliability diagram: {result.artifact.parent / DIAGRAM_NAME}")
    print(f"temperature {manifest['temperature']:.3f}; thresholds (risk target -> threshold): {manifest['thresholds']}")
    for name, test in manifest["test_metrics_at_default_risk"].items():
        print(f"{name} test set at risk target {test['risk_target']} (threshold {test['threshold']}):")
        print(format_metrics(test))


def train_fit() -> None:
    """Refit the specialists' runbook-fit gate from data/knowledge/runbook-fit-labels.jsonl (deterministic)."""
    from tools.knowledge.fit import MODEL_FILE
    from tools.knowledge.fit import train_fit as fit_gate

    result = fit_gate()
    print(f"{MODEL_FILE.name}: {result['labeled_tickets']} labeled tickets, {result['fitting_first_choice']} with a")
    print(f"fitting first choice; tickets under {result['min_ticket_terms']} terms get no fit")
    print("precision target -> threshold (cross-validated precision, tickets kept):")
    for target, threshold in result["thresholds"].items():
        achieved = result["cross_validated"][target]
        print(f"  {target}: {threshold:.2f} ({achieved['precision']:.3f}, {achieved['selected']})")


def route_eval(
    file: Annotated[Path, typer.Argument(help="Labeled JSONL (a `label` per ticket).", exists=True, dir_okay=False)],
    risk_target: Annotated[float, typer.Option(help="Target false-confidence rate.", min=0.0, max=1.0)] = 0.05,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Router-only figures (no graph, no LLM): macro-F1, per class/language, false-confidence, auto-correct."""
    from evals.routing_metrics import format_metrics, routing_metrics
    from tools.router.measure import read_labeled, route_rows

    rows, info = route_rows(read_labeled(file), risk_target)
    metrics = routing_metrics(rows) | info
    if as_json:
        print(json.dumps(metrics, ensure_ascii=False))
        return
    print(
        f"{file}: {metrics['tickets']} tickets, risk target {risk_target}, threshold {info['threshold']:.3f}, "
        f"{info['ms_per_ticket']:.2f} ms/ticket"
    )
    print(format_metrics(metrics))
