"""The chat model a run asked for: None offline, else a `ChatOpenAI` on any OpenAI-compatible endpoint.

Every model has an explicit timeout and retry budget (`ChatOpenAI` defaults to no timeout and two
retries, and its client waits up to two minutes when a 429 asks it to; here a retry never waits longer
than one call may take), an explicit base URL and key (so the LangSmith gateway settings can never
redirect ticket text), and an HTTP hook that counts requests (see `tools.llm.calls`). One instance per
distinct settings is kept, so its connection pool is reused across tickets.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import openai
from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI

from graph.context import Context
from tools.llm.calls import count_request, count_request_async

PROVIDER = "openai"
OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
LOCAL_SERVER_KEY = "no-key-needed"
"""Sent to a custom endpoint when OPENAI_API_KEY is unset: local servers (vLLM, llama.cpp, Ollama) ignore it."""


class LLMConfigError(ValueError):
    """The run asked for an LLM that cannot be built (bad model string, no key for api.openai.com)."""


@dataclass(frozen=True)
class _Settings:
    model: str
    base_url: str
    timeout_s: float
    max_retries: int
    key_fingerprint: str


_lock = threading.Lock()
_models: dict[_Settings, ChatOpenAI] = {}
_override: BaseChatModel | None = None


def set_chat_model_override(model: BaseChatModel | None) -> None:
    """Tests only: make every LLM-enabled run use `model` (a scripted fake) instead of HTTP; None clears."""
    global _override
    _override = model


def parse_model(spec: str) -> str:
    """The model name of an `openai:<model>` setting."""
    provider, _, name = spec.partition(":")
    if provider.strip().lower() != PROVIDER or not name.strip():
        raise LLMConfigError(f"model must be 'local' or 'openai:<model>', got {spec!r}")
    return name.strip()


def chat_model(context: Context) -> BaseChatModel | None:
    """The chat model for this run, or None when it is offline (`context.model == "local"`).

    Raises `LLMConfigError` when the settings cannot give a model; callers turn that into a fallback.
    """
    spec = str(context.model or "local")
    if spec.strip().lower() == "local":
        return None
    if _override is not None:
        return _override
    name = parse_model(spec)
    try:  # settings may arrive as strings from the server API's context
        timeout_s, max_retries = float(context.llm_timeout_s), int(context.llm_max_retries)
    except (TypeError, ValueError) as exc:
        raise LLMConfigError("llm_timeout_s and llm_max_retries must be numbers") from exc
    if not (math.isfinite(timeout_s) and timeout_s > 0):
        raise LLMConfigError("llm_timeout_s must be a positive number of seconds")
    if max_retries < 0:
        raise LLMConfigError("llm_max_retries must be 0 or more")
    custom_url = str(context.llm_base_url or os.environ.get("OPENAI_BASE_URL") or "").strip() or None
    api_key = os.environ.get("OPENAI_API_KEY") or (LOCAL_SERVER_KEY if custom_url else None)
    if api_key is None:
        raise LLMConfigError("OPENAI_API_KEY is not set (or set llm_base_url for a local server)")
    settings = _Settings(
        model=name,
        base_url=(custom_url or OPENAI_DEFAULT_BASE_URL).rstrip("/"),
        timeout_s=timeout_s,
        max_retries=max_retries,
        key_fingerprint=hashlib.sha256(api_key.encode()).hexdigest(),
    )
    with _lock:
        model = _models.get(settings)
        if model is None:
            model = _models[settings] = _build(settings, api_key)
        return model


def _temperature(model: str) -> float | None:
    """0 for repeatable routing; None (the server default) for OpenAI's o-series, which reject any other value."""
    return None if re.match(r"o\d", model.lower()) else 0.0


def _retry_after_s(headers: Mapping[str, str]) -> float:
    """The wait a response asks for (`retry-after-ms`, `retry-after` seconds or date); 0 when none."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return float(headers[name]) * scale
        except (KeyError, ValueError):
            continue
    try:
        return parsedate_to_datetime(headers["retry-after"]).timestamp() - time.time()
    except (KeyError, TypeError, ValueError):
        return 0.0


def _retry_wait_guard(budget_s: float) -> tuple[Callable[[Any], None], Callable[[Any], Awaitable[None]]]:
    """Response hooks refusing a retry whose requested wait exceeds `budget_s`.

    The OpenAI client honours `Retry-After` up to two minutes per retry, which would stall a ticket far past
    its timeout; a server that busy gets no retry (`x-should-retry: false`) and the ticket goes to a person.
    """

    def guard(response: Any) -> None:
        if _retry_after_s(response.headers) > budget_s:
            response.headers["x-should-retry"] = "false"

    async def guard_async(response: Any) -> None:
        guard(response)

    return guard, guard_async


def _build(settings: _Settings, api_key: str) -> ChatOpenAI:
    """A deterministic Chat Completions client with the run's timeout, retries and request counting.

    A retry never waits longer than one call may take (`timeout_s`), so the worst case of one invoke is
    bounded by about `(max_retries + 1) * timeout_s` plus as many waits of at most `timeout_s`.
    """
    guard, guard_async = _retry_wait_guard(settings.timeout_s)
    return ChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        api_key=api_key,
        timeout=settings.timeout_s,
        max_retries=settings.max_retries,
        temperature=_temperature(settings.model),
        use_responses_api=False,
        http_client=openai.DefaultHttpxClient(event_hooks={"request": [count_request], "response": [guard]}),
        http_async_client=openai.DefaultAsyncHttpxClient(
            event_hooks={"request": [count_request_async], "response": [guard_async]}
        ),
    )
