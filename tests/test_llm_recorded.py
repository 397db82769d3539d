"""The LLM paths over real HTTP, replayed from cassettes recorded against the local fake OpenAI server.

The whole request body must match its cassette, so a changed prompt, an extra retry or a stray request
fails loudly (see `tests.support.llm_cassettes` to re-record). A slow answer cannot be replayed, so the
timeout and connection cases run live against the fake server.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from langchain_core.tracers.langchain import wait_for_all_tracers

from graph.context import Context
from tests.support.fake_openai import FakeOpenAI, Reply, rate_limited, tool_reply
from tests.support.llm_cassettes import CANONICAL_HOST, CASSETTES, RECORD, cassette, llm_endpoint, recorder
from tools.llm.route import classify_ticket
from tools.llm.tailor import tailor, tailor_note

TICKET = "Since this morning the VPN drops every few minutes when I work from home. Wi-Fi itself is fine."

ARTICLE: dict[str, Any] = {
    "id": "NET-002",
    "title": {"en": "Websites do not load: DNS resolution fails", "de": "Webseiten laden nicht: DNS-Auflösung"},
    "symptoms": ["Websites time out while the connection is up", "Names do not resolve"],
    "diagnostics": ["Run `nslookup intranet.example.com` and note the server that answers"],
    "steps": [
        {"en": "Run `ipconfig /flushdns` in a Command Prompt.", "de": "Führen Sie `ipconfig /flushdns` aus."},
        {"en": "Restart the browser and open the site again.", "de": "Starten Sie den Browser neu."},
        {"en": "Disconnect and reconnect the VPN client.", "de": "Trennen Sie den VPN-Client und verbinden Sie neu."},
    ],
    "escalate": "Escalate to the network team when several users are affected.",
    "keywords": {"en": ["dns", "website"], "de": ["dns", "webseite"]},
}
DRAFT = (
    "Hello,\n"
    "please try these steps:\n"
    "1. Run `ipconfig /flushdns` in a Command Prompt.\n"
    "2. Restart the browser and open the site again.\n"
    "3. Disconnect and reconnect the VPN client.\n"
    "Source: knowledge article NET-002."
)
GROUNDED_NOTE = (
    "Hello,\n"
    "as websites stop loading while the VPN is up, the name resolution is the likely cause.\n"
    "1. Disconnect and reconnect the VPN client.\n"
    "2. Run `ipconfig /flushdns` in a Command Prompt.\n"
    "3. Restart the browser and open the site again.\n"
    "Source: knowledge article NET-002."
)
INVENTED_COMMAND_NOTE = (
    "Hello,\n"
    "1. Run `ipconfig /registerdns` in a Command Prompt.\n"
    "2. Restart the browser and open the site again.\n"
    "Source: knowledge article NET-002."
)

SCRIPT = {
    "route-valid": tool_reply(
        "LLMRouting", {"category": "network", "confidence": 0.93, "reason": "'VPN drops' while Wi-Fi works"}
    ),
    "route-invalid-category": tool_reply(
        "LLMRouting", {"category": "plumbing", "confidence": 0.9, "reason": "the pipes"}
    ),
    "route-malformed-json": Reply(tool_name="LLMRouting", arguments='{"category": "network", "confid'),
    "route-no-tool-call": Reply(content="It is probably a network problem."),
    "route-rate-limited": rate_limited(retry_after_ms=20),
    "tailor-grounded": Reply(content=GROUNDED_NOTE),
    "tailor-invented-command": Reply(content=INVENTED_COMMAND_NOTE),
}


RECORDER = recorder(match_body=True)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with llm_endpoint(SCRIPT) as url:
        yield url


def ctx(base_url: str, model: str, *, llm_max_retries: int = 0, llm_timeout_s: float = 5.0) -> Context:
    return Context(
        model=f"openai:{model}", llm_base_url=base_url, llm_max_retries=llm_max_retries, llm_timeout_s=llm_timeout_s
    )


def _replayed(recorded: Any, requests: int) -> None:
    """Every recorded interaction was played (replay) or recorded (record), and nothing else."""
    assert len(recorded.requests) == requests
    if not RECORD:
        assert recorded.all_played and recorded.play_count == requests


def test_a_valid_answer_is_the_decision_with_its_cost(base_url: str) -> None:
    with cassette(RECORDER, "route_valid.yaml") as recorded:
        result = classify_ticket(TICKET, "en", ctx(base_url, "route-valid"))
    assert result.error is None and result.decision is not None
    assert result.decision.category == "network"
    assert result.decision.confidence == pytest.approx(0.93)
    assert "VPN drops" in result.decision.reason
    assert result.calls == 1
    assert result.usage["input_tokens"] > 100 and result.usage["output_tokens"] > 0
    _replayed(recorded, 1)
    body = recorded.requests[0].body.decode()
    assert "<<<TICKET" in body and "TICKET>>>" in body and "untrusted data" in body
    assert '"tool_choice"' in body and "LLMRouting" in body, "structured output is a forced tool call"


@pytest.mark.parametrize(
    ("model", "error"),
    [
        ("route-invalid-category", "unparseable answer: category"),
        ("route-malformed-json", "unparseable answer: the tool call's arguments are not valid JSON"),
        ("route-no-tool-call", "no structured answer"),
    ],
)
def test_an_answer_that_fails_to_parse_is_an_error_not_a_crash(base_url: str, model: str, error: str) -> None:
    with cassette(RECORDER, f"{model.replace('-', '_')}.yaml") as recorded:
        result = classify_ticket(TICKET, "en", ctx(base_url, model))
    assert result.decision is None
    assert result.error is not None and result.error.startswith(error)
    assert result.calls == 1
    _replayed(recorded, 1)


def test_429_ends_in_an_error_after_the_bounded_retries(base_url: str) -> None:
    with cassette(RECORDER, "route_rate_limited.yaml") as recorded:
        result = classify_ticket(TICKET, "en", ctx(base_url, "route-rate-limited", llm_max_retries=2))
    assert result.decision is None
    assert result.error == "rate limited (HTTP 429)"
    assert result.calls == 3, "one request and exactly llm_max_retries retries"
    _replayed(recorded, 3)


def test_a_grounded_tailored_note_is_kept(base_url: str) -> None:
    with cassette(RECORDER, "tailor_grounded.yaml") as recorded:
        result = tailor(ARTICLE, TICKET, "en", DRAFT, ctx(base_url, "tailor-grounded"))
    assert result.error is None
    assert result.note == GROUNDED_NOTE
    assert result.calls == 1 and result.usage["output_tokens"] > 0
    _replayed(recorded, 1)
    body = recorded.requests[0].body.decode()
    assert "NET-002" in body and "Restart the browser" in body and "<<<TICKET" in body


def test_a_note_with_an_invented_command_is_rejected(base_url: str) -> None:
    with cassette(RECORDER, "tailor_invented_command.yaml") as recorded:
        context = ctx(base_url, "tailor-invented-command")
        result = tailor(ARTICLE, TICKET, "en", DRAFT, context)
    assert result.note is None
    assert result.error is not None and "command" in result.error
    assert result.calls == 1
    _replayed(recorded, 1)


def test_tailor_note_falls_back_to_none_when_rejected(base_url: str) -> None:
    with cassette(RECORDER, "tailor_invented_command.yaml"):
        assert tailor_note(ARTICLE, TICKET, "en", DRAFT, ctx(base_url, "tailor-invented-command")) is None


def test_cassettes_hold_no_credentials_and_only_chat_completions() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) >= 7
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "authorization" not in text.lower() and "bearer" not in text.lower()
        assert "127.0.0.1" not in text and "user-agent" not in text.lower(), "only canonical hosts and headers"
        for interaction in yaml.safe_load(text)["interactions"]:
            assert interaction["request"]["uri"] == f"{CANONICAL_HOST}/v1/chat/completions"


def test_a_slow_answer_times_out_live_against_the_fake_server() -> None:
    server = FakeOpenAI({"route-slow": Reply(delay_s=5.0, content="late")})
    with server.running():
        started = time.monotonic()
        result = classify_ticket(TICKET, "en", ctx(server.base_url, "route-slow", llm_timeout_s=0.2, llm_max_retries=1))
        elapsed = time.monotonic() - started
    assert result.decision is None and result.error == "timeout"
    assert result.calls == 2 and len(server.requests) == 2
    assert elapsed < 3.0, "the client timeout, not the server, ended the wait"


def test_a_refused_connection_is_an_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = classify_ticket(TICKET, "en", ctx(f"http://127.0.0.1:{port}/v1", "any-model"))
    assert result.decision is None and result.error == "connection error"
    assert result.calls == 1


def test_no_tracing_traffic_leaves_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a LangSmith endpoint and key configured but tracing off, only the LLM request is sent."""
    server = FakeOpenAI(SCRIPT)
    with server.running():
        monkeypatch.setenv("LANGSMITH_ENDPOINT", server.base_url.removesuffix("/v1"))
        monkeypatch.setenv("LANGSMITH_API_KEY", "ls-test-not-real")
        result = classify_ticket(TICKET, "en", ctx(server.base_url, "route-valid"))
        wait_for_all_tracers()
    assert result.decision is not None
    assert server.paths == ["/v1/chat/completions"], "a tracer posted runs (is LANGSMITH_TRACING on?)"


def test_a_429_asking_for_a_long_wait_is_not_retried() -> None:
    """The client would sleep up to two minutes per retry; a wait beyond one call's timeout is refused."""
    server = FakeOpenAI({"route-busy": Reply(status=429, headers={"retry-after": "30"})})
    with server.running():
        started = time.monotonic()
        result = classify_ticket(TICKET, "en", ctx(server.base_url, "route-busy", llm_timeout_s=1.0, llm_max_retries=2))
        elapsed = time.monotonic() - started
    assert result.error == "rate limited (HTTP 429)"
    assert result.calls == 1 and len(server.requests) == 1
    assert elapsed < 2.0
