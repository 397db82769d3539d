"""Lola's second opinion: an LLM classifies a ticket the embedded router was unsure about.

Structured output uses `method="function_calling"` on purpose: the forced tool call is what most
OpenAI-compatible servers (vLLM, llama.cpp, Ollama, LiteLLM) implement, whereas `json_schema` needs
`response_format` support and silently yields None when a server answers with a tool call instead. With
`include_raw=True` a malformed answer comes back as `parsing_error` instead of an exception; every failure
(config, timeout, 429, connection, parse) becomes `.error` so the caller falls back to the uncertainty node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field, ValidationError

from graph.context import Context
from graph.schemas import describe_validation_error
from graph.state import Category
from tools.llm.calls import invoke_counted
from tools.llm.chat import LLMConfigError, chat_model
from tools.llm.prompting import framed_ticket, prompt
from tools.screening import redact

MAX_REASON_CHARS = 300


class LLMRouting(BaseModel):
    """Route one IT ticket to the team that owns it, with your calibrated confidence and the deciding words."""

    category: Category = Field(description="network, software_cloud, hardware or out_of_scope (a person).")
    confidence: float = Field(ge=0.0, le=1.0, description="Probability from 0.0 to 1.0 that the category is right.")
    reason: str = Field(min_length=1, description="One sentence naming the ticket's words that decided it.")


@dataclass
class RoutingResult:
    """The LLM's decision (None on any failure), why it failed, and what it cost."""

    decision: LLMRouting | None
    error: str | None
    calls: int = 0
    usage: dict[str, int] = field(default_factory=lambda: {"input_tokens": 0, "output_tokens": 0})


def classify_ticket(text: str, language: str | None, context: Context) -> RoutingResult:
    """Ask the configured LLM for a category; never raises. `text` must already be masked of secrets."""
    try:
        model = chat_model(context)
    except LLMConfigError as exc:
        return RoutingResult(None, f"LLM not usable: {exc}")
    except Exception as exc:  # the client library refused the settings
        return RoutingResult(None, f"LLM not usable: {type(exc).__name__}")
    if model is None:
        return RoutingResult(None, "no LLM configured (model is 'local')")
    try:
        structured = model.with_structured_output(LLMRouting, method="function_calling", include_raw=True)
    except Exception as exc:  # a model without tool calling cannot give structured output
        return RoutingResult(None, f"model cannot give structured output: {type(exc).__name__}")
    messages = [
        SystemMessage(prompt("route_system")),
        HumanMessage(f"Detected language: {language or 'unknown'}\n{framed_ticket(text)}"),
    ]
    run = invoke_counted(structured, messages, raw_message=lambda out: out.get("raw"))
    if run.error is not None:
        return RoutingResult(None, run.error, run.calls, run.usage)
    decision, error = _parsed(run.output)
    return RoutingResult(decision, error, run.calls, run.usage)


def _parsed(output: dict[str, Any]) -> tuple[LLMRouting | None, str | None]:
    """The decision from `include_raw` output, with the reason masked and bounded, or why there is none."""
    problem = output.get("parsing_error")
    if problem is not None:
        detail = describe_validation_error(problem) if isinstance(problem, ValidationError) else type(problem).__name__
        return None, f"unparseable answer: {detail}"
    parsed = output.get("parsed")
    if not isinstance(parsed, LLMRouting):
        if getattr(output.get("raw"), "invalid_tool_calls", None):
            return None, "unparseable answer: the tool call's arguments are not valid JSON"
        return None, "no structured answer: the model did not call the routing tool"
    reason = " ".join(redact(parsed.reason).split())[:MAX_REASON_CHARS]
    return parsed.model_copy(update={"reason": reason}), None
