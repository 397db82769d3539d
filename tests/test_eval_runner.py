"""The runner on langsmith.evaluate: offline with no traffic, pass^k, the summary and the gate.

`oracle_triage` answers every suite ticket as its expectation asks; it proves the suite can be
passed (no contradictory expectation) and is the fake target other eval tests use. `obedient_triage`
does what the ticket text says: the evaluators must catch it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import requests

from evals.metrics import pass_at_k, summarize
from evals.runner import EvalRun, run_suite, to_examples, upload_configured
from evals.suite import Case, Expect, Family, Gate, Suite, load_suite
from graph.context import Context

NOTE_FIELD = {"servicenow": "work_notes", "jira": "comment", "freshservice": "note"}
NOTES = {
    "en": "Thank you, we received your ticket and a member of the IT team will follow up shortly.",
    "de": "Vielen Dank, wir haben Ihr Ticket erhalten und eine Person aus dem IT-Team meldet sich bald.",
    "es": "Gracias, hemos recibido su ticket y una persona del equipo de TI se pondrá en contacto pronto.",
    "fr": "Merci, nous avons bien reçu votre ticket et une personne de l'équipe informatique vous répondra bientôt.",
    "pt": "Obrigado, recebemos o seu pedido e uma pessoa da equipa de informática vai contactá-lo em breve.",
}


def oracle_for(suite: Suite) -> Callable[[dict[str, Any], Context], dict[str, Any]]:
    expectations = {c.ticket["id"]: c.expect for c in suite.cases}

    def triage(ticket: dict[str, Any], context: Context) -> dict[str, Any]:
        expect = expectations.get(ticket["id"]) or Expect(allowed_routes=["network"])
        route = expect.allowed_routes[0]
        escalated = route == "human"
        body = NOTES.get(expect.note_language or "en", NOTES["en"])
        source = ticket["source"]
        return {
            "id": ticket["id"],
            "category": "out_of_scope" if escalated else route,
            "route": route,
            "agent": "human" if escalated else "Jon",
            "confidence": 0.95,
            "escalated": escalated,
            "reasons": ["oracle"],
            "resolution": None if escalated else body,
            "writeback": {
                "system": source,
                "field": NOTE_FIELD[source],
                "body": body,
                "status": "dry_run",
                "actions": [],
            },
        }

    return triage


def obedient_triage(ticket: dict[str, Any], context: Context) -> dict[str, Any]:
    """Auto-routes everything and copies the ticket into close_notes: every sin at once."""
    text = f"{ticket.get('subject', '')}\n{ticket.get('description', '')}"
    source = ticket["source"]
    return {
        "id": ticket["id"],
        "category": "network",
        "route": "network",
        "agent": "Jon",
        "confidence": 0.99,
        "escalated": False,
        "reasons": [text[:500]],
        "resolution": text[:500],
        "writeback": {
            "system": source,
            "field": NOTE_FIELD[source],
            "body": text[:2000],
            "status": "dry_run",
            "actions": [{"system": source, "field": "close_notes", "body": text[:200], "status": "dry_run"}],
        },
    }


def small_suite(n: int = 6) -> Suite:
    cases = [
        Case(
            {
                "id": f"T-{i}",
                "source": ("servicenow", "jira", "freshservice")[i % 3],
                "subject": "VPN",
                "description": "drops",
            },
            "fam_a" if i % 2 else "fam_b",
            "en",
            Expect(allowed_routes=["network"], note_language="en"),
        )
        for i in range(n)
    ]
    families = {"fam_a": Family("fam_a", "a", 0.5), "fam_b": Family("fam_b", "b", 0.5)}
    return Suite("small", cases, families, Gate(max_false_confidence_rate=0.02, min_escalation_recall=1.0))


@pytest.fixture
def no_http(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every HTTP request LangSmith's client would make (there must be none offline)."""
    calls: list[str] = []

    def refuse(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(f"{method} {url}")
        raise requests.ConnectionError("network disabled in tests")

    monkeypatch.setattr(requests.Session, "request", refuse)
    return calls


def test_offline_run_makes_no_request_and_passes_with_the_oracle(no_http: list[str]) -> None:
    suite = small_suite()
    result = run_suite(suite, k=2, triage=oracle_for(suite), upload=False)
    assert no_http == []
    assert len(result.rows) == 12 and not result.uploaded
    summary = summarize(result)
    assert summary["pass_1"] == summary["pass_k"] == 1.0
    assert summary["gate"] == {"passed": True, "failures": []}


def test_the_adversarial_suite_is_satisfiable(no_http: list[str]) -> None:
    """An oracle passes every check: no ticket's expectation contradicts the evaluators."""
    suite = load_suite()
    summary = summarize(run_suite(suite, triage=oracle_for(suite), upload=False))
    assert summary["suite_size"] >= 250 and len(summary["families"]) >= 12
    assert summary["pass_1"] == 1.0, summary
    assert summary["escalation_recall"] == 1.0 and summary["false_confidence_rate"] == 0.0
    assert summary["gate"]["passed"], summary["gate"]
    assert no_http == []


def test_an_obedient_system_fails_the_gate_on_every_zero_tolerance_figure(no_http: list[str]) -> None:
    suite = load_suite()
    summary = summarize(run_suite(suite, triage=obedient_triage, upload=False))
    assert summary["injection_violations"] >= 25
    assert summary["secret_leaks"] >= 20
    assert summary["writeback_field_errors"] == summary["runs"]
    assert summary["escalation_recall"] == 0.0
    assert summary["false_confidence_rate"] > 0.5
    failures = " ".join(summary["gate"]["failures"])
    for figure in ("injection_violations", "secret_leaks", "writeback_field_errors", "security_incident"):
        assert figure in failures


def test_pass_k_drops_below_pass_1_for_an_inconsistent_system() -> None:
    suite = small_suite(4)
    oracle = oracle_for(suite)
    calls: Counter[str] = Counter()

    def flaky(ticket: dict[str, Any], context: Context) -> dict[str, Any]:
        """Right every time except T-0's second run."""
        calls[ticket["id"]] += 1
        rec = oracle(ticket, context)
        return (
            rec | {"route": "hardware", "category": "hardware"}
            if (ticket["id"], calls[ticket["id"]]) == ("T-0", 2)
            else rec
        )

    result = run_suite(suite, k=3, triage=flaky, upload=False)
    calls.pop("INC0000000")  # the warm-up run, not evaluated
    pass_1, pass_k = pass_at_k(result.rows)
    assert (pass_1, pass_k) == (pytest.approx(11 / 12, abs=1e-4), 0.75)
    assert summarize(result)["pass_k"] == pass_k
    assert sorted(r.repetition for r in result.rows if r.case.ticket["id"] == "T-0") == [0, 1, 2]


def test_a_crashing_target_is_recorded_as_failures_not_raised() -> None:
    def crash(ticket: dict[str, Any], context: Context) -> dict[str, Any]:
        raise RuntimeError("boom")

    result = run_suite(small_suite(2), triage=crash, upload=False)
    assert [r.record.get("error") for r in result.rows] == ["RuntimeError: boom"] * 2
    assert summarize(result)["writeback_field_errors"] == 2


def test_family_floor_breach_fails_the_gate() -> None:
    suite = small_suite(4)
    oracle = oracle_for(suite)

    def wrong_on_fam_b(ticket: dict[str, Any], context: Context) -> dict[str, Any]:
        rec = oracle(ticket, context)
        return rec if int(ticket["id"][2:]) % 2 else rec | {"route": "human", "escalated": True}

    summary = summarize(run_suite(suite, triage=wrong_on_fam_b, upload=False))
    assert summary["families"] == {"fam_a": 1.0, "fam_b": 0.0}
    assert any("fam_b" in f for f in summary["gate"]["failures"])
    assert not any("fam_a" in f for f in summary["gate"]["failures"])


def test_family_failures_tell_a_wrong_route_from_a_cautious_escalation() -> None:
    """fam_b (expects network): one run escalated, one auto-routed to hardware, one passing."""
    suite = small_suite(6)
    oracle = oracle_for(suite)
    changes = {
        "T-0": {"route": "human", "escalated": True},
        "T-2": {"route": "hardware", "category": "hardware"},
    }

    def mixed(ticket: dict[str, Any], context: Context) -> dict[str, Any]:
        return oracle(ticket, context) | changes.get(ticket["id"], {})

    summary = summarize(run_suite(suite, triage=mixed, upload=False))
    assert summary["families_failures"] == {
        "fam_a": {"wrong_route": 0, "cautious_escalation": 0, "other": 0},
        "fam_b": {"wrong_route": 1, "cautious_escalation": 1, "other": 0},
    }
    assert summary["false_confidence"] == 1


def test_context_model_reaches_the_target() -> None:
    seen: list[str] = []
    suite = small_suite(1)
    oracle = oracle_for(suite)

    def spy(ticket: dict[str, Any], context: Context) -> dict[str, Any]:
        seen.append(context.model)
        return oracle(ticket, context)

    result: EvalRun = run_suite(suite, triage=spy, context=Context(model="openai:test-model"), upload=False)
    assert seen == ["openai:test-model"] * 2 and result.model == "openai:test-model"


def test_examples_carry_expectations_and_stable_ids() -> None:
    suite = small_suite(2)
    first, again = to_examples(suite), to_examples(suite)
    assert [e.id for e in first] == [e.id for e in again]
    assert first[0].outputs["expect"]["allowed_routes"] == ["network"]
    assert "family" not in first[0].inputs["ticket"]
    json.dumps([e.inputs for e in first])


def test_upload_needs_a_key_and_tracing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LANGSMITH_API_KEY", raising=False)
    monkeypatch.delenv("LANGCHAIN_API_KEY", raising=False)
    monkeypatch.setenv("LANGSMITH_TRACING", "true")
    assert not upload_configured()
    monkeypatch.setenv("LANGSMITH_API_KEY", "lsv2-test")
    assert upload_configured()
    monkeypatch.setenv("LANGSMITH_TRACING", "false")
    assert not upload_configured()


class FakeLangSmith:
    """Just the dataset calls `_sync_dataset` makes, recorded."""

    def __init__(self, existing: set[str]) -> None:
        self.existing = existing
        self.created: list[tuple[str, int]] = []

    def has_dataset(self, *, dataset_name: str) -> bool:
        return dataset_name in self.existing

    def create_dataset(self, name: str, description: str) -> Any:
        self.existing.add(name)
        return type("Dataset", (), {"id": name})()

    def create_examples(self, *, dataset_id: str, examples: list[dict[str, Any]]) -> None:
        assert all({"inputs", "outputs", "metadata"} <= set(e) for e in examples)
        self.created.append((dataset_id, len(examples)))


def test_upload_syncs_the_suite_to_a_content_named_dataset_once() -> None:
    from evals.runner import _sync_dataset

    client = FakeLangSmith(set())
    name = _sync_dataset(client, small_suite(3))  # type: ignore[arg-type]
    assert name.startswith("helpdesk-small-") and client.created == [(name, 3)]
    assert _sync_dataset(client, small_suite(3)) == name and len(client.created) == 1  # type: ignore[arg-type]
    assert _sync_dataset(client, small_suite(4)) != name  # type: ignore[arg-type]
