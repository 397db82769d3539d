"""What the three platform clients share: one httpx client, one request attempt, errors in the platform's words.

`send` makes exactly one attempt and turns every failure into an `ItsmError` that says whether it is
worth retrying and whether the request may have landed. `read` retries idempotent reads with the
shared policy; writes are never retried here (the executor re-reads the ticket for the marker first).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

import certifi
import httpx

from graph.state import Source
from tools.itsm.errors import ItsmError
from tools.itsm.retry import retrying, server_wait_s
from tools.itsm.settings import ItsmSettings


@dataclass(frozen=True)
class Request:
    """One HTTP request as the client will send it (the unit the validation layer checks)."""

    method: str
    path: str
    json: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    """One journal entry / comment / conversation as read back."""

    id: str
    field: str
    text: str


@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context for all clients: building one costs ~20 ms, per client that adds up."""
    return ssl.create_default_context(cafile=certifi.where())


class PlatformClient:
    """Base of the per-platform clients. Use as a context manager so the connection pool is closed."""

    system: ClassVar[Source]

    def __init__(
        self,
        base_url: str,
        auth: httpx.Auth | tuple[str, str] | None,
        settings: ItsmSettings,
        *,
        headers: dict[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.sleep = sleep
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            auth=auth,
            timeout=httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s),
            headers={"Accept": "application/json", "User-Agent": "helpdesk-itsm/1", **(headers or {})},
            transport=transport,
            verify=tls_context(),
        )

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def error_message(self, response: httpx.Response) -> str:
        """The platform's own error text; subclasses parse their envelope."""
        return response.text[:500] or response.reason_phrase

    def send(self, request: Request) -> httpx.Response:
        """Exactly one attempt. Raises `ItsmError` for transport failures and any status >= 400."""
        try:
            response = self.http.request(request.method, request.path, json=request.json, params=request.params or None)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise ItsmError(f"cannot connect: {type(exc).__name__}", retryable=True) from exc
        except httpx.TimeoutException as exc:
            raise ItsmError(
                f"timed out after sending ({type(exc).__name__})",
                retryable=True,
                maybe_landed=request.method != "GET",
            ) from exc
        except httpx.TransportError as exc:
            raise ItsmError(
                f"connection lost ({type(exc).__name__})", retryable=True, maybe_landed=request.method != "GET"
            ) from exc
        if response.status_code >= 400:
            raise self.error_for(response, request)
        return response

    def error_for(self, response: httpx.Response, request: Request) -> ItsmError:
        status = response.status_code
        transient = status == 429 or status >= 500
        return ItsmError(
            self.error_message(response),
            http_status=status,
            retryable=transient,
            maybe_landed=status >= 500 and request.method != "GET",
            retry_after=server_wait_s(response.headers) if transient else None,
        )

    def read(self, request: Request) -> httpx.Response:
        """A GET with the bounded retry policy (reads are idempotent)."""
        for attempt in retrying(self.settings.retry, self.sleep):
            with attempt:
                return self.send(request)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    @staticmethod
    def json_of(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise ItsmError(
                f"unreadable answer (not JSON): {response.text[:200]!r}", http_status=response.status_code
            ) from exc
