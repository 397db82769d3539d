"""The store on SQLite and PostgreSQL: audit trail, idempotency, redaction, search and metrics."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from graph.state import CATEGORY_AGENT
from tools.store import Store, UnknownTicketError, open_store
from tools.store import schema as t

PG_URL = os.environ.get("HELPDESK_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BASE = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PASSWORD = "Sommer2026!x"


def postgres_unavailable() -> str | None:
    """Why the local PostgreSQL cannot be used, or None when it can."""
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}"
    return None


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store URL: a SQLite file in a new directory, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/nested/dir/helpdesk.db"
        return
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    import psycopg

    schema = f"helpdesk_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with open_store(store_url) as db:
        yield db


def make_state(
    ticket_id: str,
    source: str,
    subject: str,
    description: str,
    *,
    category: str,
    confidence: float = 0.9,
    escalated: bool = False,
    codes: tuple[str, ...] = (),
    language: str = "en",
    resolution: str | None = "Restart the VPN client and sign in again.",
    writeback_status: str = "confirmed",
    created_at: datetime | None = BASE,
    tokens: tuple[int, int] = (0, 0),
    model: str = "local:router",
) -> dict[str, Any]:
    """A final graph state shaped like `graph.state.HelpdeskState`."""
    agent = "human" if escalated else CATEGORY_AGENT.get(category, "human")
    specialist = {} if escalated else {"agent": agent, "outcome": "resolve", "resolution": resolution, "why": "kb"}
    platform_field = {"servicenow": "work_notes", "jira": "comment", "freshservice": "note"}[source]
    writeback = {"system": source, "field": platform_field, "status": writeback_status}
    messages = [
        {"agent": "Lola", "node": "coordinator", "content": f"{category} ({confidence:.2f}): evidence from the ticket"},
    ]
    if escalated:
        messages.append({"agent": "system", "node": "human_escalation", "content": "needs review: " + ", ".join(codes)})
    else:
        messages.append({"agent": agent, "node": agent.lower(), "content": resolution or ""})
    timings = [
        {"node": "intake", "ms": 2.0},
        {"node": "coordinator", "ms": 10.0, "tokens_in": tokens[0], "tokens_out": tokens[1]},
        {"node": f"{source}_writeback", "ms": 40.0},
    ]
    state: dict[str, Any] = {
        "ticket": {
            "id": ticket_id,
            "source": source,
            "subject": subject,
            "description": description,
            "requester": "employee-1",
            "created_at": created_at.isoformat() if created_at else None,
        },
        "screening": {"language": language, "warnings": [], "injection": [], "secrets": [], "pii": []},
        "routing": {
            "category": category,
            "confidence": confidence,
            "reason": f"words pointing to {category}",
            "evidence": ["vpn"],
            "model": model,
            "model_version": "2026.1",
            "threshold": 0.6,
        },
        "specialist": specialist,
        "escalated": escalated,
        "escalation": {"codes": list(codes), "reasons": [f"because {c}" for c in codes]} if escalated else {},
        "writeback": writeback | {"actions": [writeback]},
        "messages": messages,
        "timings": timings,
        "result": {
            "id": ticket_id,
            "source": source,
            "category": category,
            "route": "human" if escalated else category,
            "agent": agent,
            "confidence": confidence,
            "escalated": escalated,
            "reasons": list(codes),
            "resolution": None if escalated else resolution,
            "writeback": writeback,
            "outcome": None if escalated else "resolve",
            "outcome_rule": None if escalated else "fits",
            "language": language,
        },
    }
    return state


def record(
    store: Store, state: dict[str, Any], run_id: str, start: datetime = BASE + timedelta(seconds=60), ms: int = 1000
) -> None:
    store.record_run(
        state,
        run_id=run_id,
        thread_id=None,
        started_at=start,
        finished_at=start + timedelta(milliseconds=ms),
        mode="sandbox",
    )


def audit(ticket_id: str, platform: str, action: str, outcome: str, seconds: int, attempt: int = 1) -> dict[str, Any]:
    return {
        "time": (BASE + timedelta(seconds=seconds)).isoformat(),
        "ticket_id": ticket_id,
        "platform": platform,
        "agent": "Jon",
        "action": action,
        "field": "comment",
        "payload_hash": f"h-{ticket_id}-{action}",
        "marker": f"[helpdesk:{ticket_id}:{action}:0000abcd]",
        "http_status": 201 if outcome in {"sent", "confirmed"} else 503,
        "latency_ms": 12.5,
        "attempt": attempt,
        "outcome": outcome,
        "error": None if outcome != "error" else f"503 from server, password: {PASSWORD}",
        "run_id": f"run-{ticket_id}",
    }


def count(store: Store, table: Any, **where: Any) -> int:
    with store.engine.connect() as conn:
        stmt = select(table)
        for column, value in where.items():
            stmt = stmt.where(table.c[column] == value)
        return len(conn.execute(stmt).all())


VPN_DE = make_state(
    "INC-DE-1",
    "servicenow",
    "VPN-Verbindung bricht ständig ab",
    f"Seit heute trennt sich mein VPN-Client alle 5 Minuten. Mein Passwort: {PASSWORD}",
    category="network",
    language="de",
)
VPN_ES = make_state(
    "JSM-ES-2",
    "jira",
    "No puedo conectar a la VPN",
    "La VPN de la oficina no conecta desde casa, escríbame a maria.garcia@example.com",
    category="network",
    language="es",
)
PRINTER = make_state(
    "FS-3",
    "freshservice",
    "Printer jams",
    "The printer on floor 2 jams on every page.",
    category="hardware",
    resolution="Clear the paper path, then sign in again at the printer.",
)
PAYSLIP = make_state(
    "INC-4",
    "servicenow",
    "Payslip question",
    "My payslip is missing overtime.",
    category="out_of_scope",
    confidence=0.8,
    escalated=True,
    codes=("out_of_scope",),
)


# --- schema and migrations ------------------------------------------------------------------------


def test_open_creates_every_table_and_reopening_migrates_nothing(store_url: str) -> None:
    with open_store(store_url) as first:
        tables = set(inspect(first.engine).get_table_names())
        with first.engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    expected = {
        "tickets",
        "runs",
        "routing_decisions",
        "messages",
        "steps",
        "flags",
        "writeback_attempts",
        "human_decisions",
        "feedback",
    }
    assert expected <= tables
    assert version == "0001"
    with open_store(store_url) as second:
        record(second, PRINTER, "r-1")
    with open_store(store_url) as third:
        assert count(third, t.tickets) == 1


def test_default_url_comes_from_the_environment_and_creates_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a" / "b" / "store.db"
    monkeypatch.setenv("HELPDESK_STORE", f"sqlite:///{target}")
    with open_store() as db:
        record(db, PRINTER, "r-1")
    assert target.exists()
    assert (tmp_path / "a" / "b").is_dir()


def test_an_unsupported_url_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="unsupported store URL"):
        open_store("mysql://nobody@localhost/x")


# --- recording ------------------------------------------------------------------------------------


def test_a_run_is_recorded_whole_and_recording_it_again_changes_nothing(store: Store) -> None:
    for _ in range(2):
        record(store, VPN_DE, "run-de")
    assert count(store, t.tickets) == 1
    assert count(store, t.runs) == 1
    assert count(store, t.messages, run_id="run-de") == 2
    assert count(store, t.steps, run_id="run-de") == 3
    assert count(store, t.routing_decisions, run_id="run-de") == 1
    with store.engine.connect() as conn:
        run = conn.execute(select(t.runs)).one()
        ticket = conn.execute(select(t.tickets)).one()
        decision = conn.execute(select(t.routing_decisions)).one()
    assert (run.category, run.agent, run.escalated, run.writeback_status) == ("network", "Jon", False, "confirmed")
    assert run.duration_ms == pytest.approx(1000)
    assert ticket.language == "de" and ticket.last_run_id == "run-de"
    assert ticket.created_at == BASE
    assert (decision.model, decision.model_version, decision.threshold) == ("local:router", "2026.1", 0.6)
    assert decision.evidence == ["vpn"]
    assert store.report()["runs"]["total"] == 1


def test_secrets_and_personal_data_never_reach_the_database(store: Store) -> None:
    record(store, VPN_DE, "run-de")
    record(store, VPN_ES, "run-es")
    store.record_audit(audit("INC-DE-1", "servicenow", "internal_note", "error", 5))
    store.record_human_decision(
        "INC-DE-1", "api", {"decision": "edit", "note": f"temp password: {PASSWORD}"}, "ana@example.com"
    )
    store.record_feedback("JSM-ES-2", confirmed=False, note="call me at maria.garcia@example.com")
    dump = []
    with store.engine.connect() as conn:
        for table in (t.tickets, t.runs, t.messages, t.writeback_attempts, t.human_decisions, t.feedback):
            dump += [json.dumps(row._asdict(), default=str) for row in conn.execute(select(table))]
    everything = "\n".join(dump)
    assert PASSWORD not in everything
    assert "maria.garcia" not in everything and "ana@example.com" not in everything
    assert "[REDACTED:password]" in everything and "[REDACTED:email]" in everything


def test_an_older_run_recorded_late_does_not_replace_the_latest(store: Store) -> None:
    record(store, VPN_DE, "new", start=BASE + timedelta(hours=2))
    older = make_state("INC-DE-1", "servicenow", "VPN", "old text", category="hardware", language="de")
    record(store, older, "old", start=BASE)
    with store.engine.connect() as conn:
        ticket = conn.execute(select(t.tickets)).one()
    assert (ticket.last_run_id, ticket.category) == ("new", "network")
    assert ticket.first_seen_at == BASE
    assert count(store, t.runs) == 2
    assert [h["ticket"]["id"] for h in store.search("verbindung")] == ["INC-DE-1"]
    assert store.search("old") == []


def test_a_state_without_ticket_id_is_skipped_not_raised(store: Store) -> None:
    record(store, {"error": "not a ticket", "result": {"error": "not a ticket"}}, "r-x")
    record(store, {"ticket": "garbage", "messages": "nope", "timings": [1, None]}, "r-y")
    assert count(store, t.tickets) == 0


def test_odd_values_are_stored_as_missing(store: Store) -> None:
    state = make_state("ODD-1", "jira", "x", "y", category="network")
    state["ticket"]["created_at"] = "last tuesday"
    state["routing"]["confidence"] = "high"
    state["timings"] = [{"node": None, "ms": "slow"}, "junk"]
    record(store, state, "r-odd")
    with store.engine.connect() as conn:
        ticket = conn.execute(select(t.tickets)).one()
        steps = conn.execute(select(t.steps)).all()
    assert ticket.created_at is None
    assert [(s.node, s.latency_ms) for s in steps] == [("unknown", None)]


def test_audit_records_and_human_decisions_are_stored_once(store: Store) -> None:
    rec = audit("T-1", "jira", "internal_note", "confirmed", 10)
    store.record_audit(rec)
    store.record_audit(rec)
    store.record_audit({**rec, "time": BASE + timedelta(seconds=10)})  # the same moment, as a datetime
    store.record_audit({"outcome": "sent"})  # no ticket: ignored
    assert count(store, t.writeback_attempts) == 1
    decision = {"decision": "reassign", "category": "hardware"}
    store.record_human_decision("T-1", "api", decision, "rev-1")
    store.record_human_decision("T-1", "api", decision, "rev-1")
    store.record_human_decision("T-1", "api", {"decision": "approve"}, "rev-1")
    assert count(store, t.human_decisions) == 2


def test_the_audit_sink_takes_the_itsm_records(store: Store) -> None:
    from tools.itsm.audit import AuditRecord, set_audit_sink
    from tools.itsm.audit import audit as itsm_audit

    previous = set_audit_sink(store.audit_sink())
    try:
        itsm_audit(
            AuditRecord(
                ticket_id="T-9",
                platform="servicenow",
                agent="June",
                action="internal_note",
                field="work_notes",
                payload_hash="abc",
                marker="[helpdesk:T-9:internal_note:12345678]",
                outcome="confirmed",
                attempt=1,
                http_status=200,
            )
        )
    finally:
        set_audit_sink(previous)
    with store.engine.connect() as conn:
        row = conn.execute(select(t.writeback_attempts)).one()
    assert (row.ticket_id, row.platform, row.outcome, row.http_status) == ("T-9", "servicenow", "confirmed", 200)
    store.audit_sink().record({"ticket_id": "T-9", "outcome": "sent", "time": BASE.isoformat()})  # plain dicts too
    assert count(store, t.writeback_attempts) == 2


def test_feedback_needs_a_known_ticket_and_a_reopen_counts_as_rejected(store: Store) -> None:
    with pytest.raises(UnknownTicketError):
        store.record_feedback("NOPE", confirmed=True)
    assert store.record_reopened("NOPE", "jira") is False
    record(store, VPN_ES, "run-es")
    store.record_feedback("JSM-ES-2", confirmed=True)
    assert store.record_reopened("JSM-ES-2", "jira") is True
    rate = store.report()["resolution_confirmation_rate"]
    assert (rate["confirmed"], rate["rejected"], rate["rate"]) == (0, 1, 0.0)
    assert store.search("vpn")[0]["feedback"]["source"] == "reopened:jira"


def test_concurrent_writers_lose_nothing(store: Store) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(10):
                state = make_state(f"C-{worker}-{i}", "jira", "VPN", "vpn down", category="network")
                record(store, state, f"run-{worker}-{i}")
                store.record_audit(audit(f"C-{worker}-{i}", "jira", "internal_note", "confirmed", i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert count(store, t.runs) == 40 and count(store, t.writeback_attempts) == 40


# --- search ---------------------------------------------------------------------------------------


def test_search_finds_vpn_tickets_in_every_language_with_their_conversation(store: Store) -> None:
    for state, run_id in ((VPN_DE, "r1"), (VPN_ES, "r2"), (PRINTER, "r3"), (PAYSLIP, "r4")):
        record(store, state, run_id)
    hits = store.search("vpn")
    assert {h["ticket"]["id"] for h in hits} == {"INC-DE-1", "JSM-ES-2"}
    de = next(h for h in hits if h["ticket"]["id"] == "INC-DE-1")
    assert [m["agent"] for m in de["conversation"]] == ["Lola", "Jon"]
    assert de["decision"]["reason"] == "words pointing to network"
    assert de["decision"]["model_version"] == "2026.1"
    assert de["ticket"]["language"] == "de"
    json.dumps(hits)  # every hit is JSON-able as it is
    # prefixes and diacritics: "verbind" finds "VPN-Verbindung", "standig" finds "ständig"
    assert [h["ticket"]["id"] for h in store.search("Verbind standig")] == ["INC-DE-1"]
    # the conversation is searched too
    assert {h["ticket"]["id"] for h in store.search("sign in again")} == {"INC-DE-1", "JSM-ES-2", "FS-3"}
    assert store.search("vpn printer") == []


def test_search_filters(store: Store) -> None:
    for state, run_id in ((VPN_DE, "r1"), (VPN_ES, "r2"), (PRINTER, "r3"), (PAYSLIP, "r4")):
        record(store, state, run_id)
    late = make_state("JSM-9", "jira", "VPN slow", "vpn is slow", category="network")
    record(store, late, "r5", start=BASE + timedelta(days=3))
    assert {h["ticket"]["id"] for h in store.search("vpn", source="jira")} == {"JSM-ES-2", "JSM-9"}
    assert {h["ticket"]["id"] for h in store.search("vpn", agent="jon", since=BASE + timedelta(days=1))} == {"JSM-9"}
    assert store.search("vpn", category="hardware") == []
    assert [h["ticket"]["id"] for h in store.search("", agent="human")] == ["INC-4"]
    assert len(store.search("", limit=2)) == 2


@pytest.mark.parametrize("query", ['"vpn', "vpn*", "NEAR(vpn)", "vpn AND OR", "'; DROP TABLE tickets; --", "ü:*&|!"])
def test_any_query_text_is_safe(store: Store, query: str) -> None:
    record(store, VPN_DE, "r1")
    store.search(query)
    assert count(store, t.tickets) == 1


# --- metrics --------------------------------------------------------------------------------------


def _metrics_dataset(store: Store) -> None:
    """Seven tickets with known outcomes (see the expected numbers in the test below)."""
    states = {
        "T1": make_state("T1", "jira", "VPN", "vpn", category="network", tokens=(100, 20), model="openai:gpt-4o-mini"),
        "T2": make_state("T2", "servicenow", "VPN", "vpn", category="network"),
        "T3": make_state("T3", "freshservice", "Cloud", "sso", category="software_cloud"),
        "T4": make_state("T4", "jira", "Disk", "disk", category="hardware", created_at=BASE),
        "T5": make_state(
            "T5", "servicenow", "HR", "hr", category="out_of_scope", escalated=True, codes=("out_of_scope",)
        ),
        "T6": make_state(
            "T6",
            "freshservice",
            "??",
            "??",
            category="network",
            confidence=0.3,
            escalated=True,
            codes=("low_confidence", "injection"),
            created_at=datetime.now(UTC) - timedelta(hours=1),
        ),
        "T7": make_state("T7", "jira", "VPN", "vpn", category="network"),
    }
    finish = {"T4": 300, "T7": 600}
    for tid, state in states.items():
        seconds = finish.get(tid, 60)
        record(store, state, f"run-{tid}", start=BASE + timedelta(seconds=seconds - 1))
    record(store, states["T1"], "run-T1")  # the same run again: no double count
    record(store, make_state("T2", "servicenow", "VPN", "vpn", category="hardware"), "run-T2-old", start=BASE)
    for rec in (
        audit("T1", "jira", "internal_note", "sent", 100),
        audit("T1", "jira", "internal_note", "confirmed", 120),
        audit("T1", "jira", "set_status", "error", 121, attempt=1),
        audit("T1", "jira", "set_status", "error", 122, attempt=2),
        audit("T1", "jira", "set_status", "flagged", 123, attempt=2),
        audit("T2", "servicenow", "internal_note", "already_present", 124),
        audit("T5", "freshservice", "internal_note", "dry_run", 125),
        audit("T6", "freshservice", "internal_note", "rejected", 126),
    ):
        store.record_audit(rec)
        store.record_audit(rec)
    store.record_feedback("T1", confirmed=False)
    store.record_feedback("T1", confirmed=True)  # the latest feedback wins
    store.record_feedback("T2", confirmed=False)
    store.record_feedback("T3", confirmed=False, category="hardware")
    store.record_feedback("T4", confirmed=True, category="network")  # right fix, wrong label: corrected
    store.record_feedback("T6", confirmed=True)
    store.record_human_decision("T6", "api", {"decision": "take_over"}, "rev")


def test_report_metrics_match_a_known_dataset(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    prices = {"currency": "EUR", "models": {"openai:gpt-4o-mini": {"input_per_1m": 1000, "output_per_1m": 2000}}}
    monkeypatch.setenv("HELPDESK_PRICE_TABLE", json.dumps(prices))
    _metrics_dataset(store)
    r = store.report(baseline_ttr_s=3600)

    assert r["tickets"]["total"] == 7 and r["runs"]["total"] == 8
    assert r["tickets"]["by_agent"] == {"June": 1, "Jon": 3, "Maya": 1, "human": 2}

    conf = r["resolution_confirmation_rate"]
    assert (conf["rate"], conf["confirmed"], conf["rejected"], conf["tickets_with_feedback"]) == (0.6, 3, 2, 5)
    assert conf["by_agent"]["Jon"] == {"rate": 0.5, "confirmed": 1, "rejected": 1}
    assert conf["by_agent"]["June"]["rate"] == 0.0 and conf["by_agent"]["human"]["rate"] == 1.0
    assert conf["by_source"]["jira"] == {"rate": 1.0, "confirmed": 2, "rejected": 0}
    assert conf["by_category"]["network"] == {"rate": 0.6667, "confirmed": 2, "rejected": 1}

    false = r["false_confidence_rate"]
    assert (false["auto_routed"], false["auto_routed_with_feedback"], false["false_confident"]) == (5, 4, 3)
    assert (false["rate"], false["rate_over_all_auto_routed"]) == (0.75, 0.6)
    assert (false["rejected"], false["corrected"]) == (2, 1)

    wb = r["writeback_success_rate"]
    assert (wb["rate"], wb["confirmed"], wb["total"], wb["attempts"], wb["basis"]) == (0.5, 2, 4, 8, "audit")
    assert wb["by_platform"] == {
        "freshservice": {"rate": 0.0, "confirmed": 0, "total": 1},
        "jira": {"rate": 0.5, "confirmed": 1, "total": 2},
        "servicenow": {"rate": 1.0, "confirmed": 1, "total": 1},
    }
    assert wb["by_action"]["internal_note"] == {"rate": 0.6667, "confirmed": 2, "total": 3}
    assert wb["by_action"]["set_status"]["rate"] == 0.0

    ttr = r["time_to_resolution"]  # T1 120 s (write-back confirmed), T4 300 s, T7 600 s, T6 ~3600 s (feedback)
    assert ttr["resolved"] == 4 and ttr["basis"] == {"writeback": 3, "feedback": 1}
    assert ttr["p50_s"] == pytest.approx(450, abs=1)
    assert ttr["mean_s"] == pytest.approx((120 + 300 + 600 + 3600) / 4, abs=5)
    assert ttr["vs_baseline"]["p50_ratio"] == pytest.approx(0.125, abs=0.001)

    esc = r["escalation"]
    assert (esc["rate"], esc["escalated"]) == (round(2 / 7, 4), 2)
    assert esc["reasons"] == {"out_of_scope": 1, "low_confidence": 1, "injection": 1}
    assert esc["review_decisions"] == {"take_over": 1}
    assert r["specialist_outcomes"] == {"resolve:fits": 5}  # the latest runs that a specialist resolved

    latency = r["latency"]["per_node"]
    assert latency["coordinator"] == {"count": 8, "p50_ms": 10.0, "p95_ms": 10.0, "mean_ms": 10.0}
    assert set(latency) == {"intake", "coordinator", "jira_writeback", "servicenow_writeback", "freshservice_writeback"}
    assert r["latency"]["run"]["p50_ms"] == pytest.approx(1000)

    tokens = r["tokens"]
    assert (tokens["total_in"], tokens["total_out"]) == (100, 20)
    assert tokens["per_ticket"]["total"] == round(120 / 7, 2)
    assert tokens["cost"] == {"currency": "EUR", "total": 0.14, "per_ticket": round(0.14 / 7, 6), "unpriced_models": []}


def test_report_window_and_empty_store(store: Store) -> None:
    empty = store.report()
    for key in ("resolution_confirmation_rate", "false_confidence_rate", "writeback_success_rate"):
        assert empty[key]["rate"] is None
    assert empty["time_to_resolution"]["p50_s"] is None and empty["escalation"]["rate"] is None
    _metrics_dataset(store)
    later = store.report(since=BASE + timedelta(seconds=400))
    assert later["tickets"]["total"] == 1  # only T7 finished after that
    assert later["writeback_success_rate"]["total"] == 0


def test_writeback_rate_falls_back_to_the_runs_without_audit_records(store: Store) -> None:
    record(store, VPN_DE, "r1")
    record(store, make_state("X2", "jira", "a", "b", category="network", writeback_status="flagged"), "r2")
    record(store, make_state("X3", "jira", "a", "b", category="network", writeback_status="dry_run"), "r3")
    wb = store.report()["writeback_success_rate"]
    assert (wb["basis"], wb["confirmed"], wb["total"]) == ("runs", 1, 2)
    assert wb["by_platform"]["jira"] == {"rate": 0.0, "confirmed": 0, "total": 1}


# --- the real graph's states ------------------------------------------------------------------------


def test_real_graph_runs_are_recorded_and_every_vpn_ticket_is_found(store: Store) -> None:
    """Acceptance in miniature: the sample tickets through the helpdesk graph, recorded, then searched."""
    try:
        from graph.context import Context
        from graph.runner import run_ticket
        from tools.itsm.audit import set_audit_sink

        run_ticket({"id": "warm-up", "source": "jira", "subject": "VPN", "description": "vpn"})
    except Exception as exc:  # the graph is other issues' work: follow it once it builds
        pytest.skip(f"the helpdesk graph cannot run here yet: {type(exc).__name__}: {exc}")
    samples = Path(__file__).resolve().parent.parent / "data" / "samples"
    tickets = [json.loads(line) for path in sorted(samples.glob("*.jsonl")) for line in path.open() if line.strip()]
    context = Context(writeback_mode="dry_run", review_with_interrupt=False)
    previous = set_audit_sink(store.audit_sink())
    try:
        for i, ticket in enumerate(tickets):
            started = datetime.now(UTC)
            state = run_ticket(ticket, context)
            store.record_run(
                state,
                run_id=f"run-{i}",
                thread_id=None,
                started_at=started,
                finished_at=datetime.now(UTC),
                mode="dry_run",
            )
    finally:
        set_audit_sink(previous)
    mentions_vpn = {
        str(t["id"]) for t in tickets if "vpn" in f"{t.get('subject') or ''} {t.get('description') or ''}".lower()
    }
    assert mentions_vpn, "the samples should contain VPN tickets"
    hits = {h["ticket"]["id"]: h for h in store.search("vpn", limit=1000)}
    assert mentions_vpn <= set(hits)
    assert {h["ticket"]["language"] for h in hits.values()} - {"en"}, "non-English VPN tickets are found too"
    assert all(any(m["agent"] == "Lola" for m in hits[i]["conversation"]) for i in mentions_vpn)
    report = store.report()
    recorded = {str(t["id"]) for t in tickets if t.get("id") is not None}
    assert report["tickets"]["total"] == len(recorded)
    assert report["runs"]["total"] == len([t for t in tickets if t.get("id") is not None])
    assert "intake" in report["latency"]["per_node"] and "coordinator" in report["latency"]["per_node"]
    assert report["escalation"]["escalated"] == sum(
        1 for h in store.search("", limit=1000) if h["decision"]["escalated"]
    )
