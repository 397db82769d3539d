"""The custom routes against an in-memory stand-in for the LangGraph API: dedupe, policy, review, refusals."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import Any

import httpx
import pytest
from langgraph_sdk.errors import ConflictError
from starlette.testclient import TestClient

from graph.server.app import create_app
from graph.server.runs import thread_id_for
from graph.server.signatures import jira_signature
from graph.server.webhooks import WebhookEvent

SECRET = "route-secret"


class FakeThreads:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    async def create(self, *, thread_id: str, metadata: dict, if_exists: str, graph_id: str) -> dict:
        assert if_exists == "do_nothing"
        return self.items.setdefault(thread_id, {"thread_id": thread_id, "metadata": dict(metadata), "status": "idle"})

    async def update(self, thread_id: str, *, metadata: dict) -> dict:
        self.items[thread_id]["metadata"].update(metadata)
        return self.items[thread_id]

    async def get(self, thread_id: str) -> dict:
        return self.items[thread_id]

    async def search(self, *, status: str, limit: int, sort_by: str, sort_order: str) -> list[dict]:
        return [t for t in self.items.values() if t["status"] == status][:limit]


class FakeRuns:
    def __init__(self, threads: FakeThreads) -> None:
        self.threads = threads
        self.created: list[dict[str, Any]] = []
        self.resumed: list[tuple[str, dict]] = []
        self.conflict = False

    async def create(self, thread_id: str, assistant_id: str, **kwargs: Any) -> dict:
        if self.conflict:
            request = httpx.Request("POST", "http://x")
            raise ConflictError("busy", response=httpx.Response(409, request=request), body=None)
        run = {"run_id": str(uuid.uuid4()), "thread_id": thread_id, "assistant_id": assistant_id, **kwargs}
        self.created.append(run)
        return run

    async def wait(self, thread_id: str, assistant_id: str, *, command: dict, raise_error: bool) -> dict:
        self.resumed.append((thread_id, command))
        self.threads.items[thread_id]["status"] = "idle"
        return {"result": {"id": "T", "writeback": {"status": "dry_run"}}}


class FakeAssistants:
    async def search(self, **_: Any) -> list[dict]:
        return [{"assistant_id": "a", "graph_id": "helpdesk"}]


class FakeClient:
    def __init__(self) -> None:
        self.threads = FakeThreads()
        self.runs = FakeRuns(self.threads)
        self.assistants = FakeAssistants()


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeClient:
    for platform in ("SERVICENOW", "JIRA", "FRESHSERVICE"):
        monkeypatch.setenv(f"HELPDESK_WEBHOOK_SECRET_{platform}", SECRET)
    return FakeClient()


@pytest.fixture
def reopened() -> list[WebhookEvent]:
    return []


@pytest.fixture
def http(api: FakeClient, reopened: list[WebhookEvent]) -> TestClient:
    async def on_reopened(event: WebhookEvent) -> None:
        reopened.append(event)

    return TestClient(create_app(lambda: api, on_reopened))


def post_jira(http: TestClient, payload: dict, secret: str = SECRET) -> httpx.Response:
    body = json.dumps(payload).encode()
    return http.post("/webhooks/jira", content=body, headers={"x-hub-signature": jira_signature(secret, body)})


def jira(event: str = "jira:issue_created", key: str = "SUP-1", **extra: Any) -> dict:
    return {"webhookEvent": event, "issue": {"key": key, "fields": {"summary": "VPN down"}}, **extra}


def test_webhook_starts_one_run_on_the_ticket_thread(http: TestClient, api: FakeClient) -> None:
    response = post_jira(http, jira())
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "started"
    assert body["thread_id"] == thread_id_for("jira", "SUP-1") == str(uuid.UUID(body["thread_id"]))
    assert body["ticket_key"] == "jira:SUP-1"
    [run] = api.runs.created
    assert run["input"]["ticket"]["source"] == "jira"
    assert run["multitask_strategy"] == "reject"
    assert api.threads.items[body["thread_id"]]["metadata"]["last_run_id"] == run["run_id"]


def test_redelivery_starts_nothing(http: TestClient, api: FakeClient) -> None:
    first = post_jira(http, jira()).json()
    again = post_jira(http, jira())
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert again.json()["run_id"] == first["run_id"]
    assert len(api.runs.created) == 1


def test_updates_of_a_triaged_ticket_are_ignored_but_reopen_retriages(
    http: TestClient, api: FakeClient, reopened: list[WebhookEvent]
) -> None:
    post_jira(http, jira())
    edited = post_jira(http, jira("jira:issue_updated", changelog={"items": [{"field": "summary"}]}))
    assert edited.json()["status"] == "ignored"
    assert len(api.runs.created) == 1
    reopen = jira("jira:issue_updated", changelog={"items": [{"field": "status", "fromString": "Done"}]})
    response = post_jira(http, reopen)
    assert response.json()["status"] == "started"
    assert len(api.runs.created) == 2
    assert [e.ticket_key for e in reopened] == ["jira:SUP-1"]


def test_first_sight_through_an_update_starts_a_run(http: TestClient, api: FakeClient) -> None:
    response = post_jira(http, jira("jira:issue_updated", key="SUP-9"))
    assert response.json()["status"] == "started"


def test_paused_or_busy_ticket_starts_nothing(http: TestClient, api: FakeClient) -> None:
    tid = post_jira(http, jira()).json()["thread_id"]
    api.threads.items[tid]["status"] = "interrupted"
    reopen = jira("jira:issue_updated", changelog={"items": [{"field": "status", "fromString": "Closed"}]})
    assert post_jira(http, reopen).json()["status"] == "awaiting_review"
    api.runs.conflict = True
    response = post_jira(http, jira(key="SUP-2"))
    assert response.json()["status"] == "busy"
    assert len(api.runs.created) == 1


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"x-hub-signature": "sha256=00"}, 403)],
)
def test_unsigned_jira_starts_nothing(http: TestClient, api: FakeClient, headers: dict, status: int) -> None:
    response = http.post("/webhooks/jira", content=json.dumps(jira()).encode(), headers=headers)
    assert response.status_code == status
    assert api.runs.created == [] and api.threads.items == {}


def test_bad_bodies_are_client_errors(http: TestClient, api: FakeClient) -> None:
    headers = {"x-webhook-secret": SECRET}
    assert http.post("/webhooks/servicenow", content=b"{not json", headers=headers).status_code == 400
    assert http.post("/webhooks/servicenow", json={"short_description": "x"}, headers=headers).status_code == 422
    assert http.post("/webhooks/zendesk", json={}, headers=headers).status_code == 404
    ignored = post_jira(http, jira("comment_created"))
    assert (ignored.status_code, ignored.json()["status"]) == (200, "ignored")
    assert api.runs.created == []


def test_servicenow_and_freshservice_with_shared_secret(http: TestClient, api: FakeClient) -> None:
    sn = http.post(
        "/webhooks/servicenow",
        json={"number": "INC0010001", "short_description": "Mail down"},
        headers={"x-webhook-secret": SECRET},
    )
    fs = http.post(
        "/webhooks/freshservice",
        json={"ticket_id": "266", "subject": "Printer"},
        headers={"authorization": f"Bearer {SECRET}"},
    )
    assert (sn.status_code, fs.status_code) == (202, 202)
    assert {r["input"]["ticket"]["source"] for r in api.runs.created} == {"servicenow", "freshservice"}


def _pause(api: FakeClient, tid: str) -> None:
    api.threads.items[tid] = {
        "thread_id": tid,
        "status": "interrupted",
        "metadata": {"ticket_key": "jira:SUP-7"},
        "interrupts": {
            "task": [
                {
                    "id": "i1",
                    "value": {
                        "ticket_id": "SUP-7",
                        "source": "jira",
                        "reasons": ["out of scope"],
                        "draft_note": None,
                        "internal_note": "Needs human review.",
                        "acknowledgement": "Received.",
                        "routing": {"category": "out_of_scope", "confidence": 0.9, "reason": "payroll"},
                        "decisions": ["approve", "edit", "reassign", "take_over"],
                    },
                }
            ]
        },
    }


def test_review_needs_an_api_key_scope(http: TestClient) -> None:
    # The server's auth middleware sets the scope; without it (route auth switched off) the route refuses.
    assert http.get("/review").status_code == 403
    assert http.post(f"/review/{uuid.uuid4()}", json={"decision": "approve"}).status_code == 403


class ApiScope:
    """Stand-in for the server's auth middleware: marks the request as an API-key caller."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        scope["auth"] = type("Creds", (), {"scopes": ["api"]})()
        await self.app(scope, receive, send)


def test_review_lists_and_resumes(api: FakeClient) -> None:
    http = TestClient(ApiScope(create_app(lambda: api, None)))
    tid = str(uuid.uuid4())
    _pause(api, tid)
    listed = http.get("/review").json()
    assert listed["count"] == 1
    item = listed["items"][0]
    assert item["ticket_key"] == "jira:SUP-7" and item["reasons"] == ["out of scope"]
    assert item["routing"]["category"] == "out_of_scope"

    assert http.post(f"/review/{tid}", json={"decision": "maybe"}).status_code == 422
    assert http.post(f"/review/{tid}", json={"decision": "edit"}).status_code == 422
    assert http.post(f"/review/{tid}", json={"decision": "reassign", "category": "hr"}).status_code == 422
    done = http.post(f"/review/{tid}", json={"decision": "approve", "reviewer": "kim", "extra": "dropped"})
    assert done.status_code == 200
    assert done.json()["result"]["writeback"]["status"] == "dry_run"
    assert api.runs.resumed == [(tid, {"resume": {"decision": "approve", "reviewer": "kim"}})]
    again = http.post(f"/review/{tid}", json={"decision": "approve"})
    assert again.status_code == 409


def test_health_reports_configuration_without_secrets(http: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_API_KEYS", "k1")
    monkeypatch.delenv("HELPDESK_WEBHOOK_SECRET_FRESHSERVICE")
    body = http.get("/health").json()
    assert body == {
        "status": "ok",
        "graph": "helpdesk",
        "models_warm": False,  # the client was not started, so neither was the warm-up
        "api_keys": True,
        "webhooks": {"servicenow": True, "jira": True, "freshservice": False},
    }
    assert SECRET not in json.dumps(body)


def test_models_warm_up_in_the_background_at_start_up(api: FakeClient) -> None:
    release = threading.Event()
    warmed: list[str] = []

    def warm() -> None:
        release.wait(5)
        warmed.append("done")

    with TestClient(create_app(lambda: api, None, warm=warm)) as http:
        assert http.get("/health").json()["models_warm"] is False  # serving while the models load
        release.set()
        for _ in range(100):
            if http.get("/health").json()["models_warm"]:
                break
            time.sleep(0.02)
        assert http.get("/health").json()["models_warm"] is True
    assert warmed == ["done"]


def test_a_failed_warm_up_is_reported_not_raised(api: FakeClient, caplog: pytest.LogCaptureFixture) -> None:
    def warm() -> None:
        raise RuntimeError("encoder cache not writable")

    with caplog.at_level(logging.ERROR), TestClient(create_app(lambda: api, None, warm=warm)) as http:
        for _ in range(250):  # until the warm-up has failed, not merely not finished yet
            if "model warm-up failed" in caplog.text:
                break
            time.sleep(0.02)
        assert "encoder cache not writable" in caplog.text
        body = http.get("/health")
        assert body.status_code == 200
        assert body.json()["models_warm"] is False
