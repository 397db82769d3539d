"""Call accounting for LLM requests: how many reached the endpoint, what they cost, why they failed.

The OpenAI client retries inside one `invoke` (timeouts, 429, 5xx), invisibly to LangChain, so requests
are counted by an HTTP event hook on the client (see `tools.llm.chat`) into a per-invocation counter.
Failures become a short, value-free description: exception messages may quote the server's body, and
nothing from the ticket or a key may reach a log, a note or a trace.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import openai
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable

_requests: ContextVar[list[int] | None] = ContextVar("helpdesk_llm_requests", default=None)


def count_request(_request: object) -> None:
    """`httpx` request hook: one more request sent (first try or retry) in the current invocation."""
    box = _requests.get()
    if box is not None:
        box[0] += 1


async def count_request_async(request: object) -> None:
    """The same hook for the async client."""
    count_request(request)


@dataclass
class Invocation:
    """What one `invoke_counted` did: its output (None on failure) and its cost."""

    output: Any = None
    error: str | None = None
    calls: int = 0
    usage: dict[str, int] = field(default_factory=lambda: {"input_tokens": 0, "output_tokens": 0})


def invoke_counted(
    runnable: Runnable[Any, Any],
    messages: list[BaseMessage],
    raw_message: Callable[[Any], BaseMessage | None],
) -> Invocation:
    """Invoke `runnable`, never raising; count the HTTP requests it sent and the tokens it used.

    `calls` is the number of requests that reached the endpoint, retries included (what rate limits
    and bills count). A model that does not talk HTTP (the scripted test model) counts one per invoke.
    `raw_message` picks the `AIMessage` out of the output, for its usage metadata.
    """
    box = [0]
    token = _requests.set(box)
    try:
        output = runnable.invoke(messages)
    except Exception as exc:
        return Invocation(error=describe_error(exc), calls=max(box[0], 1))
    finally:
        _requests.reset(token)
    return Invocation(output=output, calls=max(box[0], 1), usage=usage_of(raw_message(output)))


def usage_of(message: BaseMessage | None) -> dict[str, int]:
    """Input and output tokens from LangChain's usage metadata (zeros when the server sent none)."""
    meta = getattr(message, "usage_metadata", None) or {}
    return {"input_tokens": int(meta.get("input_tokens", 0)), "output_tokens": int(meta.get("output_tokens", 0))}


def describe_error(exc: BaseException) -> str:
    """A short description of an LLM failure that never quotes a body, a prompt or a key."""
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.RateLimitError):
        return "rate limited (HTTP 429)"
    if isinstance(exc, openai.APIConnectionError):
        return "connection error"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    return f"{type(exc).__name__}"
