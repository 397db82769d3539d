"""The client layer replayed from recorded sandbox sessions (vcrpy, record_mode "none": an unrecorded
or changed request fails loudly, bodies included). Re-record with HELPDESK_RECORD_CASSETTES=1."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import vcr

from tests.test_itsm_support import fast
from tools.itsm.freshservice import FreshserviceClient
from tools.itsm.jira import JiraClient
from tools.itsm.models import PlannedWrite
from tools.itsm.sandbox import sandbox_env, start_sandbox_in_process
from tools.itsm.servicenow import ServiceNowClient
from tools.itsm.settings import ItsmSettings

CASSETTES = Path(__file__).resolve().parent / "cassettes" / "itsm"
RECORD = os.environ.get("HELPDESK_RECORD_CASSETTES") == "1"
HOST = "http://sandbox.test"
NOTE = PlannedWrite("internal_note", body="Cleared the Outlook search index; it rebuilds within an hour.")


def _stable_host(request: vcr.request.Request) -> vcr.request.Request:
    request.uri = re.sub(r"^http://127\.0\.0\.1:\d+", HOST, request.uri)
    return request


@contextmanager
def session(name: str) -> Iterator[ItsmSettings]:
    """Settings pointing at a live sandbox while recording, at the recorded host while replaying."""
    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="all" if RECORD else "none",
        filter_headers=["authorization", "host"],
        before_record_request=_stable_host,
        match_on=["method", "scheme", "host", "port", "path", "query", "body"],
    )
    if RECORD:
        with start_sandbox_in_process() as sandbox, recorder.use_cassette(f"{name}.yaml"):
            yield fast(sandbox.settings)
    else:
        with recorder.use_cassette(f"{name}.yaml"):
            yield fast(ItsmSettings.from_env(sandbox_env(HOST)))


def test_servicenow_client_session() -> None:
    with session("servicenow") as settings, ServiceNowClient.from_settings(settings) as client:
        sys_id = client.resolve({"id": "INC0030001"})
        assert re.fullmatch(r"[0-9a-f]{32}", sys_id)
        spec = client.plan(sys_id, "INC0030001", NOTE)
        assert spec.request is not None and spec.request.json == {"work_notes": spec.text}
        assert client.count(sys_id, spec) == 0
        assert client.send(spec.request).json()["result"]["sys_id"] == sys_id
        assert [e.field for e in client.find(sys_id, spec.marker)] == ["work_notes"]
        status = client.plan(sys_id, "INC0030001", PlannedWrite("set_status", status="in_progress"))
        assert client.count(sys_id, status) == 0
        client.send(client.prepare(sys_id, status))
        assert client.count(sys_id, status) == 1


def test_jira_client_session() -> None:
    with session("jira") as settings:
        platform = settings.model_copy(update={"jira": settings.jira.model_copy(update={"service_desk": False})})
        with JiraClient.from_settings(platform) as client:
            key = client.resolve({"id": "OPS-42"})
            spec = client.plan(key, "OPS-42", NOTE)
            assert spec.request is not None and spec.request.json["body"]["type"] == "doc"
            assert client.send(spec.request).status_code == 201
            assert client.count(key, spec) == 1
            status = client.plan(key, "OPS-42", PlannedWrite("set_status", status="in_progress"))
            transition = client.prepare(key, status)
            assert transition.json == {"transition": {"id": transition.json["transition"]["id"]}}  # type: ignore[index]
            assert client.send(transition).status_code == 204
            assert client.status_name(key) == "In Progress"
        with JiraClient.from_settings(settings) as desk:
            internal = desk.plan(key, "OPS-42", PlannedWrite("internal_note", body="Agents only: user on VPN v4."))
            assert internal.request is not None and internal.request.json["public"] is False  # type: ignore[index]
            desk.send(internal.request)
            assert desk.count(key, internal) == 1


def test_freshservice_client_session() -> None:
    with session("freshservice") as settings, FreshserviceClient.from_settings(settings) as client:
        ref = client.resolve({"id": "INC-4242"})
        assert ref == "4242"
        spec = client.plan(ref, "INC-4242", NOTE)
        assert spec.request is not None and spec.request.json["private"] is True  # type: ignore[index]
        created = client.send(spec.request)
        assert created.status_code == 201 and "Location" in created.headers
        assert [e.field for e in client.find(ref, spec.marker)] == ["note"]
        pending = client.plan(ref, "INC-4242", PlannedWrite("set_status", status="pending_info"))
        assert client.send(client.prepare(ref, pending)).json()["ticket"]["status"] == 3
        assert client.count(ref, pending) == 1
