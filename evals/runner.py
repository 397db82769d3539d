"""Run a suite through the helpdesk with `langsmith.evaluate`, offline by default.

Offline (the default, and whenever LangSmith is not configured): examples are in-memory `Example`
objects, `upload_results=False`, the client is a local one with background tracing off, and the target
body runs under `tracing_context(enabled=False)`, so not one byte leaves the process and nothing
waits at exit. Uploading (LANGSMITH_API_KEY set and tracing on): the suite is synced to a LangSmith
dataset named after its content, and the experiment with its traces and feedback is uploaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langsmith import Client, tracing_context
from langsmith.schemas import Example

from evals.evaluators import EVALUATORS
from evals.suite import Case, Suite
from graph.context import Context

Triage = Callable[[dict[str, Any], Context], dict[str, Any]]
_NAMESPACE = uuid.UUID("6f1b5b7e-3c0a-4d8e-9a51-2f0d7c9e4a11")
_TRUE = {"1", "true", "yes", "on"}
WARM_UP_TICKET = {"id": "INC0000000", "source": "servicenow", "subject": "warm-up", "description": "warm-up run"}


@dataclass
class Row:
    """One ticket's run (one repetition) and every evaluator's verdict on it."""

    case: Case
    repetition: int
    record: dict[str, Any]
    latency_ms: float
    scores: dict[str, tuple[float | None, str]]


@dataclass
class EvalRun:
    suite: Suite
    k: int
    model: str
    rows: list[Row]
    uploaded: bool
    duration_s: float
    experiment: str | None = None
    notes: list[str] = field(default_factory=list)


def upload_configured() -> bool:
    """LangSmith is configured: an API key and tracing switched on."""
    key = os.environ.get("LANGSMITH_API_KEY") or os.environ.get("LANGCHAIN_API_KEY")
    tracing = os.environ.get("LANGSMITH_TRACING") or os.environ.get("LANGCHAIN_TRACING_V2") or ""
    return bool(key) and tracing.strip().lower() in _TRUE


def example_id(suite: str, ticket_id: str) -> uuid.UUID:
    """Stable example ids, so repeated runs and uploads line up ticket by ticket."""
    return uuid.uuid5(_NAMESPACE, f"{suite}/{ticket_id}")


def to_examples(suite: Suite) -> list[Example]:
    """The suite as LangSmith examples: the ticket as input, the expectation as reference output."""
    dataset_id = uuid.uuid5(_NAMESPACE, f"dataset/{suite.name}")
    return [
        Example(
            id=example_id(suite.name, case.ticket["id"]),
            dataset_id=dataset_id,
            inputs={"ticket": case.ticket},
            outputs=_reference(case),
            metadata={"family": case.family, "language": case.language, "suite": suite.name},
        )
        for case in suite.cases
    ]


def _reference(case: Case) -> dict[str, Any]:
    return {"expect": case.expect.model_dump(), "family": case.family, "language": case.language}


def make_target(triage: Triage, context: Context, *, offline: bool) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The function `evaluate` calls per example: the ticket in, the triage record and its latency out."""

    def target(inputs: dict[str, Any]) -> dict[str, Any]:
        with tracing_context(enabled=False) if offline else contextlib.nullcontext():
            start = time.perf_counter()
            try:
                record = triage(inputs["ticket"], context)
            except Exception as exc:  # the suite must finish: a crash is this ticket's failure
                record = {"id": inputs["ticket"].get("id"), "error": f"{type(exc).__name__}: {exc}"}
            latency_ms = (time.perf_counter() - start) * 1000
        return {"record": record, "latency_ms": latency_ms}

    return target


def run_suite(
    suite: Suite,
    *,
    k: int = 1,
    context: Context | None = None,
    triage: Triage | None = None,
    upload: bool | None = None,
    concurrency: int = 0,
) -> EvalRun:
    """Run every ticket `k` times and evaluate each run; upload only when asked or configured."""
    context = context or Context(writeback_mode="dry_run", review_with_interrupt=False)
    if triage is None:
        from graph.runner import triage_ticket

        triage = triage_ticket
    upload = upload_configured() if upload is None else upload
    with tracing_context(enabled=False):  # load models once, so the first ticket's latency is its own
        make_target(triage, context, offline=True)({"ticket": dict(WARM_UP_TICKET)})
    started = time.perf_counter()
    client = Client() if upload else Client(api_url="http://127.0.0.1:9", api_key="offline", auto_batch_tracing=False)
    data: Any = _sync_dataset(client, suite) if upload else to_examples(suite)
    with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
        warnings.filterwarnings("ignore", message=".*upload_results.*")
        results = _evaluate(
            make_target(triage, context, offline=not upload),
            data,
            client,
            upload=upload,
            k=k,
            concurrency=concurrency,
            metadata={"suite": suite.name, "model": context.model, "k": k},
        )
        rows = _rows(suite, results)
    experiment = getattr(results, "experiment_name", None) if upload else None
    return EvalRun(suite, k, context.model, rows, upload, time.perf_counter() - started, experiment)


def _evaluate(
    target: Callable[[dict[str, Any]], dict[str, Any]],
    data: Any,
    client: Client,
    *,
    upload: bool,
    k: int,
    concurrency: int,
    metadata: dict[str, Any],
) -> Any:
    from langsmith import evaluate

    return evaluate(
        target,
        data=data,
        evaluators=list(EVALUATORS),
        client=client,
        upload_results=upload,
        num_repetitions=k,
        max_concurrency=concurrency,
        disable_evaluator_tracing=not upload,
        experiment_prefix=f"helpdesk-{metadata['suite']}-{metadata['model']}",
        metadata=metadata,
        blocking=True,
    )


def _rows(suite: Suite, results: Any) -> list[Row]:
    """Pair each result with its case; the n-th result of an example is its n-th repetition."""
    by_id = {str(example_id(suite.name, c.ticket["id"])): c for c in suite.cases}
    by_ticket = {c.ticket["id"]: c for c in suite.cases}
    seen: dict[str, int] = {}
    rows: list[Row] = []
    for item in results:
        example, run = item["example"], item["run"]
        ticket_id = ((example.inputs or {}).get("ticket") or {}).get("id")
        case = by_id.get(str(example.id)) or by_ticket.get(ticket_id)
        if case is None:
            continue
        repetition = seen.get(case.ticket["id"], 0)
        seen[case.ticket["id"]] = repetition + 1
        outputs = run.outputs or {}
        scores = {r.key: (r.score, r.comment or "") for r in item["evaluation_results"]["results"]}
        rows.append(Row(case, repetition, outputs.get("record") or {}, float(outputs.get("latency_ms") or 0.0), scores))
    return rows


def _sync_dataset(client: Client, suite: Suite) -> str:
    """A LangSmith dataset holding exactly this suite: named by its content hash, created once."""
    examples = to_examples(suite)
    digest = hashlib.sha256(
        json.dumps([[e.inputs, e.outputs] for e in examples], sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()[:10]
    name = f"helpdesk-{suite.name}-{digest}"
    if not client.has_dataset(dataset_name=name):
        dataset = client.create_dataset(name, description=f"Helpdesk eval suite {suite.name} ({len(examples)} tickets)")
        client.create_examples(
            dataset_id=dataset.id,
            examples=[{"inputs": e.inputs, "outputs": e.outputs, "metadata": e.metadata} for e in examples],
        )
    return name
