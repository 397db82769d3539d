"""The reopened-ticket signal from a webhook lands in the store, and a store failure never fails the webhook."""

from __future__ import annotations

import logging

import pytest

from graph.server.feedback import record_reopened
from graph.server.webhooks import WebhookEvent

EVENT = WebhookEvent("jira", "reopened", {"id": "SUP-5", "source": "jira"}, "e1")


async def test_unknown_ticket_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="graph.server.feedback"):
        await record_reopened(EVENT)
    assert "not in the store yet" in caplog.text


async def test_broken_store_is_a_warning(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("HELPDESK_STORE", "mysql://user:hunter2@nowhere/db")
    await record_reopened(EVENT)
    assert "not recorded" in caplog.text and "hunter2" not in caplog.text


async def test_known_ticket_gets_rejected_feedback(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []

    def fake(self: object, ticket_id: str, source: str) -> bool:
        calls.append((ticket_id, source))
        return True

    monkeypatch.setattr("tools.store.store.Store.record_reopened", fake)
    await record_reopened(EVENT)
    assert calls == [("SUP-5", "jira")]
