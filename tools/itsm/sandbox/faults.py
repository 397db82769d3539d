"""Fault injection, rate limiting and authentication in front of each sandbox API (one ASGI gate each).

Per request, in order: authentication (the platform's 401), the platform's rate limit (fixed window, its
real headers on every answer), then, with probability `faults` from a seeded generator, one fault:
a 429 burst, 500, 503, a hang beyond the client timeout (the request is processed late), a connection
reset before processing, a slow answer, or a write that is processed but whose answer is lost.
The request body is buffered first so a request processed after the client gave up still has it.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FaultKind = Literal["rate_limit", "error_500", "error_503", "timeout", "reset", "slow", "lost_response"]
FAULT_WEIGHTS: dict[FaultKind, float] = {
    "rate_limit": 0.2,
    "error_500": 0.12,
    "error_503": 0.12,
    "timeout": 0.12,
    "reset": 0.12,
    "slow": 0.12,
    "lost_response": 0.2,
}


@dataclass(frozen=True)
class SandboxConfig:
    """How hostile the sandbox is. `hang_s` should exceed the clients' read timeout."""

    faults: float = 0.0
    seed: int = 0
    slow_s: float = 0.05
    hang_s: float = 2.0
    retry_after_s: int = 1
    rate_limits: dict[str, tuple[int, float]] = field(default_factory=dict)
    """platform -> (requests, window seconds); absent: no limit (ServiceNow's default: no rule)."""


@dataclass
class RateState:
    limit: int
    remaining: int
    reset_at: float
    exceeded: bool


class FixedWindow:
    def __init__(self, limit: int, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self.start, self.used = time.time(), 0
        self.lock = threading.Lock()

    def take(self) -> RateState:
        with self.lock:
            now = time.time()
            if now - self.start >= self.window_s:
                self.start, self.used = now, 0
            self.used += 1
            exceeded = self.used > self.limit
            return RateState(self.limit, max(0, self.limit - self.used), self.start + self.window_s, exceeded)


class Platform(Protocol):
    """What the gate needs from a platform: its auth rule and its envelopes and headers."""

    name: str

    def authenticate(self, request: Request) -> Response | None: ...
    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response: ...
    def rate_headers(self, state: RateState | None) -> dict[str, str]: ...
    def too_many(self, retry_after_s: int, state: RateState | None) -> Response: ...


class FaultInjector:
    """Seeded draws, shared by all platforms; counts what it injected."""

    def __init__(self, rate: float, seed: int) -> None:
        self.rate = rate
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.burst: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()

    def draw(self, platform: str) -> FaultKind | None:
        with self.lock:
            if self.burst[platform] > 0:
                self.burst[platform] -= 1
                self.injected["rate_limit"] += 1
                return "rate_limit"
            if self.rate <= 0 or self.rng.random() >= self.rate:
                return None
            kinds = list(FAULT_WEIGHTS)
            kind = self.rng.choices(kinds, weights=[FAULT_WEIGHTS[k] for k in kinds])[0]
            if kind == "rate_limit":
                self.burst[platform] = self.rng.randint(0, 2)
            self.injected[kind] += 1
            return kind


async def _buffer(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # never: the request body was already delivered
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def drop_connection(send: Send) -> None:
    """Start an answer and stop: the server closes the connection and the client sees a reset."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4096")]})


async def _discard(message: MutableMapping[str, Any]) -> None:
    return None


class Gate:
    """ASGI middleware in front of one platform's routes."""

    def __init__(self, app: ASGIApp, platform: Platform, injector: FaultInjector, config: SandboxConfig) -> None:
        self.app, self.platform, self.injector, self.config = app, platform, injector, config
        limits = config.rate_limits.get(platform.name)
        self.window = FixedWindow(*limits) if limits else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await _buffer(receive)
        replay = _replay(body)
        denied = self.platform.authenticate(Request(scope, replay))
        if denied is not None:
            await denied(scope, replay, send)
            return
        state = self.window.take() if self.window else None
        send = self._with_headers(send, self.platform.rate_headers(state))
        if state is not None and state.exceeded:
            await self.platform.too_many(max(1, int(state.reset_at - time.time())), state)(scope, replay, send)
            return
        fault = self.injector.draw(self.platform.name)
        await self._serve(fault, scope, replay, send, state)

    async def _serve(
        self, fault: FaultKind | None, scope: Scope, receive: Receive, send: Send, state: RateState | None
    ) -> None:
        write = scope["method"] != "GET"
        if fault == "rate_limit":
            await self.platform.too_many(self.config.retry_after_s, state)(scope, receive, send)
        elif fault == "error_500":
            await self.platform.error(500, "Internal server error (injected)")(scope, receive, send)
        elif fault == "error_503":
            headers = {"Retry-After": str(self.config.retry_after_s)}
            await self.platform.error(503, "Service unavailable (injected)", headers)(scope, receive, send)
        elif fault == "reset" or (fault == "lost_response" and not write):
            await drop_connection(send)
        elif fault == "lost_response":
            await self.app(scope, receive, _discard)
            await drop_connection(send)
        else:
            if fault in ("timeout", "slow"):
                await asyncio.sleep(self.config.hang_s if fault == "timeout" else self.config.slow_s)
            await self.app(scope, receive, send)

    @staticmethod
    def _with_headers(send: Send, headers: dict[str, str]) -> Callable[[Message], Awaitable[None]]:
        extra = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start" and extra:
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        return wrapped
