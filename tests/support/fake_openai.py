"""A tiny OpenAI-compatible server for offline tests: `POST /v1/chat/completions` with scripted replies.

The reply is chosen by the request's `model` name, so one server can play a valid answer, an answer
that fails to parse, a slow answer and a 429 side by side. It runs with uvicorn on a free 127.0.0.1
port in a background thread and records the bodies it received, so tests can count requests.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a tool call, plain content, or an error status, optionally after a delay."""

    tool_name: str | None = None
    arguments: str | None = None  # the tool call's JSON arguments, verbatim (may be deliberately broken)
    content: str | None = None
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def tool_reply(name: str, arguments: Mapping[str, Any]) -> Reply:
    """A well-formed tool call with `arguments`."""
    return Reply(tool_name=name, arguments=json.dumps(arguments))


def rate_limited(retry_after_ms: int = 20) -> Reply:
    """A 429 as OpenAI sends it: error body plus `retry-after-ms` and `retry-after` headers."""
    return Reply(
        status=429,
        headers={"retry-after-ms": str(retry_after_ms), "retry-after": str(max(1, retry_after_ms // 1000))},
    )


class FakeOpenAI:
    """Scripted chat-completions server. `script` maps a model name to a reply or a sequence of replies
    (played in order, the last one repeating)."""

    def __init__(self, script: Mapping[str, Reply | Sequence[Reply]]) -> None:
        self._script = {m: [r] if isinstance(r, Reply) else list(r) for m, r in script.items()}
        self._played: dict[str, int] = {}
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.base_url = ""
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])])
        self._server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1, lifespan="off")
        )

    async def _handle(self, request: Request) -> JSONResponse:
        self.paths.append(request.url.path)
        if request.method != "POST" or request.url.path != "/v1/chat/completions":
            return JSONResponse({"error": {"message": "not found", "type": "invalid_request_error"}}, 404)
        body = await request.json()
        self.requests.append(body)
        model = body.get("model", "")
        replies = self._script.get(model)
        if not replies:
            return JSONResponse({"error": {"message": f"unknown model {model}", "code": "model_not_found"}}, 404)
        index = self._played.get(model, 0)
        self._played[model] = index + 1
        reply = replies[min(index, len(replies) - 1)]
        deadline = time.monotonic() + reply.delay_s
        while time.monotonic() < deadline and not self._server.should_exit:
            await asyncio.sleep(0.02)  # in steps, so that stopping the server never waits for a slow reply
        if reply.status != 200:
            error = {"message": "Rate limit reached" if reply.status == 429 else "error", "type": "requests"}
            return JSONResponse({"error": error}, reply.status, headers=dict(reply.headers))
        return JSONResponse(_completion(model, body, reply), headers=dict(reply.headers))

    @contextmanager
    def running(self) -> Iterator[FakeOpenAI]:
        """Serve on a free loopback port for the duration of the block."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
        thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("fake OpenAI server did not start")
            time.sleep(0.01)
        try:
            yield self
        finally:
            self._server.should_exit = True
            thread.join(timeout=5)
            sock.close()


def _completion(model: str, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    """A `chat.completion` object with a deterministic usage count."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    finish = "stop"
    if reply.tool_name is not None:
        message["tool_calls"] = [
            {
                "id": "call_0001",
                "type": "function",
                "function": {"name": reply.tool_name, "arguments": reply.arguments or "{}"},
            }
        ]
        finish = "tool_calls"
    prompt_words = sum(len(str(m.get("content") or "").split()) for m in body.get("messages", []))
    completion_words = len((reply.content or reply.arguments or "").split())
    return {
        "id": "chatcmpl-fake0001",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt_words,
            "completion_tokens": completion_words,
            "total_tokens": prompt_words + completion_words,
        },
    }
