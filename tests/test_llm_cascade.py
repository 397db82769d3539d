"""The cascade in the whole graph: an unsure local router asks the LLM; an unsure or failing LLM ends in
the uncertainty node (a person), never in a crash; every LLM request is counted on the routing decision.

`confidence_threshold=1.0` makes the local router unsure of a vague ticket, so the LLM is asked; LLM
answers come from the scripted chat model (no HTTP) or from cassettes recorded against the fake server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from graph.context import Context
from graph.runner import run_ticket
from tests.support.fake_chat import ScriptedChatModel, routing_call, scripted_llm
from tests.support.fake_openai import FakeOpenAI, Reply, rate_limited, tool_reply
from tests.support.llm_cassettes import RECORD, cassette, llm_endpoint, recorder

VAGUE = {
    "id": "LLM-CASCADE-1",
    "source": "jira",
    "subject": "Problem",
    "description": "The connection at home keeps going away every few minutes, please check.",
}
SCRIPT = {
    "cascade-invalid-category": tool_reply("LLMRouting", {"category": "plumbing", "confidence": 0.9, "reason": "x"}),
    "cascade-malformed-json": Reply(tool_name="LLMRouting", arguments='{"category": "net'),
    "cascade-rate-limited": rate_limited(retry_after_ms=20),
}
RECORDER = recorder(match_body=False)  # the prompt's ticket text is intake's business; the model names the case


def context(model: str = "openai:scripted", *, confidence_threshold: float = 1.0, **settings: Any) -> Context:
    return Context(
        model=model,
        confidence_threshold=confidence_threshold,
        review_with_interrupt=False,
        writeback_mode="dry_run",
        **settings,
    )


def ended_in_uncertainty(state: dict[str, Any]) -> bool:
    """The run escalated from the uncertainty node because routing stayed unsure, and did not crash."""
    said = [m for m in state.get("messages", []) if m["node"] == "uncertainty"]
    return (
        state["result"].get("error") is None
        and state.get("escalated") is True
        and "low_confidence" in state["escalation"]["codes"]
        and any(m["content"].startswith("escalate") for m in said)
    )


def routing_prompts(model: ScriptedChatModel) -> list[list[BaseMessage]]:
    """Lola's prompts only (a specialist with an LLM configured also asks it, to tailor its note)."""
    return [prompt for prompt in model.prompts if str(prompt[0].content).startswith("You are Lola")]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with llm_endpoint(SCRIPT) as url:
        yield url


def test_a_sure_local_router_never_asks_the_llm() -> None:
    with scripted_llm() as model:
        state = run_ticket(VAGUE, context(confidence_threshold=0.0))
    assert routing_prompts(model) == []
    assert state["routing"]["llm_calls"] == 0 and state["routing"]["model"] != "openai:scripted"


def test_the_offline_default_never_asks_the_llm() -> None:
    with scripted_llm() as model:
        state = run_ticket(VAGUE, context(model="local"))
    assert model.prompts == [] and state["routing"]["llm_calls"] == 0, "offline: not even the specialists ask"
    assert ended_in_uncertainty(state)


def test_a_sure_llm_answer_routes_to_its_specialist() -> None:
    with scripted_llm(routing_call("network", 1.0, "'connection keeps going away'")) as model:
        state = run_ticket(VAGUE, context())
    assert len(routing_prompts(model)) == 1
    routing = state["routing"]
    assert routing["category"] == "network" and routing["model"] == "openai:scripted"
    assert routing["llm_calls"] == 1 and "connection keeps going away" in routing["reason"]
    assert any(m["agent"] == "Jon" for m in state["messages"]), "the network specialist took the ticket"


def test_an_unsure_llm_answer_ends_in_the_uncertainty_node() -> None:
    with scripted_llm(routing_call("network", 0.4, "could be the line or the laptop")):
        state = run_ticket(VAGUE, context())
    assert state["routing"]["llm_calls"] == 1
    assert ended_in_uncertainty(state)


@pytest.mark.parametrize(
    ("model", "retries", "calls", "error"),
    [
        ("cascade-invalid-category", 0, 1, "unparseable answer"),
        ("cascade-malformed-json", 0, 1, "unparseable answer"),
        ("cascade-rate-limited", 2, 3, "rate limited (HTTP 429)"),
    ],
)
def test_a_failing_llm_over_http_ends_in_the_uncertainty_node(
    base_url: str, model: str, retries: int, calls: int, error: str
) -> None:
    with cassette(RECORDER, f"{model.replace('-', '_')}.yaml") as recorded:
        state = run_ticket(VAGUE, context(f"openai:{model}", llm_base_url=base_url, llm_max_retries=retries))
    assert len(recorded.requests) == calls
    assert RECORD or (recorded.all_played and recorded.play_count == calls)
    assert state["routing"]["llm_calls"] == calls
    assert error in state["routing"]["reason"]
    assert ended_in_uncertainty(state)


def test_an_llm_timeout_ends_in_the_uncertainty_node() -> None:
    server = FakeOpenAI({"cascade-slow": Reply(delay_s=5.0, content="late")})
    with server.running():
        state = run_ticket(
            VAGUE, context("openai:cascade-slow", llm_base_url=server.base_url, llm_timeout_s=0.2, llm_max_retries=0)
        )
    assert state["routing"]["llm_calls"] == 1 and "timeout" in state["routing"]["reason"]
    assert ended_in_uncertainty(state)
