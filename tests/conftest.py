"""Shared test settings: never trace, never write outside tmp, no network."""

from __future__ import annotations

import os

import pytest

os.environ["LANGSMITH_TRACING"] = "false"
os.environ["LANGCHAIN_TRACING_V2"] = "false"
os.environ.pop("LANGSMITH_API_KEY", None)
os.environ.pop("OPENAI_API_KEY", None)


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own store and audit log, so runs never leak into the developer's files."""
    monkeypatch.setenv("HELPDESK_STORE", f"sqlite:///{tmp_path}/helpdesk.db")
    monkeypatch.setenv("HELPDESK_AUDIT_LOG", f"{tmp_path}/audit.jsonl")
