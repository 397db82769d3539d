"""The sandboxes keep the platforms' contracts, over real HTTP (CONTRACTS.md is the reference)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from tools.itsm.sandbox import SandboxHandle, start_sandbox_in_process
from tools.itsm.sandbox.faults import FAULT_WEIGHTS, FaultInjector
from tools.itsm.sandbox.freshservice import API_KEY
from tools.itsm.sandbox.jira import API_TOKEN, EMAIL
from tools.itsm.sandbox.servicenow import PASSWORD, READONLY_USER, USER
from tools.itsm.specs import schema_problems

JSON = {"Accept": "application/json", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox_in_process() as handle:
        yield handle


@pytest.fixture
def sn(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url + "/servicenow", auth=(USER, PASSWORD), headers=JSON) as client:
        yield client


@pytest.fixture
def jira(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url + "/jira", auth=(EMAIL, API_TOKEN), headers=JSON) as client:
        yield client


@pytest.fixture
def fs(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url + "/freshservice", auth=(API_KEY, "X"), headers=JSON) as client:
        yield client


def _sys_id(sn: httpx.Client, number: str) -> str:
    rows = sn.get("/api/now/v2/table/incident", params={"sysparm_query": f"number={number}"}).json()["result"]
    return rows[0]["sys_id"]


def test_servicenow_auth_and_headers(sandbox: SandboxHandle, sn: httpx.Client) -> None:
    anonymous = httpx.get(sandbox.base_url + "/servicenow/api/now/v2/table/incident")
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "error": {"message": "User Not Authenticated", "detail": "Required to provide Auth information"},
        "status": "failure",
    }
    sys_id = _sys_id(sn, "INC0000101")
    no_type = sn.patch(
        f"/api/now/v2/table/incident/{sys_id}", content=b'{"work_notes": "x"}', headers={"Content-Type": ""}
    )
    assert no_type.status_code == 400
    assert sn.get("/api/now/v2/table/incident/0" * 1).status_code == 404


def test_servicenow_journal_append_semantics(sn: httpx.Client) -> None:
    sys_id = _sys_id(sn, "INC0000102")
    for _ in range(2):
        answer = sn.patch(f"/api/now/v2/table/incident/{sys_id}", json={"work_notes": "same text"})
        assert answer.status_code == 200
        assert answer.json()["result"]["work_notes"] == ""  # journal fields read back empty on the record
    query = f"element_id={sys_id}^element=work_notes"
    rows = sn.get("/api/now/v2/table/sys_journal_field", params={"sysparm_query": query}).json()["result"]
    assert [r["value"] for r in rows] == ["same text", "same text"]  # writing twice appends twice
    rendered = sn.get(f"/api/now/v2/table/incident/{sys_id}", params={"sysparm_display_value": "true"}).json()
    assert rendered["result"]["work_notes"].count("same text") == 2


def test_servicenow_resolve_without_close_code_is_a_data_policy_403(sn: httpx.Client) -> None:
    sys_id = _sys_id(sn, "INC0000103")
    url = f"/api/now/v2/table/incident/{sys_id}"
    missing = sn.patch(url, json={"state": "6"})
    assert missing.status_code == 403
    assert "Data Policy Exception" in missing.json()["error"]["detail"]
    assert "Resolution code" in missing.json()["error"]["detail"]
    unknown_code = sn.patch(url, json={"state": "6", "close_code": "Fixed it", "close_notes": "n"})
    assert unknown_code.status_code == 403  # a close code outside the choice list is silently dropped
    assert sn.get(url, params={"sysparm_fields": "state"}).json()["result"]["state"] == "1"
    valid = sn.patch(url, json={"state": "6", "close_code": "Solution provided", "close_notes": "n"})
    assert valid.status_code == 200 and valid.json()["result"]["state"] == "6"


def test_servicenow_read_only_user_gets_an_acl_403(sandbox: SandboxHandle, sn: httpx.Client) -> None:
    sys_id = _sys_id(sn, "INC0000104")
    answer = httpx.patch(
        f"{sandbox.base_url}/servicenow/api/now/v2/table/incident/{sys_id}",
        json={"work_notes": "x"},
        auth=(READONLY_USER, PASSWORD),
        headers=JSON,
    )
    assert answer.status_code == 403
    assert "ACL" in answer.json()["error"]["detail"]


def test_jira_validates_bodies_against_the_openapi_document(sandbox: SandboxHandle, jira: httpx.Client) -> None:
    assert httpx.get(sandbox.base_url + "/jira/rest/api/3/issue/OPS-1").status_code == 401
    jira.get("/rest/api/3/issue/OPS-1")
    bad = jira.post("/rest/api/3/issue/OPS-1/comment", json={"body": "plain text is v2, not v3"})
    assert bad.status_code == 400
    assert schema_problems("jira", "ErrorCollection", bad.json()) == []
    bad_visibility = jira.post(
        "/rest/api/3/issue/OPS-1/comment",
        json={"body": {"type": "doc", "version": 1, "content": []}, "visibility": {"type": "team", "value": "x"}},
    )
    assert bad_visibility.status_code == 400
    good = jira.post("/rest/api/3/issue/OPS-1/comment", json={"body": {"type": "doc", "version": 1, "content": []}})
    assert good.status_code == 201 and good.json()["jsdPublic"] is True


def test_jira_transition_ids_are_workflow_specific(jira: httpx.Client) -> None:
    ids = {}
    for key in ("ALPHA-1", "BETA-1"):
        jira.get(f"/rest/api/3/issue/{key}")
        listing = jira.get(f"/rest/api/3/issue/{key}/transitions").json()["transitions"]
        ids[key] = {t["to"]["name"]: t["id"] for t in listing}
    assert ids["ALPHA-1"]["In Progress"] != ids["BETA-1"]["In Progress"]
    wrong = jira.post(
        "/rest/api/3/issue/ALPHA-1/transitions", json={"transition": {"id": ids["BETA-1"]["In Progress"]}}
    )
    assert wrong.status_code == 400
    assert schema_problems("jira", "ErrorCollection", wrong.json()) == []
    right = jira.post(
        "/rest/api/3/issue/ALPHA-1/transitions", json={"transition": {"id": ids["ALPHA-1"]["In Progress"]}}
    )
    assert right.status_code == 204
    assert jira.get("/rest/api/3/issue/ALPHA-1").json()["fields"]["status"]["name"] == "In Progress"


def test_jsm_internal_comment_is_not_public(jira: httpx.Client) -> None:
    jira.get("/rest/api/3/issue/DESK-1")
    created = jira.post("/rest/servicedeskapi/request/DESK-1/comment", json={"body": "agents only", "public": False})
    assert created.status_code == 201 and created.json()["public"] is False
    listed = jira.get("/rest/api/3/issue/DESK-1/comment").json()["comments"]
    assert listed[-1]["jsdPublic"] is False
    internal = jira.get("/rest/servicedeskapi/request/DESK-1/comment", params={"public": "false"}).json()
    assert [v["body"] for v in internal["values"]] == ["agents only"]


def test_freshservice_error_schema_and_content_type(sandbox: SandboxHandle, fs: httpx.Client) -> None:
    denied = httpx.get(sandbox.base_url + "/freshservice/api/v2/tickets/5", auth=("wrong", "X"))
    assert denied.status_code == 401 and denied.json()["code"] == "invalid_credentials"
    fs.get("/api/v2/tickets/5")
    invalid = fs.put("/api/v2/tickets/5", json={"status": 9})
    assert invalid.status_code == 400
    assert schema_problems("freshservice", "BadRequest", invalid.json()) == []
    assert invalid.json()["errors"][0] == {
        "field": "status",
        "message": "It should be one of these values: '2,3,4,5'",
        "code": "invalid_value",
    }
    xml = fs.post("/api/v2/tickets/5/notes", content=b"<note/>", headers={"Content-Type": "application/xml"})
    assert xml.status_code == 415
    note = fs.post("/api/v2/tickets/5/notes", json={"body": "<div>hi &amp; bye</div>", "private": True})
    assert note.status_code == 201 and note.headers["Location"].endswith(str(note.json()["conversation"]["id"]))
    assert note.json()["conversation"]["body_text"] == "hi & bye"


def test_freshservice_conversations_are_paged_by_30(fs: httpx.Client) -> None:
    fs.get("/api/v2/tickets/6")
    for i in range(31):
        fs.post("/api/v2/tickets/6/notes", json={"body": f"<div>n{i}</div>"})
    first = fs.get("/api/v2/tickets/6/conversations").json()["conversations"]
    second = fs.get("/api/v2/tickets/6/conversations", params={"page": 2}).json()["conversations"]
    assert (len(first), len(second)) == (30, 1)


def test_rate_limits_carry_each_platforms_headers() -> None:
    limits = {"servicenow": (2, 3600.0), "jira": (2, 60.0), "freshservice": (2, 60.0)}
    with start_sandbox_in_process(rate_limits=limits) as handle:
        base = handle.base_url
        sn = [httpx.get(f"{base}/servicenow/api/now/v2/table/incident", auth=(USER, PASSWORD)) for _ in range(3)]
        assert sn[0].headers["X-RateLimit-Limit"] == "2" and "X-RateLimit-Rule" in sn[0].headers
        assert sn[2].status_code == 429 and int(sn[2].headers["Retry-After"]) >= 1
        assert int(sn[2].headers["X-RateLimit-Reset"]) > datetime.now(UTC).timestamp() - 1  # unix seconds
        js = [httpx.get(f"{base}/jira/rest/api/3/issue/RL-1", auth=(EMAIL, API_TOKEN)) for _ in range(3)]
        assert js[2].status_code == 429 and js[2].headers["RateLimit-Reason"] == "jira-burst-based"
        datetime.strptime(js[2].headers["X-RateLimit-Reset"], "%Y-%m-%dT%H:%MZ")  # ISO 8601, minute precision
        assert js[1].headers["X-RateLimit-NearLimit"] == "true"
        fr = [httpx.get(f"{base}/freshservice/api/v2/tickets/1", auth=(API_KEY, "X")) for _ in range(3)]
        assert [r.headers["X-RateLimit-Remaining"] for r in fr] == ["1", "0", "0"]
        assert fr[2].status_code == 429 and "Retry-After" in fr[2].headers


def test_fault_draws_are_seeded_and_cover_every_kind() -> None:
    first, second = FaultInjector(0.5, seed=3), FaultInjector(0.5, seed=3)
    draws = [first.draw("jira") for _ in range(2000)]
    assert draws == [second.draw("jira") for _ in range(2000)]
    assert set(first.injected) == set(FAULT_WEIGHTS)
    assert 0.4 < sum(d is not None for d in draws) / len(draws) < 0.75  # bursts add 429s on top of the rate
    assert FaultInjector(0.0, seed=3).draw("jira") is None


def test_injected_faults_are_what_clients_see() -> None:
    with start_sandbox_in_process(faults=1.0, seed=1, timeout_s=0.2) as handle:
        seen: set[str] = set()
        with httpx.Client(auth=(API_KEY, "X"), timeout=0.2) as client:
            for _ in range(60):
                try:
                    seen.add(str(client.get(f"{handle.base_url}/freshservice/api/v2/tickets/1").status_code))
                except httpx.TimeoutException:
                    seen.add("timeout")
                except httpx.TransportError:
                    seen.add("reset")
    assert {"429", "500", "503", "timeout", "reset"} <= seen
