"""The served graph over HTTP: review round trip, webhooks, dedupe, auth refusals, 50 concurrent runs."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import AuthenticationError, PermissionDeniedError
from langgraph_sdk.schema import Command

from graph.server.runs import thread_id_for
from graph.server.signatures import jira_signature
from tests.e2e.conftest import Server

pytestmark = pytest.mark.slow


def client(server: Server, key: str | None = None):
    return get_client(url=server.url, api_key=key or server.api_key)


def ticket(i: object, subject: str = "VPN drops every ten minutes", source: str = "jira") -> dict:
    return {"id": f"E2E-{i}", "source": source, "subject": subject, "description": "Since the update on Monday."}


async def test_out_of_scope_pauses_and_resumes_to_a_confirmed_writeback(server: Server) -> None:
    api = client(server)
    thread = await api.threads.create()
    payroll = ticket(1, "Payroll question about my bonus")
    out = await api.runs.wait(thread["thread_id"], "helpdesk", input={"ticket": payroll})
    assert out["__interrupt__"], out
    assert (await api.threads.get(thread["thread_id"]))["status"] == "interrupted"

    async with httpx.AsyncClient(base_url=server.url, headers={"x-api-key": server.api_key}) as http:
        listed = (await http.get("/review")).json()
    item = next(i for i in listed["items"] if i["thread_id"] == thread["thread_id"])
    assert item["ticket_id"] == "E2E-1" and item["reasons"] and item["internal_note"]

    done = await api.runs.wait(
        thread["thread_id"], "helpdesk", command=Command(resume={"decision": "approve", "reviewer": "kim"})
    )
    writeback = done["result"]["writeback"]
    assert (done["result"]["escalated"], writeback["system"], writeback["status"]) == (True, "jira", "confirmed")
    notes = server.sandbox.store.entry_texts()[("jira", "E2E-1")]
    assert any("approved by kim" in note for note in notes), notes
    assert (await api.threads.get(thread["thread_id"]))["status"] == "idle"


async def test_review_route_reassign_reenters_a_specialist_then_take_over(server: Server) -> None:
    api = client(server)
    thread = await api.threads.create()
    tid = thread["thread_id"]
    await api.runs.wait(tid, "helpdesk", input={"ticket": ticket(2, "Payroll question, my bonus")})
    async with httpx.AsyncClient(base_url=server.url, headers={"x-api-key": server.api_key}, timeout=30) as http:
        refused = await http.post(f"/review/{tid}", json={"decision": "reassign", "category": "hr"})
        reassigned = await http.post(f"/review/{tid}", json={"decision": "reassign", "category": "network"})
        taken = await http.post(f"/review/{tid}", json={"decision": "take_over", "reviewer": "kim"})
        finished = await http.post(f"/review/{tid}", json={"decision": "approve"})
    assert refused.status_code == 422
    assert reassigned.status_code == 200, reassigned.text
    # Jon cannot resolve a payroll question, so the ticket comes back for review with his attempt on record.
    assert reassigned.json()["status"] == "waiting_for_review"
    assert (await api.threads.get_state(tid))["values"]["specialist"]["agent"] == "Jon"
    assert taken.json()["status"] == "done"
    assert taken.json()["result"]["writeback"]["status"] == "confirmed"
    assert any("Taken over by kim" in note for note in server.sandbox.store.entry_texts()[("jira", "E2E-2")])
    assert finished.status_code == 409


def signed_jira(server: Server, key: str) -> tuple[bytes, dict[str, str]]:
    payload = {
        "webhookEvent": "jira:issue_created",
        "timestamp": 1763719502000,
        "issue": {
            "id": "1",
            "key": key,
            "fields": {"summary": "VPN drops every ten minutes", "description": "Since the update on Monday."},
        },
    }
    body = json.dumps(payload).encode()
    return body, {"x-hub-signature": jira_signature(server.secrets["jira"], body), "content-type": "application/json"}


async def test_webhook_runs_once_and_redelivery_starts_nothing(server: Server) -> None:
    body, headers = signed_jira(server, "HOOK-1")
    async with httpx.AsyncClient(base_url=server.url) as http:
        first = await http.post("/webhooks/jira", content=body, headers=headers)
        again = await http.post("/webhooks/jira", content=body, headers=headers)
    assert first.status_code == 202, first.text
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    tid = first.json()["thread_id"]
    assert tid == thread_id_for("jira", "HOOK-1")
    api = client(server)
    await api.runs.join(tid, first.json()["run_id"])
    runs = await api.runs.list(tid)
    assert [r["run_id"] for r in runs] == [first.json()["run_id"]]
    thread = await api.threads.get(tid)
    assert thread["status"] == "idle", thread["status"]
    assert thread["metadata"]["ticket_key"] == "jira:HOOK-1"
    assert thread["values"]["result"]["id"] == "HOOK-1"
    assert thread["values"]["result"]["writeback"]["status"] == "confirmed"


async def test_refusals_start_nothing(server: Server) -> None:
    body, headers = signed_jira(server, "HOOK-BAD")
    async with httpx.AsyncClient(base_url=server.url) as http:
        unsigned = await http.post("/webhooks/jira", content=body)
        forged = await http.post("/webhooks/jira", content=body, headers={"x-hub-signature": "sha256=" + "0" * 64})
        tampered = await http.post("/webhooks/jira", content=body + b" ", headers=headers)
        no_key = await http.post("/threads/search", json={})
        review = await http.get("/review")
        health = await http.get("/health")
    assert unsigned.status_code == 401
    assert forged.status_code == 403 and tampered.status_code == 403
    assert no_key.status_code == 401 and review.status_code == 401
    assert health.status_code == 200 and health.json()["webhooks"]["jira"] is True
    with pytest.raises(PermissionDeniedError):
        await client(server, "wrong-key").threads.search()
    with pytest.raises(AuthenticationError):
        await get_client(url=server.url, api_key=None).threads.search()
    found = await client(server).threads.search(metadata={"ticket_key": "jira:HOOK-BAD"})
    assert found == []


async def test_fifty_concurrent_runs_all_complete(server: Server, record_property: pytest.RecordProperty) -> None:
    """One thread per ticket, as webhooks do (stateless runs hit a race in the in-memory runtime)."""
    api = client(server)
    n = 50
    start = time.perf_counter()

    async def triage(i: int) -> dict:
        thread = await api.threads.create()
        return await api.runs.wait(thread["thread_id"], "helpdesk", input={"ticket": ticket(f"C{i}")})

    outs = await asyncio.gather(*(triage(i) for i in range(n)))
    elapsed = time.perf_counter() - start
    ids = sorted(o["result"]["id"] for o in outs)
    assert ids == sorted(f"E2E-C{i}" for i in range(n))
    assert {o["result"]["writeback"]["status"] for o in outs} == {"confirmed"}
    written = server.sandbox.store.entry_texts()
    assert all(written.get(("jira", f"E2E-C{i}")) for i in range(n))
    record_property("runs_per_second", round(n / elapsed, 1))
    print(f"\n{n} concurrent runs in {elapsed:.2f} s: {n / elapsed:.1f} runs/s")
