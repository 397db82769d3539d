"""Webhook proofs and payload normalisation: what each ITSM sends becomes the graph's ticket, or a 4xx."""

from __future__ import annotations

import json

import pytest

from graph.server.signatures import jira_signature, verify_webhook
from graph.server.webhooks import PayloadError, event_id_of, parse_event

SECRET = "s3cret-for-tests"


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for platform in ("SERVICENOW", "JIRA", "FRESHSERVICE"):
        monkeypatch.setenv(f"HELPDESK_WEBHOOK_SECRET_{platform}", SECRET)


def jira_payload(event: str = "jira:issue_created", **changes: object) -> dict:
    payload = {
        "timestamp": 1763719502000,
        "webhookEvent": event,
        "issue": {
            "id": "10031",
            "key": "SUP-123",
            "fields": {
                "summary": "VPN drops every 10 minutes",
                "description": {
                    "type": "doc",
                    "version": 1,
                    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Since Monday."}]}],
                },
                "reporter": {"displayName": "Ana"},
                "priority": {"name": "High"},
            },
        },
    }
    payload.update(changes)
    return payload


def test_jira_signature_accepts_only_the_signed_body() -> None:
    body = json.dumps(jira_payload()).encode()
    good = {"x-hub-signature": jira_signature(SECRET, body)}
    assert verify_webhook("jira", good, body).ok
    tampered = verify_webhook("jira", good, body + b" ")
    assert (tampered.ok, tampered.status) == (False, 403)
    assert verify_webhook("jira", {}, body).status == 401
    assert verify_webhook("jira", {"x-hub-signature": "sha1=abc"}, body).status == 403
    other = verify_webhook("jira", {"x-hub-signature": jira_signature("other", body)}, body)
    assert other.status == 403


@pytest.mark.parametrize("platform", ["servicenow", "freshservice"])
def test_shared_secret_header_or_bearer(platform: str) -> None:
    assert verify_webhook(platform, {"x-webhook-secret": SECRET}, b"{}").ok
    assert verify_webhook(platform, {"authorization": f"Bearer {SECRET}"}, b"{}").ok
    assert verify_webhook(platform, {"x-webhook-secret": "nope"}, b"{}").status == 403
    assert verify_webhook(platform, {"authorization": f"Basic {SECRET}"}, b"{}").status == 401
    assert verify_webhook(platform, {}, b"{}").status == 401


def test_unconfigured_platform_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HELPDESK_WEBHOOK_SECRET_JIRA")
    verdict = verify_webhook("jira", {"x-hub-signature": jira_signature(SECRET, b"{}")}, b"{}")
    assert (verdict.ok, verdict.status) == (False, 403)
    assert "not configured" in verdict.reason and SECRET not in verdict.reason


def test_jira_created_becomes_a_ticket_with_adf_text() -> None:
    body = json.dumps(jira_payload()).encode()
    event = parse_event("jira", json.loads(body), body)
    assert event is not None
    assert event.kind == "created"
    assert event.ticket_key == "jira:SUP-123"
    assert event.ticket["subject"] == "VPN drops every 10 minutes"
    assert event.ticket["description"] == "Since Monday."
    assert event.ticket["extra"]["key"] == "SUP-123"
    assert event.event_id == event_id_of(body)


def test_jira_updates_reopen_only_on_a_status_leaving_done() -> None:
    reopened = jira_payload(
        "jira:issue_updated", changelog={"items": [{"field": "status", "fromString": "Done", "toString": "To Do"}]}
    )
    edited = jira_payload(
        "jira:issue_updated", changelog={"items": [{"field": "status", "fromString": "To Do", "toString": "Done"}]}
    )
    assert parse_event("jira", reopened, b"1").kind == "reopened"
    assert parse_event("jira", edited, b"2").kind == "updated"
    assert parse_event("jira", jira_payload("comment_created"), b"3") is None


def test_servicenow_display_values_and_reopen() -> None:
    payload = {
        "operation": "update",
        "previous_state": "6",
        "incident": {
            "sys_id": "9d385017c611228701d22104cc95c371",
            "number": "INC0010001",
            "short_description": "Laptop will not boot",
            "description": "Black screen after the update.",
            "caller_id": {"value": "abc", "display_value": "Ben"},
            "state": "2",
        },
    }
    event = parse_event("servicenow", payload, b"x")
    assert event.kind == "reopened"
    assert event.ticket["id"] == "INC0010001"
    assert event.ticket["requester"] == "Ben"
    assert event.ticket["extra"]["sys_id"] == "9d385017c611228701d22104cc95c371"
    assert parse_event("servicenow", {"number": "INC1", "short_description": "x"}, b"y").kind == "created"


def test_freshservice_wrapped_payload_html_and_display_id() -> None:
    payload = {
        "freshdesk_webhook": {
            "ticket_id": "#INC-266",
            "ticket_subject": "Printer jams",
            "ticket_description": "<div>Tray 2<br>jams every page</div>",
        }
    }
    event = parse_event("freshservice", payload, b"z")
    assert event.ticket["id"] == "266"
    assert event.ticket["description"] == "Tray 2\njams every page"
    assert event.ticket["extra"]["display_id"] == "#INC-266"
    assert event.kind == "created"


@pytest.mark.parametrize(
    ("platform", "payload"),
    [
        ("jira", [1, 2]),
        ("jira", {"webhookEvent": "jira:issue_created", "issue": {"fields": {}}}),
        ("servicenow", {"short_description": "no id"}),
        ("freshservice", {"subject": "no id"}),
        ("servicenow", {"number": {"nested": "object"}}),
    ],
)
def test_unusable_payloads_raise_payload_error(platform: str, payload: object) -> None:
    with pytest.raises(PayloadError):
        parse_event(platform, payload, b"")


@pytest.mark.parametrize(
    ("platform", "payload", "language"),
    [
        (
            "servicenow",
            {"incident": {"number": "INC2", "short_description": "VPN", "requester_language": "pt_BR"}},
            "pt",
        ),
        ("freshservice", {"ticket_id": "7", "subject": "vpn", "requester_language": "fr"}, "fr"),
        (
            "jira",
            {
                "webhookEvent": "jira:issue_created",
                "issue": {"key": "SUP-9", "fields": {"summary": "SAP"}},
                "requester_language": "de-DE",
            },
            "de",
        ),
        (
            "freshservice",
            {"ticket_id": "8", "subject": "vpn", "requester_language": "{{ticket.requester.language}}"},
            None,
        ),
        ("freshservice", {"ticket_id": "9", "subject": "vpn", "requester_language": "Français"}, None),
        ("servicenow", {"number": "INC3", "short_description": "vpn"}, None),
    ],
)
def test_the_requester_language_is_taken_only_as_a_language_tag(
    platform: str, payload: dict[str, object], language: str | None
) -> None:
    """An admin may add it to the webhook body; intake answers a too-short ticket in it."""
    assert parse_event(platform, payload, b"l").ticket["language"] == language
